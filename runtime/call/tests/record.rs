//! `<Record>` in virtual time: the executor against a media that beeps, records and
//! finishes recordings, with no socket. Each test names the Twilio rule it checks.

use std::time::Instant;

use switchyard_call::{
    Action, Document, Executor, FetchRequest, MediaSource, MediaToken, RecordSpec, Recorded,
    RecordingId,
};
use switchyard_instructions::{HttpMethod, Record, RecordingEvent, Say, Trim, Verb};

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

fn voicemail() -> Record {
    Record {
        action: Some("/recorded".into()),
        max_length: 10,
        finish_on_key: "#".into(),
        timeout: 2,
        ..Record::default()
    }
}

const REC_URL: &str = "http://127.0.0.1:9000/2010-04-01/Accounts/AC1/Recordings/RE0123";

fn recorded(voiced: bool) -> Recorded {
    Recorded {
        duration_secs: 7,
        voiced,
    }
}

/// The node starts the recording the executor asked for, as RE0123.
fn started(exec: &mut Executor, token: MediaToken) {
    exec.record_started(
        token,
        RecordingId {
            sid: "RE0123".into(),
            url: REC_URL.into(),
        },
    );
}

fn beep(acts: &[Action]) -> MediaToken {
    acts.iter()
        .find_map(|a| match a {
            Action::Play {
                token,
                source: MediaSource::Beep,
                repeat: 1,
            } => Some(*token),
            _ => None,
        })
        .expect("a beep")
}

fn record_token(acts: &[Action]) -> (MediaToken, RecordSpec) {
    acts.iter()
        .find_map(|a| match a {
            Action::Record { token, spec } => Some((*token, spec.clone())),
            _ => None,
        })
        .expect("a Record action")
}

fn fetch(acts: &[Action]) -> &FetchRequest {
    acts.iter()
        .find_map(|a| match a {
            Action::Fetch(f) => Some(f),
            _ => None,
        })
        .expect("a fetch")
}

fn param<'a>(f: &'a FetchRequest, name: &str) -> Option<&'a str> {
    f.params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn the_call_is_answered_beeps_then_records_with_the_verbs_limits() {
    let t0 = Instant::now();
    let (mut exec, acts) = running(t0, vec![Verb::Record(voicemail())]);
    assert_eq!(acts[0], Action::Answer);
    let beep = beep(&acts);
    assert!(!acts.iter().any(|a| matches!(a, Action::Record { .. })));
    exec.media_done(t0, beep);
    let (_, spec) = record_token(&work(&mut exec));
    assert_eq!(
        spec,
        RecordSpec {
            max_length_ms: 10_000,
            silence_ms: Some(2_000),
            trim_silence: true,
        }
    );
}

#[test]
fn play_beep_false_records_at_once_and_timeout_zero_never_ends_on_silence() {
    let t0 = Instant::now();
    let (_, acts) = running(
        t0,
        vec![Verb::Record(Record {
            play_beep: false,
            timeout: 0,
            trim: Trim::DoNotTrim,
            ..Record::default()
        })],
    );
    assert!(!acts.iter().any(|a| matches!(a, Action::Play { .. })));
    let (_, spec) = record_token(&acts);
    assert_eq!(spec.silence_ms, None);
    assert!(!spec.trim_silence);
    // Twilio's default maxLength: an hour.
    assert_eq!(spec.max_length_ms, 3_600_000);
}

#[test]
fn a_finish_key_stops_it_and_action_gets_the_recording_and_the_key() {
    let t0 = Instant::now();
    let (mut exec, acts) = running(t0, vec![Verb::Record(voicemail())]);
    exec.media_done(t0, beep(&acts));
    let (token, _) = record_token(&work(&mut exec));
    started(&mut exec, token);
    assert_eq!(
        exec.recording(token).map(|r| r.sid.as_str()),
        Some("RE0123")
    );
    // Not a finish key: just sound in the recording.
    exec.digit(t0, '5');
    assert!(work(&mut exec).is_empty());
    exec.digit(t0, '#');
    assert_eq!(work(&mut exec), vec![Action::StopRecording(token)]);
    exec.record_done(t0, token, recorded(true));
    let acts = work(&mut exec);
    let f = fetch(&acts);
    assert_eq!(f.url, "http://127.0.0.1:9000/recorded");
    assert_eq!(param(f, "RecordingUrl"), Some(REC_URL));
    assert_eq!(param(f, "RecordingDuration"), Some("7"));
    assert_eq!(param(f, "RecordingSid"), Some("RE0123"));
    assert_eq!(param(f, "Digits"), Some("#"));
}

