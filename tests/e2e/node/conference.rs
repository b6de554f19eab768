//! `<Dial><Conference>` with real phones (pjsua2): each participant sends its own tone
//! and records what it hears, which is checked by content; the room's status callbacks
//! are checked where Twilio sends them.

use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context, Result};
use switchyard_e2e::phone::tone_report;
use switchyard_e2e::{
    Node, NodeConfig, NumberConfig, Phone, PhoneOptions, PhoneOutcome, Scenario, Webhook,
    ACCOUNT_SID, AUTH_TOKEN, NUMBER,
};

use super::eventually;

/// The moderator's number: its `<Conference>` ends the room when it leaves.
const MODERATOR: &str = "+15550009999";

/// A node whose NUMBER serves `voice` and MODERATOR `moderator`, with `docs` beside.
fn conference_app(docs: &[(&str, String)]) -> Result<(tempfile::TempDir, Webhook, Node)> {
    let dir = tempfile::tempdir()?;
    for (name, twiml) in docs {
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
    let mut moderator = NumberConfig::webhook(MODERATOR, ACCOUNT_SID, &hook.base_url());
    moderator.voice_url = format!("{}/moderator", hook.base_url());
    config.numbers.push(moderator);
    let node = Node::start(config)?;
    Ok((dir, hook, node))
}

/// A phone calling `number` on `node` in a thread: it sends `tone`, records to `wav`.
fn participant(
    node: &Node,
    number: &str,
    tone: f64,
    wav: &Path,
    hangup_after: Duration,
) -> JoinHandle<Result<PhoneOutcome>> {
    let (uri, wav) = (node.sip_uri(number), wav.to_path_buf());
    std::thread::spawn(move || {
        Phone::call(
            &uri,
            "",
            Some(&wav),
            &PhoneOptions {
                tone: Some(tone),
                codecs: vec!["PCMU".into()],
                hangup_after: Some(hangup_after),
                timeout: Duration::from_secs(40),
                ..Default::default()
            },
        )
    })
}

/// Whether `wav` holds `freq` (clearly) between `from` and `to` seconds.
fn hears(wav: &Path, freq: f64, from: f64, to: f64) -> Result<bool> {
    let r = tone_report(
        wav,
        freq,
        Duration::from_secs_f64(from)..Duration::from_secs_f64(to),
    )?;
    Ok(r.level > 300.0)
}

/// A room's status callbacks, in the order they arrived: (event, CallSid, sequence).
fn room_callbacks(hook: &Webhook) -> Result<Vec<(String, String, u32)>> {
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
/// themselves; the moderator's exit (`endConferenceOnExit`) ends the room for all;
/// join and leave callbacks arrive in order, numbered.
#[test]
fn three_participants_hear_each_other_and_the_moderator_ends_the_room() -> Result<()> {
    let (_docs, hook, node) = conference_app(&[
        ("voice", conference("")),
        ("moderator", conference("endConferenceOnExit=\"true\"")),
        ("after", "<Response><Hangup/></Response>".into()),
    ])?;
    let dir = tempfile::tempdir()?;
    let wav = |n: &str| -> PathBuf { dir.path().join(format!("{n}.wav")) };
    let tones = [("a", 450.0), ("b", 850.0), ("m", 1350.0)];
    let a = participant(&node, NUMBER, 450.0, &wav("a"), Duration::from_secs(30));
    let b = participant(&node, NUMBER, 850.0, &wav("b"), Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(500));
    let m = participant(&node, MODERATOR, 1350.0, &wav("m"), Duration::from_secs(9));
    let (a, b, m) = (
        a.join().expect("a")?,
        b.join().expect("b")?,
        m.join().expect("m")?,
    );
    for (name, out) in [("a", &a), ("b", &b), ("m", &m)] {
        assert!(out.completed(), "{name}: {out:?}");
    }
    // The moderator hung up at 9 s; the others were hung up by the node soon after
    // (their `action` answers <Hangup/>), long before their own 30 s.
    for (name, out) in [("a", &a), ("b", &b)] {
        let s = out.summary.as_ref().context("summary")?;
        assert!(s.duration < 15.0, "{name} stayed {} s", s.duration);
    }
    // From 3 to 7 s everyone is in: each hears the two others and not itself.
    for (me, own) in tones {
        for (other, freq) in tones {
            let heard = hears(&wav(me), freq, 3.0, 7.0)?;
            if other == me {
                assert!(!heard, "{me} hears its own {own} Hz");
            } else {
                assert!(heard, "{me} does not hear {other} ({freq} Hz)");
            }
        }
    }
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
            "participant-leave",
            "participant-leave",
            "participant-leave",
            "conference-end"
        ],
        "{sent:?}"
    );
    let sequence: Vec<u32> = sent.iter().map(|(_, _, n)| *n).collect();
    assert_eq!(sequence, (1..=8).collect::<Vec<u32>>());
    // The moderator joined last and left first.
    let m_sid = &sent[3].1;
    assert_eq!(&sent[4].1, m_sid, "{sent:?}");
    let after = hook.requests_to("/after")?;
    assert_eq!(after.len(), 3, "{after:?}");
    assert!(after
        .iter()
        .all(|r| r.param("DialCallStatus") == Some("completed")));
    Ok(())
}
