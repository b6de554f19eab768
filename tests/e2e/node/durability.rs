//! Crash durability: the node is SIGKILLed mid-call (and mid-write) and restarted on the
//! same data directory. Every record the API acknowledged must be there with every field,
//! the call that was up at the kill must be `failed` with an end time, and no record may
//! be half-written.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::Value;
use switchyard_e2e::http::request;
use switchyard_e2e::{Node, NodeConfig, SippCommand, ACCOUNT_SID, AUTH_TOKEN};

use super::eventually;

fn acc(path: &str) -> String {
    format!("/2010-04-01/Accounts/{ACCOUNT_SID}{path}")
}

fn post(node: &Node, path: &str, form: &[(&str, &str)]) -> Result<(u16, Value)> {
    let r = request("POST", &node.http_url(&acc(path)))
        .basic_auth(ACCOUNT_SID, AUTH_TOKEN)
        .timeout(Duration::from_secs(5))
        .send_form(form)?;
    let body = r.json().unwrap_or(Value::Null);
    Ok((r.status, body))
}

fn number_form(e164: &str) -> Vec<(&'static str, String)> {
    vec![
        ("PhoneNumber", e164.to_owned()),
        ("FriendlyName", format!("durable {e164}")),
        ("VoiceUrl", format!("https://example.com/voice/{e164}")),
        ("VoiceMethod", "GET".into()),
        ("VoiceFallbackUrl", "https://example.com/fallback".into()),
        ("VoiceFallbackMethod", "POST".into()),
        ("StatusCallback", "https://example.com/status".into()),
        ("StatusCallbackMethod", "GET".into()),
    ]
}

fn create_number(node: &Node, e164: &str) -> Result<(u16, Value)> {
    let form = number_form(e164);
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    post(node, "/IncomingPhoneNumbers.json", &pairs)
}

fn call_status(node: &Node, sid: &str) -> Result<Value> {
    node.get_json(&acc(&format!("/Calls/{sid}.json")))
}

/// Every field the create form set, as the resource must show it.
fn assert_number_fields(n: &Value, e164: &str) {
    assert_eq!(n["phone_number"], e164, "{n}");
    assert_eq!(n["friendly_name"], format!("durable {e164}"), "{n}");
    assert_eq!(
        n["voice_url"],
        format!("https://example.com/voice/{e164}"),
        "{n}"
    );
    assert_eq!(n["voice_method"], "GET", "{n}");
    assert_eq!(
        n["voice_fallback_url"], "https://example.com/fallback",
        "{n}"
    );
    assert_eq!(n["voice_fallback_method"], "POST", "{n}");
    assert_eq!(n["status_callback"], "https://example.com/status", "{n}");
    assert_eq!(n["status_callback_method"], "GET", "{n}");
    assert_eq!(n["account_sid"], ACCOUNT_SID, "{n}");
}

