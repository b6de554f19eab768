//! `<Record>` on the node: a recording file from the storage, a tap on the leg's media
//! that writes it, and the executor told when it starts and ends. What a recording
//! means for the call (keys, silence, `action`) is decided in the call core.

use std::collections::HashMap;
use std::time::Instant;

use switchyard_call::{AppFailure, CallRecordSpec, MediaToken, RecordSpec, Recorded, RecordingId};
use switchyard_media::leg::TapReport;
use switchyard_media::record::{
    CallLayout, CallRecording, Paused, RecordLimits, RecordTap, Sides, Track,
};
use switchyard_store::{RecordingRecord, Repository};
use switchyard_types::{RecordingSid, RecordingSource, RecordingStatus, RecordingTrack};

use crate::media_io::{Boxed, MediaCommand, MediaLink};
use crate::recording_api::{call_record_spec, RecordControl};
use crate::shared::now_ms;

use super::Session;

/// Tap ids of recordings: a recording's token with this bit, apart from the Media
/// Streams' tap ids, which count from 1.
const RECORDING_TAP: u64 = 1 << 62;
/// Tap ids of call recordings on a bridged leg (their end reports nothing).
const PEER_TAP: u64 = 1 << 61;

/// Twilio's "Record: recording failed" class of errors.
const RECORDING_FAILED: u32 = 16100;
/// Twilio's 16102 "Recording was detected as silent and not stored".
const RECORDING_SILENT: u32 = 16102;

/// The call's whole-call recordings, each by its token, and the bridged leg's media,
/// which each of them also taps.
#[derive(Debug, Default)]
pub(super) struct CallRecordings {
    running: HashMap<MediaToken, CallRecording>,
    bridged: Option<MediaLink>,
}

impl Session {
    /// Start recording the caller for the executor's `<Record>`.
    pub(super) fn start_recording(&mut self, token: MediaToken, spec: RecordSpec) {
        let record = RecordingRecord::started(
            self.info.account_sid,
            Some(self.info.call_sid),
            RecordingSource::RecordVerb,
            1,
            RecordingTrack::Inbound,
            now_ms(),
        );
        let sid = record.sid;
        self.save_recording(&record);
        let account = self.info.account_sid.to_string();
        let limits = RecordLimits {
            max_length_ms: spec.max_length_ms,
            silence_ms: spec.silence_ms,
            trim_silence: spec.trim_silence,
        };
        let tap = self
            .shared
            .recordings
            .create(&account, &sid.to_string())
            .and_then(|sink| RecordTap::new(sink, Track::Inbound, limits));
        self.exec.record_started(token, self.recording_id(sid));
        match tap {
            Ok(tap) => self.media_command(MediaCommand::AddTap(
                RECORDING_TAP | token.0,
                crate::media_io::Boxed(Box::new(tap)),
            )),
            Err(e) => self.recording_closed(token, TapReport::Failed(e.to_string())),
        }
    }

    pub(super) fn stop_recording(&mut self, token: MediaToken) {
        self.media_command(MediaCommand::RemoveTap(RECORDING_TAP | token.0));
    }

    /// Start recording the whole call for the executor: the caller's leg, and the
    /// bridged leg while there is one.
    pub(super) fn start_call_recording(&mut self, token: MediaToken, spec: CallRecordSpec) {
        let sid = match spec.sid.as_deref().map(str::parse::<RecordingSid>) {
            // The API created its record already.
            Some(Ok(sid)) => sid,
            _ => {
                let record = RecordingRecord::started(
                    self.info.account_sid,
                    Some(self.info.call_sid),
                    spec.source,
                    spec.channels,
                    spec.track,
                    now_ms(),
                );
                self.save_recording(&record);
                record.sid
            }
        };
        let layout = CallLayout {
            channels: u16::from(spec.channels),
            sides: match spec.track {
                RecordingTrack::Inbound => Sides::Caller,
                RecordingTrack::Outbound => Sides::Other,
                RecordingTrack::Both => Sides::Both,
            },
            trim_silence: spec.trim_silence,
        };
        let made = self
            .shared
            .recordings
            .create(&self.info.account_sid.to_string(), &sid.to_string())
            .and_then(|sink| CallRecording::new(sink, layout));
        self.exec.record_started(token, self.recording_id(sid));
        match made {
            Ok((handle, tap)) => {
                if let Some(bridged) = &self.recordings.bridged {
                    bridged.send(MediaCommand::AddTap(
                        PEER_TAP | token.0,
                        Boxed(Box::new(handle.peer_tap())),
                    ));
                }
                self.recordings.running.insert(token, handle);
                self.media_command(MediaCommand::AddTap(
                    RECORDING_TAP | token.0,
                    Boxed(Box::new(tap)),
                ));
            }
            Err(e) => self.recording_closed(token, TapReport::Failed(e.to_string())),
        }
    }

    pub(super) fn pause_recording(&mut self, token: MediaToken, skip: bool) {
        if let Some(r) = self.recordings.running.get(&token) {
            r.pause(if skip { Paused::Skip } else { Paused::Silence });
        }
    }

    pub(super) fn resume_recording(&mut self, token: MediaToken) {
        if let Some(r) = self.recordings.running.get(&token) {
            r.resume();
        }
    }

