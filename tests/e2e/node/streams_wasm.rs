//! Media Streams from a Wasm app, with the SDK's builders (the `step` cases of its answer).

use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::{json, Value};
use switchyard_e2e::media_stream::MediaStreamServer;
use switchyard_e2e::phone::dominant_frequency;
use switchyard_e2e::wasm::{bind_number, component, deploy_ok};
use switchyard_e2e::{Node, NodeConfig, Phone, PhoneOptions, AUTH_TOKEN, NUMBER};

use super::streams::{number, ulaw_payload, CALLER_HZ};

/// A Wasm app (tests/guests/streamer) forks both tracks of its call with
/// `Response::start_stream` to a `websockets` server, which gets `connected`, `start`
/// with the app's custom parameter, the caller's tone, and `stop` when the app's
/// `stop_stream` runs 3 s later; the call goes on until the app hangs up.
#[test]
fn a_wasm_app_starts_and_stops_a_stream_with_the_sdk_builders() -> Result<()> {
    let server = MediaStreamServer::start("record", AUTH_TOKEN, &[])?;
    let node = Node::start(NodeConfig::new())?;
    deploy_ok(&node, "streamer", &component("streamer", None)?, &[])?;
    let host = server
        .url("")
        .strip_prefix("ws://")
        .context("a ws:// URL")?
        .to_owned();
    bind_number(&node, NUMBER, &format!("app:streamer/fork/{host}"), None)?;
    let opts = PhoneOptions {
        tone: Some(CALLER_HZ),
        hangup_after: Some(Duration::from_secs(15)),
        codecs: vec!["PCMU".into()],
        timeout: Duration::from_secs(40),
        ..PhoneOptions::default()
    };
    let out = Phone::call(&node.sip_uri(NUMBER), "", None, &opts)?;
    let call_ended = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs_f64();
    assert!(out.success(), "the app hung up: {out:?}");

    let log = server.wait_for(Duration::from_secs(5), |l| {
        l.iter()
            .any(|e| e.received().is_some_and(|m| m["event"] == "stop"))
    })?;
    let opened = log
        .iter()
        .find(|e| e.raw["opened"] == true)
        .context("no connection")?;
    assert_eq!(opened.raw["path"], "/wasm");
    assert_eq!(opened.raw["signature_valid"], true, "{:?}", opened.raw);
    let msgs: Vec<(f64, &Value)> = log
        .iter()
        .filter_map(|e| e.received().map(|m| (e.time, m)))
        .collect();
    assert_eq!(msgs[0].1["event"], "connected");
    let (started, start) = msgs[1];
    assert_eq!(start["event"], "start");
    assert_eq!(start["start"]["tracks"], json!(["inbound", "outbound"]));
    assert_eq!(
        start["start"]["customParameters"],
        json!({"app": "streamer"})
    );
    let (stopped, stop) = *msgs.last().context("no messages")?;
    assert_eq!(stop["event"], "stop");
    // The app's `stop_stream` comes after its 3 s pause, and the call outlives it by
    // the 2 s pause before its hang-up.
    let lasted = stopped - started;
    assert!(
        (2.5..4.5).contains(&lasted),
        "stopped {lasted:.2} s after start"
    );
    assert!(
        call_ended - stopped > 1.0,
        "the call ended {:.2} s after the stream stopped",
        call_ended - stopped
    );
    let inbound: Vec<&Value> = msgs
        .iter()
        .map(|(_, m)| *m)
        .filter(|m| m["event"] == "media" && m["media"]["track"] == "inbound")
        .collect();
    assert!(inbound.len() >= 100, "{} inbound frames", inbound.len());
    for (i, m) in inbound.iter().enumerate() {
        assert_eq!(number(&m["media"]["chunk"]), i as u64 + 1, "{m}");
    }
    let pcm: Vec<i16> = inbound.iter().flat_map(|m| ulaw_payload(m)).collect();
    let f = dominant_frequency(&pcm[pcm.len() / 4..], 8000).context("inbound is silent")?;
    assert!((f - CALLER_HZ).abs() < 5.0, "inbound tone at {f:.1} Hz");
    Ok(())
}