#[test]
fn ended_by_silence_without_action_requests_the_current_document_without_digits() {
    let t0 = Instant::now();
    let (mut exec, acts) = running(
        t0,
        vec![Verb::Record(Record {
            play_beep: false,
            ..Record::default()
        })],
    );
    let (token, _) = record_token(&acts);
    exec.record_done(t0, token, recorded(true));
    let acts = work(&mut exec);
    let f = fetch(&acts);
    assert_eq!(f.url, URL);
    assert_eq!(param(f, "Digits"), None);
}

#[test]
fn an_empty_recording_requests_nothing_and_the_next_verb_runs() {
    let t0 = Instant::now();
    let next = Verb::Say(Say {
        text: "I did not hear a message".into(),
        ..Say::default()
    });
    let (mut exec, acts) = running(
        t0,
        vec![
            Verb::Record(Record {
                play_beep: false,
                recording_status_callback: Some("/rec-status".into()),
                recording_status_callback_event: vec![RecordingEvent::Absent],
                ..Record::default()
            }),
            next,
        ],
    );
    let (token, _) = record_token(&acts);
    exec.record_done(t0, token, recorded(false));
    let acts = work(&mut exec);
    assert!(!acts.iter().any(|a| matches!(a, Action::Fetch(_))));
    assert!(acts.iter().any(|a| matches!(
        a,
        Action::Play { source: MediaSource::Speech { text, .. }, .. } if text == "I did not hear a message"
    )));
    // The absent event was asked for: the status callback says so.
    assert!(acts.iter().any(|a| matches!(
        a,
        Action::Callback { url, params, .. }
            if url == "http://127.0.0.1:9000/rec-status"
                && params.contains(&("RecordingStatus".into(), "absent".into()))
    )));
}

#[test]
fn the_caller_hanging_up_still_tells_action_with_digits_hangup_then_nothing_runs() {
    let t0 = Instant::now();
    let (mut exec, acts) = running(t0, vec![Verb::Record(voicemail()), Verb::Hangup]);
    exec.media_done(t0, beep(&acts));
    let (token, _) = record_token(&work(&mut exec));
    exec.hangup(t0);
    assert_eq!(work(&mut exec), vec![Action::StopRecording(token)]);
    assert!(!exec.is_done(), "waits for the recording to be finished");
    exec.record_done(t0, token, recorded(true));
    let acts = work(&mut exec);
    assert_eq!(param(fetch(&acts), "Digits"), Some("hangup"));
    assert!(exec.is_done());
    // What action answers is not executed.
    exec.document(
        t0,
        Ok(Document::Verbs(vec![Verb::Say(Say {
            text: "never".into(),
            ..Say::default()
        })])),
    );
    assert!(work(&mut exec).is_empty());
}

#[test]
fn hanging_up_during_the_beep_records_nothing_and_requests_nothing() {
    let t0 = Instant::now();
    let (mut exec, _) = running(t0, vec![Verb::Record(voicemail())]);
    exec.hangup(t0);
    assert!(exec.is_done());
    assert!(work(&mut exec)
        .iter()
        .all(|a| !matches!(a, Action::Fetch(_) | Action::Record { .. })));
}

#[test]
fn completed_and_in_progress_status_callbacks_carry_the_recording() {
    let t0 = Instant::now();
    let (mut exec, acts) = running(
        t0,
        vec![Verb::Record(Record {
            play_beep: false,
            recording_status_callback: Some("https://example.com/rs".into()),
            recording_status_callback_method: HttpMethod::Get,
            recording_status_callback_event: vec![
                RecordingEvent::InProgress,
                RecordingEvent::Completed,
            ],
            ..voicemail()
        })],
    );
    let (token, _) = record_token(&acts);
    started(&mut exec, token);
    let acts = work(&mut exec);
    assert!(matches!(
        &acts[..],
        [Action::Callback { url, method: HttpMethod::Get, params }]
            if url == "https://example.com/rs"
                && params.contains(&("RecordingStatus".into(), "in-progress".into()))
                && params.contains(&("RecordingSid".into(), "RE0123".into()))
    ));
    exec.record_done(t0, token, recorded(true));
    let acts = work(&mut exec);
    assert!(acts.iter().any(|a| matches!(
        a,
        Action::Callback { params, .. }
            if params.contains(&("RecordingStatus".into(), "completed".into()))
                && params.contains(&("RecordingDuration".into(), "7".into()))
    )));
}

#[test]
fn a_live_redirect_finishes_the_recording_without_requesting_action() {
    let t0 = Instant::now();
    let (mut exec, acts) = running(
        t0,
        vec![Verb::Record(Record {
            play_beep: false,
            ..voicemail()
        })],
    );
    let (token, _) = record_token(&acts);
    exec.redirect(t0, "/elsewhere".into(), HttpMethod::Post);
    let acts = work(&mut exec);
    assert!(acts.contains(&Action::StopRecording(token)));
    assert_eq!(fetch(&acts).url, "http://127.0.0.1:9000/elsewhere");
    exec.record_done(t0, token, recorded(true));
    assert!(work(&mut exec).is_empty());
}
