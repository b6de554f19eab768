//! `<Dial>`: the caller's leg, a dialled leg, and the bridge between them, with real
//! phones on both sides (sipp and pjsua2) and the outcome checked where Twilio reports
//! it: the action request, the child call record, and what each side hears.

use std::time::Duration;

use anyhow::{Context, Result};
use switchyard_e2e::{
    CalleeOptions, HangUp, Node, NodeConfig, NumberConfig, Phone, PhoneOptions, Scenario, Sipp,
    SippCommand, ToneReport, Webhook, ACCOUNT_SID, AUTH_TOKEN, NUMBER,
};

use switchyard_e2e::phone::tone_report;

mod outcomes;

use super::{audible_packets, call_with_capture, calls, eventually};

/// A webhook serving `docs` (path without the slash → TwiML) and a node whose number
/// asks it, with `extra_toml` appended to the node's config.
pub fn dial_app(
    docs: &[(&str, String)],
    extra_toml: &str,
) -> Result<(tempfile::TempDir, Webhook, Node)> {
    let mut config = NodeConfig::new();
    config.extra_toml = extra_toml.to_owned();
    dial_app_with(docs, config)
}

/// [`dial_app`] on a node configured as `config` (its number added).
pub fn dial_app_with(
    docs: &[(&str, String)],
    mut config: NodeConfig,
) -> Result<(tempfile::TempDir, Webhook, Node)> {
    let dir = tempfile::tempdir()?;
    for (name, twiml) in docs {
        std::fs::write(dir.path().join(format!("{name}.xml")), twiml)?;
    }
    let hook = Webhook::start(
        Scenario::Docs,
        AUTH_TOKEN,
        &["--docs-dir", &dir.path().to_string_lossy()],
    )?;
    config
        .numbers
        .push(NumberConfig::webhook(NUMBER, ACCOUNT_SID, &hook.base_url()));
    let node = Node::start(config)?;
    Ok((dir, hook, node))
}

/// [`dial_app`] whose number `<Dial>`s `callee` and nothing else.
pub fn dial_callee(callee: &switchyard_e2e::Callee) -> Result<(tempfile::TempDir, Webhook, Node)> {
    let voice = format!(
        "<Response><Dial><Sip>{}</Sip></Dial></Response>",
        callee.uri()
    );
    dial_app(&[("voice", voice)], "")
}

/// The one request the app received at `path`, waited for.
pub fn one_request(hook: &Webhook, path: &str) -> Result<switchyard_e2e::WebhookRequest> {
    eventually(Duration::from_secs(10), || {
        Ok(hook.requests_to(path)?.into_iter().next())
    })
    .with_context(|| format!("no request to {path}"))
}

/// The action request says `status` and whether the caller was bridged.
fn assert_dialed(dialed: &switchyard_e2e::WebhookRequest, status: &str, bridged: bool) {
    assert_eq!(dialed.param("DialCallStatus"), Some(status), "{dialed:?}");
    let bridged = bridged.to_string();
    assert_eq!(
        dialed.param("DialBridged"),
        Some(bridged.as_str()),
        "{dialed:?}"
    );
}

const AFTER: &str = "<Response><Say>Back to you.</Say><Hangup/></Response>";

