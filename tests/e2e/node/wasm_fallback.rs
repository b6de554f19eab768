//! Fallback both ways: a failing webhook falls back to a Wasm app, a failing Wasm app
//! to a webhook; each receives ErrorCode and ErrorUrl.

use anyhow::Result;
use switchyard_e2e::wasm::{bind_number, component, deploy_ok};
use switchyard_e2e::{free_port, Node, NodeConfig, Scenario, Webhook, AUTH_TOKEN, NUMBER};

use super::audible_packets;
use super::wasm_apps::{call_number, wait_note};

/// Calls NUMBER whose VoiceUrl is `voice_url` and fallback `app:echo`; the echo guest
/// must log the ErrorCode and ErrorUrl it was given.
fn webhook_falls_back_to_echo(
    hook: &Webhook,
    voice_url: &str,
    response_timeout_ms: u64,
    code: &str,
) -> Result<()> {
    let mut config = NodeConfig::new().with_webhook(&hook.base_url());
    config.extra_toml = format!("[webhook]\nresponse_timeout_ms = {response_timeout_ms}\n");
    let node = Node::start(config)?;
    deploy_ok(&node, "echo", &component("echo", None)?, &[])?;
    bind_number(&node, NUMBER, voice_url, Some("app:echo"))?;
    let (out, packets) = call_number(&node, NUMBER, "uac_bench.xml")?;
    assert!(out.success(), "sipp failed: {out}");
    assert!(audible_packets(&packets) > 10, "echo's Say was not heard");
    let note = wait_note(
        &node,
        &format!("app echo: ErrorCode={code} ErrorUrl={voice_url} path=/"),
    )?;
    assert_eq!(note["error_code"], "82002", "{note}");
    Ok(())
}

#[test]
fn wasm_fallback_answers_when_the_webhook_refuses_connections() -> Result<()> {
    let hook = Webhook::start(Scenario::SayHangup, AUTH_TOKEN, &[])?;
    let closed = format!("http://127.0.0.1:{}/voice", free_port()?);
    webhook_falls_back_to_echo(&hook, &closed, 15_000, "11205")
}

#[test]
fn wasm_fallback_answers_when_the_webhook_fails_with_500() -> Result<()> {
    let hook = Webhook::start(Scenario::Error500, AUTH_TOKEN, &[])?;
    webhook_falls_back_to_echo(&hook, &hook.url("/voice"), 15_000, "11200")
}

#[test]
fn wasm_fallback_answers_when_the_webhook_times_out() -> Result<()> {
    let hook = Webhook::start(Scenario::Slow, AUTH_TOKEN, &["--delay", "6"])?;
    webhook_falls_back_to_echo(&hook, &hook.url("/voice"), 1500, "11205")
}

#[test]
fn wasm_trap_falls_back_to_the_webhook_with_error_code_and_url() -> Result<()> {
    let hook = Webhook::start(Scenario::Error500, AUTH_TOKEN, &[])?;
    let node = Node::start(NodeConfig::new().with_webhook(&hook.base_url()))?;
    deploy_ok(&node, "panicker", &component("panicker", None)?, &[])?;
    bind_number(&node, NUMBER, "app:panicker", Some(&hook.url("/fallback")))?;
    let (out, packets) = call_number(&node, NUMBER, "uac_bench.xml")?;
    assert!(out.success(), "sipp failed: {out}");
    assert!(audible_packets(&packets) > 25, "the fallback was not heard");
    let fallback = hook.requests_to("/fallback")?;
    assert_eq!(fallback.len(), 1, "{fallback:?}");
    let f = &fallback[0];
    assert!(f.signature_valid, "{f:?}");
    assert_eq!(f.param("ErrorCode"), Some("11200"), "{f:?}");
    assert!(
        f.param("ErrorUrl")
            .is_some_and(|u| u.starts_with("app://panicker/")),
        "{f:?}"
    );
    assert!(hook.requests_to("/voice")?.is_empty());
    wait_note(&node, "app panicker")?;
    Ok(())
}
