//! Whole-call recordings: `<Dial record>`, `Calls.create(Record=true)` and recordings
//! started, paused, resumed and stopped on a live call through the REST API.
//!
//! Unlike `<Record>` (a verb, whose recording is the step), a call recording outlives
//! verbs: it runs until it is stopped, its `<Dial>` ends, or the call does; the call's
//! media stays until the last one is finished ([`Executor::finishing_recording`]).
//! Twilio's `recordingStatusCallback` is told `in-progress`, `completed` or `absent` as
//! asked, with `RecordingSource` and `RecordingChannels`.

use std::time::Instant;

use switchyard_instructions::{HttpMethod, RecordingEvent};
use switchyard_types::{RecordingSource, RecordingTrack, RecordingUpdate};

use super::{Action, Executor, MediaToken, Recorded, RecordingId};
use crate::events::EventKind;

/// What the node records for an [`Action::RecordCall`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecordSpec {
    /// 1 (`mono`: both sides mixed) or 2 (`dual`: the caller first, the other side
    /// second).
    pub channels: u8,
    /// Which sides (`RecordingTrack`).
    pub track: RecordingTrack,
    /// `trim-silence`.
    pub trim_silence: bool,
    /// What asked for it (`RecordingSource`).
    pub source: RecordingSource,
    /// The sid the REST API already gave it (a recording started on a live call).
    pub sid: Option<String>,
}

/// Where a recording's status goes (`recordingStatusCallback…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingCallback {
    pub url: String,
    pub method: HttpMethod,
    /// `recordingStatusCallbackEvent` (Twilio's default: `completed`).
    pub events: Vec<RecordingEvent>,
}

/// The call has no unfinished recording with that sid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the call has no unfinished recording {0}")]
pub struct NoSuchRecording(pub String);

/// One call recording, from [`Action::RecordCall`] to [`Executor::record_done`].
#[derive(Debug)]
pub(crate) struct Running {
    token: MediaToken,
    spec: CallRecordSpec,
    callback: Option<RecordingCallback>,
    /// Named by the node once it started.
    id: RecordingId,
    started: Instant,
}

impl Executor {
    /// Record the whole call from now on; the node reports its start with
    /// [`Executor::record_started`] and its end with [`Executor::record_done`].
    pub fn start_call_recording(
        &mut self,
        now: Instant,
        spec: CallRecordSpec,
        callback: Option<RecordingCallback>,
    ) -> MediaToken {
        let token = self.token();
        self.push(Action::RecordCall {
            token,
            spec: spec.clone(),
        });
        self.call_recordings.push(Running {
            token,
            spec,
            callback,
            id: RecordingId::default(),
            started: now,
        });
        token
    }

    /// Pause, resume or stop the unfinished recording `sid` (the REST API's update).
    pub fn update_call_recording(
        &mut self,
        sid: &str,
        update: RecordingUpdate,
    ) -> Result<(), NoSuchRecording> {
        let r = self
            .call_recordings
            .iter()
            .find(|r| r.id.sid == sid)
            .ok_or_else(|| NoSuchRecording(sid.to_owned()))?;
        let token = r.token;
        let (action, event) = match update {
            RecordingUpdate::Pause { skip } => (Action::PauseRecording { token, skip }, "paused"),
            RecordingUpdate::Resume => (Action::ResumeRecording(token), "in-progress"),
            RecordingUpdate::Stop => (Action::StopRecording(token), "stopped"),
        };
        self.push(action);
        self.event(
            EventKind::RecordingUpdated,
            vec![
                ("RecordingSid".to_owned(), sid.to_owned()),
                ("RecordingStatus".to_owned(), event.to_owned()),
            ],
        );
        Ok(())
    }

    /// Stop the call recording `token` (its `<Dial>` ended).
    pub(crate) fn stop_call_recording(&mut self, token: MediaToken) {
        if self.call_recordings.iter().any(|r| r.token == token) {
            self.push(Action::StopRecording(token));
        }
    }