#[test]
fn dial_sip_bridges_the_caller_and_reports_completed_to_the_action_url() -> Result<()> {
    // The callee answers, streams speech (PCMA) for 3 s and hangs up.
    let callee = Sipp::uas("uas_answer_bye.xml", &["-d", "3000"])?;
    let voice = format!(
        "<Response><Dial action=\"/dialed\"><Sip>sip:bob@{}</Sip></Dial></Response>",
        callee.addr()
    );
    let (_dir, hook, node) = dial_app(&[("voice", voice), ("dialed", AFTER.into())], "")?;
    let (out, packets) = call_with_capture(&node, "uac_wait_bye.xml", &[])?;
    assert!(out.success(), "caller: {out}");
    let callee_out = callee.wait()?;
    assert!(callee_out.success(), "callee: {callee_out}");

    let dialed = one_request(&hook, "/dialed")?;
    assert_dialed(&dialed, "completed", true);
    let duration: u64 = dialed
        .param("DialCallDuration")
        .context("duration")?
        .parse()?;
    assert!((2..=4).contains(&duration), "DialCallDuration {duration}");
    assert!(dialed.signature_valid, "{dialed:?}");

    // The child leg is a call record of its own, tied to its parent.
    let child_sid = dialed
        .param("DialCallSid")
        .context("DialCallSid")?
        .to_owned();
    let parent_sid = dialed.param("CallSid").context("CallSid")?.to_owned();
    let records = calls(&node)?;
    let child = records
        .iter()
        .find(|c| c["sid"] == child_sid.as_str())
        .with_context(|| format!("no record of {child_sid}: {records:?}"))?;
    assert_eq!(child["parent_call_sid"], parent_sid.as_str(), "{child}");
    assert_eq!(child["direction"], "outbound-dial", "{child}");
    assert_eq!(child["status"], "completed", "{child}");
    let filtered = node.get_json(&format!(
        "/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json?ParentCallSid={parent_sid}"
    ))?;
    let only: Vec<&str> = filtered["calls"]
        .as_array()
        .context("calls")?
        .iter()
        .filter_map(|c| c["sid"].as_str())
        .collect();
    assert_eq!(only, [child_sid.as_str()], "{filtered}");

    // The caller heard the callee's speech through the bridge: sipp sends it as 30 ms
    // PCMA packets (240 samples), which the node relays as they are (transcoded to the
    // caller's PCMU, not re-framed); the node's own frames are 20 ms. About 3 s of it,
    // three quarters audible.
    let relayed: Vec<_> = packets
        .iter()
        .filter(|p| p.payload_type == 0 && p.payload.len() == 240)
        .cloned()
        .collect();
    let audible = audible_packets(&relayed);
    assert!(
        (60..=110).contains(&audible),
        "{audible} audible relayed packets of {}",
        relayed.len()
    );
    // One stream to the caller: the relay keeps the node's SSRC and sequence space.
    let ssrcs: std::collections::BTreeSet<u32> = packets.iter().map(|p| p.ssrc).collect();
    assert_eq!(ssrcs.len(), 1, "{ssrcs:?}");
    let mut seqs: Vec<u16> = packets.iter().map(|p| p.seq).collect();
    seqs.dedup();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0].wrapping_add(1)),
        "the caller's sequence numbers jump"
    );
    Ok(())
}

/// `sip:` URIs of sipp far ends, as `<Sip>` nouns.
fn sip_nouns(uas: &[&switchyard_e2e::SippProcess]) -> String {
    sip_nouns_with(uas, "")
}

/// The same, each noun with `attrs`.
fn sip_nouns_with(uas: &[&switchyard_e2e::SippProcess], attrs: &str) -> String {
    uas.iter()
        .map(|u| format!("<Sip {attrs}>sip:bob@{}</Sip>", u.addr()))
        .collect()
}

/// Calls the number with `scenario` (extra sipp `args`), the caller's outcome.
fn call(node: &Node, scenario: &str, args: &[&str]) -> Result<switchyard_e2e::SippOutcome> {
    let mut all = vec!["-s", NUMBER];
    if !args.contains(&"-m") {
        all.extend(["-m", "1"]);
    }
    all.extend_from_slice(args);
    SippCommand::new(scenario)?
        .target(&node.sip_target())
        .args(&all)
        .timeout(Duration::from_secs(60))
        .run()
}

