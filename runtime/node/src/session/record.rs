//! `<Record>` on the node: a recording file from the storage, a tap on the leg's media
//! that writes it, and the executor told when it starts and ends. What a recording
//! means for the call (keys, silence, `action`) is decided in the call core.

use std::time::Instant;

use switchyard_call::{AppFailure, MediaToken, RecordSpec, Recorded, RecordingId};
use switchyard_media::leg::{TapReport, Track};
use switchyard_media::record::{RecordLimits, RecordTap};
use switchyard_types::RecordingSid;

use crate::media_io::MediaCommand;

use super::Session;

/// Twilio's "Record: recording failed" class of errors.
const RECORDING_FAILED: u32 = 16100;

impl Session {
    /// Start recording the caller for the executor's `<Record>`.
    pub(super) fn start_recording(&mut self, token: MediaToken, spec: RecordSpec) {
        let sid = RecordingSid::random();
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
        let id = RecordingId {
            url: format!(
                "{}/2010-04-01/Accounts/{account}/Recordings/{sid}",
                self.shared.config.http_base_url()
            ),
            sid: sid.to_string(),
        };
        self.exec.record_started(token, id);
        match tap {
            Ok(tap) => self.media_command(MediaCommand::Tap {
                token,
                tap: Box::new(tap),
            }),
            Err(e) => self.recording_closed(token, TapReport::Failed(e.to_string())),
        }
    }

    pub(super) fn stop_recording(&mut self, token: MediaToken) {
        self.media_command(MediaCommand::Untap(token));
    }

    /// The recording's tap is off the leg: the executor hears how it ended.
    pub(super) fn recording_closed(&mut self, token: MediaToken, report: TapReport) {
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
}
