//! First-verb rules and the redirect-loop bound, seen from a real caller: what sipp
//! receives and when, the call record over the REST API, and the notification.
//! docs/CONFORMANCE.md lists the rules; runtime/call/tests/conformance.rs checks each in
//! virtual time.

use std::time::Duration;

use anyhow::{Context, Result};
use switchyard_e2e::wasm::{bind_number, component, deploy_ok};
use switchyard_e2e::{Node, NodeConfig, SippCommand, SippMessage, SippOutcome, NUMBER};

use super::dial::dial_app;
use super::{calls, eventually, notifications};

/// The documented default bound on application requests that run no verb.
const MAX_REQUESTS_WITHOUT_VERB: usize = 100;

/// One call from sipp to the node's number with `scenario`, every message traced.
fn traced_call(node: &Node, scenario: &str) -> Result<SippOutcome> {
    SippCommand::new(scenario)?
        .target(&node.sip_target())
        .args(&["-m", "1", "-s", NUMBER])
        .timeout(Duration::from_secs(90))
        .trace_messages()
        .run()
}

fn is_invite_response(m: &SippMessage, status: u16) -> bool {
    m.received
        && m.status() == Some(status)
        && m.header("CSeq").is_some_and(|c| c.ends_with("INVITE"))
}

/// Seconds from the INVITE sipp sent to the first `status` response to it.
fn seconds_to(messages: &[SippMessage], status: u16) -> Result<f64> {
    let invite = messages
        .iter()
        .find(|m| !m.received && m.method() == Some("INVITE"))
        .and_then(|m| m.at)
        .context("no timed INVITE in the trace")?;
    let response = messages
        .iter()
        .find(|m| is_invite_response(m, status))
        .and_then(|m| m.at)
        .with_context(|| format!("no timed {status} in the trace"))?;
    Ok(response.as_secs_f64() - invite.as_secs_f64())
}

/// The call's record once it is over.
fn final_record(node: &Node) -> Result<serde_json::Value> {
    eventually(Duration::from_secs(10), || {
        Ok(calls(node)?
            .into_iter()
            .find(|c| c["status"] != "ringing" && c["status"] != "in-progress"))
    })
}

/// The notification with `code` whose text contains `needle`.
fn note(node: &Node, code: &str, needle: &str) -> Result<serde_json::Value> {
    eventually(Duration::from_secs(10), || {
        Ok(notifications(node)?.into_iter().find(|n| {
            n["error_code"] == code
                && n["message_text"]
                    .as_str()
                    .is_some_and(|t| t.contains(needle))
        }))
    })
    .with_context(|| {
        format!(
            "no {code} notification about {needle:?}: {:#?}",
            notifications(node)
        )
    })
}

/// Twilio's `<Hangup>`: "If used as the first verb in a TwiML response it does not
/// prevent Twilio from answering the call" — the caller gets 200, then BYE, and the
/// record says `completed`.
#[test]
fn hangup_first_answers_with_200_then_bye_and_the_record_says_completed() -> Result<()> {
    let (_dir, hook, node) = dial_app(&[("voice", "<Response><Hangup/></Response>".into())], "")?;
    let out = traced_call(&node, "uac_wait_bye.xml")?;
    assert!(out.success(), "sipp failed: {out}");
    let messages = out.messages();
    let ok = messages.iter().position(|m| is_invite_response(m, 200));
    let bye = messages
        .iter()
        .position(|m| m.received && m.method() == Some("BYE"));
    assert!(
        matches!((ok, bye), (Some(ok), Some(bye)) if ok < bye),
        "expected 200 then BYE: {messages:#?}"
    );
    assert!(
        !messages
            .iter()
            .any(|m| m.received && m.status().is_some_and(|s| s >= 300)),
        "the call was refused instead of answered: {messages:#?}"
    );
    assert_eq!(hook.requests_to("/voice")?.len(), 1);
    let record = final_record(&node)?;
    assert_eq!(record["status"], "completed", "{record}");
    assert!(
        record["start_time"].is_string(),
        "answered calls have a start: {record}"
    );
    Ok(())
}

/// Twilio's `<Pause>`: "If <Pause> is the first verb in a TwiML document, Twilio will
/// wait the specified number of seconds before picking up the call" — the 200 comes
/// 2 s (±0.3) after the INVITE, and the call rings until then.
#[test]
fn pause_first_sends_the_200_two_seconds_after_the_invite() -> Result<()> {
    let (_dir, _hook, node) = dial_app(
        &[(
            "voice",
            r#"<Response><Pause length="2"/><Hangup/></Response>"#.into(),
        )],
        "",
    )?;
    let out = traced_call(&node, "uac_wait_bye.xml")?;
    assert!(out.success(), "sipp failed: {out}");
    let messages = out.messages();
    let ringing = seconds_to(&messages, 180)?;
    let answered = seconds_to(&messages, 200)?;
    assert!(
        ringing < 0.5,
        "180 Ringing came {ringing:.3} s after the INVITE"
    );
    assert!(
        (1.7..=2.3).contains(&answered),
        "200 OK came {answered:.3} s after the INVITE, not 2 s (±0.3)"
    );
    assert_eq!(final_record(&node)?["status"], "completed");
    Ok(())
}

/// The caller of a call whose app redirects to itself gets 500 once the app has had the
/// documented number of requests; the app sees no more; a 14106 notification names the
/// loop; the record says `failed`.
fn assert_loop_ended(node: &Node, out: &SippOutcome) -> Result<()> {
    assert!(out.success(), "sipp got no 500: {out}");
    let refused = seconds_to(&out.messages(), 500)?;
    // The documented bounds: 100 requests, or 180 s unanswered; a loop of fast requests
    // reaches the first long before the second.
    assert!(refused < 60.0, "500 came {refused:.1} s after the INVITE");
    let n = note(node, "14106", "redirect loop")?;
    assert!(
        n["message_text"]
            .as_str()
            .is_some_and(|t| t.contains("limit is 100")),
        "{n}"
    );
    let record = final_record(node)?;
    assert_eq!(record["status"], "failed", "{record}");
    Ok(())
}

#[test]
fn twiml_redirect_loop_gets_500_after_at_most_100_requests() -> Result<()> {
    let (_dir, hook, node) = dial_app(
        &[(
            "voice",
            "<Response><Redirect>/voice</Redirect></Response>".into(),
        )],
        "",
    )?;
    let out = traced_call(&node, "uac_refused_500.xml")?;
    assert_loop_ended(&node, &out)?;
    // Nothing more arrives after the call has ended.
    std::thread::sleep(Duration::from_millis(500));
    let requests = hook.requests_to("/voice")?.len();
    assert_eq!(
        requests, MAX_REQUESTS_WITHOUT_VERB,
        "the app saw {requests} requests"
    );
    Ok(())
}

#[test]
fn wasm_redirect_loop_gets_500_after_at_most_100_steps() -> Result<()> {
    let looping = component("twiml-redirect", None)?;
    let node = Node::start(NodeConfig::new())?;
    deploy_ok(&node, "twiml-redirect", &looping, &[])?;
    bind_number(&node, NUMBER, "app:twiml-redirect", None)?;
    let out = traced_call(&node, "uac_refused_500.xml")?;
    assert_loop_ended(&node, &out)?;
    std::thread::sleep(Duration::from_millis(500));
    let steps = node.stderr().matches("twiml-redirect step").count();
    assert_eq!(
        steps, MAX_REQUESTS_WITHOUT_VERB,
        "the app ran {steps} steps"
    );
    Ok(())
}