#[test]
fn parallel_ring_bridges_the_first_to_answer_and_cancels_the_others() -> Result<()> {
    let slow_a = Sipp::uas("uas_answer_after.xml", &["-d", "6000"])?;
    let winner = Sipp::uas("uas_answer_after.xml", &["-d", "1000"])?;
    let slow_b = Sipp::uas("uas_answer_after.xml", &["-d", "6000"])?;
    // timeLimit ends the bridge after 2 s; the action then hangs up the caller.
    let voice = format!(
        "<Response><Dial action=\"/dialed\" timeLimit=\"2\">{}</Dial></Response>",
        sip_nouns_with(
            &[&slow_a, &winner, &slow_b],
            "statusCallback=\"/leg-status\" \
             statusCallbackEvent=\"initiated ringing answered completed\""
        )
    );
    let (_dir, hook, node) = dial_app(&[("voice", voice), ("dialed", AFTER.into())], "")?;
    let out = call(&node, "uac_wait_bye.xml", &[])?;
    assert!(out.success(), "caller: {out}");
    for (name, uas) in [("first", slow_a), ("third", slow_b)] {
        let o = uas.wait()?;
        assert_eq!(o.received("CANCEL"), 1, "{name} was not cancelled: {o}");
        assert_eq!(o.sent_responses(487), 1, "{name} did not answer 487: {o}");
    }
    let w = winner.wait()?;
    assert_eq!(w.received("CANCEL"), 0, "the winner was cancelled: {w}");
    assert_eq!(w.received("BYE"), 1, "the winner got no BYE: {w}");
    let dialed = one_request(&hook, "/dialed")?;
    assert_dialed(&dialed, "completed", true);
    assert_eq!(dialed.param("DialCallDuration"), Some("2"), "{dialed:?}");
    // The reported leg is the one that answered; the others' records say canceled.
    let records = calls(&node)?;
    let status_of = |to: String| {
        records.iter().find(|c| c["to"] == to.as_str()).map(|c| {
            (
                c["sid"].as_str().unwrap_or("").to_owned(),
                c["status"].clone(),
            )
        })
    };
    let (winner_sid, status) =
        status_of(format!("sip:bob@{}", w_addr(&records, &dialed)?)).context("winner record")?;
    assert_eq!(status, "completed");
    assert_eq!(dialed.param("DialCallSid"), Some(winner_sid.as_str()));
    let canceled = records.iter().filter(|c| c["status"] == "canceled").count();
    assert_eq!(canceled, 2, "{records:?}");

    // Each leg has its own status callbacks, which name the parent call.
    let parent = dialed.param("CallSid").context("CallSid")?.to_owned();
    let legs = eventually(Duration::from_secs(5), || {
        let got = hook.requests_to("/leg-status")?;
        let finals = got
            .iter()
            .filter(|r| matches!(r.param("CallStatus"), Some("completed" | "canceled")))
            .count();
        Ok((finals == 3).then_some(got))
    })?;
    for r in &legs {
        assert_eq!(r.param("ParentCallSid"), Some(parent.as_str()), "{r:?}");
        assert_eq!(r.param("Direction"), Some("outbound-dial"), "{r:?}");
    }
    let of = |status: &str| {
        legs.iter()
            .filter(|r| r.param("CallStatus") == Some(status))
            .count()
    };
    assert_eq!(of("initiated"), 3, "{legs:?}");
    assert_eq!(of("ringing"), 3, "{legs:?}");
    assert_eq!(of("in-progress"), 1, "{legs:?}");
    assert_eq!((of("completed"), of("canceled")), (1, 2), "{legs:?}");
    Ok(())
}

/// The `to` of the leg `DialCallSid` names, host:port part.
fn w_addr(
    records: &[serde_json::Value],
    dialed: &switchyard_e2e::WebhookRequest,
) -> Result<String> {
    let sid = dialed.param("DialCallSid").context("DialCallSid")?;
    let to = records
        .iter()
        .find(|c| c["sid"] == sid)
        .and_then(|c| c["to"].as_str())
        .context("no record of DialCallSid")?;
    Ok(to.trim_start_matches("sip:bob@").to_owned())
}

/// The stretch `from..to` seconds of the recording at `path`, as heard at `freq` and at
/// `other` Hz.
pub fn heard(
    path: &std::path::Path,
    freq: f64,
    other: f64,
    from: f64,
    to: f64,
) -> Result<(ToneReport, ToneReport)> {
    let window = Duration::from_secs_f64(from)..Duration::from_secs_f64(to);
    Ok((
        tone_report(path, freq, window.clone())?,
        tone_report(path, other, window)?,
    ))
}

/// Asserts that `who`'s recording at `path` carries the other party's tone at `freq`
/// from `from` to `to` seconds (over 80 % of the audio, RMS above 1000) and the tone at
/// `other` (its own, or a third party's) at under a tenth of that level.
pub fn assert_heard(
    path: &std::path::Path,
    freq: f64,
    other: f64,
    from: f64,
    to: f64,
    who: &str,
) -> Result<()> {
    let (theirs, rest) = heard(path, freq, other, from, to)?;
    anyhow::ensure!(
        theirs.share > 0.8 && theirs.rms > 1000.0,
        "{who} heard {theirs:?}"
    );
    anyhow::ensure!(
        rest.level < theirs.level / 10.0,
        "{who} heard {other} Hz: {rest:?}"
    );
    Ok(())
}