    /// Stop every call recording (the caller hung up): the media finishes them.
    pub(crate) fn stop_call_recordings(&mut self) {
        let tokens: Vec<MediaToken> = self.call_recordings.iter().map(|r| r.token).collect();
        for token in tokens {
            self.push(Action::StopRecording(token));
        }
    }

    /// The call recording `token`, once the node named it.
    pub(crate) fn call_recording(&self, token: MediaToken) -> Option<&RecordingId> {
        self.call_recordings
            .iter()
            .find(|r| r.token == token)
            .map(|r| &r.id)
    }

    /// How long the call recording `token` has run (whole seconds, rounded).
    pub(crate) fn call_recording_secs(&self, token: MediaToken, now: Instant) -> Option<u64> {
        let r = self.call_recordings.iter().find(|r| r.token == token)?;
        Some(
            now.saturating_duration_since(r.started)
                .as_secs_f64()
                .round() as u64,
        )
    }

    /// The node started call recording `token` as `id`; false when it is not one.
    pub(crate) fn call_recording_started(&mut self, token: MediaToken, id: &RecordingId) -> bool {
        let Some(r) = self.call_recordings.iter_mut().find(|r| r.token == token) else {
            return false;
        };
        r.id = id.clone();
        let (spec, callback) = (r.spec.clone(), r.callback.clone());
        self.event(EventKind::RecordingStarted, describe(&spec, id, None));
        if let Some(cb) = callback {
            status_callback(self, &cb, &spec, id, None);
        }
        true
    }

    /// Call recording `token` is finished; false when it is not one.
    pub(crate) fn call_recording_done(&mut self, token: MediaToken, recorded: Recorded) -> bool {
        let Some(i) = self.call_recordings.iter().position(|r| r.token == token) else {
            return false;
        };
        let r = self.call_recordings.remove(i);
        self.event(
            EventKind::RecordingCompleted,
            describe(&r.spec, &r.id, Some(&recorded)),
        );
        if let Some(cb) = &r.callback {
            status_callback(self, cb, &r.spec, &r.id, Some(&recorded));
        }
        true
    }
}

/// A recording's fields, with Twilio's names, for its events and callbacks.
fn describe(
    spec: &CallRecordSpec,
    id: &RecordingId,
    recorded: Option<&Recorded>,
) -> Vec<(String, String)> {
    let status = match recorded {
        None => "in-progress",
        Some(r) if r.voiced => "completed",
        Some(_) => "absent",
    };
    let mut params = vec![
        ("RecordingSid".to_owned(), id.sid.clone()),
        ("RecordingUrl".to_owned(), id.url.clone()),
        ("RecordingStatus".to_owned(), status.to_owned()),
        ("RecordingChannels".to_owned(), spec.channels.to_string()),
        (
            "RecordingSource".to_owned(),
            spec.source.as_str().to_owned(),
        ),
        ("RecordingTrack".to_owned(), spec.track.as_str().to_owned()),
    ];
    if let Some(r) = recorded {
        params.push(("RecordingDuration".to_owned(), r.duration_secs.to_string()));
    }
    params
}

/// Tell `recordingStatusCallback` about a start (`recorded` = `None`) or an end, when
/// its events ask for it.
pub(crate) fn status_callback(
    exec: &mut Executor,
    cb: &RecordingCallback,
    spec: &CallRecordSpec,
    id: &RecordingId,
    recorded: Option<&Recorded>,
) {
    let event = match recorded {
        None => RecordingEvent::InProgress,
        Some(r) if r.voiced => RecordingEvent::Completed,
        Some(_) => RecordingEvent::Absent,
    };
    if !cb.events.contains(&event) {
        return;
    }
    let Ok(url) = exec.resolve(&cb.url) else {
        return;
    };
    exec.push(Action::Callback {
        url,
        method: cb.method,
        params: describe(spec, id, recorded),
    });
}
