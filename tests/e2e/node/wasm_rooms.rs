//! `<Record>`, a conference and a queue from a Wasm app (tests/guests/rooms) built with
//! the SDK's builders, through the instruction-handler world: voicemail with its
//! recording status callbacks, two participants who hear each other with their join
//! and leave callbacks, and a caller turned away by `maxQueueSize` while another is
//! bridged to an agent. The app reports what its steps received to the test's server.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use switchyard_e2e::audio::Wav;
use switchyard_e2e::phone::dominant_frequency;
use switchyard_e2e::wasm::{bind_number, component, deploy_ok};
use switchyard_e2e::{
    Node, NodeConfig, Phone, PhoneOptions, Scenario, Webhook, WebhookRequest, AUTH_TOKEN, NUMBER,
};

use super::conference::{hears, participant, room_callbacks};
use super::dial::assert_heard;
use super::eventually;
use super::queues::phone;
use super::record::get;

/// A node running the `rooms` app, allowed to reach `hook`, with `NUMBER` bound to
/// the app's `step` (its path ends with the hook's address); returns the hook's
/// address too.
fn rooms_app(step: &str) -> Result<(tempfile::TempDir, Webhook, Node, String)> {
    // No documents: the server only records what the node and the app send it.
    let dir = tempfile::tempdir()?;
    let hook = Webhook::start(
        Scenario::Docs,
        AUTH_TOKEN,
        &["--docs-dir", &dir.path().to_string_lossy()],
    )?;
    let host = format!("127.0.0.1:{}", hook.port());
    let node = Node::start(NodeConfig::new())?;
    deploy_ok(
        &node,
        "rooms",
        &component("rooms", None)?,
        &[("HttpAllow", &host)],
    )?;
    bind_number(&node, NUMBER, &format!("app:rooms/{step}/{host}"), None)?;
    Ok((dir, hook, node, host))
}

/// What the app reported of its step `step` for the call from `from`, waited for.
fn reported(hook: &Webhook, step: &str, from: &str) -> Result<WebhookRequest> {
    eventually(Duration::from_secs(15), || {
        Ok(hook
            .requests_to(&format!("/report/{step}"))?
            .into_iter()
            .find(|r| r.param("From").is_some_and(|f| f.contains(from))))
    })
    .with_context(|| format!("the app reported no {step} step for {from}"))
}

/// Voicemail: the caller plays 3 s of 700 Hz, then silence, and presses `#` at 4 s. The
/// app's action step gets `Digits=#`, a `RecordingDuration` within 1 s of the tone's
/// length and the `RecordingUrl` whose WAV holds the tone; the recording status
/// callbacks the app asked for (`in-progress` and `completed`) arrive in that order.
#[test]
fn a_wasm_voicemail_records_the_callers_tone() -> Result<()> {
    const TONE_HZ: f64 = 700.0;
    const TONE_SECS: f64 = 3.0;
    let (dir, hook, node, _) = rooms_app("voicemail")?;
    let rate = 8000u32;
    let tone_len = (TONE_SECS * f64::from(rate)) as usize;
    let mut played: Vec<i16> = (0..tone_len)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            ((2.0 * std::f64::consts::PI * TONE_HZ * t).sin() * 9000.0) as i16
        })
        .collect();
    played.extend(vec![0i16; 10 * rate as usize]);
    let wav = dir.path().join("message.wav");
    std::fs::write(&wav, switchyard_media::wav_bytes(&played, rate))?;

    let caller = Phone::call(
        &node.sip_uri(NUMBER),
        "#",
        None,
        &PhoneOptions {
            play: Some(wav),
            from_user: "+15557770001".into(),
            codecs: vec!["PCMU".into()],
            dtmf_after: Duration::from_millis(4000),
            ..Default::default()
        },
    )?;
    assert!(caller.completed(), "caller: {caller:?}");

    let action = reported(&hook, "recorded", "+15557770001")?;
    assert_eq!(action.param("Digits"), Some("#"), "{action:?}");
    super::record::assert_recording_duration(&action, TONE_SECS)?;
    let url = action.param("RecordingUrl").context("RecordingUrl")?;
    let got = get(&node, &format!("{url}.wav"))?;
    assert_eq!(got.status, 200, "{}", got.text());
    let got = Wav::parse(&got.body)?;
    let f = dominant_frequency(&got.samples, got.rate).context("the recording is silent")?;
    assert!(
        (f - TONE_HZ).abs() < 5.0,
        "the recording's tone is {f:.1} Hz"
    );

    let statuses = eventually(Duration::from_secs(10), || {
        let statuses: Vec<String> = hook
            .requests_to("/recording")?
            .iter()
            .filter_map(|r| r.param("RecordingStatus").map(str::to_owned))
            .collect();
        Ok((statuses.len() >= 2).then_some(statuses))
    })?;
    assert_eq!(statuses, ["in-progress", "completed"]);
    Ok(())
}