/// Acceptance 1: two real phones (pjsua2) through `<Dial><Sip>`. Each sends its own tone
/// (600 Hz from the caller, in PCMA; 1000 Hz from the callee, in PCMU: the bridge
/// converts between the laws) and records what it hears: each hears the other's tone
/// and not its own. DTMF from either side reaches the other as RFC 4733.
#[test]
fn two_phones_hear_each_other_through_the_bridge() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (caller_wav, callee_wav) = (dir.path().join("caller.wav"), dir.path().join("callee.wav"));
    let callee = Phone::listen(&CalleeOptions {
        answer_after: Duration::from_secs(1),
        tone: Some(1000.0),
        record: Some(callee_wav.clone()),
        dtmf: "1".into(),
        dtmf_after: Duration::from_millis(2500),
        codecs: vec!["PCMU".into()],
        ..Default::default()
    })?;
    let voice = format!(
        "<Response><Dial action=\"/dialed\"><Sip>{}</Sip></Dial></Response>",
        callee.uri()
    );
    let (_docs, hook, node) = dial_app(&[("voice", voice), ("dialed", AFTER.into())], "")?;
    let caller = Phone::call(
        &node.sip_uri(NUMBER),
        "5",
        Some(&caller_wav),
        &PhoneOptions {
            tone: Some(600.0),
            codecs: vec!["PCMA".into()],
            dtmf_after: Duration::from_secs(4),
            hangup_after: Some(Duration::from_secs(7)),
            ..Default::default()
        },
    )?;
    let callee = callee.wait()?;
    assert!(caller.completed(), "caller: {caller:?}");
    assert!(callee.completed(), "callee: {callee:?}");
    let (caller_s, callee_s) = (
        caller.summary.context("caller summary")?,
        callee.summary.context("callee summary")?,
    );
    // The caller hung up; the node ended the callee's leg.
    assert_eq!(callee_s.hung_up_by, Some(HangUp::Remote), "{callee_s:?}");

    // The callee answers about 1.2 s into the caller's call. Windows avoid the DTMF.
    for (from, to) in [(2.0, 3.2), (5.0, 6.5)] {
        assert_heard(
            &caller_wav,
            1000.0,
            600.0,
            from,
            to,
            &format!("caller at {from}-{to} s"),
        )?;
    }
    for (from, to) in [(0.5, 2.0), (3.5, 5.0)] {
        assert_heard(
            &callee_wav,
            600.0,
            1000.0,
            from,
            to,
            &format!("callee at {from}-{to} s"),
        )?;
    }
    assert!(caller_s.dtmf_received.contains('1'), "{caller_s:?}");
    assert!(callee_s.dtmf_received.contains('5'), "{callee_s:?}");

    let dialed = one_request(&hook, "/dialed")?;
    assert_eq!(
        dialed.param("DialCallStatus"),
        Some("completed"),
        "{dialed:?}"
    );
    let reported: f64 = dialed
        .param("DialCallDuration")
        .context("duration")?
        .parse()?;
    assert!(
        (reported - callee_s.duration).abs() <= 1.0,
        "DialCallDuration {reported} s, the callee was connected {:.2} s",
        callee_s.duration
    );
    Ok(())
}

/// Acceptance 4, whisper: the noun's `url` runs on the callee once it answers; the
/// callee hears its speech first, then the caller.
#[test]
fn the_callee_hears_the_whisper_before_the_bridge() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let callee_wav = dir.path().join("callee.wav");
    let callee = Phone::listen(&CalleeOptions {
        record: Some(callee_wav.clone()),
        codecs: vec!["PCMU".into()],
        ..Default::default()
    })?;
    let voice = format!(
        "<Response><Dial action=\"/dialed\"><Sip url=\"/whisper\">{}</Sip></Dial></Response>",
        callee.uri()
    );
    let whisper = "<Response><Say>You have a call.</Say></Response>".to_owned();
    let (_docs, hook, node) = dial_app(
        &[
            ("voice", voice),
            ("whisper", whisper),
            ("dialed", AFTER.into()),
        ],
        "",
    )?;
    let caller = Phone::call(
        &node.sip_uri(NUMBER),
        "",
        None,
        &PhoneOptions {
            tone: Some(600.0),
            hangup_after: Some(Duration::from_secs(7)),
            ..Default::default()
        },
    )?;
    let callee = callee.wait()?;
    assert!(
        caller.completed() && callee.completed(),
        "{caller:?} {callee:?}"
    );
    // The whisper request is the callee leg's, with its own CallSid.
    let w = one_request(&hook, "/whisper")?;
    let dialed = one_request(&hook, "/dialed")?;
    assert_eq!(w.param("CallSid"), dialed.param("DialCallSid"), "{w:?}");
    assert_eq!(w.param("Direction"), Some("outbound-dial"), "{w:?}");
    assert_eq!(dialed.param("DialBridged"), Some("true"), "{dialed:?}");
    // First the speech (loud, not the caller's tone), then the caller's tone.
    let (tone, _) = heard(&callee_wav, 600.0, 1000.0, 0.2, 1.0)?;
    assert!(
        tone.rms > 300.0 && tone.share < 0.3,
        "no whisper speech first: {tone:?}"
    );
    let (tone, _) = heard(&callee_wav, 600.0, 1000.0, 4.0, 5.5)?;
    assert!(
        tone.share > 0.8,
        "the caller was not bridged after the whisper: {tone:?}"
    );
    Ok(())
}

