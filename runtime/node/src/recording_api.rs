//! `Calls/{CallSid}/Recordings` on a live call: the record is made durable here (the
//! API answers with it), and the call's session starts, pauses, resumes or stops the
//! recording itself.

use std::sync::Arc;

use switchyard_api::{Error as ApiError, RecordingUpdate, StartRecording};
use switchyard_call::{CallRecordSpec, RecordingCallback};
use switchyard_instructions::{HttpMethod, RecordingEvent};
use switchyard_store::{Account, RecordingRecord, Repository};
use switchyard_types::{CallSid, RecordingSid, RecordingSource, RecordingStatus};

use crate::live::Control;
use crate::shared::{now_ms, Shared};

fn not_live() -> ApiError {
    ApiError::InvalidCallState {
        status: "not in progress".into(),
        action: "record",
    }
}

/// Start recording `call` (in progress on this node) as `start` says.
pub(crate) fn start(
    shared: &Arc<Shared>,
    account: &Account,
    call: CallSid,
    start: StartRecording,
) -> Result<RecordingRecord, ApiError> {
    let record = RecordingRecord::started(
        account.sid,
        Some(call),
        RecordingSource::StartCallRecordingApi,
        start.channels,
        start.track,
        now_ms(),
    );
    shared.store.put_recording_durable(&record)?;
    let control = Control::Record(RecordControl::Start {
        sid: record.sid,
        start,
    });
    if shared.live.send(call, control).is_err() {
        // The call ended meanwhile: nothing will be recorded, and the record says so.
        let failed = RecordingRecord {
            status: RecordingStatus::Absent,
            duration_secs: Some(0),
            ..record
        };
        shared.store.put_recording_durable(&failed)?;
        return Err(not_live());
    }
    Ok(record)
}

/// Pause, resume or stop recording `sid` of `call`; its record says the new status.
pub(crate) fn update(
    shared: &Arc<Shared>,
    account: &Account,
    call: CallSid,
    sid: RecordingSid,
    update: RecordingUpdate,
) -> Result<RecordingRecord, ApiError> {
    let mut record = shared
        .store
        .recording(account.sid, sid)?
        .filter(|r| r.call_sid == Some(call))
        .ok_or_else(|| ApiError::NotFound(format!("/Calls/{call}/Recordings/{sid}.json")))?;
    let status = match update {
        RecordingUpdate::Pause { .. } => RecordingStatus::Paused,
        RecordingUpdate::Resume => RecordingStatus::InProgress,
        RecordingUpdate::Stop => RecordingStatus::Stopped,
    };
    let control = Control::Record(RecordControl::Update { sid, update });
    shared.live.send(call, control).map_err(|_| not_live())?;
    record.status = status;
    record.date_updated = now_ms();
    shared.store.put_recording_durable(&record)?;
    Ok(record)
}

/// A REST request about the live call's recordings.
#[derive(Debug)]
pub enum RecordControl {
    /// Start the recording the API already created as `sid`.
    Start {
        sid: RecordingSid,
        start: StartRecording,
    },
    /// Pause, resume or stop recording `sid`.
    Update {
        sid: RecordingSid,
        update: RecordingUpdate,
    },
}

/// A recording asked for with the REST API's settings (`Calls.create(Record=true)`, a
/// recording started on a live call), in the call core's terms.
pub(crate) fn call_record_spec(
    start: &StartRecording,
    source: RecordingSource,
    sid: Option<RecordingSid>,
) -> (CallRecordSpec, Option<RecordingCallback>) {
    let spec = CallRecordSpec {
        channels: start.channels,
        track: start.track,
        trim_silence: start.trim_silence,
        source,
        sid: sid.map(|s| s.to_string()),
    };
    let callback = start.status_callback.clone().map(|url| RecordingCallback {
        url,
        method: if start.status_callback_method.eq_ignore_ascii_case("GET") {
            HttpMethod::Get
        } else {
            HttpMethod::Post
        },
        events: start
            .status_callback_event
            .iter()
            .filter_map(|e| match e.as_str() {
                "in-progress" => Some(RecordingEvent::InProgress),
                "completed" => Some(RecordingEvent::Completed),
                "absent" => Some(RecordingEvent::Absent),
                _ => None,
            })
            .collect(),
    });
    (spec, callback)
}
