//! `record="record-from-start"`: the room's mix, written by a recorder that listens to
//! the mixer, with a Recordings record of source `Conference`.

use std::sync::{Arc, Mutex};

use switchyard_call::conference::Room;
use switchyard_media::leg::TapReport;
use switchyard_media::mix::Mixer;
use switchyard_media::record::{RecordLimits, RecordTap, Track};
use switchyard_store::{RecordingRecord, Repository};
use switchyard_types::{RecordingSource, RecordingStatus, RecordingTrack};

use super::lock;
use crate::shared::{now_ms, Shared};

/// The listener id of a room's recording in its mixer.
const LISTENER: u64 = 1;

/// Twilio's "Record: recording failed" class of errors.
const RECORDING_FAILED: u32 = 16100;

/// A room's recording in progress.
pub(super) struct RoomRecording {
    record: RecordingRecord,
}

/// Start recording `room`'s mix (nothing if the storage refuses).
pub(super) fn start(
    shared: &Arc<Shared>,
    room: &Room,
    mixer: &Arc<Mutex<Mixer>>,
) -> Option<RoomRecording> {
    let record = RecordingRecord {
        conference_sid: Some(room.sid),
        ..RecordingRecord::started(
            room.account_sid,
            None,
            RecordingSource::Conference,
            1,
            RecordingTrack::Both,
            now_ms(),
        )
    };
    let sid = record.sid;
    let limits = RecordLimits::until_stopped(false);
    let tap = shared
        .recordings
        .create(&room.account_sid.to_string(), &sid.to_string())
        .and_then(|sink| RecordTap::new(sink, Track::Inbound, limits));
    match tap {
        Ok(tap) => {
            save(shared, &record);
            lock(mixer).add_listener(LISTENER, Box::new(tap));
            Some(RoomRecording { record })
        }
        Err(e) => {
            tracing::warn!(conference = %room.sid, error = %e, "conference not recorded");
            None
        }
    }
}

impl RoomRecording {
    /// The room ended: the file is finished and the record says what it holds.
    pub(super) fn finish(mut self, shared: &Arc<Shared>, mixer: &Arc<Mutex<Mixer>>) {
        let Some(tap) = lock(mixer).remove_listener(LISTENER) else {
            return;
        };
        let r = &mut self.record;
        (r.status, r.duration_secs, r.error_code) = match tap.close() {
            TapReport::Recorded { duration_ms, .. } => (
                RecordingStatus::Completed,
                Some((duration_ms + 500) / 1000),
                None,
            ),
            _ => (RecordingStatus::Failed, Some(0), Some(RECORDING_FAILED)),
        };
        r.date_updated = now_ms();
        save(shared, &self.record);
    }
}

fn save(shared: &Shared, record: &RecordingRecord) {
    if let Err(e) = shared.store.put_recording_durable(record) {
        tracing::error!(sid = %record.sid, error = %e, "recording not saved");
    }
}