/// Acceptance 4: a whisper that hangs up leaves the caller unbridged, and its document
/// goes on with `DialCallStatus=completed`, `DialBridged=false`.
#[test]
fn a_whisper_that_hangs_up_leaves_the_caller_unbridged() -> Result<()> {
    let callee = Sipp::uas("uas_answer_after.xml", &[])?;
    let voice = format!(
        "<Response><Dial action=\"/dialed\"><Sip url=\"/whisper\">sip:bob@{}</Sip></Dial></Response>",
        callee.addr()
    );
    let whisper = "<Response><Say>Not now.</Say><Hangup/></Response>".to_owned();
    let (_docs, hook, node) = dial_app(
        &[
            ("voice", voice),
            ("whisper", whisper),
            ("dialed", AFTER.into()),
        ],
        "",
    )?;
    let out = call(&node, "uac_wait_bye.xml", &[])?;
    assert!(out.success(), "caller: {out}");
    let c = callee.wait()?;
    assert_eq!(c.received("BYE"), 1, "the callee was not hung up: {c}");
    let dialed = one_request(&hook, "/dialed")?;
    assert_dialed(&dialed, "completed", false);
    Ok(())
}

/// Acceptance 4: with `answerOnBridge` the caller hears ringing (180) and is answered
/// only when the callee answers (here 2 s later).
#[test]
fn answer_on_bridge_answers_the_caller_only_when_the_callee_answers() -> Result<()> {
    let callee = Sipp::uas("uas_answer_after.xml", &["-d", "2000"])?;
    let voice = format!(
        "<Response><Dial answerOnBridge=\"true\" timeLimit=\"1\" action=\"/dialed\">\
         <Sip>sip:bob@{}</Sip></Dial></Response>",
        callee.addr()
    );
    let (_docs, hook, node) = dial_app(&[("voice", voice), ("dialed", AFTER.into())], "")?;
    let mut events = super::events::open_sse(&node, ACCOUNT_SID, "?types=call.*")?;
    let out = SippCommand::new("uac_wait_bye.xml")?
        .target(&node.sip_target())
        .args(&["-m", "1", "-s", NUMBER])
        .trace_messages()
        .run()?;
    assert!(out.success(), "caller: {out}");
    let responses: Vec<u16> = out
        .messages()
        .iter()
        .filter(|m| m.received)
        .filter_map(|m| m.status())
        .collect();
    let ringing = responses.iter().position(|s| *s == 180).context("no 180")?;
    let ok = responses.iter().position(|s| *s == 200).context("no 200")?;
    assert!(ringing < ok, "{responses:?}");
    let dialed = one_request(&hook, "/dialed")?;
    let caller_sid = dialed.param("CallSid").context("CallSid")?.to_owned();
    let child_sid = dialed
        .param("DialCallSid")
        .context("DialCallSid")?
        .to_owned();
    let seen = events.until(Duration::from_secs(10), |e| {
        e.event == "call.answered" && e.data.contains(&caller_sid)
    });
    let answered: Vec<String> = seen
        .iter()
        .filter(|e| e.event == "call.answered")
        .map(|e| e.json()["call_sid"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        answered,
        [child_sid.clone(), caller_sid.clone()],
        "the caller was answered first"
    );
    let at = |kind: &str| -> Result<f64> {
        let e = seen
            .iter()
            .map(|e| e.json())
            .find(|e| e["type"] == kind && e["call_sid"] == caller_sid.as_str())
            .with_context(|| format!("no {kind} of the caller"))?;
        Ok(e["timestamp"].as_f64().context("timestamp")? / 1000.0)
    };
    let waited = at("call.answered")? - at("call.initiated")?;
    assert!(
        waited >= 1.8,
        "the caller was answered {waited:.2} s after its INVITE"
    );
    Ok(())
}

/// Acceptance 5: `hangupOnStar`. The caller presses `*` (RFC 4733): the callee's leg gets
/// BYE and the caller hears the verb after `<Dial>`, then its hang-up.
#[test]
fn hangup_on_star_ends_the_callee_and_the_caller_goes_on() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let caller_wav = dir.path().join("caller.wav");
    let callee = Phone::listen(&CalleeOptions {
        tone: Some(1000.0),
        codecs: vec!["PCMU".into()],
        ..Default::default()
    })?;
    let voice = format!(
        "<Response><Dial hangupOnStar=\"true\"><Sip>{}</Sip></Dial>\
         <Say>The other party has left. Goodbye.</Say><Hangup/></Response>",
        callee.uri()
    );
    let (_docs, _hook, node) = dial_app(&[("voice", voice)], "")?;
    let caller = Phone::call(
        &node.sip_uri(NUMBER),
        "*",
        Some(&caller_wav),
        &PhoneOptions {
            dtmf_after: Duration::from_secs(3),
            codecs: vec!["PCMU".into()],
            ..Default::default()
        },
    )?;
    let callee = callee.wait()?;
    let callee_s = callee.summary.context("callee summary")?;
    assert_eq!(callee_s.hung_up_by, Some(HangUp::Remote), "{callee_s:?}");
    // The node, not the caller, ended the caller's call: after the Say.
    assert!(caller.success(), "caller: {caller:?}");
    let (before, _) = heard(&caller_wav, 1000.0, 600.0, 1.0, 2.8)?;
    assert!(
        before.share > 0.8,
        "not bridged before the star: {before:?}"
    );
    let (after, _) = heard(&caller_wav, 1000.0, 600.0, 4.0, 5.5)?;
    assert!(
        after.rms > 300.0 && after.share < 0.3,
        "the Say after <Dial> was not heard: {after:?}"
    );
    Ok(())
}

