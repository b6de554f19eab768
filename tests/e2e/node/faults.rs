//! Acceptance 3, application side: a webhook that times out or fails leads to the fallback
//! URL with ErrorCode and ErrorUrl; a bad document is a notification, the error message and
//! a clean hang-up.

use std::time::Duration;

use switchyard_e2e::{
    Node, NodeConfig, NumberConfig, Scenario, Webhook, ACCOUNT_SID, AUTH_TOKEN, NUMBER,
};

use super::{audible_packets, call_with_capture, eventually, notifications};

fn node_with_fallback(hook: &Webhook, response_timeout_ms: u64) -> anyhow::Result<Node> {
    let mut number = NumberConfig::webhook(NUMBER, ACCOUNT_SID, &hook.base_url());
    number.voice_fallback_url = Some(hook.url("/fallback"));
    let mut config = NodeConfig::new();
    config.numbers.push(number);
    config.extra_toml = format!("[webhook]\nresponse_timeout_ms = {response_timeout_ms}\n");
    Node::start(config)
}

fn assert_fallback_used(hook: &Webhook, code: &str) -> anyhow::Result<()> {
    let fallback = hook.requests_to("/fallback")?;
    assert_eq!(fallback.len(), 1, "{fallback:?}");
    let f = &fallback[0];
    assert!(f.signature_valid, "{f:?}");
    assert_eq!(f.param("ErrorCode"), Some(code), "{f:?}");
    assert_eq!(
        f.param("ErrorUrl"),
        Some(hook.url("/voice").as_str()),
        "{f:?}"
    );
    Ok(())
}

#[test]
fn webhook_timeout_goes_to_the_fallback_url() -> anyhow::Result<()> {
    let hook = Webhook::start(Scenario::Slow, AUTH_TOKEN, &["--delay", "6"])?;
    let node = node_with_fallback(&hook, 1500)?;
    let (out, packets) = call_with_capture(&node, "uac_bench.xml", &[])?;
    assert!(out.success(), "sipp failed: {out}");
    // Twilio's 11205 covers both connect and response timeouts.
    assert_fallback_used(&hook, "11205")?;
    assert!(
        audible_packets(&packets) > 25,
        "the fallback's Say was not heard"
    );
    Ok(())
}

#[test]
fn webhook_500_goes_to_the_fallback_url() -> anyhow::Result<()> {
    let hook = Webhook::start(Scenario::Error500, AUTH_TOKEN, &[])?;
    let node = node_with_fallback(&hook, 15_000)?;
    let (out, packets) = call_with_capture(&node, "uac_bench.xml", &[])?;
    assert!(out.success(), "sipp failed: {out}");
    assert_fallback_used(&hook, "11200")?;
    assert!(
        audible_packets(&packets) > 25,
        "the fallback's Say was not heard"
    );
    Ok(())
}

#[test]
fn invalid_xml_is_a_notification_an_error_message_and_a_clean_hangup() -> anyhow::Result<()> {
    let hook = Webhook::start(Scenario::BadXml, AUTH_TOKEN, &[])?;
    let node = Node::start(NodeConfig::new().with_webhook(&hook.base_url()))?;
    // uac_bench waits for the node's BYE and answers it: a clean hang-up.
    let (out, packets) = call_with_capture(&node, "uac_bench.xml", &[])?;
    assert!(out.success(), "sipp failed: {out}");
    // "We are sorry, an application error has occurred. Goodbye." lasts about 3 s.
    let audible = audible_packets(&packets);
    assert!(
        audible > 50,
        "error message not heard ({audible} audible packets)"
    );
    let n = eventually(Duration::from_secs(5), || {
        Ok(notifications(&node)?.into_iter().next())
    })?;
    assert_eq!(n["error_code"], "12100", "{n}");
    assert_eq!(n["log"], "0", "{n}");
    assert!(
        n["call_sid"].as_str().is_some_and(|s| s.starts_with("CA")),
        "{n}"
    );
    assert!(
        node.stderr().contains("12100"),
        "no log line for the notification"
    );
    Ok(())
}
