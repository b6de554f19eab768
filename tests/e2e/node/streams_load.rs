//! Media Streams faults under load: the streams that fail leave every other streamed
//! call's audio flowing.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{ensure, Context, Result};
use serde_json::Value;
use switchyard_e2e::audio::tone_share;
use switchyard_e2e::media_stream::MediaStreamServer;
use switchyard_e2e::phone::dominant_frequency;
use switchyard_e2e::{NodeConfig, SippCommand, AUTH_TOKEN, NUMBER};

use super::dial::dial_app_with;
use super::streams::{api, notification_codes, number, stream_statuses, ulaw_payload, CALLER_HZ};
use super::tone_scenario;

/// The streamed calls that must not notice the faults.
const WITNESSES: usize = 20;
/// How long each sipp caller stays on the call.
const CALL_SECONDS: u64 = 18;
/// The longest silence allowed between two consecutive frames of a stream, by the
/// node's own media timestamps (a frame is 20 ms).
const MAX_GAP_MS: u64 = 100;

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The received messages of each stream, by `streamSid`: (arrival time, message).
fn by_stream(log: &[(f64, Value)]) -> BTreeMap<String, Vec<(f64, Value)>> {
    let mut streams: BTreeMap<String, Vec<(f64, Value)>> = BTreeMap::new();
    for (t, m) in log {
        if let Some(sid) = m["streamSid"].as_str() {
            streams
                .entry(sid.to_owned())
                .or_default()
                .push((*t, m.clone()));
        }
    }
    streams
}