/// Acceptance 6: 10 % of the SIP messages each phone receives are lost (sipp `-lost`),
/// on both legs: retransmissions (RFC 3261 §17) still carry the bridged call through.
#[test]
fn a_bridged_call_completes_with_ten_percent_sip_loss_on_both_legs() -> Result<()> {
    // Five calls, so that some messages are lost in every run (sipp's stats say which).
    let callee = Sipp::uas("uas_answer_after.xml", &["-lost", "10", "-m", "5"])?;
    let voice = format!(
        "<Response><Dial action=\"/dialed\" timeLimit=\"2\"><Sip>sip:bob@{}</Sip></Dial></Response>",
        callee.addr()
    );
    let (_docs, hook, node) = dial_app(&[("voice", voice), ("dialed", AFTER.into())], "")?;
    let out = call(
        &node,
        "uac_wait_bye.xml",
        &["-lost", "10", "-m", "5", "-r", "2"],
    )?;
    assert!(out.success(), "caller: {out}");
    let c = callee.wait()?;
    assert!(c.success(), "callee: {c}");
    assert_eq!(out.successful_calls(), Some(5), "caller: {out}");
    let dialed = hook.requests_to("/dialed")?;
    assert_eq!(dialed.len(), 5, "{dialed:?}");
    for d in &dialed {
        assert_dialed(d, "completed", true);
    }
    Ok(())
}

/// While the callee rings, the answered caller hears the ringback of `ringTone` (here
/// Germany's 425 Hz, 1 s on, 4 s off), and it stops at the bridge.
#[test]
fn the_caller_hears_ringback_while_the_callee_rings() -> Result<()> {
    let callee = Sipp::uas("uas_answer_after.xml", &["-d", "3000"])?;
    let voice = format!(
        "<Response><Dial ringTone=\"de\" timeLimit=\"2\" action=\"/dialed\">\
         <Sip>sip:bob@{}</Sip></Dial></Response>",
        callee.addr()
    );
    let (_docs, _hook, node) = dial_app(&[("voice", voice), ("dialed", AFTER.into())], "")?;
    let (out, packets) = call_with_capture(&node, "uac_wait_bye.xml", &[])?;
    assert!(out.success(), "caller: {out}");
    let start = packets.first().context("no RTP")?.time;
    let window = |from: f64, to: f64| {
        let chosen: Vec<_> = packets
            .iter()
            .filter(|p| (from..to).contains(&(p.time - start)))
            .cloned()
            .collect();
        super::decode(&chosen)
    };
    let ringing = window(0.1, 0.9);
    assert!(
        switchyard_e2e::audio::tone_share(&ringing, 8000, 425.0) > 0.8,
        "no 425 Hz ringback in the first second"
    );
    let pause = window(1.2, 2.8);
    assert!(
        switchyard_e2e::audio::rms(&pause) < 100.0,
        "the German cadence is silent after 1 s of tone"
    );
    // The callee answers at 3 s and sends nothing: the bridge is silent, no ringback.
    let bridged = window(3.5, 4.8);
    assert!(
        switchyard_e2e::audio::rms(&bridged) < 100.0,
        "ringback went on after the bridge"
    );
    Ok(())
}

