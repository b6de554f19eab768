//! `<Record>`: record the caller, then tell `action` where the recording is.
//!
//! Twilio's rules, each enforced below: a beep first unless `playBeep="false"`; the
//! recording ends on a `finishOnKey` key (other keys are just sound), after `timeout`
//! seconds of silence (0: never), at `maxLength`, or when the caller hangs up; then
//! `action` (default: the current document) gets `RecordingUrl`, `RecordingDuration`,
//! `RecordingSid` and `Digits` (the key, or `hangup`). "If Twilio receives an empty
//! recording, it will not make a request to the action URL": the call goes on with
//! the next verb. Silence and length are measured by the media on the audio itself
//! ([`Action::Record`]); the executor only decides what each ending means.

use switchyard_instructions::{HttpMethod, Record, Trim};

use crate::events::EventKind;
use switchyard_types::{RecordingSource, RecordingTrack};

use crate::executor::recordings::{self, CallRecordSpec, RecordingCallback};
use crate::executor::{Action, Executor, MediaSource, MediaToken, Step};

/// What the media records for an [`Action::Record`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSpec {
    /// `maxLength`, in milliseconds of audio.
    pub max_length_ms: u64,
    /// `timeout`: milliseconds without voice that end it; `None` for `timeout="0"`.
    pub silence_ms: Option<u64>,
    /// `trim="trim-silence"`.
    pub trim_silence: bool,
}

/// A recording as the node started it ([`Executor::record_started`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordingId {
    /// The recording's `RE…` sid.
    pub sid: String,
    /// Where the REST API serves it (`RecordingUrl`).
    pub url: String,
}

/// A recording the media finished, as [`Executor::record_done`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// Whole seconds of audio (`RecordingDuration`).
    pub duration_secs: u64,
    /// False when nothing but silence was heard: Twilio's `absent`.
    pub voiced: bool,
}

#[derive(Debug)]
pub(crate) struct RecordState {
    spec: Record,
    phase: Phase,
    /// Named by the node once it started.
    id: RecordingId,
    /// The key that ended it, or `hangup`.
    ended_by: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Beeping(MediaToken),
    Recording(MediaToken),
    /// Asked the media to stop; waiting for [`Executor::record_done`].
    Stopping(MediaToken),
}

pub(super) fn start(exec: &mut Executor, spec: Record) {
    let phase = if spec.play_beep {
        Phase::Beeping(exec.play(MediaSource::Beep, 1))
    } else {
        Phase::Recording(begin(exec, &spec))
    };
    exec.step = Step::Record(Box::new(RecordState {
        spec,
        phase,
        id: RecordingId::default(),
        ended_by: None,
    }));
}

fn begin(exec: &mut Executor, spec: &Record) -> MediaToken {
    let token = exec.token();
    exec.push(Action::Record {
        token,
        spec: RecordSpec {
            max_length_ms: u64::from(spec.max_length) * 1000,
            silence_ms: (spec.timeout > 0).then(|| u64::from(spec.timeout) * 1000),
            trim_silence: spec.trim == Trim::TrimSilence,
        },
    });
    token
}

fn state(exec: &mut Executor) -> Option<&mut RecordState> {
    match &mut exec.step {
        Step::Record(r) => Some(r),
        _ => None,
    }
}

pub(crate) fn owns(r: &RecordState, token: MediaToken) -> bool {
    matches!(r.phase, Phase::Beeping(t) if t == token)
}

impl RecordState {
    /// The running recording's token, once it records.
    pub(crate) fn token(&self) -> Option<MediaToken> {
        match self.phase {
            Phase::Recording(t) | Phase::Stopping(t) => Some(t),
            Phase::Beeping(_) => None,
        }
    }

    /// The recording with `token`, while it runs.
    pub(crate) fn recording(&self, token: MediaToken) -> Option<&RecordingId> {
        (self.token() == Some(token)).then_some(&self.id)
    }
}

/// The beep is over: record.
pub(crate) fn media_done(exec: &mut Executor, token: MediaToken) {
    let Some(r) = state(exec) else { return };
    if !owns(r, token) {
        return;
    }
    let spec = r.spec.clone();
    let token = begin(exec, &spec);
    if let Some(r) = state(exec) {
        r.phase = Phase::Recording(token);
    }
}

