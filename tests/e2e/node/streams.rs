//! Media Streams end to end: a pjsua2 caller, the node, and a Python `websockets`
//! server written from Twilio's "Media Streams - WebSocket Messages" page.

use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::{json, Value};
use switchyard_e2e::audio::{rms, tone_share};
use switchyard_e2e::media_stream::MediaStreamServer;
use switchyard_e2e::phone::dominant_frequency;
use switchyard_e2e::{
    Capture, Phone, PhoneOptions, WebhookRequest, ACCOUNT_SID, AUTH_TOKEN, NUMBER,
};

use super::decode;
use super::dial::dial_app;

/// The caller's tone.
pub(super) const CALLER_HZ: f64 = 600.0;
/// The tone the echo server plays (see `media_stream.py`).
const SERVER_HZ: f64 = 1400.0;

fn caller(seconds: u64) -> PhoneOptions {
    PhoneOptions {
        tone: Some(CALLER_HZ),
        hangup_after: Some(Duration::from_secs(seconds)),
        codecs: vec!["PCMU".into()],
        timeout: Duration::from_secs(40),
        ..PhoneOptions::default()
    }
}

pub(super) fn ulaw_payload(m: &Value) -> Vec<i16> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(m["media"]["payload"].as_str().unwrap_or_default())
        .unwrap_or_default();
    bytes
        .into_iter()
        .map(switchyard_media::ulaw_decode)
        .collect()
}

pub(super) fn number(v: &Value) -> u64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{v} is not a number in a string"))
}

/// The stream status callbacks received, in order: (StreamEvent, request).
pub(super) fn stream_statuses(requests: &[WebhookRequest]) -> Vec<(String, WebhookRequest)> {
    requests
        .iter()
        .filter(|r| r.path == "/stream-status")
        .map(|r| {
            (
                r.param("StreamEvent").unwrap_or_default().to_owned(),
                r.clone(),
            )
        })
        .collect()
}

