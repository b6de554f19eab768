//! Whole-call recordings end to end, with two real phones (pjsua2) each sending its own
//! tone: `<Dial record="record-from-answer-dual">` puts each party on its own channel;
//! a recording started, paused (skip), resumed and stopped on the live call through the
//! `twilio` helper holds only what was recorded; `Calls.create(Record=true)` records
//! the called party.

use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::Value;
use switchyard_e2e::audio::{tone_share, Wav};
use switchyard_e2e::http::request;
use switchyard_e2e::{CalleeOptions, Node, Phone, PhoneOptions, ACCOUNT_SID, AUTH_TOKEN, NUMBER};

use super::dial::{dial_app, one_request};
use super::{calls, eventually};

const CALLER_TONE: f64 = 600.0;
const CALLEE_TONE: f64 = 1000.0;

/// The recording `sid`'s WAV, as the REST API serves it.
pub(super) fn wav_of(node: &Node, sid: &str) -> Result<Wav> {
    let r = request(
        "GET",
        &node.http_url(&format!(
            "/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{sid}.wav"
        )),
    )
    .basic_auth(ACCOUNT_SID, AUTH_TOKEN)
    .call()?;
    anyhow::ensure!(r.status == 200, "GET {sid}.wav: {}", r.status);
    Wav::parse(&r.body)
}

fn recording(node: &Node, sid: &str) -> Result<Value> {
    node.get_json(&format!(
        "/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{sid}.json"
    ))
}

/// Waits until recording `sid` is finished, and returns its record.
pub(super) fn finished(node: &Node, sid: &str) -> Result<Value> {
    eventually(Duration::from_secs(10), || {
        let r = recording(node, sid)?;
        Ok(matches!(
            r["status"].as_str(),
            Some("completed" | "absent" | "failed")
        )
        .then_some(r))
    })
}

/// The middle of `samples` (a quarter second trimmed at each end, where the parties'
/// answers and hang-ups fall).
pub(super) fn middle(samples: &[i16]) -> &[i16] {
    let trim = 2000.min(samples.len() / 4);
    &samples[trim..samples.len() - trim]
}

fn callee() -> Result<switchyard_e2e::Callee> {
    Phone::listen(&CalleeOptions {
        answer_after: Duration::from_millis(500),
        tone: Some(CALLEE_TONE),
        codecs: vec!["PCMU".into()],
        ..Default::default()
    })
}

fn caller_options(hangup_after: Duration) -> PhoneOptions {
    PhoneOptions {
        tone: Some(CALLER_TONE),
        codecs: vec!["PCMU".into()],
        hangup_after: Some(hangup_after),
        ..Default::default()
    }
}

/// Issue 15, acceptance 5.
#[test]
fn dial_record_from_answer_dual_puts_each_party_on_its_own_channel() -> Result<()> {
    let callee = callee()?;
    let voice = format!(
        "<Response><Dial action=\"/dialed\" record=\"record-from-answer-dual\" \
         recordingStatusCallback=\"/rec-status\"><Sip>{}</Sip></Dial></Response>",
        callee.uri()
    );
    let (_docs, hook, node) = dial_app(
        &[
            ("voice", voice),
            ("dialed", "<Response><Hangup/></Response>".into()),
            ("rec-status", "<Response/>".into()),
        ],
        "",
    )?;
    let caller = Phone::call(
        &node.sip_uri(NUMBER),
        "",
        None,
        &caller_options(Duration::from_secs(6)),
    )?;
    let callee = callee.wait()?;
    assert!(
        caller.completed() && callee.completed(),
        "{caller:?} {callee:?}"
    );
    let connected = callee.summary.context("callee summary")?.duration;

    let dialed = one_request(&hook, "/dialed")?;
    let sid = dialed.param("RecordingSid").context("RecordingSid")?;
    let url = dialed.param("RecordingUrl").context("RecordingUrl")?;
    assert!(url.ends_with(sid), "{url}");
    let reported: f64 = dialed
        .param("RecordingDuration")
        .context("duration")?
        .parse()?;
    assert!(
        (reported - connected).abs() <= 1.0,
        "RecordingDuration {reported} s for {connected:.2} s connected"
    );
    let status = one_request(&hook, "/rec-status")?;
    assert!(status.signature_valid, "{status:?}");
    assert_eq!(
        status.param("RecordingStatus"),
        Some("completed"),
        "{status:?}"
    );
    assert_eq!(status.param("RecordingChannels"), Some("2"), "{status:?}");
    assert_eq!(
        status.param("RecordingSource"),
        Some("DialVerb"),
        "{status:?}"
    );

    let record = finished(&node, sid)?;
    assert_eq!(record["status"], "completed", "{record}");
    assert_eq!(record["channels"], 2, "{record}");
    assert_eq!(record["source"], "DialVerb", "{record}");
    let wav = wav_of(&node, sid)?;
    assert_eq!(wav.channels.len(), 2);
    assert!(
        (wav.seconds() - connected).abs() <= 1.0,
        "{:.2} s of recording for {connected:.2} s connected",
        wav.seconds()
    );
    let (first, second) = (middle(&wav.channels[0]), middle(&wav.channels[1]));
    let shares = |s: &[i16]| {
        (
            tone_share(s, 8000, CALLER_TONE),
            tone_share(s, 8000, CALLEE_TONE),
        )
    };
    let (own, other) = shares(first);
    assert!(
        own > 0.8 && other < 0.05,
        "caller's channel: {own:.3} / {other:.3}"
    );
    let (other, own) = shares(second);
    assert!(
        own > 0.8 && other < 0.05,
        "callee's channel: {own:.3} / {other:.3}"
    );
    Ok(())
}

