//! `…/Recordings.json`, `…/Recordings/{Sid}` and the same under `…/Calls/{CallSid}/`:
//! Twilio's Recording resource (list, fetch, delete; start, pause, resume and stop on a
//! live call). The media itself is served by [`crate::recording_media`].

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use switchyard_store::{Account, CallRecord, RecordingFilter, RecordingRecord};
use switchyard_types::{
    AccountSid, CallSid, CallStatus, ConferenceSid, RecordingSid, RecordingTrack,
};

use crate::auth::{authenticate, reach, strip_json};
use crate::date::{created_range, rfc2822};
use crate::paging::{Listing, PageRequest};
use crate::params::Params;
use crate::recording_media::{self, Format};
use crate::{validate, ApiState, Error, API_VERSION};
use switchyard_types::RecordingUpdate;

/// A validated `POST …/Calls/{CallSid}/Recordings.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartRecording {
    /// `RecordingChannels`: 1 (`mono`, the default) or 2 (`dual`: each party on its
    /// own channel).
    pub channels: u8,
    /// `RecordingTrack` (default `both`).
    pub track: RecordingTrack,
    /// `Trim=trim-silence` (default `do-not-trim`).
    pub trim_silence: bool,
    /// `RecordingStatusCallback`.
    pub status_callback: Option<String>,
    /// `RecordingStatusCallbackMethod` (default `POST`).
    pub status_callback_method: String,
    /// `RecordingStatusCallbackEvent`: `in-progress`, `completed`, `absent` (default
    /// `completed`).
    pub status_callback_event: Vec<String>,
}

/// The recording events Twilio reports to `RecordingStatusCallback`.
const EVENTS: [&str; 3] = ["in-progress", "completed", "absent"];

/// Twilio's "use the one recording in progress" stand-in for a sid.
const CURRENT: &str = "Twilio.CURRENT";

/// Which list a recording is shown in: its `uri` follows the path it was asked by.
#[derive(Debug, Clone, Copy)]
enum Scope {
    Account,
    Call,
}

fn account_path(account: AccountSid, sid: RecordingSid) -> String {
    format!("/2010-04-01/Accounts/{account}/Recordings/{sid}")
}

/// Where the API serves a recording's media: absolute, on the node's public base URL,
/// without an extension (WAV). It is the resource's `media_url`, and the `RecordingUrl`
/// that `<Record>`'s action and the recording status callbacks are told.
pub fn media_url(public_url: &str, account: AccountSid, sid: RecordingSid) -> String {
    format!(
        "{}{}",
        public_url.trim_end_matches('/'),
        account_path(account, sid)
    )
}

/// The recording's JSON, Twilio's field names. `duration` is a string of whole seconds
/// and null until the recording is finished, as Twilio answers for one in progress.
fn render(state: &ApiState, r: &RecordingRecord, scope: Scope) -> Value {
    let uri = match (scope, r.call_sid) {
        (Scope::Call, Some(call)) => format!(
            "/2010-04-01/Accounts/{}/Calls/{call}/Recordings/{}.json",
            r.account_sid, r.sid
        ),
        _ => format!("{}.json", account_path(r.account_sid, r.sid)),
    };
    json!({
        "account_sid": r.account_sid,
        "api_version": API_VERSION,
        "call_sid": r.call_sid,
        "conference_sid": r.conference_sid,
        "channels": r.channels,
        "date_created": rfc2822(r.date_created),
        "date_updated": rfc2822(r.date_updated),
        "start_time": rfc2822(r.start_time),
        "duration": r.duration_secs.map(|d| d.to_string()),
        "sid": r.sid,
        "price": Value::Null,
        "price_unit": "USD",
        "status": r.status.as_str(),
        "source": r.source.as_str(),
        "error_code": r.error_code,
        "track": r.track.as_str(),
        "uri": uri,
        "encryption_details": Value::Null,
        // Transcriptions and add-on results are not offered, so no links to them.
        "subresource_uris": {},
        "media_url": media_url(&state.public_url, r.account_sid, r.sid),
    })
}