/// Acceptance 4 under load: 21 sipp callers each stream their tone to a well-behaved
/// server; on one of the calls, a stream to a server that stops reading and one to a
/// server that floods 100 MiB of garbage are started over REST. Each fails with its
/// `stream-error` and notification, while every well-behaved stream (the 20 other
/// calls' and the faulty call's own) keeps 50 frames a second with no gap over
/// 100 ms, consecutive chunks, and the caller's tone, from before the faults to after.
#[test]
fn stream_faults_leave_twenty_concurrent_streamed_calls_unaffected() -> Result<()> {
    let calls = WITNESSES + 1;
    let good = MediaStreamServer::start("record", AUTH_TOKEN, &[])?;
    let stall = MediaStreamServer::start("stall", AUTH_TOKEN, &[])?;
    let garbage = MediaStreamServer::start("garbage", AUTH_TOKEN, &["--garbage-mb", "100"])?;
    let voice = format!(
        "<Response><Start><Stream url=\"{}\"/></Start><Pause length=\"40\"/></Response>",
        good.url("/fork")
    );
    // Two RTP ports per call (RTP and RTCP), and room to spare.
    let mut config = NodeConfig::new();
    config.rtp_ports = 2 * calls as u16 + 10;
    let (_docs, hook, node) = dial_app_with(&[("voice", voice)], config)?;
    let dir = tempfile::tempdir()?;
    let scenario = tone_scenario(dir.path(), CALLER_HZ, CALL_SECONDS as f64 + 2.0)?;
    let n = calls.to_string();
    let millis = (CALL_SECONDS * 1000).to_string();
    let sipp = SippCommand::new(&scenario)?
        .target(&node.sip_target())
        .args(&["-m", &n, "-l", &n, "-r", "50", "-s", NUMBER, "-d", &millis])
        .timeout(Duration::from_secs(50))
        .spawn()?;

    // Every call streams before the faults start.
    let flowing = |log: &[switchyard_e2e::media_stream::StreamLogEntry]| {
        let media: Vec<(f64, Value)> = log
            .iter()
            .filter_map(|e| e.received().map(|m| (e.time, m.clone())))
            .filter(|(_, m)| m["event"] == "media")
            .collect();
        let streams = by_stream(&media);
        streams.len() == calls && streams.values().all(|s| s.len() >= 50)
    };
    let log = good.wait_for(Duration::from_secs(15), flowing)?;
    if !flowing(&log) {
        let media: Vec<(f64, Value)> = log
            .iter()
            .filter_map(|e| e.received().map(|m| (e.time, m.clone())))
            .collect();
        let counts: Vec<usize> = by_stream(&media).values().map(Vec::len).collect();
        anyhow::bail!("not every call streamed: messages per stream {counts:?}");
    }
    let faulty_call = log
        .iter()
        .filter_map(|e| e.received())
        .find(|m| m["event"] == "start")
        .and_then(|m| m["start"]["callSid"].as_str())
        .context("no start")?
        .to_owned();

    let fault_from = unix_now();
    let status_url = hook.url("/stream-status");
    for (server, path) in [(&stall, "/stall"), (&garbage, "/junk")] {
        let (status, body) = api(
            &node,
            &format!("/Calls/{faulty_call}/Streams.json"),
            &[("Url", &server.url(path)), ("StatusCallback", &status_url)],
        )?;
        ensure!(status == 201, "{status} {body}");
    }
    let errors = |r: &[switchyard_e2e::WebhookRequest]| {
        stream_statuses(r)
            .iter()
            .filter(|(e, _)| e == "stream-error")
            .count()
    };
    let requests = hook.wait_for(Duration::from_secs(15), |r| errors(r) >= 2)?;
    let fault_to = unix_now();
    eprintln!("faults from {fault_from:.2} to {fault_to:.2}");
    let mut said: Vec<String> = stream_statuses(&requests)
        .iter()
        .filter(|(e, _)| e == "stream-error")
        .filter_map(|(_, r)| r.param("StreamError").map(str::to_owned))
        .collect();
    said.sort();
    assert_eq!(said.len(), 2, "{said:?}");
    assert!(
        said.iter().any(|e| e.contains("not a JSON object")),
        "{said:?}"
    );
    assert!(
        said.iter().any(|e| e.contains("stopped reading")),
        "{said:?}"
    );
    let codes = notification_codes(&node)?;
    for code in ["31924", "31930"] {
        assert!(codes.iter().any(|c| c == code), "{code} in {codes:?}");
    }

    let out = sipp.wait()?;
    assert_eq!(out.successful_calls(), Some(calls as u64), "{out}");
    let log = good.wait_for(Duration::from_secs(10), |l| {
        l.iter()
            .filter(|e| e.received().is_some_and(|m| m["event"] == "stop"))
            .count()
            >= calls
    })?;
    let received: Vec<(f64, Value)> = log
        .iter()
        .filter_map(|e| e.received().map(|m| (e.time, m.clone())))
        .collect();
    let streams = by_stream(&received);
    assert_eq!(streams.len(), calls, "one good stream per call");
    for (sid, msgs) in &streams {
        let media: Vec<&(f64, Value)> =
            msgs.iter().filter(|(_, m)| m["event"] == "media").collect();
        let (first, last) = (media[0].0, media[media.len() - 1].0);
        assert!(
            first < fault_from && last > fault_to,
            "{sid}: media from {first:.2} to {last:.2} does not span the faults"
        );
        for (i, (_, m)) in media.iter().enumerate() {
            assert_eq!(number(&m["media"]["chunk"]), i as u64 + 1, "{sid}: {m}");
        }
        let stamps: Vec<u64> = media
            .iter()
            .map(|(_, m)| number(&m["media"]["timestamp"]))
            .collect();
        let widest = stamps.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
        assert!(
            widest <= MAX_GAP_MS,
            "{sid}: a {widest} ms gap between frames"
        );
        let span = (stamps[stamps.len() - 1] - stamps[0]) as f64 / 1000.0;
        let rate = (media.len() - 1) as f64 / span;
        assert!(
            (48.0..=52.0).contains(&rate),
            "{sid}: {rate:.1} frames/s over {span:.1} s"
        );
        // The audio the server got while the faults ran is the caller's tone.
        let during: Vec<i16> = media
            .iter()
            .filter(|(t, _)| *t >= fault_from && *t <= fault_to)
            .flat_map(|(_, m)| ulaw_payload(m))
            .collect();
        let f = dominant_frequency(&during, 8000).context("silent during the faults")?;
        assert!((f - CALLER_HZ).abs() < 5.0, "{sid}: tone at {f:.1} Hz");
        let share = tone_share(&during, 8000, CALLER_HZ);
        assert!(share > 0.9, "{sid}: the tone is {share:.2} of the audio");
        eprintln!(
            "{sid}: {} frames, {rate:.1}/s, widest gap {widest} ms, tone share {share:.2}",
            media.len()
        );
    }
    Ok(())
}