/// Acceptance 1: a `both_tracks` fork gets `connected`, `start` with the custom
/// parameters, both tracks at 50 frames a second with consecutive counters, `stop` at
/// hang-up; the inbound audio is the caller's tone.
#[test]
fn start_stream_forks_both_tracks_until_the_caller_hangs_up() -> Result<()> {
    let server = MediaStreamServer::start("record", AUTH_TOKEN, &[])?;
    let voice = format!(
        "<Response><Start><Stream url=\"{}\" name=\"fork\" track=\"both_tracks\" \
         statusCallback=\"/stream-status\"><Parameter name=\"agent\" value=\"7\"/>\
         <Parameter name=\"lang\" value=\"en\"/></Stream></Start>\
         <Say>The stream has started.</Say><Pause length=\"30\"/></Response>",
        server.url("/media")
    );
    let (_docs, hook, node) = dial_app(&[("voice", voice)], "")?;
    let out = Phone::call(&node.sip_uri(NUMBER), "", None, &caller(5))?;
    assert!(out.completed(), "{out:?}");
    let log = server.wait_for(Duration::from_secs(10), |l| {
        l.iter()
            .any(|e| e.received().is_some_and(|m| m["event"] == "stop"))
    })?;
    let opened = log
        .iter()
        .find(|e| e.raw["opened"] == true)
        .context("no connection")?;
    assert_eq!(opened.raw["path"], "/media");
    assert_eq!(opened.raw["signature_valid"], true, "{:?}", opened.raw);

    let msgs: Vec<&Value> = log.iter().filter_map(|e| e.received()).collect();
    assert_eq!(
        *msgs[0],
        json!({"event": "connected", "protocol": "Call", "version": "1.0.0"})
    );
    let start = msgs[1];
    assert_eq!(start["event"], "start");
    assert_eq!(start["sequenceNumber"], "1");
    let sid = start["streamSid"].as_str().unwrap_or_default();
    assert!(sid.starts_with("MZ") && sid.len() == 34, "{start}");
    assert_eq!(start["start"]["streamSid"], sid);
    assert_eq!(start["start"]["accountSid"], ACCOUNT_SID);
    assert!(start["start"]["callSid"]
        .as_str()
        .is_some_and(|c| c.starts_with("CA")));
    assert_eq!(start["start"]["tracks"], json!(["inbound", "outbound"]));
    assert_eq!(
        start["start"]["customParameters"],
        json!({"agent": "7", "lang": "en"})
    );
    assert_eq!(
        start["start"]["mediaFormat"],
        json!({"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1})
    );
    // Every message after `connected` is numbered 1, 2, 3, … and names the stream.
    for (i, m) in msgs[1..].iter().enumerate() {
        assert_eq!(number(&m["sequenceNumber"]), i as u64 + 1, "{m}");
        assert_eq!(m["streamSid"], sid);
    }
    let last = msgs.last().context("no messages")?;
    assert_eq!(last["event"], "stop");
    assert_eq!(last["stop"]["callSid"], start["start"]["callSid"]);
    assert_eq!(last["stop"]["accountSid"], ACCOUNT_SID);

    for track in ["inbound", "outbound"] {
        let media: Vec<&Value> = msgs
            .iter()
            .filter(|m| m["event"] == "media" && m["media"]["track"] == track)
            .copied()
            .collect();
        assert!(media.len() >= 150, "{} {track} frames", media.len());
        for (i, m) in media.iter().enumerate() {
            assert_eq!(number(&m["media"]["chunk"]), i as u64 + 1, "{m}");
            assert_eq!(ulaw_payload(m).len(), 160, "20 ms of µ-law: {m}");
        }
        let stamps: Vec<u64> = media
            .iter()
            .map(|m| number(&m["media"]["timestamp"]))
            .collect();
        assert!(
            stamps.windows(2).all(|w| w[0] <= w[1]),
            "{track}: {stamps:?}"
        );
        let span = (stamps[stamps.len() - 1] - stamps[0]) as f64 / 1000.0;
        let rate = (media.len() - 1) as f64 / span;
        assert!(
            (45.0..=55.0).contains(&rate),
            "{track}: {rate:.1} frames/s over {span:.1} s"
        );
        eprintln!("{track}: {} frames, {rate:.1}/s", media.len());
    }
    // What the caller said, as the server decodes it: the caller's tone.
    let inbound: Vec<i16> = msgs
        .iter()
        .filter(|m| m["event"] == "media" && m["media"]["track"] == "inbound")
        .flat_map(|m| ulaw_payload(m))
        .collect();
    let middle = &inbound[inbound.len() / 4..inbound.len() * 3 / 4];
    let f = dominant_frequency(middle, 8000).context("inbound is silent")?;
    assert!((f - CALLER_HZ).abs() < 5.0, "inbound tone at {f:.1} Hz");

    let statuses =
        stream_statuses(&hook.wait_for(Duration::from_secs(5), |r| stream_statuses(r).len() >= 2)?);
    let events: Vec<&str> = statuses.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(events, ["stream-started", "stream-stopped"]);
    for (_, r) in &statuses {
        assert_eq!(r.param("StreamSid"), Some(sid));
        assert_eq!(r.param("StreamName"), Some("fork"));
        assert_eq!(r.param("AccountSid"), Some(ACCOUNT_SID));
        assert!(r.param("Timestamp").is_some());
        assert!(r.signature_valid);
    }
    Ok(())
}

/// The node's packets to the caller in `[from, to)` (Unix seconds), decoded.
fn heard(packets: &[switchyard_e2e::RtpPacket], from: f64, to: f64) -> Vec<i16> {
    let window: Vec<_> = packets
        .iter()
        .filter(|p| p.time >= from && p.time < to)
        .cloned()
        .collect();
    decode(&window)
}

/// Whether one packet's 20 ms is mostly the server's tone.
fn server_tone(p: &switchyard_e2e::RtpPacket) -> bool {
    let pcm = decode(std::slice::from_ref(p));
    rms(&pcm) > 500.0 && tone_share(&pcm, 8000, SERVER_HZ) > 0.6
}

/// Acceptance 2: `<Connect><Stream>` to an echo server: the caller hears its own tone
/// back, a mark returns once its audio has played, `clear` stops 2 s of queued audio
/// within a frame (on the caller's RTP), digits arrive as `dtmf`, and the server's
/// close requests the `<Connect action>`.
#[test]
fn connect_stream_echoes_marks_clears_and_requests_the_action() -> Result<()> {
    let server = MediaStreamServer::start("echo", AUTH_TOKEN, &["--close-after", "6"])?;
    let voice = format!(
        "<Response><Connect action=\"/after\"><Stream url=\"{}\" \
         statusCallback=\"/stream-status\"/></Connect><Say>Not reached.</Say></Response>",
        server.url("/bot")
    );
    let (_docs, hook, node) = dial_app(
        &[
            ("voice", voice),
            ("after", "<Response><Hangup/></Response>".into()),
        ],
        "",
    )?;
    let node_port = node.rtp_range().0 + node.rtp_range().0 % 2;
    let capture = Capture::start_from(node_port)?;
    let opts = PhoneOptions {
        dtmf_after: Duration::from_millis(1500),
        hangup_after: None,
        ..caller(0)
    };
    let out = Phone::call(&node.sip_uri(NUMBER), "5", None, &opts)?;
    let packets: Vec<_> = capture
        .stop()?
        .into_iter()
        .filter(|p| p.payload_type == 0)
        .collect();
    assert!(out.success(), "the node hangs up after the action: {out:?}");
    let log = server.log()?;
    let msgs: Vec<(f64, &Value)> = log
        .iter()
        .filter_map(|e| e.received().map(|m| (e.time, m)))
        .collect();
    let sent: Vec<(f64, &Value)> = log
        .iter()
        .filter_map(|e| e.sent().map(|m| (e.time, m)))
        .collect();
    let (t0, start) = msgs
        .iter()
        .find(|(_, m)| m["event"] == "start")
        .copied()
        .context("no start")?;
    assert_eq!(start["start"]["tracks"], json!(["inbound"]));

    eprintln!(
        "{} packets to the caller, {:.2}..{:.2} s after start; {} media messages sent back",
        packets.len(),
        packets.first().map_or(0.0, |p| p.time - t0),
        packets.last().map_or(0.0, |p| p.time - t0),
        sent.iter().filter(|(_, m)| m["event"] == "media").count()
    );
    // 0.5-1.9 s: the caller hears its own tone, echoed.
    let echo = heard(&packets, t0 + 0.5, t0 + 1.9);
    let f = dominant_frequency(&echo, 8000).context("no echo heard")?;
    assert!((f - CALLER_HZ).abs() < 5.0, "echo at {f:.1} Hz");

    // The mark after 0.6 s of tone comes back once it has played.
    let mark_at = |name: &str| {
        msgs.iter()
            .find(|(_, m)| m["event"] == "mark" && m["mark"]["name"] == name)
            .map(|(t, _)| *t)
    };
    let sent_at =
        |pred: &dyn Fn(&Value) -> bool| sent.iter().find(|(_, m)| pred(m)).map(|(t, _)| *t);
    let played_sent = sent_at(&|m| m["event"] == "mark" && m["mark"]["name"] == "played")
        .context("mark not sent")?;
    let played = mark_at("played").context("mark \"played\" not returned")?;
    let waited = played - played_sent;
    assert!(
        (0.55..1.2).contains(&waited),
        "mark returned {waited:.3} s after it was sent behind 0.6 s of audio"
    );
    let tone = heard(&packets, played_sent + 0.1, played_sent + 0.5);
    assert!(
        tone_share(&tone, 8000, SERVER_HZ) > 0.6,
        "the server's tone is played"
    );

    // clear: the 2 s of tone stop within one frame and the pending mark comes back.
    let clear_sent = sent_at(&|m| m["event"] == "clear").context("clear not sent")?;
    let tone_packets: Vec<f64> = packets
        .iter()
        .filter(|p| p.time > clear_sent - 0.45 && server_tone(p))
        .map(|p| p.time)
        .collect();
    assert!(
        tone_packets.first().is_some_and(|t| *t < clear_sent - 0.3),
        "the queued tone was playing before clear: {tone_packets:?}"
    );
    let last_tone = *tone_packets.last().context("no tone before clear")?;
    let after = last_tone - clear_sent;
    eprintln!(
        "last tone packet {:.1} ms after clear was sent",
        after * 1000.0
    );
    assert!(
        after < 0.020,
        "tone went on {:.1} ms after clear",
        after * 1000.0
    );
    let cleared = mark_at("cleared").context("mark \"cleared\" not returned")?;
    assert!(cleared - clear_sent < 0.1, "{:.3} s", cleared - clear_sent);

    // The caller's key as a dtmf message.
    let dtmf: Vec<&Value> = msgs
        .iter()
        .filter(|(_, m)| m["event"] == "dtmf")
        .map(|(_, m)| *m)
        .collect();
    assert_eq!(dtmf.len(), 1, "{dtmf:?}");
    assert_eq!(
        dtmf[0]["dtmf"],
        json!({"track": "inbound_track", "digit": "5"})
    );

    // The server closed: the action is requested, and the stream reported stopped.
    let after = hook.requests_to("/after")?;
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0].param("ErrorCode"), None);
    let statuses = stream_statuses(&hook.requests()?);
    let events: Vec<&str> = statuses.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(events, ["stream-started", "stream-stopped"]);
    Ok(())
}

