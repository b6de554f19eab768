//! Call queues with real phones: callers `<Enqueue>`, an agent `<Dial><Queue>`s, and
//! Twilio's helper library reads and dequeues through the Queues and Members resources.

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::Value;
use switchyard_e2e::{
    peer_script, Node, NodeConfig, NumberConfig, Phone, PhoneOptions, PhoneOutcome, Scenario,
    SippCommand, Webhook, WebhookRequest, ACCOUNT_SID, AUTH_TOKEN, NUMBER,
};

use super::call_recording::{finished, middle, wav_of};
use super::dial::assert_heard;
use super::eventually;
use switchyard_e2e::audio::tone_share;

/// The agents' number: its app takes the caller at the head of the queue.
pub(super) const AGENTS: &str = "+15550002222";

/// Callers wait in `support` (at most 2), hearing a one-second wait document in a loop.
const CALLER: &str = "<Response><Enqueue waitUrl=\"/wait\" action=\"/left\" \
                      maxQueueSize=\"2\">support</Enqueue></Response>";
const WAIT: &str = "<Response><Pause length=\"1\"/></Response>";
/// The agent's call is recorded from the bridge, each party on its own channel.
const AGENT: &str = "<Response><Dial action=\"/agent-done\" \
                     record=\"record-from-answer-dual\">\
                     <Queue url=\"/dequeued\">support</Queue></Dial></Response>";
/// What the dequeued caller hears before the bridge (Play, Say, Pause, Redirect only).
const DEQUEUED: &str = "<Response><Pause length=\"1\"/></Response>";
const HANG_UP: &str = "<Response><Hangup/></Response>";
const OUT: &str = "<Response><Pause length=\"1\"/><Hangup/></Response>";

fn queue_app() -> Result<(tempfile::TempDir, Webhook, Node)> {
    let dir = tempfile::tempdir()?;
    for (name, twiml) in [
        ("voice", CALLER),
        ("wait", WAIT),
        ("agent", AGENT),
        ("dequeued", DEQUEUED),
        ("left", HANG_UP),
        ("agent-done", HANG_UP),
        ("out", OUT),
    ] {
        std::fs::write(dir.path().join(format!("{name}.xml")), twiml)?;
    }
    let hook = Webhook::start(
        Scenario::Docs,
        AUTH_TOKEN,
        &["--docs-dir", &dir.path().to_string_lossy()],
    )?;
    let mut config = NodeConfig::new();
    config
        .numbers
        .push(NumberConfig::webhook(NUMBER, ACCOUNT_SID, &hook.base_url()));
    let mut agents = NumberConfig::webhook(AGENTS, ACCOUNT_SID, &hook.base_url());
    agents.voice_url = hook.url("/agent");
    config.numbers.push(agents);
    let node = Node::start(config)?;
    Ok((dir, hook, node))
}

/// The first request to `path` made for `call` that satisfies `ok`, waited for.
fn request_of(
    hook: &Webhook,
    path: &str,
    call: &str,
    ok: impl Fn(&WebhookRequest) -> bool,
) -> Result<WebhookRequest> {
    eventually(Duration::from_secs(15), || {
        Ok(hook
            .requests_to(path)?
            .into_iter()
            .find(|r| r.param("CallSid") == Some(call) && ok(r)))
    })
    .with_context(|| format!("no such request to {path} for {call}"))
}

/// The CallSid of the call from `from` (its first request to `/voice`).
fn call_from(hook: &Webhook, from: &str) -> Result<String> {
    let first = eventually(Duration::from_secs(15), || {
        Ok(hook
            .requests_to("/voice")?
            .into_iter()
            .find(|r| r.param("From").is_some_and(|f| f.contains(from))))
    })
    .with_context(|| format!("no call from {from}"))?;
    Ok(first.param("CallSid").context("CallSid")?.to_owned())
}

