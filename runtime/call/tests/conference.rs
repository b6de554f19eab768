//! `<Dial><Conference>` in virtual time: the executor joins the room, waits with music,
//! hears the room once it starts, and tells `action` when it leaves.

use std::time::{Duration, Instant};

use switchyard_call::conference::Notice;
use switchyard_call::{Action, Document, Executor, FetchRequest, MediaSource};
use switchyard_instructions::{parse_twiml, HttpMethod};

const URL: &str = "http://127.0.0.1:9000/voice";

fn work(exec: &mut Executor) -> Vec<Action> {
    std::iter::from_fn(|| exec.poll_action())
        .filter(|a| !matches!(a, Action::Event { .. }))
        .collect()
}

fn running(now: Instant, twiml: &str) -> (Executor, Vec<Action>) {
    let mut exec = Executor::new(URL, HttpMethod::Post);
    exec.start(now);
    let _ = work(&mut exec);
    let verbs = parse_twiml(twiml).expect("valid TwiML");
    exec.document(now, Ok(Document::Verbs(verbs)));
    let acts = work(&mut exec);
    (exec, acts)
}

fn fetched(acts: &[Action]) -> &FetchRequest {
    acts.iter()
        .find_map(|a| match a {
            Action::Fetch(f) => Some(f),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no fetch in {acts:?}"))
}

fn param<'a>(f: &'a FetchRequest, name: &str) -> Option<&'a str> {
    f.params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn played(acts: &[Action]) -> Option<&MediaSource> {
    acts.iter().find_map(|a| match a {
        Action::Play { source, .. } => Some(source),
        _ => None,
    })
}

#[test]
fn a_participant_waits_with_music_then_hears_the_room_then_action_is_told() {
    let t0 = Instant::now();
    let (mut exec, acts) = running(
        t0,
        r#"<Response><Dial action="/after"><Conference startConferenceOnEnter="false"
            statusCallback="/conf" statusCallbackEvent="join leave" muted="true"
            maxParticipants="10">standup</Conference></Dial></Response>"#,
    );
    let join = acts
        .iter()
        .find_map(|a| match a {
            Action::JoinConference(j) => Some(j),
            _ => None,
        })
        .expect("a join");
    assert_eq!(join.name, "standup");
    assert!(join.muted && !join.start_on_enter && !join.end_on_exit);
    assert_eq!(join.max_participants, 10);
    let cb = join.callbacks.as_ref().expect("the room's callback");
    assert_eq!(cb.url, "http://127.0.0.1:9000/conf");
    assert_eq!(cb.events.len(), 2);
    assert!(acts.contains(&Action::Answer), "{acts:?}");

    exec.conference_joined(t0, Ok("CF00000000000000000000000000000001".into()));
    let acts = work(&mut exec);
    assert_eq!(played(&acts), Some(&MediaSource::WaitMusic), "{acts:?}");

    exec.conference_notice(t0, Notice::Started);
    assert_eq!(
        work(&mut exec),
        vec![Action::StopMedia, Action::ConferenceMedia(true)]
    );

    exec.conference_notice(t0 + Duration::from_secs(42), Notice::Left);
    let acts = work(&mut exec);
    assert!(acts.contains(&Action::ConferenceMedia(false)));
    let f = fetched(&acts);
    assert_eq!(f.url, "http://127.0.0.1:9000/after");
    assert_eq!(param(f, "DialCallStatus"), Some("completed"));
    assert_eq!(param(f, "DialCallDuration"), Some("42"));
    assert_eq!(
        param(f, "ConferenceSid"),
        Some("CF00000000000000000000000000000001")
    );
}

#[test]
fn a_full_room_ends_the_dial_with_a_notification() {
    let t0 = Instant::now();
    let (mut exec, _) = running(
        t0,
        "<Response><Dial><Conference>full</Conference></Dial><Say>next</Say></Response>",
    );
    exec.conference_joined(t0, Err(switchyard_call::Error::ConferenceFull(2)));
    let acts = work(&mut exec);
    assert!(
        acts.iter()
            .any(|a| matches!(a, Action::Notify(f) if f.message.contains("full"))),
        "{acts:?}"
    );
    assert!(
        matches!(played(&acts), Some(MediaSource::Speech { text, .. }) if text == "next"),
        "the document goes on: {acts:?}"
    );
}

#[test]
fn hangup_on_star_and_a_hangup_leave_the_room() {
    let t0 = Instant::now();
    let (mut exec, _) = running(
        t0,
        r#"<Response><Dial hangupOnStar="true" action="/a"><Conference>r</Conference></Dial></Response>"#,
    );
    exec.conference_joined(t0, Ok("CF1".into()));
    exec.conference_notice(t0, Notice::Started);
    let _ = work(&mut exec);
    exec.digit(t0, '1');
    assert!(work(&mut exec).is_empty());
    exec.digit(t0, '*');
    let acts = work(&mut exec);
    assert!(acts.contains(&Action::LeaveConference), "{acts:?}");
    assert_eq!(fetched(&acts).url, "http://127.0.0.1:9000/a");

    let (mut exec, _) = running(
        t0,
        r#"<Response><Dial action="/a"><Conference>r</Conference></Dial></Response>"#,
    );
    exec.conference_joined(t0, Ok("CF1".into()));
    let _ = work(&mut exec);
    exec.hangup(t0);
    let acts = work(&mut exec);
    assert!(acts.contains(&Action::LeaveConference), "{acts:?}");
    assert_eq!(param(fetched(&acts), "DialCallStatus"), Some("completed"));
}

#[test]
fn hold_plays_the_hold_music_and_unhold_returns_to_the_room() {
    let t0 = Instant::now();
    let (mut exec, _) = running(
        t0,
        "<Response><Dial><Conference>r</Conference></Dial></Response>",
    );
    exec.conference_joined(t0, Ok("CF1".into()));
    exec.conference_notice(t0, Notice::Started);
    let _ = work(&mut exec);
    exec.conference_notice(t0, Notice::Hold(None));
    let acts = work(&mut exec);
    assert_eq!(acts[0], Action::ConferenceMedia(false));
    assert_eq!(played(&acts), Some(&MediaSource::WaitMusic), "{acts:?}");
    exec.conference_notice(t0, Notice::Unhold);
    assert_eq!(
        work(&mut exec),
        vec![Action::StopMedia, Action::ConferenceMedia(true)]
    );
}