/// The `twilio` helper starts a dual recording on the live call, pauses it (skip) for
/// two seconds, resumes it for one, and stops it; it prints each answer's status.
const LIVE_RECORDING: &str = r#"
import json, sys, time
from twilio.rest import Client
base, account, token, call_sid = sys.argv[1:5]
client = Client(account, token)
client.api.base_url = base
rec = client.calls(call_sid).recordings.create(recording_channels="dual")
statuses = [rec.status]
time.sleep(1)
statuses.append(client.calls(call_sid).recordings(rec.sid).update(status="paused", pause_behavior="skip").status)
time.sleep(2)
statuses.append(client.calls(call_sid).recordings("Twilio.CURRENT").update(status="in-progress").status)
time.sleep(1)
statuses.append(client.calls(call_sid).recordings(rec.sid).update(status="stopped").status)
print(json.dumps({"sid": rec.sid, "statuses": statuses, "source": rec.source}))
"#;

#[test]
fn a_live_call_is_recorded_paused_resumed_and_stopped_through_the_api() -> Result<()> {
    let callee = callee()?;
    let voice = format!(
        "<Response><Dial><Sip>{}</Sip></Dial></Response>",
        callee.uri()
    );
    let (_docs, _hook, node) = dial_app(&[("voice", voice)], "")?;
    let caller = std::thread::scope(|s| -> Result<_> {
        let phone = s.spawn(|| {
            Phone::call(
                &node.sip_uri(NUMBER),
                "",
                None,
                &caller_options(Duration::from_secs(9)),
            )
        });
        // The caller's call, once it is bridged.
        let call_sid = eventually(Duration::from_secs(10), || {
            Ok(calls(&node)?
                .iter()
                .find(|c| c["direction"] == "inbound" && c["status"] == "in-progress")
                .and_then(|c| c["sid"].as_str().map(str::to_owned)))
        })?;
        std::thread::sleep(Duration::from_secs(2));
        let out = Command::new("timeout")
            .args(["--signal=KILL", "60", "python3", "-c", LIVE_RECORDING])
            .args([&node.http_url(""), ACCOUNT_SID, AUTH_TOKEN, &call_sid])
            .output()?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let answers: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
            .with_context(|| {
                format!("helper: {stdout}\n{}", String::from_utf8_lossy(&out.stderr))
            })?;
        let outcome = phone.join().expect("phone thread")?;
        Ok((answers, outcome))
    })?;
    let (answers, outcome) = caller;
    assert!(outcome.completed(), "{outcome:?}");
    assert_eq!(
        answers["statuses"],
        serde_json::json!(["in-progress", "paused", "in-progress", "stopped"]),
        "{answers}"
    );
    assert_eq!(answers["source"], "StartCallRecordingAPI");
    let sid = answers["sid"].as_str().context("sid")?;
    let record = finished(&node, sid)?;
    assert_eq!(record["status"], "completed", "{record}");
    // One second recorded, two skipped, one recorded.
    let wav = wav_of(&node, sid)?;
    assert!(
        (1.5..=3.0).contains(&wav.seconds()),
        "{:.2} s recorded of 2 s not paused",
        wav.seconds()
    );
    let duration: f64 = record["duration"].as_str().context("duration")?.parse()?;
    assert!((duration - wav.seconds()).abs() <= 1.0, "{record}");
    // Both parties, each on its channel.
    assert!(tone_share(middle(&wav.channels[0]), 8000, CALLER_TONE) > 0.8);
    assert!(tone_share(middle(&wav.channels[1]), 8000, CALLEE_TONE) > 0.8);
    Ok(())
}

#[test]
fn calls_create_with_record_true_records_the_called_party() -> Result<()> {
    let callee = callee()?;
    let (_docs, _hook, node) = dial_app(&[], "")?;
    let r = request(
        "POST",
        &node.http_url(&format!("/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json")),
    )
    .basic_auth(ACCOUNT_SID, AUTH_TOKEN)
    .send_form(&[
        ("To", callee.uri().as_str()),
        ("From", "+15550001111"),
        ("Twiml", "<Response><Pause length=\"3\"/></Response>"),
        ("Record", "true"),
    ])?;
    assert_eq!(r.status, 201, "{}", r.text());
    let call_sid = r.json()?["sid"].as_str().context("sid")?.to_owned();
    let outcome = callee.wait()?;
    assert!(outcome.completed(), "{outcome:?}");
    let listed = node.get_json(&format!(
        "/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{call_sid}/Recordings.json"
    ))?;
    let recordings = listed["recordings"].as_array().context("recordings")?;
    assert_eq!(recordings.len(), 1, "{listed}");
    let sid = recordings[0]["sid"].as_str().context("sid")?;
    let record = finished(&node, sid)?;
    assert_eq!(record["status"], "completed", "{record}");
    assert_eq!(record["source"], "OutboundAPI", "{record}");
    assert_eq!(record["channels"], 1, "{record}");
    let wav = wav_of(&node, sid)?;
    assert!(
        (2.0..=4.0).contains(&wav.seconds()),
        "{:.2} s",
        wav.seconds()
    );
    // What the called party said (the node sends it silence while it pauses).
    assert!(tone_share(middle(&wav.samples), 8000, CALLEE_TONE) > 0.8);
    Ok(())
}