/// A conference: two phones with their own tones join the app's room; each hears the
/// other and not itself, and the room's callbacks are the `join` and `leave` events
/// the app asked for, no others.
#[test]
fn a_wasm_conference_mixes_two_participants_and_calls_back_joins_and_leaves() -> Result<()> {
    let (_docs, hook, node, _) = rooms_app("room")?;
    let dir = tempfile::tempdir()?;
    let wav = |n: &str| -> PathBuf { dir.path().join(format!("{n}.wav")) };
    let (a_tone, b_tone) = (450.0, 850.0);
    let a = participant(
        &node,
        (NUMBER, "+15550000001"),
        a_tone,
        &wav("a"),
        Duration::from_secs(8),
    );
    std::thread::sleep(Duration::from_millis(500));
    let b = participant(
        &node,
        (NUMBER, "+15550000002"),
        b_tone,
        &wav("b"),
        Duration::from_secs(8),
    );
    let (a, b) = (a.join().expect("a")?, b.join().expect("b")?);
    assert!(a.completed(), "a: {a:?}");
    assert!(b.completed(), "b: {b:?}");
    // From 2.5 to 6 s (of b's call) both are in: each hears the other, not itself.
    for (me, own, other) in [("a", a_tone, b_tone), ("b", b_tone, a_tone)] {
        assert!(
            hears(&wav(me), other, 3.0, 6.0)?,
            "{me} does not hear {other} Hz"
        );
        assert!(
            !hears(&wav(me), own, 3.0, 6.0)?,
            "{me} hears its own {own} Hz"
        );
    }
    let sent = eventually(Duration::from_secs(10), || {
        let sent = room_callbacks(&hook)?;
        Ok((sent.len() >= 4).then_some(sent))
    })?;
    let events: Vec<&str> = sent.iter().map(|(e, ..)| e.as_str()).collect();
    assert_eq!(
        events,
        [
            "participant-join",
            "participant-join",
            "participant-leave",
            "participant-leave"
        ],
        "{sent:?}"
    );
    Ok(())
}

/// A queue: the app enqueues a caller (at most one waiting), turns a second caller away
/// with `QueueResult=queue-full`, and an agent whose app step dials the queue is
/// bridged to the first: each hears the other's tone, and the first caller's action
/// gets `QueueResult=bridged`.
#[test]
fn a_wasm_queue_turns_away_a_second_caller_and_bridges_the_first_to_an_agent() -> Result<()> {
    use super::queues::AGENTS;
    let (dir, hook, node, host) = rooms_app("caller")?;
    bind_number(&node, AGENTS, &format!("app:rooms/agent/{host}"), None)?;
    let (first_wav, agent_wav) = (dir.path().join("first.wav"), dir.path().join("agent.wav"));
    let uri = node.sip_uri(NUMBER);

    let first_at = Instant::now();
    let first = Phone::spawn_call(
        &uri,
        "",
        Some(&first_wav),
        &phone("+15551110001", 440.0, 40),
    )?;
    // The first caller waits: the app's wait document hears its place in the queue.
    let wait = reported(&hook, "wait", "+15551110001")?;
    assert_eq!(wait.param("QueuePosition"), Some("1"), "{wait:?}");
    assert_eq!(wait.param("MaxQueueSize"), Some("1"), "{wait:?}");

    let second = Phone::call(&uri, "", None, &phone("+15551110002", 660.0, 20))?;
    assert!(second.success(), "second caller: {second:?}");
    let full = reported(&hook, "left", "+15551110002")?;
    assert_eq!(full.param("QueueResult"), Some("queue-full"), "{full:?}");

    let agent_at = Instant::now();
    let agent = super::queues::agent_calls(&node, &agent_wav, 6)?;
    assert!(agent.completed(), "agent: {agent:?}");
    let left = reported(&hook, "left", "+15551110001")?;
    assert_eq!(left.param("QueueResult"), Some("bridged"), "{left:?}");
    assert!(
        left.param("QueueSid").is_some_and(|s| s.starts_with("QU")),
        "{left:?}"
    );
    let first = first.wait()?;
    assert!(first.success(), "first caller: {first:?}");

    // The bridge carried audio both ways from about 1 s into the agent's call.
    assert_heard(&agent_wav, 440.0, 1000.0, 2.0, 5.5, "agent")?;
    let offset = agent_at.duration_since(first_at).as_secs_f64();
    assert_heard(
        &first_wav,
        1000.0,
        440.0,
        offset + 2.0,
        offset + 5.5,
        "first caller",
    )?;
    Ok(())
}