/// Hold on either leg is honoured and passed on: the caller's re-INVITE with
/// `a=sendonly` (then `a=sendrecv`) reaches the callee as the node's own re-INVITE.
#[test]
fn the_callers_hold_and_unhold_are_passed_on_to_the_callee() -> Result<()> {
    let callee = Sipp::uas("uas_hold_watch.xml", &[])?;
    let voice = format!(
        "<Response><Dial action=\"/dialed\"><Sip>sip:bob@{}</Sip></Dial></Response>",
        callee.addr()
    );
    let (_docs, hook, node) = dial_app(&[("voice", voice), ("dialed", AFTER.into())], "")?;
    // The caller holds 2.5 s after the answer, resumes 2.5 s later, hangs up after 2.5 s.
    let out = call(&node, "uac_hold.xml", &[])?;
    assert!(out.success(), "caller: {out}");
    let c = callee.wait()?;
    assert!(c.success(), "callee: {c}");
    let invites = c.received_requests("INVITE");
    assert_eq!(invites.len(), 3, "{c}");
    assert!(
        invites[1].text.contains("a=sendonly"),
        "{}",
        invites[1].text
    );
    assert!(
        invites[2].text.contains("a=sendrecv"),
        "{}",
        invites[2].text
    );
    assert_dialed(&one_request(&hook, "/dialed")?, "completed", true);
    Ok(())
}

/// Acceptance 4, early media: with `answerOnBridge`, a callee answering 183 with SDP
/// and streaming its own audio before the answer is heard by the unanswered caller
/// (183 with our SDP, then that audio), and the caller's 200 comes only with the
/// callee's.
#[test]
fn answer_on_bridge_passes_the_callees_early_media_to_the_caller() -> Result<()> {
    // 3 s of early speech, then 200, then the callee hangs up at once.
    let callee = Sipp::uas("uas_early_media.xml", &["-d", "3000"])?;
    let voice = format!(
        "<Response><Dial answerOnBridge=\"true\" action=\"/dialed\">\
         <Sip>sip:bob@{}</Sip></Dial></Response>",
        callee.addr()
    );
    let (_docs, hook, node) = dial_app(&[("voice", voice), ("dialed", AFTER.into())], "")?;
    let cmd = SippCommand::new("uac_wait_bye.xml")?
        .target(&node.sip_target())
        .args(&["-m", "1", "-s", NUMBER])
        .trace_messages();
    let cap = switchyard_e2e::Capture::start(cmd.media_port())?;
    let out = cmd.run()?;
    std::thread::sleep(Duration::from_millis(200));
    let packets = cap.stop()?;
    assert!(out.success(), "caller: {out}");
    let statuses: Vec<u16> = out
        .messages()
        .iter()
        .filter(|m| m.received)
        .filter_map(|m| m.status())
        .collect();
    let progress = statuses.iter().position(|s| *s == 183).context("no 183")?;
    let ok = statuses.iter().position(|s| *s == 200).context("no 200")?;
    assert!(progress < ok, "{statuses:?}");
    // The callee's 30 ms speech packets came through while it was not answered: after
    // its 200 it hangs up at once, so nearly all of them are early media.
    let relayed: Vec<_> = packets
        .iter()
        .filter(|p| p.payload.len() == 240)
        .cloned()
        .collect();
    let audible = audible_packets(&relayed);
    assert!(
        audible > 50,
        "{audible} audible early-media packets of {}",
        relayed.len()
    );
    assert_dialed(&one_request(&hook, "/dialed")?, "completed", true);
    Ok(())
}
