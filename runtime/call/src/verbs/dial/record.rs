//! `record` on `<Dial>`: the call is recorded from the moment the parties ring
//! (`record-from-ringing…`) or the bridge is made (`record-from-answer…`) until the Dial
//! ends, mixed or (`…-dual`) the caller and the called party each on a channel; the
//! `action` request then carries `RecordingUrl`, `RecordingSid` and `RecordingDuration`.

use std::time::Instant;

use switchyard_instructions::{Dial, DialRecord, Trim};
use switchyard_types::RecordingSource;

use crate::executor::{CallRecordSpec, Executor, MediaToken, RecordingCallback};

/// A `<Dial>`'s recording, asked for and perhaps running.
#[derive(Debug)]
pub(crate) struct DialRecording {
    from_ringing: bool,
    spec: CallRecordSpec,
    callback: Option<RecordingCallback>,
    token: Option<MediaToken>,
}

impl DialRecording {
    /// What `dial` asks to record, if anything.
    pub(crate) fn of(dial: &Dial) -> Option<Self> {
        let (from_ringing, channels) = match dial.record {
            DialRecord::DoNotRecord => return None,
            DialRecord::RecordFromAnswer => (false, 1),
            DialRecord::RecordFromRinging => (true, 1),
            DialRecord::RecordFromAnswerDual => (false, 2),
            DialRecord::RecordFromRingingDual => (true, 2),
        };
        Some(Self {
            from_ringing,
            spec: CallRecordSpec {
                channels,
                track: dial.recording_track.into(),
                trim_silence: dial.trim == Trim::TrimSilence,
                source: RecordingSource::DialVerb,
                sid: None,
            },
            callback: dial
                .recording_status_callback
                .clone()
                .map(|url| RecordingCallback {
                    url,
                    method: dial.recording_status_callback_method,
                    events: dial.recording_status_callback_event.clone(),
                }),
            token: None,
        })
    }

    /// The parties start ringing: a `record-from-ringing` recording starts.
    pub(crate) fn ringing(&mut self, exec: &mut Executor, now: Instant) {
        if self.from_ringing {
            self.start(exec, now);
        }
    }

    /// The bridge is made: the recording starts if it has not.
    pub(crate) fn bridged(&mut self, exec: &mut Executor, now: Instant) {
        self.start(exec, now);
    }

    fn start(&mut self, exec: &mut Executor, now: Instant) {
        if self.token.is_none() {
            self.token =
                Some(exec.start_call_recording(now, self.spec.clone(), self.callback.clone()));
        }
    }

    /// The Dial is over: the recording stops, and `action` is told where it is.
    pub(crate) fn finish(self, exec: &mut Executor, now: Instant) -> Vec<(String, String)> {
        let Some(token) = self.token else {
            return Vec::new();
        };
        let params = match (exec.recording(token), exec.call_recording_secs(token, now)) {
            (Some(id), Some(secs)) => vec![
                ("RecordingUrl".to_owned(), id.url.clone()),
                ("RecordingSid".to_owned(), id.sid.clone()),
                ("RecordingDuration".to_owned(), secs.to_string()),
            ],
            _ => Vec::new(),
        };
        exec.stop_call_recording(token);
        params
    }
}