fn date_filter(params: &Params, filter: &mut RecordingFilter) -> Result<(), Error> {
    (filter.created_after, filter.created_before) = created_range(params)?;
    Ok(())
}

/// `IncludeSoftDeleted`: accepted as Twilio spells it. A deleted recording's record is
/// removed with its media, so there is never a soft-deleted one to include.
fn include_soft_deleted(params: &Params) -> Result<(), Error> {
    match params.get("IncludeSoftDeleted") {
        None | Some("true" | "false" | "True" | "False") => Ok(()),
        Some(other) => Err(Error::param(
            "IncludeSoftDeleted",
            format!("{other:?} is not true or false"),
        )),
    }
}

async fn list_page(
    state: &ApiState,
    account: &Account,
    params: &Params,
    mut filter: RecordingFilter,
    path: String,
    scope: Scope,
) -> Result<Response, Error> {
    include_soft_deleted(params)?;
    let request = PageRequest::from_params(params)?;
    date_filter(params, &mut filter)?;
    let rows = state
        .repo
        .recordings(account.sid, &filter, &request.store_page())?;
    let listing = Listing {
        key: "recordings",
        path,
        params,
        request: &request,
    };
    let body = listing.body(
        rows,
        |r| (r.date_created, r.sid.to_string()),
        |r| render(state, r, scope),
    );
    Ok(Json(body).into_response())
}

/// `GET …/Recordings.json`: filters `CallSid`, `ConferenceSid`, `DateCreated`,
/// `DateCreated<`, `DateCreated>`; newest first.
pub async fn list(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(account): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    let params = Params::query(query.as_deref())?;
    let filter = RecordingFilter {
        call_sid: params
            .non_empty("CallSid")
            .map(|v| validate::sid::<CallSid>("CallSid", v))
            .transpose()?,
        conference_sid: params
            .non_empty("ConferenceSid")
            .map(|v| validate::sid::<ConferenceSid>("ConferenceSid", v))
            .transpose()?,
        ..RecordingFilter::default()
    };
    let path = format!("/2010-04-01/Accounts/{}/Recordings.json", account.sid);
    list_page(&state, &account, &params, filter, path, Scope::Account).await
}

/// The recording a path segment names, when it belongs to `account`.
fn find(state: &ApiState, account: &Account, sid: &str) -> Result<RecordingRecord, Error> {
    let not_found = || {
        Error::NotFound(format!(
            "/2010-04-01/Accounts/{}/Recordings/{sid}",
            account.sid
        ))
    };
    let sid: RecordingSid = sid.parse().map_err(|_| not_found())?;
    state
        .repo
        .recording(account.sid, sid)?
        .ok_or_else(not_found)
}

/// `GET …/Recordings/{Sid}.json` (the metadata), and `…/Recordings/{Sid}`,
/// `….wav`, `….mp3` (the media).
pub async fn fetch(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account, segment)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    let params = Params::query(query.as_deref())?;
    if let Ok(sid) = strip_json(&segment) {
        include_soft_deleted(&params)?;
        let record = find(&state, &account, sid)?;
        return Ok(Json(render(&state, &record, Scope::Account)).into_response());
    }
    let (sid, format) = Format::of(&segment);
    let record = find(&state, &account, sid)?;
    recording_media::serve(&state, &record, format, &params, &headers).await
}

