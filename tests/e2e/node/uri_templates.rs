//! URI templates (RFC 6570 simple string expansion) in next-step URLs: a `<Gather>`
//! action and a `<Play>` URL carry the digits the caller keyed; a name that is not a
//! request parameter is requested as written.

use std::time::Duration;

use switchyard_e2e::{Sipp, NUMBER};

use super::dial::{dial_app, one_request};
use super::eventually;

#[test]
fn gather_action_and_play_url_carry_the_keyed_digits() -> anyhow::Result<()> {
    let voice = r#"<Response><Gather numDigits="2" timeout="10" action="/menu?d={Digits}&amp;u={Unknown}"/></Response>"#;
    let (dir, hook, node) = dial_app(&[("voice", voice.to_owned())], "")?;
    // The menu plays the sound named by the digits, from the app's server by its
    // absolute URL (written now that its port is known; the server reads it per request).
    let menu = format!(
        "<Response><Play>{}</Play><Hangup/></Response>",
        hook.url("/audio/{Digits}.wav")
    );
    std::fs::write(dir.path().join("menu.xml"), menu)?;

    let out = Sipp::run(
        "uac_info_dtmf_42.xml",
        &node.sip_target(),
        &["-m", "1", "-s", NUMBER],
    )?;
    assert!(out.success(), "sipp failed: {out}");

    let menu = one_request(&hook, "/menu")?;
    assert_eq!(menu.param("d"), Some("42"), "{menu:?}");
    assert_eq!(menu.param("Digits"), Some("42"), "{menu:?}");
    // Not a parameter of the request: the braces are sent as written.
    assert_eq!(menu.param("u"), Some("{Unknown}"), "{menu:?}");
    assert!(menu.query.contains("u={Unknown}"), "{menu:?}");
    assert!(menu.signature_valid, "{menu:?}");

    let played = eventually(Duration::from_secs(5), || {
        Ok(hook
            .requests()?
            .into_iter()
            .find(|r| r.path.starts_with("/audio/")))
    })?;
    assert_eq!(played.path, "/audio/42.wav", "{played:?}");
    Ok(())
}