/// `POST` a form to the node's REST API as the account.
pub(super) fn api(
    node: &switchyard_e2e::Node,
    path: &str,
    form: &[(&str, &str)],
) -> Result<(u16, Value)> {
    let r = switchyard_e2e::http::request(
        "POST",
        &node.http_url(&format!("/2010-04-01/Accounts/{ACCOUNT_SID}{path}")),
    )
    .basic_auth(ACCOUNT_SID, AUTH_TOKEN)
    .send_form(form)?;
    let body = r.json().unwrap_or(Value::Null);
    Ok((r.status, body))
}

/// Acceptance 5: `Calls/{sid}/Streams` starts streams on a live call and stops them by
/// name and by SID, answering with Twilio's Stream resource.
#[test]
fn rest_streams_start_on_a_live_call_and_stop_by_name_and_sid() -> Result<()> {
    let server = MediaStreamServer::start("record", AUTH_TOKEN, &[])?;
    let voice = "<Response><Say>Hello.</Say><Pause length=\"30\"/></Response>".to_owned();
    let (_docs, hook, node) = dial_app(&[("voice", voice)], "")?;
    let phone = Phone::spawn_call(&node.sip_uri(NUMBER), "", None, &caller(8))?;
    let call = super::dial::one_request(&hook, "/voice")?
        .param("CallSid")
        .context("CallSid")?
        .to_owned();
    std::thread::sleep(Duration::from_secs(1));
    let streams = format!("/Calls/{call}/Streams");
    let (status, alpha) = api(
        &node,
        &format!("{streams}.json"),
        &[
            ("Url", &server.url("/alpha")),
            ("Name", "alpha"),
            ("Track", "both_tracks"),
            ("Parameter1.Name", "k"),
            ("Parameter1.Value", "v"),
        ],
    )?;
    assert_eq!(status, 201, "{alpha}");
    assert_eq!(alpha["name"], "alpha");
    assert_eq!(alpha["status"], "in-progress");
    assert_eq!(alpha["call_sid"], call.as_str());
    let alpha_sid = alpha["sid"].as_str().context("sid")?.to_owned();
    assert!(alpha_sid.starts_with("MZ"), "{alpha}");
    let (status, beta) = api(
        &node,
        &format!("{streams}.json"),
        &[("Url", &server.url("/beta"))],
    )?;
    assert_eq!(status, 201, "{beta}");
    let beta_sid = beta["sid"].as_str().context("sid")?.to_owned();
    assert_eq!(
        beta["name"],
        beta_sid.as_str(),
        "an unnamed stream is named by its SID"
    );

    // Both stream media before they are stopped.
    fn flowing(sid: &str) -> impl Fn(&[switchyard_e2e::media_stream::StreamLogEntry]) -> bool + '_ {
        move |log| {
            log.iter()
                .filter(|e| {
                    e.received()
                        .is_some_and(|m| m["event"] == "media" && m["streamSid"] == sid)
                })
                .count()
                >= 25
        }
    }
    server.wait_for(Duration::from_secs(5), flowing(&alpha_sid))?;
    server.wait_for(Duration::from_secs(5), flowing(&beta_sid))?;

    let (status, stopped) = api(
        &node,
        &format!("{streams}/alpha.json"),
        &[("Status", "stopped")],
    )?;
    assert_eq!(status, 200, "{stopped}");
    assert_eq!(stopped["sid"], alpha_sid.as_str());
    assert_eq!(stopped["status"], "stopped");
    let (status, stopped) = api(
        &node,
        &format!("{streams}/{beta_sid}.json"),
        &[("Status", "stopped")],
    )?;
    assert_eq!(status, 200, "{stopped}");
    assert_eq!(stopped["status"], "stopped");
    let (status, missing) = api(
        &node,
        &format!("{streams}/alpha.json"),
        &[("Status", "stopped")],
    )?;
    assert_eq!(status, 404, "a stopped stream is gone: {missing}");

    let log = server.wait_for(Duration::from_secs(5), |l| {
        l.iter()
            .filter(|e| e.received().is_some_and(|m| m["event"] == "stop"))
            .count()
            >= 2
    })?;
    let msgs: Vec<&Value> = log.iter().filter_map(|e| e.received()).collect();
    for sid in [&alpha_sid, &beta_sid] {
        let stop = msgs
            .iter()
            .position(|m| m["event"] == "stop" && m["streamSid"] == sid.as_str())
            .with_context(|| format!("no stop for {sid}"))?;
        assert!(
            !msgs[stop + 1..]
                .iter()
                .any(|m| m["streamSid"] == sid.as_str()),
            "nothing after stop"
        );
    }
    let alpha_start = msgs
        .iter()
        .find(|m| m["event"] == "start" && m["streamSid"] == alpha_sid.as_str())
        .context("alpha start")?;
    assert_eq!(alpha_start["start"]["customParameters"], json!({"k": "v"}));
    assert_eq!(
        alpha_start["start"]["tracks"],
        json!(["inbound", "outbound"])
    );
    let out = phone.wait()?;
    assert!(out.completed(), "the call went on: {out:?}");
    Ok(())
}