/// A `finishOnKey` key ends the recording (during the beep: before it starts).
pub(crate) fn digit(exec: &mut Executor, digit: char) {
    let Some(r) = state(exec) else { return };
    if !r.spec.finish_on_key.contains(digit) || r.ended_by.is_some() {
        return;
    }
    r.ended_by = Some(digit.to_string());
    stop(exec);
}

/// The caller hung up: what was recorded still goes to `action`, with `Digits=hangup`.
/// Returns whether the executor must wait for [`Executor::record_done`].
pub(crate) fn caller_gone(exec: &mut Executor) -> bool {
    let Some(r) = state(exec) else { return false };
    if r.ended_by.is_none() {
        r.ended_by = Some("hangup".into());
    }
    match r.phase {
        Phase::Beeping(_) => false,
        _ => {
            stop(exec);
            true
        }
    }
}

fn stop(exec: &mut Executor) {
    let Some(r) = state(exec) else { return };
    match r.phase {
        Phase::Beeping(_) => {
            // Nothing recorded yet: an empty recording, so on to the next verb.
            exec.push(Action::StopMedia);
            exec.step = Step::Idle;
        }
        Phase::Recording(token) => {
            r.phase = Phase::Stopping(token);
            exec.push(Action::StopRecording(token));
        }
        Phase::Stopping(_) => {}
    }
}

/// The media finished the recording with this token (stopped, silent for `timeout`, at
/// `maxLength`, or the leg gone).
pub(crate) fn done(exec: &mut Executor, token: MediaToken, recorded: Recorded) -> Option<Outcome> {
    let r = state(exec)?;
    if !matches!(r.phase, Phase::Recording(t) | Phase::Stopping(t) if t == token) {
        return None;
    }
    let Step::Record(r) = std::mem::replace(&mut exec.step, Step::Idle) else {
        return None;
    };
    let RecordState {
        spec, ended_by, id, ..
    } = *r;
    status_callback(exec, &spec, &id, Some(&recorded));
    let mut data = vec![
        ("Verb".to_owned(), "Record".to_owned()),
        ("RecordingSid".to_owned(), id.sid.clone()),
        (
            "RecordingDuration".to_owned(),
            recorded.duration_secs.to_string(),
        ),
    ];
    if let Some(by) = &ended_by {
        data.push(("Digits".to_owned(), by.clone()));
    }
    exec.event(EventKind::VerbEnded, data);
    if !recorded.voiced {
        // "If Twilio receives an empty recording, it will not make a request to the
        // action URL."
        return Some(Outcome::Next);
    }
    let mut params = vec![
        ("RecordingUrl".to_owned(), id.url),
        (
            "RecordingDuration".to_owned(),
            recorded.duration_secs.to_string(),
        ),
        ("RecordingSid".to_owned(), id.sid),
    ];
    if let Some(by) = ended_by {
        params.push(("Digits".to_owned(), by));
    }
    let url = spec.action.unwrap_or_else(|| exec.document_url.clone());
    Some(Outcome::Fetch {
        url,
        method: spec.method,
        params,
    })
}

/// What the call does once a recording is done.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Nothing usable was recorded: the next verb.
    Next,
    /// Request `action`.
    Fetch {
        url: String,
        method: HttpMethod,
        params: Vec<(String, String)>,
    },
}

/// `recordingStatusCallback`, for the events asked (`completed` by default; `absent`
/// when nothing usable was recorded; `in-progress` when `recorded` is `None`).
fn status_callback(
    exec: &mut Executor,
    spec: &Record,
    id: &RecordingId,
    recorded: Option<&Recorded>,
) {
    let Some(url) = spec.recording_status_callback.clone() else {
        return;
    };
    let callback = RecordingCallback {
        url,
        method: spec.recording_status_callback_method,
        events: spec.recording_status_callback_event.clone(),
    };
    let recording = CallRecordSpec {
        channels: 1,
        track: RecordingTrack::Inbound,
        trim_silence: spec.trim == Trim::TrimSilence,
        source: RecordingSource::RecordVerb,
        sid: None,
    };
    recordings::status_callback(exec, &callback, &recording, id, recorded);
}

/// The node started the recording with `token` as `id`: `in-progress`, when asked for.
pub(crate) fn started(exec: &mut Executor, token: MediaToken, id: RecordingId) {
    let Some(r) = state(exec) else { return };
    if r.token() != Some(token) {
        return;
    }
    r.id = id.clone();
    let spec = r.spec.clone();
    status_callback(exec, &spec, &id, None);
}
