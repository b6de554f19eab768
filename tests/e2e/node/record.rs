//! `<Record>` end to end: pjsua2 leaves a voicemail of a known signal; the action hears
//! of it, the `twilio` helper lists it, the WAV served by the REST API correlates with
//! what was played, the MP3 decodes to the same length, and delete removes it.

use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::Value;
use switchyard_e2e::audio::Wav;
use switchyard_e2e::http::request;
use switchyard_e2e::{Node, Phone, PhoneOptions, ACCOUNT_SID, AUTH_TOKEN, NUMBER};

use super::dial::{dial_app, one_request};

const RATE: u32 = 8000;
/// What the caller plays: silence while the beep sounds, then the message.
const LEAD_SECS: f64 = 1.5;
const MESSAGE_SECS: f64 = 3.0;

/// A message that correlates only with itself: a rising sweep from 300 Hz to 3 kHz.
fn message() -> Vec<i16> {
    let n = (MESSAGE_SECS * f64::from(RATE)) as usize;
    let (f0, f1) = (300.0, 3000.0);
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(RATE);
            let phase =
                2.0 * std::f64::consts::PI * (f0 * t + (f1 - f0) * t * t / (2.0 * MESSAGE_SECS));
            (phase.sin() * 9000.0) as i16
        })
        .collect()
}

/// The peak of the normalised cross-correlation of `reference` over `signal`.
fn correlation_peak(signal: &[i16], reference: &[i16]) -> f64 {
    let energy = |s: &[i16]| s.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>();
    let r_energy = energy(reference);
    (0..signal.len().saturating_sub(reference.len()))
        .step_by(2)
        .map(|lag| {
            let window = &signal[lag..lag + reference.len()];
            let dot: f64 = window
                .iter()
                .zip(reference)
                .map(|(&a, &b)| f64::from(a) * f64::from(b))
                .sum();
            dot / (energy(window) * r_energy).sqrt().max(1.0)
        })
        .fold(0.0, f64::max)
}

/// The `RecordingDuration` a `<Record>` action request carries, checked to be within
/// 1 s of `played` seconds.
pub(super) fn assert_recording_duration(
    action: &switchyard_e2e::WebhookRequest,
    played: f64,
) -> Result<f64> {
    let duration: f64 = action
        .param("RecordingDuration")
        .context("RecordingDuration")?
        .parse()?;
    anyhow::ensure!(
        (duration - played).abs() <= 1.0,
        "RecordingDuration {duration} for {played} s played"
    );
    Ok(duration)
}

pub(super) fn get(node: &Node, url: &str) -> Result<switchyard_e2e::http::HttpResponse> {
    let path = url
        .split_once("/2010-04-01/")
        .map(|(_, p)| format!("/2010-04-01/{p}"))
        .context("a RecordingUrl on the REST API")?;
    request("GET", &node.http_url(&path))
        .basic_auth(ACCOUNT_SID, AUTH_TOKEN)
        .call()
}