    /// The call is bridged to the leg whose media is `theirs` (or no longer is): its
    /// party is recorded by every call recording.
    pub(super) fn record_bridge(&mut self, theirs: Option<MediaLink>) {
        if let Some(old) = self.recordings.bridged.take() {
            for token in self.recordings.running.keys() {
                old.send(MediaCommand::RemoveTap(PEER_TAP | token.0));
            }
        }
        if let Some(new) = &theirs {
            for (token, r) in &self.recordings.running {
                new.send(MediaCommand::AddTap(
                    PEER_TAP | token.0,
                    Boxed(Box::new(r.peer_tap())),
                ));
            }
        }
        self.recordings.bridged = theirs;
    }

    /// The REST API starts, pauses, resumes or stops one of the call's recordings.
    pub(super) fn record_control(&mut self, control: RecordControl) {
        let now = Instant::now();
        match control {
            RecordControl::Start { sid, start } => {
                let (spec, callback) =
                    call_record_spec(&start, RecordingSource::StartCallRecordingApi, Some(sid));
                self.exec.start_call_recording(now, spec, callback);
            }
            RecordControl::Update { sid, update } => {
                if let Err(e) = self.exec.update_call_recording(&sid.to_string(), update) {
                    tracing::info!(error = %e, "recording update not applied");
                }
            }
        }
    }

    fn recording_id(&self, sid: RecordingSid) -> RecordingId {
        RecordingId {
            url: switchyard_api::media_url(
                &self.shared.config.http_base_url(),
                self.info.account_sid,
                sid,
            ),
            sid: sid.to_string(),
        }
    }

    /// A tap is off the leg: a recording's record is final before the executor hears
    /// how it ended (its `action` may fetch it at once).
    pub(super) fn tap_closed(&mut self, id: u64, report: TapReport) {
        if id & RECORDING_TAP != 0 {
            let token = MediaToken(id & !RECORDING_TAP);
            self.recordings.running.remove(&token);
            self.recording_closed(token, report);
        }
    }

    fn recording_closed(&mut self, token: MediaToken, report: TapReport) {
        let sid = self
            .exec
            .recording(token)
            .and_then(|id| id.sid.parse::<RecordingSid>().ok());
        if let Some(sid) = sid {
            self.finish_record(sid, &report);
        }
        let recorded = match report {
            TapReport::Recorded {
                duration_ms,
                voiced,
            } => Recorded {
                duration_secs: (duration_ms + 500) / 1000,
                voiced,
            },
            TapReport::Failed(message) => {
                self.notify(AppFailure {
                    code: RECORDING_FAILED,
                    message: format!("recording failed: {message}"),
                });
                Recorded {
                    duration_secs: 0,
                    voiced: false,
                }
            }
            TapReport::Closed => return,
        };
        self.exec.record_done(Instant::now(), token, recorded);
    }

    fn finish_record(&self, sid: RecordingSid, report: &TapReport) {
        let Ok(Some(mut record)) = self.shared.store.recording(self.info.account_sid, sid) else {
            tracing::warn!(%sid, "the recording's record is gone");
            return;
        };
        let (status, duration, error) = match report {
            TapReport::Recorded {
                duration_ms,
                voiced: true,
            } => (RecordingStatus::Completed, (duration_ms + 500) / 1000, None),
            TapReport::Recorded { .. } => (RecordingStatus::Absent, 0, Some(RECORDING_SILENT)),
            TapReport::Failed(_) | TapReport::Closed => {
                (RecordingStatus::Failed, 0, Some(RECORDING_FAILED))
            }
        };
        record.status = status;
        record.duration_secs = Some(duration);
        record.error_code = error;
        record.date_updated = now_ms();
        self.save_recording(&record);
    }

    fn save_recording(&self, record: &RecordingRecord) {
        if let Err(e) = self.shared.store.put_recording_durable(record) {
            tracing::error!(sid = %record.sid, error = %e, "recording not saved");
        }
    }
}

/// Recordings the last run left unfinished (killed mid-call): each file's header is
/// repaired and its record says what it holds, `completed` with the audio up to the
/// last checkpoint, `absent` if that was silence, `failed` if there is no usable file.
pub(crate) fn recover_interrupted(
    store: &switchyard_store::Store,
    storage: &dyn switchyard_media::record::RecordingStorage,
) -> anyhow::Result<usize> {
    let unfinished = store.recordings_in_progress()?;
    for mut record in unfinished.iter().cloned() {
        let recovered = storage
            .reopen(&record.account_sid.to_string(), &record.sid.to_string())
            .map_err(|e| e.to_string())
            .and_then(|mut f| switchyard_media::record::recover(&mut f).map_err(|e| e.to_string()));
        (record.status, record.duration_secs, record.error_code) = match recovered {
            Ok(r) if r.voiced => (
                RecordingStatus::Completed,
                Some((r.duration_ms + 500) / 1000),
                None,
            ),
            Ok(_) => (RecordingStatus::Absent, Some(0), Some(RECORDING_SILENT)),
            Err(e) => {
                tracing::warn!(sid = %record.sid, error = %e, "interrupted recording unusable");
                (RecordingStatus::Failed, Some(0), Some(RECORDING_FAILED))
            }
        };
        record.date_updated = now_ms();
        store.put_recording_durable(&record)?;
    }
    Ok(unfinished.len())
}
