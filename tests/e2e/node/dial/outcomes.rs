//! `<Dial>` outcomes other than a bridge that ends normally: busy, no answer at the
//! timeout, an unreachable host, a number with no trunk, the caller cancelling, and a
//! trunk that challenges for credentials.

use std::time::Duration;

use anyhow::{Context, Result};
use switchyard_e2e::{Node, Sipp};

use super::super::{calls, eventually, notifications};
use super::{assert_dialed, call, dial_app, one_request, sip_nouns, AFTER};

/// Runs `<Dial action="/dialed" ATTRS>NOUNS</Dial>` for a caller running `scenario`;
/// the action request and the seconds from the app's first request to it.
fn dial_outcome(
    attrs: &str,
    nouns: &str,
    scenario: &str,
    args: &[&str],
) -> Result<(switchyard_e2e::WebhookRequest, f64, Node)> {
    let voice = format!("<Response><Dial action=\"/dialed\" {attrs}>{nouns}</Dial></Response>");
    let (_dir, hook, node) = dial_app(&[("voice", voice), ("dialed", AFTER.into())], "")?;
    let out = call(&node, scenario, args)?;
    assert!(out.success(), "caller: {out}");
    let dialed = one_request(&hook, "/dialed")?;
    let voice_at = one_request(&hook, "/voice")?.time;
    Ok((dialed.clone(), dialed.time - voice_at, node))
}

#[test]
fn a_busy_callee_gives_busy() -> Result<()> {
    let busy = Sipp::uas("uas_busy.xml", &[])?;
    let (dialed, _, _node) = dial_outcome("", &sip_nouns(&[&busy]), "uac_wait_bye.xml", &[])?;
    assert_dialed(&dialed, "busy", false);
    assert!(busy.wait()?.success());
    Ok(())
}

#[test]
fn a_callee_that_never_answers_gives_no_answer_at_the_timeout() -> Result<()> {
    let ringing = Sipp::uas("uas_no_answer.xml", &[])?;
    let (dialed, after, _node) = dial_outcome(
        "timeout=\"3\"",
        &sip_nouns(&[&ringing]),
        "uac_wait_bye.xml",
        &[],
    )?;
    assert_eq!(
        dialed.param("DialCallStatus"),
        Some("no-answer"),
        "{dialed:?}"
    );
    assert!((2.5..=3.5).contains(&after), "no-answer after {after:.2} s");
    let o = ringing.wait()?;
    assert_eq!(o.received("CANCEL"), 1, "{o}");
    Ok(())
}

#[test]
fn an_unreachable_host_gives_failed() -> Result<()> {
    let (dialed, after, _node) = dial_outcome(
        "",
        "<Sip>sip:bob@no-such-host.invalid</Sip>",
        "uac_wait_bye.xml",
        &[],
    )?;
    assert_eq!(dialed.param("DialCallStatus"), Some("failed"), "{dialed:?}");
    assert!(after < 5.0, "failed only after {after:.1} s");
    Ok(())
}

#[test]
fn a_number_without_a_trunk_fails_with_a_notification() -> Result<()> {
    let (dialed, _, node) =
        dial_outcome("", "<Number>+15551234567</Number>", "uac_wait_bye.xml", &[])?;
    assert_eq!(dialed.param("DialCallStatus"), Some("failed"), "{dialed:?}");
    let notes = notifications(&node)?;
    assert!(
        notes.iter().any(|n| n["error_code"] == "13224"
            && n["message_text"]
                .as_str()
                .is_some_and(|m| m.contains("not routable"))),
        "{notes:?}"
    );
    Ok(())
}

#[test]
fn the_caller_cancelling_while_the_callee_rings_cancels_the_callee() -> Result<()> {
    let ringing = Sipp::uas("uas_no_answer.xml", &[])?;
    // With answerOnBridge the caller is still unanswered while the callee rings, so it
    // can cancel (without it the caller is answered before the dial starts).
    let (dialed, _, node) = dial_outcome(
        "answerOnBridge=\"true\"",
        &sip_nouns(&[&ringing]),
        "uac_cancel.xml",
        &["-d", "1500"],
    )?;
    assert_eq!(
        dialed.param("DialCallStatus"),
        Some("canceled"),
        "{dialed:?}"
    );
    let o = ringing.wait()?;
    assert_eq!(o.received("CANCEL"), 1, "{o}");
    let child_sid = dialed.param("DialCallSid").context("DialCallSid")?;
    let child = eventually(Duration::from_secs(5), || {
        Ok(calls(&node)?
            .into_iter()
            .find(|c| c["sid"] == child_sid && c["status"] == "canceled"))
    })?;
    assert_eq!(child["direction"], "outbound-dial");
    Ok(())
}

#[test]
fn a_trunk_that_challenges_gets_digest_credentials_and_the_number_is_bridged() -> Result<()> {
    let trunk = Sipp::uas("uas_auth.xml", &[])?;
    let voice =
        "<Response><Dial action=\"/dialed\" timeLimit=\"2\"><Number>+15557654321</Number></Dial></Response>"
            .to_owned();
    let trunks = format!(
        "[[trunks]]\nname = \"carrier\"\naddress = \"{}\"\nusername = \"alice\"\npassword = \"s3cret\"\n",
        trunk.addr()
    );
    let (_dir, hook, node) = dial_app(&[("voice", voice), ("dialed", AFTER.into())], &trunks)?;
    let out = call(&node, "uac_wait_bye.xml", &[])?;
    assert!(out.success(), "caller: {out}");
    let t = trunk.wait()?;
    assert!(t.success(), "trunk: {t}");
    let invites = t.received_requests("INVITE");
    assert_eq!(invites.len(), 2, "{t}");
    assert!(
        invites[0].start_line().contains("sip:+15557654321@"),
        "{}",
        invites[0].start_line()
    );
    let auth = invites[1]
        .header("Proxy-Authorization")
        .context("no Proxy-Authorization on the second INVITE")?;
    assert!(
        auth.contains("username=\"alice\"") && auth.contains("realm=\"switchyard.test\""),
        "{auth}"
    );
    let dialed = one_request(&hook, "/dialed")?;
    assert_dialed(&dialed, "completed", true);
    let _ = node;
    Ok(())
}