#[test]
fn sigkill_mid_call_keeps_acknowledged_records_and_fails_the_live_call() -> Result<()> {
    // The far end answers both calls; the held one never ends from its side.
    let uas = SippCommand::new("uas_wait_bye.xml")?
        .args(&["-m", "2"])
        .timeout(Duration::from_secs(90));
    let mut uas = uas.spawn()?;
    uas.wait_listening(Duration::from_secs(5))?;
    let mut node = Node::start(NodeConfig::new())?;
    let to = format!("sip:+15550002222@{}", uas.addr());

    // Records created and acknowledged well before the crash.
    let mut early = Vec::new();
    for i in 0..3 {
        let e164 = format!("+1555666000{i}");
        let (status, body) = create_number(&node, &e164)?;
        assert_eq!(status, 201, "{body}");
        early.push((e164, body));
    }
    let (status, done) = post(
        &node,
        "/Calls.json",
        &[
            ("To", &to),
            ("From", "+15550001001"),
            ("Twiml", "<Response><Hangup/></Response>"),
        ],
    )?;
    assert_eq!(status, 201, "{done}");
    let done_sid = done["sid"].as_str().context("sid")?.to_owned();
    eventually(Duration::from_secs(15), || {
        Ok((call_status(&node, &done_sid)?["status"] == "completed").then_some(()))
    })?;
    let (status, held) = post(
        &node,
        "/Calls.json",
        &[
            ("To", &to),
            ("From", "+15550001002"),
            ("Twiml", "<Response><Pause length=\"60\"/></Response>"),
        ],
    )?;
    assert_eq!(status, 201, "{held}");
    let held_sid = held["sid"].as_str().context("sid")?.to_owned();
    let live = eventually(Duration::from_secs(15), || {
        let c = call_status(&node, &held_sid)?;
        Ok((c["status"] == "in-progress").then_some(c))
    })?;

    // A writer keeps creating numbers while the node is killed: every 201 it got is a
    // promise the restarted node must keep.
    let acked: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let url = node.http_url(&acc("/IncomingPhoneNumbers.json"));
    let writer = {
        let (acked, stop) = (acked.clone(), stop.clone());
        std::thread::spawn(move || {
            for i in 0..10_000u32 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let e164 = format!("+1555777{i:04}");
                let form = number_form(&e164);
                let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let r = request("POST", &url)
                    .basic_auth(ACCOUNT_SID, AUTH_TOKEN)
                    .timeout(Duration::from_secs(2))
                    .send_form(&pairs);
                match r {
                    Ok(r) if r.status == 201 => {
                        let body = r.json().unwrap_or(Value::Null);
                        acked
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push((e164, body));
                    }
                    // Refused or cut off by the kill: not acknowledged, no promise.
                    _ => {}
                }
            }
        })
    };
    std::thread::sleep(Duration::from_millis(800));
    node.kill9()?;
    stop.store(true, Ordering::Relaxed);
    writer.join().expect("writer thread");
    let acked = acked.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert!(
        !acked.is_empty(),
        "the writer got no number created before the kill"
    );

    node.restart_same_data()?;

    for (e164, created) in early.iter().chain(acked.iter()) {
        let sid = created["sid"]
            .as_str()
            .context("created number has a sid")?;
        let n = node.get_json(&acc(&format!("/IncomingPhoneNumbers/{sid}.json")))?;
        assert_number_fields(&n, e164);
        assert_eq!(n["sid"], sid);
        assert_eq!(n["date_created"], created["date_created"], "{n}");
    }
    // Nothing half-written: every stored number (acknowledged or not) is whole.
    // Every page: the background writer may have stored more than one page holds.
    let mut all = Vec::new();
    let mut next = Some(acc("/IncomingPhoneNumbers.json?PageSize=1000"));
    while let Some(path) = next {
        let page = node.get_json(&path)?;
        all.extend(
            page["incoming_phone_numbers"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        );
        next = page["next_page_uri"].as_str().map(str::to_owned);
    }
    assert!(
        all.len() >= early.len() + acked.len(),
        "{} stored",
        all.len()
    );
    for n in &all {
        let e164 = n["phone_number"].as_str().unwrap_or_default();
        assert_number_fields(n, e164);
    }

    let c = call_status(&node, &held_sid)?;
    assert_eq!(c["status"], "failed", "call up at the kill: {c}");
    assert!(c["end_time"].is_string(), "no end_time: {c}");
    assert_eq!(c["start_time"], live["start_time"], "{c}");
    assert_eq!(c["to"], to.as_str());
    let c = call_status(&node, &done_sid)?;
    assert_eq!(
        c["status"], "completed",
        "call finished before the kill: {c}"
    );
    assert!(
        c["end_time"].is_string() && c["duration"].is_string(),
        "{c}"
    );
    for c in super::calls(&node)? {
        let status = c["status"].as_str().unwrap_or_default();
        assert!(
            ["completed", "failed", "busy", "no-answer", "canceled"].contains(&status),
            "a call left {status} after the restart: {c}"
        );
        assert!(
            c["end_time"].is_string(),
            "ended call without end_time: {c}"
        );
    }

    // The restarted node still takes writes.
    let (status, body) = create_number(&node, "+15556669999")?;
    assert_eq!(status, 201, "{body}");
    Ok(())
}

/// Queues are resources that outlive the calls in them (as on Twilio): a queue created
/// and resized through the API is there with the same sid, name and size after a
/// `kill -9`; one deleted before the kill stays deleted.
#[test]
fn queues_created_through_the_api_survive_kill_9() -> Result<()> {
    let mut node = Node::start(NodeConfig::new())?;
    let (status, support) = post(&node, "/Queues.json", &[("FriendlyName", "support")])?;
    assert_eq!(status, 201, "{support}");
    let sid = support["sid"].as_str().context("queue sid")?.to_owned();
    let (status, resized) = post(&node, &format!("/Queues/{sid}.json"), &[("MaxSize", "42")])?;
    assert_eq!(status, 200, "{resized}");
    let (status, gone) = post(&node, "/Queues.json", &[("FriendlyName", "gone")])?;
    assert_eq!(status, 201, "{gone}");
    let gone_sid = gone["sid"].as_str().context("queue sid")?.to_owned();
    let deleted = request(
        "DELETE",
        &node.http_url(&acc(&format!("/Queues/{gone_sid}.json"))),
    )
    .basic_auth(ACCOUNT_SID, AUTH_TOKEN)
    .call()?;
    assert_eq!(deleted.status, 204);

    node.kill9()?;
    node.restart_same_data()?;

    let q = node.get_json(&acc(&format!("/Queues/{sid}.json")))?;
    assert_eq!(q["friendly_name"], "support", "{q}");
    assert_eq!(q["max_size"], 42, "{q}");
    assert_eq!(q["current_size"], 0, "{q}");
    assert_eq!(q["date_created"], support["date_created"], "{q}");
    let all = node.get_json(&acc("/Queues.json"))?;
    let names: Vec<&str> = all["queues"]
        .as_array()
        .context("queues list")?
        .iter()
        .filter_map(|q| q["friendly_name"].as_str())
        .collect();
    assert_eq!(names, ["support"], "{all}");
    // The name is still taken: a second queue of that name is refused.
    let (status, body) = post(&node, "/Queues.json", &[("FriendlyName", "support")])?;
    assert_eq!(status, 400, "{body}");
    Ok(())
}