/// Remove a finished recording: its media first (a record whose media is gone would
/// promise a file it cannot serve), then its record.
///
/// Twilio: "Only `completed` recordings can be deleted. Recordings with any other status
/// are not available for deletion." `absent` and `failed` recordings are finished too
/// (nothing writes into them any more), so they may be deleted as well.
async fn remove(state: &ApiState, record: &RecordingRecord) -> Result<Response, Error> {
    if !record.status.is_final() {
        return Err(Error::InvalidRecordingState {
            status: record.status.as_str(),
            action: "deleting it",
        });
    }
    let storage = state.recordings.clone();
    let (account, sid) = (record.account_sid.to_string(), record.sid.to_string());
    tokio::task::spawn_blocking(move || storage.remove(&account, &sid))
        .await
        .map_err(|e| Error::Internal(format!("removing the media: {e}")))?
        .map_err(|e| Error::Internal(format!("removing the media: {e}")))?;
    state
        .repo
        .delete_recording(record.account_sid, record.sid)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE …/Recordings/{Sid}.json` (204).
pub async fn delete(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account, segment)): Path<(String, String)>,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    let record = find(&state, &account, strip_json(&segment)?)?;
    remove(&state, &record).await
}

/// The call a `…/Calls/{CallSid}/Recordings…` path names.
fn call_of(state: &ApiState, account: &Account, segment: &str) -> Result<CallSid, Error> {
    call_record(state, account, segment).map(|c| c.sid)
}

fn call_record(state: &ApiState, account: &Account, segment: &str) -> Result<CallRecord, Error> {
    let not_found = || {
        Error::NotFound(format!(
            "/2010-04-01/Accounts/{}/Calls/{segment}",
            account.sid
        ))
    };
    let sid: CallSid = segment.parse().map_err(|_| not_found())?;
    state.repo.call(account.sid, sid)?.ok_or_else(not_found)
}

/// `GET …/Calls/{CallSid}/Recordings.json`: the call's recordings, with the same
/// `DateCreated` filters.
pub async fn list_of_call(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account, call)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    let call = call_of(&state, &account, &call)?;
    let params = Params::query(query.as_deref())?;
    let filter = RecordingFilter {
        call_sid: Some(call),
        ..RecordingFilter::default()
    };
    let path = format!(
        "/2010-04-01/Accounts/{}/Calls/{call}/Recordings.json",
        account.sid
    );
    list_page(&state, &account, &params, filter, path, Scope::Call).await
}

/// A recording of the call named in the path. `Twilio.CURRENT` names the call's one
/// unfinished recording; Twilio: "Using `Twilio.CURRENT` to reference a recording on a
/// resource that has multiple recordings will result in an error".
fn find_of_call(
    state: &ApiState,
    account: &Account,
    call: CallSid,
    segment: &str,
) -> Result<RecordingRecord, Error> {
    let sid = strip_json(segment)?;
    if sid == CURRENT {
        let filter = RecordingFilter {
            call_sid: Some(call),
            ..RecordingFilter::default()
        };
        let page = switchyard_store::Page {
            size: 1000,
            after: None,
        };
        let mut live: Vec<_> = state
            .repo
            .recordings(account.sid, &filter, &page)?
            .into_iter()
            .filter(|r| !r.status.is_final())
            .collect();
        return match live.len() {
            1 => Ok(live.remove(0)),
            0 => Err(Error::NotFound(format!(
                "/2010-04-01/Accounts/{}/Calls/{call}/Recordings/{CURRENT}: the call has no \
                 recording in progress",
                account.sid
            ))),
            n => Err(Error::param(
                "Sid",
                format!("{CURRENT} is ambiguous: the call has {n} recordings in progress"),
            )),
        };
    }
    let record = find(state, account, sid)?;
    if record.call_sid != Some(call) {
        return Err(Error::NotFound(format!(
            "/2010-04-01/Accounts/{}/Calls/{call}/Recordings/{sid}",
            account.sid
        )));
    }
    Ok(record)
}

/// The caller's account, the call and the recording a
/// `…/Calls/{CallSid}/Recordings/{Sid}.json` path names.
fn call_recording(
    state: &ApiState,
    headers: &HeaderMap,
    (account, call, segment): (String, String, String),
) -> Result<(Account, CallSid, RecordingRecord), Error> {
    let caller = authenticate(state.repo.as_ref(), headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    let call = call_of(state, &account, &call)?;
    let record = find_of_call(state, &account, call, &segment)?;
    Ok((account, call, record))
}

/// `GET …/Calls/{CallSid}/Recordings/{Sid}.json`.
pub async fn fetch_of_call(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(path): Path<(String, String, String)>,
) -> Result<Response, Error> {
    let (_, _, record) = call_recording(&state, &headers, path)?;
    Ok(Json(render(&state, &record, Scope::Call)).into_response())
}

/// `DELETE …/Calls/{CallSid}/Recordings/{Sid}.json` (204).
pub async fn delete_of_call(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(path): Path<(String, String, String)>,
) -> Result<Response, Error> {
    let (_, _, record) = call_recording(&state, &headers, path)?;
    remove(&state, &record).await
}

/// The recording settings of a `POST` that starts one (a live call's recording, or
/// `Calls.create(Record=true)`).
pub(crate) fn start_recording(params: &Params) -> Result<StartRecording, Error> {
    let channels = match params.get("RecordingChannels") {
        None | Some("mono") => 1,
        Some("dual") => 2,
        Some(other) => {
            return Err(Error::param(
                "RecordingChannels",
                format!("{other:?} is not mono or dual"),
            ))
        }
    };
    let track = match params.get("RecordingTrack") {
        None => RecordingTrack::Both,
        Some(t) => validate::sid("RecordingTrack", t)?,
    };
    let trim_silence = match params.get("Trim") {
        None | Some("do-not-trim") => false,
        Some("trim-silence") => true,
        Some(other) => {
            return Err(Error::param(
                "Trim",
                format!("{other:?} is not trim-silence or do-not-trim"),
            ))
        }
    };
    // Twilio: "Separate multiple event values with a space"; the helpers repeat it.
    let mut events = validate::events(params, "RecordingStatusCallbackEvent", &EVENTS)?;
    if events.is_empty() {
        events.push("completed".to_owned());
    }
    Ok(StartRecording {
        channels,
        track,
        trim_silence,
        status_callback: validate::strict_url(params, "RecordingStatusCallback")?,
        status_callback_method: validate::method(params, "RecordingStatusCallbackMethod", "POST")?,
        status_callback_event: events,
    })
}

/// `POST …/Calls/{CallSid}/Recordings.json`: start recording a live call (201).
/// Twilio: "To start a recording on a live call, make a `POST` request to the
/// Recordings subresource of an in-progress Call."
pub async fn create(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account, call)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    let call = call_record(&state, &account, &call)?;
    let start = start_recording(&Params::parse(&body)?)?;
    if call.status != CallStatus::InProgress {
        return Err(Error::InvalidCallState {
            status: call.status.as_str().to_owned(),
            action: "record",
        });
    }
    let record = state.calls.start_recording(&account, call.sid, start)?;
    Ok((
        StatusCode::CREATED,
        Json(render(&state, &record, Scope::Call)),
    )
        .into_response())
}

fn recording_update(params: &Params) -> Result<RecordingUpdate, Error> {
    let skip = match params.get("PauseBehavior") {
        None | Some("silence") => false,
        Some("skip") => true,
        Some(other) => {
            return Err(Error::param(
                "PauseBehavior",
                format!("{other:?} is not skip or silence"),
            ))
        }
    };
    match params.get("Status") {
        Some("paused") => Ok(RecordingUpdate::Pause { skip }),
        Some("in-progress") => Ok(RecordingUpdate::Resume),
        Some("stopped") => Ok(RecordingUpdate::Stop),
        Some(other) => Err(Error::param(
            "Status",
            format!("{other:?} is not paused, in-progress or stopped"),
        )),
        None => Err(Error::param("Status", "is required")),
    }
}

/// `POST …/Calls/{CallSid}/Recordings/{Sid}.json`: pause, resume or stop.
pub async fn update(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(path): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, Error> {
    let (account, call, record) = call_recording(&state, &headers, path)?;
    let update = recording_update(&Params::parse(&body)?)?;
    if record.status.is_final() {
        return Err(Error::InvalidRecordingState {
            status: record.status.as_str(),
            action: "changing its status",
        });
    }
    let updated = state
        .calls
        .update_recording(&account, call, record.sid, update)?;
    Ok(Json(render(&state, &updated, Scope::Call)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Params {
        Params::parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn start_defaults_follow_twilio() {
        let s = start_recording(&p("")).unwrap();
        assert_eq!(
            s,
            StartRecording {
                channels: 1,
                track: RecordingTrack::Both,
                trim_silence: false,
                status_callback: None,
                status_callback_method: "POST".into(),
                status_callback_event: vec!["completed".into()],
            }
        );
        let s = start_recording(&p(
            "RecordingChannels=dual&RecordingTrack=inbound&Trim=trim-silence\
             &RecordingStatusCallbackEvent=in-progress+absent&RecordingStatusCallbackMethod=GET\
             &RecordingStatusCallback=http%3A%2F%2Fa.test%2Fr",
        ))
        .unwrap();
        assert_eq!(s.channels, 2);
        assert_eq!(s.track, RecordingTrack::Inbound);
        assert!(s.trim_silence);
        assert_eq!(s.status_callback_event, ["in-progress", "absent"]);
        assert_eq!(s.status_callback_method, "GET");
        assert_eq!(s.status_callback.as_deref(), Some("http://a.test/r"));
    }

    #[test]
    fn bad_start_parameters_are_named() {
        for (form, name) in [
            ("RecordingChannels=stereo", "RecordingChannels:"),
            ("RecordingTrack=up", "RecordingTrack:"),
            ("Trim=yes", "Trim:"),
            (
                "RecordingStatusCallbackEvent=failed",
                "RecordingStatusCallbackEvent:",
            ),
        ] {
            let e = start_recording(&p(form)).unwrap_err().to_string();
            assert!(e.starts_with(name), "{form}: {e}");
        }
    }

    #[test]
    fn update_forms() {
        assert_eq!(
            recording_update(&p("Status=paused")).unwrap(),
            RecordingUpdate::Pause { skip: false }
        );
        assert_eq!(
            recording_update(&p("Status=paused&PauseBehavior=skip")).unwrap(),
            RecordingUpdate::Pause { skip: true }
        );
        assert_eq!(
            recording_update(&p("Status=in-progress")).unwrap(),
            RecordingUpdate::Resume
        );
        assert_eq!(
            recording_update(&p("Status=stopped")).unwrap(),
            RecordingUpdate::Stop
        );
        for bad in ["Status=completed", "", "Status=paused&PauseBehavior=drop"] {
            assert!(recording_update(&p(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_media_url_is_absolute_without_an_extension() {
        let (account, sid) = (AccountSid::random(), RecordingSid::random());
        let want = format!("https://edge.test/2010-04-01/Accounts/{account}/Recordings/{sid}");
        assert_eq!(media_url("https://edge.test", account, sid), want);
        assert_eq!(media_url("https://edge.test/", account, sid), want);
    }

    #[test]
    fn date_filters_cover_whole_days_and_seconds() {
        let mut f = RecordingFilter::default();
        date_filter(
            &p("DateCreated%3E=2023-11-14&DateCreated%3C=2023-11-15"),
            &mut f,
        )
        .unwrap();
        assert_eq!(f.created_after, Some(1_699_920_000_000));
        assert_eq!(f.created_before, Some(1_699_920_000_000 + 2 * 86_400_000));
        let mut f = RecordingFilter::default();
        date_filter(&p("DateCreated=2023-11-14T22:13:20Z"), &mut f).unwrap();
        assert_eq!(f.created_after, Some(1_700_000_000_000));
        assert_eq!(f.created_before, Some(1_700_000_001_000));
    }
}
