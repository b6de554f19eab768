//! Whole-call recordings in virtual time: `<Dial record>`, and recordings started,
//! paused, resumed and stopped on a live call; the call's media stays until each one
//! is finished.

use std::time::{Duration, Instant};

use switchyard_call::{
    Action, CallRecordSpec, Document, Executor, FetchRequest, LegId, MediaToken, Recorded,
    RecordingCallback, RecordingId,
};
use switchyard_instructions::{
    Dial, DialRecord, DialTarget, HttpMethod, RecordingEvent, Say, Sip, Verb,
};
use switchyard_types::{CallSid, CallStatus, RecordingSource, RecordingTrack, RecordingUpdate};

const URL: &str = "http://127.0.0.1:9000/voice";

fn work(exec: &mut Executor) -> Vec<Action> {
    std::iter::from_fn(|| exec.poll_action())
        .filter(|a| !matches!(a, Action::Event { .. }))
        .collect()
}

fn running(now: Instant, verbs: Vec<Verb>) -> (Executor, Vec<Action>) {
    let mut exec = Executor::new(URL, HttpMethod::Post);
    exec.start(now);
    let _ = work(&mut exec);
    exec.document(now, Ok(Document::Verbs(verbs)));
    let acts = work(&mut exec);
    (exec, acts)
}

fn recorded_dial(record: DialRecord) -> Verb {
    Verb::Dial(Dial {
        targets: vec![DialTarget::Sip(Sip::new("sip:a@127.0.0.1:5071"))],
        action: Some("/dialed".into()),
        record,
        recording_status_callback: Some("/rec-status".into()),
        recording_status_callback_event: vec![
            RecordingEvent::InProgress,
            RecordingEvent::Completed,
        ],
        ..Dial::default()
    })
}

/// The recording an [`Action::RecordCall`] in `acts` asks for.
fn record_call(acts: &[Action]) -> Option<(MediaToken, CallRecordSpec)> {
    acts.iter().find_map(|a| match a {
        Action::RecordCall { token, spec } => Some((*token, spec.clone())),
        _ => None,
    })
}

