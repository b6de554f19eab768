//! `<Dial><Conference>` with real phones (pjsua2): each participant sends its own tone
//! and records what it hears, which is checked by content; the room's status callbacks
//! are checked where Twilio sends them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::Value;
use switchyard_e2e::phone::tone_report;
use switchyard_e2e::{
    peer_script, Node, NodeConfig, NumberConfig, Phone, PhoneOptions, PhoneOutcome, Scenario,
    Webhook, ACCOUNT_SID, AUTH_TOKEN, NUMBER,
};

use super::eventually;

/// Mutes or unmutes `call` in the live room `name` with Twilio's helper library
/// (tests/peers/twilio_conference.py); returns what the library saw.
fn mute_with_twilio(node: &Node, name: &str, call: &str, muted: bool) -> Result<Value> {
    let out = Command::new("timeout")
        .args(["--signal=KILL", "60", "python3"])
        .arg(peer_script("twilio_conference.py"))
        .args(["--base-url", &node.http_url("")])
        .args(["--account", ACCOUNT_SID, "--token", AUTH_TOKEN])
        .args(["--name", name, "--call", call])
        .args(["--muted", if muted { "true" } else { "false" }])
        .output()
        .context("running twilio_conference.py")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .with_context(|| {
            format!(
                "twilio_conference.py printed no JSON: {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
    anyhow::ensure!(out.status.success(), "twilio_conference.py: {summary}");
    Ok(summary)
}

/// The CallSid of the call that came from `from`, as the app was asked about it.
fn call_from(hook: &Webhook, from: &str) -> Result<String> {
    eventually(Duration::from_secs(10), || {
        Ok(hook
            .requests_to("/voice")?
            .iter()
            .find(|r| r.param("From").is_some_and(|f| f.contains(from)))
            .and_then(|r| r.param("CallSid").map(str::to_owned)))
    })
}

/// The moderator's number: its `<Conference>` ends the room when it leaves.
const MODERATOR: &str = "+15550009999";

/// A node whose NUMBER serves `voice` and MODERATOR `moderator`, with `docs` beside.
fn conference_app(docs: &[(&str, String)]) -> Result<(tempfile::TempDir, Webhook, Node)> {
    conference_app_with(docs, &[])
}

/// [`conference_app`] with more arguments for the webhook (its `/audio/*.wav` tone).
fn conference_app_with(
    docs: &[(&str, String)],
    webhook_args: &[&str],
) -> Result<(tempfile::TempDir, Webhook, Node)> {
    let dir = tempfile::tempdir()?;
    for (name, twiml) in docs {
        std::fs::write(dir.path().join(format!("{name}.xml")), twiml)?;
    }
    let docs_dir = dir.path().to_string_lossy().into_owned();
    let mut args = vec!["--docs-dir", &docs_dir];
    args.extend_from_slice(webhook_args);
    let hook = Webhook::start(Scenario::Docs, AUTH_TOKEN, &args)?;
    let mut config = NodeConfig::new();
    config
        .numbers
        .push(NumberConfig::webhook(NUMBER, ACCOUNT_SID, &hook.base_url()));
    let mut moderator = NumberConfig::webhook(MODERATOR, ACCOUNT_SID, &hook.base_url());
    moderator.voice_url = format!("{}/moderator", hook.base_url());
    config.numbers.push(moderator);
    let node = Node::start(config)?;
    Ok((dir, hook, node))
}

/// A phone calling `number` on `node` from `from` in a thread: it sends `tone`, records
/// to `wav`.
pub(super) fn participant(
    node: &Node,
    (number, from): (&str, &str),
    tone: f64,
    wav: &Path,
    hangup_after: Duration,
) -> JoinHandle<Result<PhoneOutcome>> {
    let (uri, wav, from) = (node.sip_uri(number), wav.to_path_buf(), from.to_owned());
    std::thread::spawn(move || {
        Phone::call(
            &uri,
            "",
            Some(&wav),
            &PhoneOptions {
                tone: Some(tone),
                from_user: from,
                codecs: vec!["PCMU".into()],
                hangup_after: Some(hangup_after),
                timeout: Duration::from_secs(40),
                ..Default::default()
            },
        )
    })
}

/// Whether `wav` holds `freq` (clearly) between `from` and `to` seconds.
pub(super) fn hears(wav: &Path, freq: f64, from: f64, to: f64) -> Result<bool> {
    let r = tone_report(
        wav,
        freq,
        Duration::from_secs_f64(from)..Duration::from_secs_f64(to),
    )?;
    Ok(r.level > 300.0)
}

/// A room's status callbacks, in the order they arrived: (event, CallSid, sequence).
pub(super) fn room_callbacks(hook: &Webhook) -> Result<Vec<(String, String, u32)>> {
    hook.requests_to("/conf")?
        .iter()
        .map(|r| {
            Ok((
                r.param("StatusCallbackEvent").context("event")?.to_owned(),
                r.param("CallSid").unwrap_or_default().to_owned(),
                r.param("SequenceNumber").context("sequence")?.parse()?,
            ))
        })
        .collect()
}

const CONFERENCE: &str = r#"<Response><Dial action="/after"><Conference beep="false" {attrs}
    statusCallback="/conf" statusCallbackEvent="start end join leave mute"
    >room</Conference></Dial></Response>"#;

fn conference(attrs: &str) -> String {
    CONFERENCE.replace("{attrs}", attrs)
}

/// Acceptance 2: three phones, each with its own tone, hear the two others and not
/// themselves; muting one through the Participants resource (Twilio's helper library)
/// takes its tone out of the others' ears; the moderator's exit
/// (`endConferenceOnExit`) ends the room for all; join, mute and leave callbacks
/// arrive in order, numbered.
#[test]
fn three_participants_hear_each_other_muting_and_the_moderator_ends_the_room() -> Result<()> {
    let (_docs, hook, node) = conference_app(&[
        ("voice", conference("")),
        ("moderator", conference("endConferenceOnExit=\"true\"")),
        ("after", "<Response><Hangup/></Response>".into()),
    ])?;
    let dir = tempfile::tempdir()?;
    let wav = |n: &str| -> PathBuf { dir.path().join(format!("{n}.wav")) };
    let (a_tone, b_tone, m_tone) = (450.0, 850.0, 1350.0);
    let long = Duration::from_secs(30);
    let a = participant(&node, (NUMBER, "+15550000001"), a_tone, &wav("a"), long);
    let b = participant(&node, (NUMBER, "+15550000002"), b_tone, &wav("b"), long);
    std::thread::sleep(Duration::from_millis(500));
    let m = participant(
        &node,
        (MODERATOR, "+15550000003"),
        m_tone,
        &wav("m"),
        Duration::from_secs(13),
    );
    // About 7 s into the calls, b is muted.
    let b_sid = call_from(&hook, "+15550000002")?;
    std::thread::sleep(Duration::from_secs(6));
    let seen = mute_with_twilio(&node, "room", &b_sid, true)?;
    assert_eq!(seen["status"], "in-progress", "{seen}");
    assert_eq!(seen["participant"]["muted"], true, "{seen}");
    assert_eq!(seen["participant"]["call_sid"], b_sid.as_str(), "{seen}");
    assert_eq!(seen["participants"], 3, "{seen}");
    let (a, b, m) = (
        a.join().expect("a")?,
        b.join().expect("b")?,
        m.join().expect("m")?,
    );
    for (name, out) in [("a", &a), ("b", &b), ("m", &m)] {
        assert!(out.completed(), "{name}: {out:?}");
    }
    // The moderator hung up at 13 s; the others were hung up by the node soon after
    // (their `action` answers <Hangup/>), long before their own 30 s.
    for (name, out) in [("a", &a), ("b", &b)] {
        let s = out.summary.as_ref().context("summary")?;
        assert!(s.duration < 18.0, "{name} stayed {} s", s.duration);
    }
    let tones = [("a", a_tone), ("b", b_tone), ("m", m_tone)];
    // From 2.5 to 6 s everyone is in: each hears the two others and not itself.
    for (me, own) in tones {
        for (other, freq) in tones {
            let heard = hears(&wav(me), freq, 2.5, 6.0)?;
            if other == me {
                assert!(!heard, "{me} hears its own {own} Hz");
            } else {
                assert!(heard, "{me} does not hear {other} ({freq} Hz)");
            }
        }
    }
    // From 9 to 12 s b is muted: a and m no longer hear it; b still hears them.
    for me in ["a", "m"] {
        assert!(!hears(&wav(me), b_tone, 9.0, 12.0)?, "{me} hears muted b");
    }
    assert!(hears(&wav("a"), m_tone, 9.0, 12.0)?, "a lost m");
    assert!(hears(&wav("m"), a_tone, 9.0, 12.0)?, "m lost a");
    assert!(hears(&wav("b"), a_tone, 9.0, 12.0)?, "muted b lost a");
    assert!(hears(&wav("b"), m_tone, 9.0, 12.0)?, "muted b lost m");

    let sent = eventually(Duration::from_secs(10), || {
        let sent = room_callbacks(&hook)?;
        Ok(sent
            .iter()
            .any(|(e, ..)| e == "conference-end")
            .then_some(sent))
    })?;
    let events: Vec<&str> = sent.iter().map(|(e, ..)| e.as_str()).collect();
    assert_eq!(
        events,
        [
            "conference-start",
            "participant-join",
            "participant-join",
            "participant-join",
            "participant-mute",
            "participant-leave",
            "participant-leave",
            "participant-leave",
            "conference-end"
        ],
        "{sent:?}"
    );
    let sequence: Vec<u32> = sent.iter().map(|(_, _, n)| *n).collect();
    assert_eq!(sequence, (1..=9).collect::<Vec<u32>>());
    assert_eq!(sent[4].1, b_sid, "the mute is b's: {sent:?}");
    // The moderator joined last and left first.
    let m_sid = &sent[3].1;
    assert_eq!(&sent[5].1, m_sid, "{sent:?}");
    let after = hook.requests_to("/after")?;
    assert_eq!(after.len(), 3, "{after:?}");
    assert!(after
        .iter()
        .all(|r| r.param("DialCallStatus") == Some("completed")));
    Ok(())
}

/// `POST` a form to the node's REST API as the account.
fn api_post(node: &Node, path: &str, form: &[(&str, &str)]) -> Result<(u16, Value)> {
    let r = switchyard_e2e::http::request(
        "POST",
        &node.http_url(&format!("/2010-04-01/Accounts/{ACCOUNT_SID}{path}")),
    )
    .basic_auth(ACCOUNT_SID, AUTH_TOKEN)
    .send_form(form)?;
    let body = r.json().unwrap_or(Value::Null);
    Ok((r.status, body))
}

/// Level of the built-in wait music (its weakest note) in `wav` from `from` to `to` s.
fn wait_music_level(wav: &Path, from: f64, to: f64) -> Result<f64> {
    let window = Duration::from_secs_f64(from)..Duration::from_secs_f64(to);
    let mut weakest = f64::MAX;
    for note in [523.25, 659.25, 783.99] {
        weakest = weakest.min(tone_report(wav, note, window.clone())?.level);
    }
    Ok(weakest)
}

/// Acceptance 3: a participant with `startConferenceOnEnter="false"` hears the wait
/// music while the room waits; `Participants.create` dials a sipp callee straight into
/// the room, which starts it: the music stops and the participant hears the callee.
#[test]
fn a_waiting_participant_hears_music_until_a_dialled_in_starter_joins() -> Result<()> {
    let (_docs, _hook, node) = conference_app(&[
        ("voice", conference("startConferenceOnEnter=\"false\"")),
        ("moderator", conference("")),
        ("after", "<Response><Hangup/></Response>".into()),
    ])?;
    // The callee answers and streams speech (PCMA) for 5 s, then hangs up.
    let callee = switchyard_e2e::Sipp::uas("uas_answer_bye.xml", &["-d", "5000"])?;
    let dir = tempfile::tempdir()?;
    let wav = dir.path().join("waiting.wav");
    let waiting = Phone::spawn_call(
        &node.sip_uri(NUMBER),
        "",
        Some(&wav),
        &PhoneOptions {
            codecs: vec!["PCMU".into()],
            hangup_after: Some(Duration::from_secs(13)),
            timeout: Duration::from_secs(30),
            ..Default::default()
        },
    )?;
    let room = eventually(Duration::from_secs(10), || {
        let list = node.get_json(&format!(
            "/2010-04-01/Accounts/{ACCOUNT_SID}/Conferences.json?FriendlyName=room&Status=init"
        ))?;
        Ok(list["conferences"][0]["sid"].as_str().map(str::to_owned))
    })?;
    std::thread::sleep(Duration::from_secs(4));
    let to = format!("sip:+15550002222@{}", callee.addr());
    let (status, created) = api_post(
        &node,
        &format!("/Conferences/{room}/Participants.json"),
        &[("From", NUMBER), ("To", &to), ("EarlyMedia", "true")],
    )?;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["conference_sid"], room.as_str(), "{created}");
    let dialled = created["call_sid"].as_str().context("call_sid")?.to_owned();
    let joined = eventually(Duration::from_secs(10), || {
        let r = node.get_json(&format!(
            "/2010-04-01/Accounts/{ACCOUNT_SID}/Conferences/{room}.json"
        ))?;
        let parts = node.get_json(&format!(
            "/2010-04-01/Accounts/{ACCOUNT_SID}/Conferences/{room}/Participants.json"
        ))?;
        let listed = parts["participants"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let callee_in = listed.iter().any(|p| p["call_sid"] == dialled.as_str());
        Ok((r["status"] == "in-progress" && callee_in).then_some(listed.len()))
    })?;
    assert_eq!(joined, 2);
    let callee = callee.wait()?;
    assert!(callee.success(), "callee: {callee}");
    let waiting = waiting.wait()?;
    assert!(waiting.completed(), "{waiting:?}");

    // The room waited for about 4.5 s: music; the callee spoke from about 5 s on.
    let music = wait_music_level(&wav, 0.8, 4.0)?;
    let later = wait_music_level(&wav, 6.0, 9.0)?;
    let speech = tone_report(&wav, 1000.0, Duration::from_secs(6)..Duration::from_secs(9))?;
    assert!(music > 300.0, "no wait music while waiting: {music}");
    assert!(later < music / 5.0, "the music went on: {later} vs {music}");
    assert!(speech.rms > 300.0, "the callee is not heard: {speech:?}");
    Ok(())
}

/// A `waitUrl` that answers TwiML, the most common case on Twilio: the waiting
/// participant hears its `<Play>` (a 700 Hz tone of 1 s, requested again each time it
/// ends, with `waitMethod`) until the starter joins, then the starter instead.
#[test]
fn a_twiml_wait_url_plays_in_a_loop_until_the_starter_joins() -> Result<()> {
    let wait = r#"startConferenceOnEnter="false" waitUrl="/wait" waitMethod="GET""#;
    let (_docs, hook, node) = conference_app_with(
        &[
            ("voice", conference(wait)),
            ("moderator", conference("")),
            (
                "wait",
                "<Response><Play>/audio/wait.wav</Play></Response>".into(),
            ),
            ("after", "<Response><Hangup/></Response>".into()),
        ],
        &["--wav-freq", "700", "--wav-seconds", "1"],
    )?;
    let dir = tempfile::tempdir()?;
    let wav = |n: &str| -> PathBuf { dir.path().join(format!("{n}.wav")) };
    let (wait_tone, waiting_tone, starter_tone) = (700.0, 450.0, 1350.0);
    let (waiting, starter) = ("waiting", "starter");
    let w = participant(
        &node,
        (NUMBER, "+15550000001"),
        waiting_tone,
        &wav(waiting),
        Duration::from_secs(8),
    );
    std::thread::sleep(Duration::from_millis(3500));
    let s = participant(
        &node,
        (MODERATOR, "+15550000003"),
        starter_tone,
        &wav(starter),
        Duration::from_secs(4),
    );
    let (w, s) = (w.join().expect("waiting")?, s.join().expect("starter")?);
    assert!(w.completed(), "{w:?}");
    assert!(s.completed(), "{s:?}");

    let requests = hook.requests_to("/wait")?;
    assert!(
        requests.len() >= 2,
        "the wait document is requested again when it ends: {requests:?}"
    );
    assert!(requests.iter().all(|r| r.method == "GET"), "{requests:?}");
    // Waiting (about 0 to 3.8 s): the wait document's tone, not the starter.
    assert!(hears(&wav(waiting), wait_tone, 0.8, 3.2)?, "no wait tone");
    assert!(!hears(&wav(waiting), starter_tone, 0.8, 3.2)?);
    // The starter is in (from about 4 s): its tone, and the wait tone is over.
    assert!(
        hears(&wav(waiting), starter_tone, 5.0, 7.0)?,
        "the starter is not heard"
    );
    assert!(
        !hears(&wav(waiting), wait_tone, 5.0, 7.0)?,
        "the wait tone went on"
    );
    Ok(())
}
