//! Tenant Wasm apps through a real node: the foundation's call flow against the Wasm
//! IVR, session state across calls and restarts, the artifact cache, deploy validation.
//! Containment is in `wasm_containment.rs`, fallbacks both ways in `wasm_fallback.rs`.

use std::time::Duration;

use anyhow::Result;
use serde_json::Value;
use sha2::{Digest, Sha256};
use switchyard_e2e::wasm::{bind_number, component, deploy, deploy_ok};
use switchyard_e2e::{
    Capture, Node, NodeConfig, RtpPacket, Scenario, SippCommand, SippOutcome, Webhook, AUTH_TOKEN,
    NUMBER,
};

use super::{call_with_capture, calls, eventually, notifications, tone_packets};

/// Calls `number` once with `scenario` (e.g. `uac_bench.xml`), capturing what the node
/// sends to sipp's media port.
pub(super) fn call_number(
    node: &Node,
    number: &str,
    scenario: &str,
) -> Result<(SippOutcome, Vec<RtpPacket>)> {
    let cmd = SippCommand::new(scenario)?
        .target(&node.sip_target())
        .args(&["-m", "1", "-s", number])
        .timeout(Duration::from_secs(60));
    let cap = Capture::start(cmd.media_port())?;
    let out = cmd.run()?;
    std::thread::sleep(Duration::from_millis(200));
    Ok((out, cap.stop()?))
}

/// Message texts of the notifications containing `needle`, oldest first as listed.
pub(super) fn notes_with(node: &Node, needle: &str) -> Result<Vec<Value>> {
    Ok(notifications(node)?
        .into_iter()
        .filter(|n| {
            n["message_text"]
                .as_str()
                .is_some_and(|t| t.contains(needle))
        })
        .collect())
}

/// Waits until a notification containing `needle` exists and returns it.
pub(super) fn wait_note(node: &Node, needle: &str) -> Result<Value> {
    eventually(Duration::from_secs(10), || {
        Ok(notes_with(node, needle)?.into_iter().next())
    })
    .map_err(|e| {
        let all = notifications(node).unwrap_or_default();
        e.context(format!(
            "no notification containing {needle:?}; have {all:#?}"
        ))
    })
}

#[test]
fn wasm_ivr_deployed_through_the_api_passes_the_foundation_call_flow() -> Result<()> {
    // The webhook only serves the tone: the IVR itself is the Wasm app.
    let hook = Webhook::start(Scenario::GatherPlay, AUTH_TOKEN, &["--wav-seconds", "3.0"])?;
    let ivr = component("ivr", Some(&hook.url("/audio/tone.wav")))?;
    let node = Node::start(NodeConfig::new().with_webhook(&hook.base_url()))?;

    let app = deploy_ok(&node, "ivr", &ivr, &[])?;
    assert_eq!(app["name"], "ivr", "{app}");
    assert_eq!(app["version"], 1, "{app}");
    assert_eq!(
        app["sha256"].as_str(),
        Some(hex::encode(Sha256::digest(&ivr)).as_str()),
        "{app}"
    );
    bind_number(&node, NUMBER, "app:ivr", None)?;

    let (out, packets) = call_with_capture(&node, "uac_gather.xml", &[])?;
    assert!(out.success(), "sipp failed: {out}");
    assert!(
        hook.requests_to("/voice")?.is_empty(),
        "the webhook answered instead of the app"
    );
    // Same bar as the webhook flow: 3 s of tone is 150 packets, ≥ 90 % must carry it.
    let heard = tone_packets(&packets);
    assert!(
        heard * 10 >= 150 * 9,
        "only {heard} of 150 tone packets reached sipp ({} packets in all)",
        packets.len()
    );
    // uac_gather waits for the node's BYE, so success means the node hung up; the
    // record says so too.
    let record = eventually(Duration::from_secs(5), || {
        Ok(calls(&node)?
            .into_iter()
            .find(|c| c["status"] == "completed"))
    })?;
    assert_eq!(record["to"], NUMBER);
    Ok(())
}