fn id(n: u32) -> RecordingId {
    RecordingId {
        sid: format!("RE{n:032x}"),
        url: format!("http://node/2010-04-01/Accounts/AC1/Recordings/RE{n:032x}"),
    }
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn callbacks(acts: &[Action]) -> Vec<Vec<(String, String)>> {
    acts.iter()
        .filter_map(|a| match a {
            Action::Callback { url, params, .. } if url.ends_with("/rec-status") => {
                Some(params.clone())
            }
            _ => None,
        })
        .collect()
}

fn fetched(acts: &[Action]) -> &FetchRequest {
    acts.iter()
        .find_map(|a| match a {
            Action::Fetch(f) => Some(f),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no fetch in {acts:?}"))
}

#[test]
fn record_from_answer_dual_records_from_the_bridge_to_the_end_of_the_dial() {
    let t0 = Instant::now();
    let (mut exec, acts) = running(t0, vec![recorded_dial(DialRecord::RecordFromAnswerDual)]);
    // Nothing is recorded while the party rings.
    assert!(record_call(&acts).is_none(), "{acts:?}");
    let sid = CallSid::random();
    exec.leg_ringing(LegId(0), sid);
    let t1 = t0 + Duration::from_secs(3);
    exec.leg_answered(t1, LegId(0), sid);
    let acts = work(&mut exec);
    let (token, spec) = record_call(&acts).expect("recording at the answer");
    assert_eq!(
        spec,
        CallRecordSpec {
            channels: 2,
            track: RecordingTrack::Both,
            trim_silence: false,
            source: RecordingSource::DialVerb,
            sid: None,
        }
    );
    // The recording runs before the bridge is made, so the bridge is recorded whole.
    let record_at = acts
        .iter()
        .position(|a| matches!(a, Action::RecordCall { .. }));
    let bridge_at = acts.iter().position(|a| *a == Action::Bridge(LegId(0)));
    assert!(record_at < bridge_at, "{acts:?}");
    exec.record_started(token, id(1));
    let cbs = callbacks(&work(&mut exec));
    assert_eq!(cbs.len(), 1);
    assert_eq!(param(&cbs[0], "RecordingStatus"), Some("in-progress"));
    assert_eq!(param(&cbs[0], "RecordingChannels"), Some("2"));
    assert_eq!(param(&cbs[0], "RecordingSource"), Some("DialVerb"));
    // The party hangs up 12 s later: the recording stops and `action` says where it is.
    let t2 = t1 + Duration::from_secs(12);
    exec.leg_ended(t2, LegId(0), sid, CallStatus::Completed);
    let acts = work(&mut exec);
    assert!(acts.contains(&Action::StopRecording(token)), "{acts:?}");
    let f = fetched(&acts);
    assert_eq!(param(&f.params, "RecordingSid"), Some(id(1).sid.as_str()));
    assert_eq!(param(&f.params, "RecordingUrl"), Some(id(1).url.as_str()));
    assert_eq!(param(&f.params, "RecordingDuration"), Some("12"));
    // Until the media reports the recording finished, the call's media must stay.
    assert!(exec.finishing_recording());
    exec.record_done(
        t2,
        token,
        Recorded {
            duration_secs: 12,
            voiced: true,
        },
    );
    let cbs = callbacks(&work(&mut exec));
    assert_eq!(param(&cbs[0], "RecordingStatus"), Some("completed"));
    assert_eq!(param(&cbs[0], "RecordingDuration"), Some("12"));
    assert!(!exec.finishing_recording());
}

#[test]
fn record_from_ringing_starts_with_the_ringing_and_a_dial_nobody_answers_still_reports_it() {
    let t0 = Instant::now();
    let (mut exec, acts) = running(t0, vec![recorded_dial(DialRecord::RecordFromRinging)]);
    let (token, spec) = record_call(&acts).expect("recording while it rings");
    assert_eq!(spec.channels, 1);
    exec.record_started(token, id(2));
    let _ = work(&mut exec);
    // Nobody answers within the default 30 s.
    let t1 = t0 + Duration::from_secs(30);
    exec.timeout(t1);
    let acts = work(&mut exec);
    assert!(acts.contains(&Action::StopRecording(token)), "{acts:?}");
    let f = fetched(&acts);
    assert_eq!(param(&f.params, "DialCallStatus"), Some("no-answer"));
    assert_eq!(param(&f.params, "RecordingDuration"), Some("30"));
}

#[test]
fn without_record_a_dial_records_nothing_and_its_action_names_no_recording() {
    let t0 = Instant::now();
    let (mut exec, _) = running(t0, vec![recorded_dial(DialRecord::DoNotRecord)]);
    let sid = CallSid::random();
    exec.leg_answered(t0, LegId(0), sid);
    assert!(record_call(&work(&mut exec)).is_none());
    exec.leg_ended(
        t0 + Duration::from_secs(2),
        LegId(0),
        sid,
        CallStatus::Completed,
    );
    let acts = work(&mut exec);
    assert_eq!(param(&fetched(&acts).params, "RecordingSid"), None);
    assert!(!acts.iter().any(|a| matches!(a, Action::StopRecording(_))));
}

fn api_spec() -> CallRecordSpec {
    CallRecordSpec {
        channels: 1,
        track: RecordingTrack::Both,
        trim_silence: false,
        source: RecordingSource::StartCallRecordingApi,
        sid: Some(id(3).sid),
    }
}

#[test]
fn a_live_recording_is_paused_resumed_and_stopped_by_its_sid() {
    let t0 = Instant::now();
    let (mut exec, _) = running(t0, vec![Verb::Say(Say::new("hello"))]);
    let callback = RecordingCallback {
        url: "/rec-status".into(),
        method: HttpMethod::Post,
        events: vec![RecordingEvent::Completed, RecordingEvent::Absent],
    };
    let token = exec.start_call_recording(t0, api_spec(), Some(callback));
    assert_eq!(record_call(&work(&mut exec)).map(|r| r.0), Some(token));
    exec.record_started(token, id(3));
    // `in-progress` was not asked for.
    assert!(callbacks(&work(&mut exec)).is_empty());
    let sid = id(3).sid;
    exec.update_call_recording(&sid, RecordingUpdate::Pause { skip: true })
        .unwrap();
    assert_eq!(
        work(&mut exec),
        vec![Action::PauseRecording { token, skip: true }]
    );
    exec.update_call_recording(&sid, RecordingUpdate::Resume)
        .unwrap();
    assert_eq!(work(&mut exec), vec![Action::ResumeRecording(token)]);
    let err = exec
        .update_call_recording("RE00000000000000000000000000000009", RecordingUpdate::Stop)
        .unwrap_err();
    assert!(err
        .to_string()
        .contains("RE00000000000000000000000000000009"));
    assert!(work(&mut exec).is_empty());
    exec.update_call_recording(&sid, RecordingUpdate::Stop)
        .unwrap();
    assert_eq!(work(&mut exec), vec![Action::StopRecording(token)]);
    // Only silence was heard: `absent`.
    exec.record_done(
        t0,
        token,
        Recorded {
            duration_secs: 0,
            voiced: false,
        },
    );
    let cbs = callbacks(&work(&mut exec));
    assert_eq!(param(&cbs[0], "RecordingStatus"), Some("absent"));
    assert_eq!(
        param(&cbs[0], "RecordingSource"),
        Some("StartCallRecordingAPI")
    );
    // A finished recording is no longer the call's.
    assert!(exec
        .update_call_recording(&sid, RecordingUpdate::Stop)
        .is_err());
}

#[test]
fn the_caller_hanging_up_stops_call_recordings_and_the_media_waits_for_them() {
    let t0 = Instant::now();
    let (mut exec, _) = running(t0, vec![Verb::Say(Say::new("hello"))]);
    let token = exec.start_call_recording(t0, api_spec(), None);
    exec.record_started(token, id(3));
    let _ = work(&mut exec);
    exec.hangup(t0 + Duration::from_secs(5));
    assert!(work(&mut exec).contains(&Action::StopRecording(token)));
    assert!(exec.finishing_recording());
    exec.record_done(
        t0,
        token,
        Recorded {
            duration_secs: 5,
            voiced: true,
        },
    );
    assert!(!exec.finishing_recording());
    assert!(exec.is_done());
}

#[test]
fn a_document_that_hangs_up_stops_the_call_recordings() {
    let t0 = Instant::now();
    let (mut exec, _) = running(t0, vec![Verb::Say(Say::new("hello"))]);
    let token = exec.start_call_recording(t0, api_spec(), None);
    let _ = work(&mut exec);
    // The Say ends and the document with it: Twilio hangs up.
    let say = MediaToken(token.0 - 1);
    exec.media_done(t0 + Duration::from_secs(2), say);
    let acts = work(&mut exec);
    let stop = acts.iter().position(|a| *a == Action::StopRecording(token));
    let hangup = acts.iter().position(|a| *a == Action::Hangup);
    assert!(stop.is_some() && stop < hangup, "{acts:?}");
    assert!(exec.finishing_recording());
}