pub(super) fn phone(from: &str, tone: f64, timeout: u64) -> PhoneOptions {
    PhoneOptions {
        from_user: from.into(),
        tone: Some(tone),
        codecs: vec!["PCMU".into()],
        timeout: Duration::from_secs(timeout),
        dtmf_after: Duration::from_secs(120),
        ..Default::default()
    }
}

/// The agent's phone (1000 Hz, recorded to `wav`) calls the agents' number and hangs up
/// after `secs`.
pub(super) fn agent_calls(node: &Node, wav: &std::path::Path, secs: u64) -> Result<PhoneOutcome> {
    Phone::call(
        &node.sip_uri(AGENTS),
        "",
        Some(wav),
        &PhoneOptions {
            hangup_after: Some(Duration::from_secs(secs)),
            ..phone("+15552220000", 1000.0, 30)
        },
    )
}

/// Runs `tests/peers/twilio_queues.py`: its JSON summary.
fn twilio_queues(node: &Node, url: &str) -> Result<Value> {
    let out = Command::new("timeout")
        .args(["--signal=KILL", "60", "python3"])
        .arg(peer_script("twilio_queues.py"))
        .args(["--base-url", &node.http_url("")])
        .args(["--account", ACCOUNT_SID, "--token", AUTH_TOKEN])
        .args(["--queue", "support", "--url", url])
        .output()
        .context("running twilio_queues.py")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).with_context(|| {
        format!(
            "twilio_queues.py printed no JSON (exit {:?}):\n{stdout}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Acceptance 4: two pjsua2 callers `<Enqueue>` and their wait requests carry their
/// positions; a third is turned away (`maxQueueSize=2`); an agent's `<Dial><Queue>`
/// bridges the first (it hears the first caller's tone, never the second's, and the
/// first hears the agent's), the second moves to position 1, the first's action hears
/// `QueueResult=bridged`; Twilio's library reads the queue and dequeues the second to a
/// URL.
#[test]
fn callers_wait_in_order_and_an_agent_takes_the_first() -> Result<()> {
    let (dir, hook, node) = queue_app()?;
    let (first_wav, agent_wav) = (dir.path().join("first.wav"), dir.path().join("agent.wav"));
    let uri = node.sip_uri(NUMBER);

    let first_at = Instant::now();
    let first = Phone::spawn_call(
        &uri,
        "",
        Some(&first_wav),
        &phone("+15551110001", 440.0, 60),
    )?;
    let first_sid = call_from(&hook, "+15551110001")?;
    let w = request_of(&hook, "/wait", &first_sid, |_| true)?;
    assert_eq!(w.param("QueuePosition"), Some("1"), "{w:?}");
    assert_eq!(w.param("CurrentQueueSize"), Some("1"), "{w:?}");
    assert_eq!(w.param("MaxQueueSize"), Some("2"), "{w:?}");
    let queue_sid = w.param("QueueSid").context("QueueSid")?.to_owned();
    assert!(queue_sid.starts_with("QU"), "{w:?}");

    let second = Phone::spawn_call(&uri, "", None, &phone("+15551110002", 660.0, 60))?;
    let second_sid = call_from(&hook, "+15551110002")?;
    let w = request_of(&hook, "/wait", &second_sid, |_| true)?;
    assert_eq!(w.param("QueuePosition"), Some("2"), "{w:?}");
    assert_eq!(w.param("CurrentQueueSize"), Some("2"), "{w:?}");
    assert_eq!(w.param("QueueSid"), Some(queue_sid.as_str()), "{w:?}");
    // The first caller's wait document loops; its QueueTime grows.
    let later = request_of(&hook, "/wait", &first_sid, |r| {
        r.param("QueueTime").and_then(|t| t.parse::<u64>().ok()) >= Some(2)
    })?;
    assert_eq!(later.param("QueuePosition"), Some("1"), "{later:?}");

    // A third caller finds the queue full: turned away at once.
    let third = Phone::call(&uri, "", None, &phone("+15551110003", 880.0, 20))?;
    let third_sid = call_from(&hook, "+15551110003")?;
    let full = request_of(&hook, "/left", &third_sid, |_| true)?;
    assert_eq!(full.param("QueueResult"), Some("queue-full"), "{full:?}");
    assert_eq!(full.param("QueueSid"), Some(queue_sid.as_str()), "{full:?}");
    assert!(third.success(), "third caller: {third:?}");
    assert!(hook
        .requests_to("/wait")?
        .iter()
        .all(|r| r.param("CallSid") != Some(&third_sid)));

    // The agent takes the head of the queue: the first caller.
    let agent_at = Instant::now();
    let agent = agent_calls(&node, &agent_wav, 7)?;
    assert!(agent.completed(), "agent: {agent:?}");
    let dequeued = request_of(&hook, "/dequeued", &first_sid, |_| true)?;
    let agent_sid = dequeued
        .param("DequeingCallSid")
        .context("DequeingCallSid")?
        .to_owned();
    assert_eq!(dequeued.param("QueueSid"), Some(queue_sid.as_str()));
    let moved = request_of(&hook, "/wait", &second_sid, |r| {
        r.param("QueuePosition") == Some("1")
    })?;
    assert_eq!(moved.param("CurrentQueueSize"), Some("1"), "{moved:?}");

    let left = request_of(&hook, "/left", &first_sid, |_| true)?;
    assert_eq!(left.param("QueueResult"), Some("bridged"), "{left:?}");
    assert_eq!(left.param("QueueSid"), Some(queue_sid.as_str()), "{left:?}");
    let done = request_of(&hook, "/agent-done", &agent_sid, |_| true)?;
    assert_eq!(done.param("DialCallStatus"), Some("completed"), "{done:?}");
    assert_eq!(done.param("DialBridged"), Some("true"), "{done:?}");
    assert_eq!(
        done.param("DequeuedCallSid"),
        Some(first_sid.as_str()),
        "{done:?}"
    );
    let first = first.wait()?;
    assert!(first.success(), "first caller: {first:?}");

    // The agent's `record` recorded the queue bridge: the agent's 1000 Hz on the first
    // channel, the dequeued caller's 440 Hz on the second.
    let sid = done.param("RecordingSid").context("RecordingSid")?;
    let record = finished(&node, sid)?;
    assert_eq!(record["status"], "completed", "{record}");
    assert_eq!(record["channels"], 2, "{record}");
    let wav = wav_of(&node, sid)?;
    for (channel, own, other) in [(0, 1000.0, 440.0), (1, 440.0, 1000.0)] {
        let samples = middle(&wav.channels[channel]);
        let (own, other) = (
            tone_share(samples, 8000, own),
            tone_share(samples, 8000, other),
        );
        assert!(
            own > 0.8 && other < 0.05,
            "channel {channel}: {own:.3} / {other:.3}"
        );
    }

    // The bridge carried audio both ways: the agent heard the first caller's 440 Hz (and
    // not the second's 660 Hz); the first heard the agent's 1000 Hz. The agent's call
    // is bridged about 1.5 s after its answer (the dequeued document's pause) until it
    // hangs up at 7 s.
    assert_heard(&agent_wav, 440.0, 660.0, 2.5, 6.0, "agent")?;
    let offset = agent_at.duration_since(first_at).as_secs_f64();
    assert_heard(
        &first_wav,
        1000.0,
        440.0,
        offset + 3.0,
        offset + 6.0,
        "first caller",
    )?;

    // The helper library sees the second caller alone in the queue and dequeues it.
    let summary = twilio_queues(&node, &hook.url("/out"))?;
    assert_eq!(summary["queue"]["sid"], queue_sid.as_str(), "{summary:#}");
    assert_eq!(summary["queue"]["current_size"], 1, "{summary:#}");
    assert_eq!(summary["queue"]["max_size"], 2, "{summary:#}");
    assert_eq!(summary["members"][0]["call_sid"], second_sid.as_str());
    assert_eq!(summary["members"][0]["position"], 1, "{summary:#}");
    assert_eq!(summary["front"]["call_sid"], second_sid.as_str());
    assert_eq!(summary["dequeued"]["call_sid"], second_sid.as_str());
    assert_eq!(summary["after"]["current_size"], 0, "{summary:#}");
    assert_eq!(summary["created"]["max_size"], 10, "{summary:#}");
    assert_eq!(summary["updated"]["max_size"], 20, "{summary:#}");
    assert_eq!(summary["too_large"], 400, "{summary:#}");
    assert_eq!(summary["deleted"], true, "{summary:#}");
    assert_eq!(summary["after_delete"], 404, "{summary:#}");
    let out = request_of(&hook, "/out", &second_sid, |_| true)?;
    assert_eq!(out.param("QueueResult"), Some("redirected"), "{out:?}");
    let second = second.wait()?;
    assert!(second.success(), "second caller: {second:?}");
    assert!(hook
        .requests_to("/left")?
        .iter()
        .all(|r| r.param("CallSid") != Some(&second_sid)));
    Ok(())
}

/// The account's `max_concurrent_calls` holds for inbound calls too: with a cap of 1 and
/// one caller waiting in a queue, the next INVITE is refused with 503 and `Retry-After`,
/// and a notification says why; once the first call is over, a call is taken again.
#[test]
fn an_inbound_call_past_the_accounts_cap_is_refused_with_503() -> Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::write(
        dir.path().join("voice.xml"),
        "<Response><Enqueue>support</Enqueue></Response>",
    )?;
    let hook = Webhook::start(
        Scenario::Docs,
        AUTH_TOKEN,
        &["--docs-dir", &dir.path().to_string_lossy()],
    )?;
    let mut config = NodeConfig::new();
    config.accounts[0].max_concurrent_calls = Some(1);
    config
        .numbers
        .push(NumberConfig::webhook(NUMBER, ACCOUNT_SID, &hook.base_url()));
    let node = Node::start(config)?;
    let uri = node.sip_uri(NUMBER);

    let waiting = Phone::spawn_call(
        &uri,
        "",
        None,
        &PhoneOptions {
            hangup_after: Some(Duration::from_secs(6)),
            ..phone("+15551110001", 440.0, 20)
        },
    )?;
    // The caller waits in the queue (its call is up).
    eventually(Duration::from_secs(10), || {
        let q = node.get_json(&format!("/2010-04-01/Accounts/{ACCOUNT_SID}/Queues.json"))?;
        Ok((q["queues"][0]["current_size"] == 1).then_some(()))
    })?;

    let refused = SippCommand::new("uac_shed.xml")?
        .target(&node.sip_target())
        .trace_messages()
        .args(&["-s", NUMBER, "-m", "1"])
        .timeout(Duration::from_secs(20))
        .run()?;
    assert!(refused.success(), "{refused}");
    let no = refused
        .messages()
        .into_iter()
        .find(|m| m.received && m.status() == Some(503))
        .with_context(|| format!("no 503: {refused}"))?;
    assert_eq!(no.header("Retry-After"), Some("5"), "{}", no.text);
    assert_eq!(
        hook.requests_to("/voice")?.len(),
        1,
        "the refused call reached the app"
    );
    let notes = super::notifications(&node)?;
    assert!(
        notes.iter().any(|n| n["error_code"] == "20429"
            && n["message_text"]
                .as_str()
                .is_some_and(|t| t.contains("max_concurrent_calls"))),
        "{notes:#?}"
    );

    let waiting = waiting.wait()?;
    assert!(waiting.completed(), "{waiting:?}");
    // Its slot is free again: the next caller is taken.
    let next = Phone::call(
        &uri,
        "",
        None,
        &PhoneOptions {
            hangup_after: Some(Duration::from_secs(2)),
            ..phone("+15551110002", 440.0, 20)
        },
    )?;
    assert!(next.completed(), "{next:?}");
    Ok(())
}