#[test]
fn wasm_session_state_counts_calls_and_survives_a_restart() -> Result<()> {
    let counter = component("counter", None)?;
    let mut node = Node::start(NodeConfig::new())?;
    deploy_ok(&node, "counter", &counter, &[])?;
    bind_number(&node, NUMBER, "app:counter", None)?;

    // uac_bench always calls from +15557770000: the same (From, To) pair each time.
    let counts = |node: &Node| -> Result<Vec<String>> {
        Ok(notes_with(node, "app counter: count")?
            .iter()
            .filter_map(|n| n["message_text"].as_str())
            .map(|t| t.rsplit("count ").next().unwrap_or_default().to_owned())
            .collect())
    };
    for want in 1..=2 {
        let (out, _) = call_number(&node, NUMBER, "uac_bench.xml")?;
        assert!(out.success(), "call {want}: {out}");
        wait_note(&node, &format!("app counter: count {want}"))?;
    }
    let mut seen = counts(&node)?;
    seen.sort();
    assert_eq!(seen, ["1", "2"]);

    node.kill9()?;
    node.restart_same_data()?;
    let (out, _) = call_number(&node, NUMBER, "uac_bench.xml")?;
    assert!(out.success(), "call after restart: {out}");
    wait_note(&node, "app counter: count 3")?;
    let mut seen = counts(&node)?;
    seen.sort();
    assert_eq!(seen, ["1", "2", "3"]);
    Ok(())
}

#[test]
fn wasm_restart_loads_every_app_from_the_artifact_cache() -> Result<()> {
    let mut node = Node::start(NodeConfig::new())?;
    for name in ["hello", "echo", "counter"] {
        deploy_ok(&node, name, &component(name, None)?, &[])?;
    }
    bind_number(&node, NUMBER, "app:hello", None)?;
    node.kill9()?;
    let before = node.stderr().len();
    node.restart_same_data()?;

    let log = node.stderr()[before..].to_owned();
    let line = log
        .lines()
        .find(|l| l.contains("Wasm apps loaded"))
        .unwrap_or_else(|| panic!("no 'Wasm apps loaded' line after restart:\n{log}"));
    assert!(
        line.contains("from_cache=3") && line.contains("compiled=0"),
        "{line}"
    );

    let (out, packets) = call_number(&node, NUMBER, "uac_bench.xml")?;
    assert!(out.success(), "call after restart: {out}");
    assert!(
        super::audible_packets(&packets) > 10,
        "hello's greeting was not heard"
    );
    Ok(())
}

#[test]
fn wasm_deploy_rejects_what_is_not_a_call_handler_component() -> Result<()> {
    let node = Node::start(NodeConfig::new())?;

    let r = deploy(&node, "junk", b"definitely not wasm, just text", &[])?;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.text().contains("not a WebAssembly binary"),
        "{}",
        r.text()
    );

    // The 8-byte header of an empty core module: valid Wasm, but not a component.
    let r = deploy(&node, "core", b"\0asm\x01\0\0\0", &[])?;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("not a component"), "{}", r.text());

    let r = deploy(&node, "empty", b"", &[])?;
    assert_eq!(r.status, 400, "{}", r.text());

    // Nothing was stored by the failures; a real component is.
    let echo = component("echo", None)?;
    let app = deploy_ok(&node, "echo", &echo, &[])?;
    assert_eq!(app["version"], 1, "{app}");
    let (sid, _) = node.credentials()?;
    for name in ["junk", "core", "empty"] {
        let r = node.get(&format!("/v1/Accounts/{sid}/Apps/{name}"))?;
        assert_eq!(r.status, 404, "{name}: {}", r.text());
    }
    let again = deploy_ok(&node, "echo", &echo, &[])?;
    assert_eq!(again["version"], 2, "{again}");
    Ok(())
}

#[test]
fn wasm_number_seeded_from_the_config_file_answers_with_the_app() -> Result<()> {
    // The binding comes from the node's config file instead of the REST API, so this
    // still exercises the call path when the API refuses `app:` URLs.
    let mut number = switchyard_e2e::NumberConfig::webhook(
        NUMBER,
        switchyard_e2e::ACCOUNT_SID,
        "http://127.0.0.1:9",
    );
    number.voice_url = "app:echo".into();
    number.voice_fallback_url = None;
    number.status_callback = None;
    number.status_callback_event = None;
    let mut config = NodeConfig::new();
    config.numbers.push(number);
    let node = Node::start(config)?;
    deploy_ok(&node, "echo", &component("echo", None)?, &[])?;
    let (out, packets) = call_number(&node, NUMBER, "uac_bench.xml")?;
    assert!(out.success(), "sipp failed: {out}");
    assert!(
        super::audible_packets(&packets) > 10,
        "echo's Say was not heard"
    );
    let note = wait_note(&node, "app echo: ErrorCode=- ErrorUrl=- path=/")?;
    assert_eq!(note["error_code"], "82002", "{note}");
    Ok(())
}