/// The call's notifications' error codes.
pub(super) fn notification_codes(node: &switchyard_e2e::Node) -> Result<Vec<String>> {
    let r = switchyard_e2e::http::request(
        "GET",
        &node.http_url(&format!(
            "/2010-04-01/Accounts/{ACCOUNT_SID}/Notifications.json"
        )),
    )
    .basic_auth(ACCOUNT_SID, AUTH_TOKEN)
    .call()?;
    Ok(r.json()?["notifications"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|n| n["error_code"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

/// A fork to `url` whose failure within `seconds` must leave the call going on to
/// `/next`.
fn fault(url: &str, code: &str, error_says: &str, seconds: u32) -> Result<()> {
    let voice = format!(
        "<Response><Start><Stream url=\"{url}\" statusCallback=\"/stream-status\"/></Start>\
         <Pause length=\"{seconds}\"/><Redirect>/next</Redirect></Response>"
    );
    let (_docs, hook, node) = dial_app(
        &[
            ("voice", voice),
            ("next", "<Response><Hangup/></Response>".into()),
        ],
        "",
    )?;
    let out = Phone::call(&node.sip_uri(NUMBER), "", None, &caller(20))?;
    assert!(out.success(), "the node hung up at /next: {out:?}");
    assert_eq!(hook.requests_to("/next")?.len(), 1, "the document went on");
    let statuses = stream_statuses(&hook.requests()?);
    let events: Vec<&str> = statuses.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(events.last(), Some(&"stream-error"), "{events:?}");
    let error = statuses
        .last()
        .and_then(|(_, r)| r.param("StreamError"))
        .unwrap_or_default();
    assert!(error.contains(error_says), "StreamError {error:?}");
    let codes = notification_codes(&node)?;
    assert!(codes.iter().any(|c| c == code), "notifications {codes:?}");
    Ok(())
}

/// Acceptance 4: a server nobody listens on is a `stream-error` with a notification,
/// and the document goes on.
#[test]
fn an_unreachable_stream_server_is_a_stream_error_and_the_call_goes_on() -> Result<()> {
    let port = switchyard_e2e::free_port()?;
    fault(
        &format!("ws://127.0.0.1:{port}/gone"),
        "31901",
        "WebSocket to",
        4,
    )
}

/// Acceptance 4: a server sending garbage (100 MiB of non-JSON) ends its stream with
/// a protocol error; the call goes on.
#[test]
fn a_stream_server_sending_garbage_is_a_stream_error_and_the_call_goes_on() -> Result<()> {
    let server = MediaStreamServer::start("garbage", AUTH_TOKEN, &["--garbage-mb", "100"])?;
    fault(&server.url("/junk"), "31924", "not a JSON object", 4)?;
    let log = server.log()?;
    assert!(
        log.iter().any(|e| e.raw["closed"] == true),
        "the node closed the socket"
    );
    Ok(())
}

/// Acceptance 3: pipecat (PyPI `pipecat-ai`) serves a call through its
/// TwilioFrameSerializer: every message the node sends deserializes (media into 16 kHz
/// audio, digits into DTMF frames), and the tone pipecat sends back is what the caller
/// is sent.
#[test]
fn pipecat_serves_a_call_through_its_twilio_serializer() -> Result<()> {
    let server = MediaStreamServer::pipecat(&["--close-after", "4"])?;
    let voice = format!(
        "<Response><Connect><Stream url=\"{}\"/></Connect><Hangup/></Response>",
        server.url("/pipecat")
    );
    let (_docs, _hook, node) = dial_app(&[("voice", voice)], "")?;
    let node_port = node.rtp_range().0 + node.rtp_range().0 % 2;
    let capture = Capture::start_from(node_port)?;
    let opts = PhoneOptions {
        dtmf_after: Duration::from_millis(1000),
        hangup_after: None,
        ..caller(0)
    };
    let out = Phone::call(&node.sip_uri(NUMBER), "7", None, &opts)?;
    let packets: Vec<_> = capture
        .stop()?
        .into_iter()
        .filter(|p| p.payload_type == 0)
        .collect();
    assert!(out.success(), "{out:?}\n{}", server.stderr());
    let log = server.log()?;
    assert!(
        !log.iter().any(|e| e.raw.get("error").is_some()),
        "pipecat refused a message: {log:?}"
    );
    let taken: Vec<&Value> = log
        .iter()
        .filter(|e| e.raw.get("frame").is_some())
        .map(|e| &e.raw)
        .collect();
    let media: Vec<&&Value> = taken
        .iter()
        .filter(|e| e["message"]["event"] == "media")
        .collect();
    assert!(media.len() >= 100, "{} media messages", media.len());
    // pipecat's streaming resampler hands audio out in blocks of several messages, so
    // most messages give no frame yet; what comes out is all of it, at 16 kHz (less at
    // most the block still held when the call ended).
    assert!(
        media
            .iter()
            .all(|m| m["frame"].is_null() || m["frame"] == "InputAudioRawFrame"),
        "{media:?}"
    );
    let bytes: u64 = media.iter().filter_map(|m| m["audio_bytes"].as_u64()).sum();
    let expected = 640 * media.len() as u64;
    assert!(
        bytes + 6400 >= expected && bytes <= expected,
        "{bytes} bytes of 16 kHz audio from {} messages",
        media.len()
    );
    let dtmf: Vec<&&Value> = taken
        .iter()
        .filter(|e| e["message"]["event"] == "dtmf")
        .collect();
    assert_eq!(dtmf.len(), 1, "{dtmf:?}");
    assert_eq!(dtmf[0]["frame"], "InputDTMFFrame");
    let t0 = log
        .iter()
        .find(|e| e.raw["message"]["event"] == "start")
        .map(|e| e.time)
        .context("no start")?;
    // pipecat sends its 1.9 s of tone in 100 ms blocks, at its own pace: count the
    // 20 ms packets that carry it.
    let toned = packets
        .iter()
        .filter(|p| p.time > t0 && p.time < t0 + 4.0 && server_tone(p))
        .count();
    assert!(
        toned >= 60,
        "{toned} packets of pipecat's tone sent to the caller"
    );
    Ok(())
}

/// Acceptance 4: a server that stops reading (for longer than the 5 s the node waits)
/// ends its stream with a `stream-error` and a notification; the call goes on.
#[test]
fn a_stream_server_that_stops_reading_is_a_stream_error_and_the_call_goes_on() -> Result<()> {
    let server = MediaStreamServer::start("stall", AUTH_TOKEN, &[])?;
    fault(&server.url("/stall"), "31930", "stopped reading", 10)?;
    let log = server.log()?;
    assert!(log.iter().any(|e| e.raw["stalling"] == true), "{log:?}");
    Ok(())
}
