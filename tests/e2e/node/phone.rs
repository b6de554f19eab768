//! Acceptance 2: the same call flow with pjsua2 as the phone, recording what it hears.

use std::time::Duration;

use switchyard_e2e::audio::{rms, tone_share, Wav};
use switchyard_e2e::{
    Node, NodeConfig, Phone, PhoneOptions, Scenario, Webhook, AUTH_TOKEN, NUMBER,
};

#[test]
fn pjsua2_hears_speech_then_the_wav() -> anyhow::Result<()> {
    let hook = Webhook::start(Scenario::GatherPlay, AUTH_TOKEN, &["--wav-seconds", "3.0"])?;
    let node = Node::start(NodeConfig::new().with_webhook(&hook.base_url()))?;
    let dir = tempfile::tempdir()?;
    let wav = dir.path().join("heard.wav");
    let call = Phone::call(
        &node.sip_uri(NUMBER),
        "1",
        Some(&wav),
        &PhoneOptions {
            dtmf_after: Duration::from_secs(3),
            timeout: Duration::from_secs(30),
            ..Default::default()
        },
    )?;
    assert!(call.success(), "{call:?}");
    let summary = call.summary.expect("summary");
    assert!(summary.ended_by_remote, "{summary:?}");

    let gathered = hook.requests_to("/gathered")?;
    assert_eq!(gathered.len(), 1, "{gathered:?}");
    assert_eq!(gathered[0].param("Digits"), Some("1"));
    assert!(gathered[0].signature_valid);

    let heard = Wav::read(&wav)?;
    let rate = heard.rate;
    // Split the recording into 100 ms windows and classify each.
    let win = (rate / 10) as usize;
    let kinds: Vec<char> = heard
        .samples
        .chunks(win)
        .map(|w| {
            let share = tone_share(w, rate, 440.0);
            if rms(w) < 200.0 {
                '.'
            } else if share > 0.8 {
                'T'
            } else if share > 0.3 {
                // Mostly tone, spliced: pjsua's adaptive jitter buffer drops or repeats
                // frames near the start of a call, breaking the sine's phase once.
                't'
            } else {
                'S'
            }
        })
        .collect();
    let picture: String = kinds.iter().collect();
    let first_tone = picture
        .find('T')
        .unwrap_or_else(|| panic!("no tone heard: {picture}"));
    let last_tone = picture.rfind('T').unwrap_or(first_tone);
    let speech_before = picture[..first_tone].matches('S').count();
    assert!(speech_before >= 10, "no speech before the tone: {picture}");
    // The WAV is 3 s = 30 windows; allow a window at each edge.
    let region = &picture[first_tone..=last_tone];
    assert!(
        (28..=32).contains(&region.len()),
        "tone lasted {} windows: {picture}",
        region.len()
    );
    // A window spoiled by the phone's own jitter buffer under load is possible; a gap or
    // another sound in the middle of the WAV is not.
    let toned = region.matches(['T', 't']).count();
    assert!(
        toned * 10 >= region.len() * 9,
        "tone interrupted: {picture}"
    );
    assert!(
        !picture[last_tone..].contains('S'),
        "speech after the tone: {picture}"
    );
    Ok(())
}