/// The `twilio` helper lists the call's recordings, then deletes `sid` and lists again.
fn helper_list_and_delete(node: &Node, call_sid: &str, sid: &str) -> Result<Value> {
    let script = r#"
import json, sys
from twilio.rest import Client
base, account, token, call_sid, sid = sys.argv[1:6]
client = Client(account, token)
client.api.base_url = base
before = [{"sid": r.sid, "duration": r.duration, "status": r.status, "channels": r.channels,
           "source": r.source, "call_sid": r.call_sid}
          for r in client.recordings.list(call_sid=call_sid)]
fetched = client.recordings(sid).fetch()
client.recordings(sid).delete()
after = [r.sid for r in client.recordings.list(call_sid=call_sid)]
print(json.dumps({"before": before, "fetched_status": fetched.status, "after": after}))
"#;
    let out = Command::new("timeout")
        .args(["--signal=KILL", "60", "python3", "-c", script])
        .args([&node.http_url(""), ACCOUNT_SID, AUTH_TOKEN, call_sid, sid])
        .output()
        .context("running the twilio helper")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).with_context(|| {
        format!(
            "the twilio helper printed no JSON:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn voicemail_is_recorded_listed_served_as_wav_and_mp3_and_deleted() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut played = vec![0i16; (LEAD_SECS * f64::from(RATE)) as usize];
    let message = message();
    played.extend(&message);
    played.extend(vec![0i16; 10 * RATE as usize]);
    let wav = dir.path().join("message.wav");
    std::fs::write(&wav, switchyard_media::wav_bytes(&played, RATE))?;

    let voice = r##"<Response><Record maxLength="10" finishOnKey="#" timeout="2" action="/recorded"/><Say>not reached</Say></Response>"##;
    let recorded = "<Response><Say>Thank you.</Say><Hangup/></Response>";
    let (_docs, hook, node) = dial_app(
        &[
            ("voice", voice.to_owned()),
            ("recorded", recorded.to_owned()),
        ],
        "",
    )?;
    // The caller presses # at 5.5 s: after the message, before 2 s of silence end it.
    let caller = Phone::call(
        &node.sip_uri(NUMBER),
        "#",
        None,
        &PhoneOptions {
            play: Some(wav),
            codecs: vec!["PCMU".into()],
            dtmf_after: Duration::from_millis(5500),
            ..Default::default()
        },
    )?;
    assert!(caller.completed(), "caller: {caller:?}");

    let action = one_request(&hook, "/recorded")?;
    assert!(action.signature_valid, "{action:?}");
    assert_eq!(action.param("Digits"), Some("#"), "{action:?}");
    let duration = assert_recording_duration(&action, MESSAGE_SECS)?;
    let url = action.param("RecordingUrl").context("RecordingUrl")?;
    let sid = action.param("RecordingSid").context("RecordingSid")?;
    assert!(url.ends_with(sid), "{url} names {sid}");
    let call_sid = action.param("CallSid").context("CallSid")?;

    // The WAV: 8 kHz mono, the message in it.
    let wav = get(&node, &format!("{url}.wav"))?;
    assert_eq!(wav.status, 200);
    let got = Wav::parse(&wav.body)?;
    assert_eq!(got.rate, RATE);
    assert_eq!(u16::from_le_bytes([wav.body[22], wav.body[23]]), 1, "mono");
    let peak = correlation_peak(&got.samples, &message);
    assert!(
        peak > 0.8,
        "the recording does not correlate with the message: {peak:.3}"
    );
    assert!(
        (got.seconds() - duration).abs() <= 1.0,
        "a {:.2} s file for RecordingDuration {duration}",
        got.seconds()
    );
    // The MP3 decodes to the same length.
    let mp3 = get(&node, &format!("{url}.mp3"))?;
    assert_eq!(mp3.status, 200, "{}", mp3.text());
    let decoded = switchyard_media::decode_all(&mp3.body, Some("audio/mpeg"))?;
    let mp3_secs = decoded.len() as f64 / f64::from(switchyard_media::MEDIA_RATE);
    assert!(
        (mp3_secs - got.seconds()).abs() < 0.15,
        "MP3 {mp3_secs:.3} s, WAV {:.3} s",
        got.seconds()
    );

    let listed = helper_list_and_delete(&node, call_sid, sid)?;
    let before = listed["before"].as_array().context("a list")?;
    assert_eq!(before.len(), 1, "{listed:#}");
    assert_eq!(before[0]["sid"], sid);
    assert_eq!(before[0]["status"], "completed");
    assert_eq!(before[0]["source"], "RecordVerb");
    assert_eq!(before[0]["channels"], 1);
    assert_eq!(listed["after"], serde_json::json!([]), "{listed:#}");
    assert_eq!(get(&node, &format!("{url}.wav"))?.status, 404);
    Ok(())
}

/// The call's recordings as the REST API lists them.
fn recordings_of(node: &Node) -> Result<Vec<Value>> {
    let r = request(
        "GET",
        &node.http_url(&format!(
            "/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings.json"
        )),
    )
    .basic_auth(ACCOUNT_SID, AUTH_TOKEN)
    .call()?;
    Ok(r.json()?["recordings"]
        .as_array()
        .cloned()
        .unwrap_or_default())
}

/// A node killed with SIGKILL mid-recording: after the restart the recording is
/// `completed` with everything up to its last checkpoint (a second at most is lost), and
/// its WAV plays: the caller's tone throughout.
#[test]
fn a_recording_survives_kill_9_up_to_its_last_second() -> Result<()> {
    const TONE_HZ: f64 = 700.0;
    let voice = r#"<Response><Record playBeep="false" timeout="0" maxLength="60" trim="do-not-trim" action="/recorded"/></Response>"#;
    let (_docs, _hook, mut node) = dial_app(&[("voice", voice.to_owned())], "")?;
    let caller = Phone::spawn_call(
        &node.sip_uri(NUMBER),
        "",
        None,
        &PhoneOptions {
            tone: Some(TONE_HZ),
            codecs: vec!["PCMU".into()],
            timeout: Duration::from_secs(20),
            ..Default::default()
        },
    )?;
    // Recording, then killed 4.5 s in.
    let started = super::eventually(Duration::from_secs(10), || {
        Ok(recordings_of(&node)?
            .into_iter()
            .find(|r| r["status"] == "in-progress"))
    })?;
    std::thread::sleep(Duration::from_millis(4500));
    node.kill9()?;
    let _ = caller.wait();
    node.restart_same_data()?;

    let sid = started["sid"].as_str().context("a sid")?;
    let after = recordings_of(&node)?;
    let record = after
        .iter()
        .find(|r| r["sid"] == sid)
        .with_context(|| format!("{sid} lost: {after:#?}"))?;
    assert_eq!(record["status"], "completed", "{record:#}");
    let duration: f64 = record["duration"].as_str().context("a duration")?.parse()?;
    let media_url = record["media_url"].as_str().context("media_url")?;
    let wav = get(&node, &format!("{media_url}.wav"))?;
    assert_eq!(wav.status, 200, "{}", wav.text());
    let got = Wav::parse(&wav.body)?;
    // Recorded for about 4.5 s; checkpoints are a second apart.
    assert!(
        (3.0..=5.0).contains(&got.seconds()),
        "{:.2} s survived of about 4.5 s",
        got.seconds()
    );
    assert!(
        (duration - got.seconds()).abs() <= 1.0,
        "duration {duration}"
    );
    let share = switchyard_e2e::audio::tone_share(&got.samples[800..], RATE, TONE_HZ);
    assert!(
        share > 0.8,
        "the caller's tone is {share:.2} of the recording"
    );
    Ok(())
}
