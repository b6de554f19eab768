//! Twilio-compatible REST API.
//!
//! Tenants manage accounts, numbers, applications and calls through the same paths, form
//! bodies and JSON shapes as Twilio's 2010-04-01 API, so the official helper libraries
//! work by changing their base URL. The crate owns no socket: [`router`] returns an
//! [`axum::Router`] the node merges into its own server, and everything it persists goes
//! through the store's [`Repository`]; starting and steering calls goes through the
//! node's [`CallControl`].

mod accounts;
mod applications;
pub mod auth;
mod calls;
mod conferences;
mod conferences_doc;
mod date;
mod error;
mod keys;
mod notifications;
mod numbers;
pub mod openapi;
mod paging;
mod params;
mod queues;
mod queues_doc;
mod recording_media;
mod recordings;
mod recordings_doc;
mod sip;
mod streams;
mod tokens;
pub mod usage;
mod validate;
mod voice;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use switchyard_media::record::RecordingStorage;
use switchyard_store::{Account, CallRecord, RecordingRecord, Repository};
use switchyard_types::{CallSid, RecordingSid};

pub use conferences::{ConferenceControl, ConferenceView, ParticipantUpdate, ParticipantView};
pub use error::Error;
pub use openapi::openapi;
pub use params::Params;
pub use queues::{MemberRef, MemberView, QueueControl, QueueView};
pub use recording_media::{range_ask, RangeAsk};
pub use recordings::{media_url, StartRecording};
pub use switchyard_types::RecordingUpdate;

/// The error type of the API, by the name the call control uses.
pub type ApiError = Error;

/// Starting and steering calls: implemented by the node (its call router and outbound
/// queue). Both methods persist what they change before returning, so a `GET` right after
/// sees it.
pub trait CallControl: Send + Sync + 'static {
    /// Queue an outbound call for `account`; returns its record (status `queued`).
    fn create(&self, account: &Account, call: NewCall) -> Result<CallRecord, ApiError>;
    /// Redirect, hang up or cancel one of `account`'s calls; returns the updated record.
    fn update(
        &self,
        account: &Account,
        sid: CallSid,
        update: CallUpdate,
    ) -> Result<CallRecord, ApiError>;

    /// Start recording one of `account`'s calls, in progress
    /// (`POST …/Calls/{CallSid}/Recordings.json`); returns the new recording's record,
    /// durable (status `in-progress`, source `StartCallRecordingAPI`).
    fn start_recording(
        &self,
        account: &Account,
        call: CallSid,
        start: StartRecording,
    ) -> Result<RecordingRecord, ApiError> {
        let _ = (account, call, start);
        Err(ApiError::NotImplemented(
            "starting a recording on a live call",
        ))
    }

    /// Pause, resume or stop one of a live call's unfinished recordings; returns its
    /// updated record, durable.
    fn update_recording(
        &self,
        account: &Account,
        call: CallSid,
        recording: RecordingSid,
        update: RecordingUpdate,
    ) -> Result<RecordingRecord, ApiError> {
        let _ = (account, call, recording, update);
        Err(ApiError::NotImplemented(
            "pausing, resuming or stopping a recording",
        ))
    }
    /// The node's call queues (the Queues and Members resources); `None`: 501.
    fn queues(&self) -> Option<&dyn QueueControl> {
        None
    }

    /// The node's conference rooms, if it runs them.
    fn conferences(&self) -> Option<&dyn ConferenceControl> {
        None
    }
    /// Start or stop a Media Stream on one of `account`'s live calls.
    fn stream(&self, account: &Account, call: CallSid, control: StreamControl) -> StreamFuture {
        let _ = (account, call, control);
        Box::pin(async {
            Err(ApiError::Forbidden(
                "Media Streams are not available on this node".into(),
            ))
        })
    }
}

/// The answer of [`CallControl::stream`], once the call has acted.
pub type StreamFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<StreamAnswer, ApiError>> + Send>>;

/// A validated `POST …/Calls/{Sid}/Streams.json` or `…/Streams/{Sid}.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamControl {
    /// Start a one-way stream, as `<Start><Stream>` does.
    Start {
        /// The WebSocket server.
        url: String,
        /// Unique on the call.
        name: Option<String>,
        /// `inbound_track`, `outbound_track` or `both_tracks`.
        track: String,
        /// Absolute http(s) URL.
        status_callback: Option<String>,
        /// `GET` or `POST`.
        status_callback_method: String,
        /// `ParameterN.Name`/`ParameterN.Value`, in order.
        parameters: Vec<(String, String)>,
    },
    /// `Status=stopped` on the stream with this SID or name.
    Stop {
        /// `MZ…` or the stream's name.
        sid_or_name: String,
    },
}

/// A stream as the call reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamAnswer {
    /// `MZ…`.
    pub sid: String,
    pub name: Option<String>,
    /// `in-progress` or `stopped`.
    pub status: &'static str,
}

/// A validated `POST …/Calls.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCall {
    /// E.164, `sip:` URI or `client:` identifier.
    pub to: String,
    /// E.164 or `client:` identifier.
    pub from: String,
    /// The webhook that answers the call (exactly one of `url` and `twiml` is set).
    pub url: Option<String>,
    /// TwiML to run instead of fetching `url`.
    pub twiml: Option<String>,
    /// `GET` or `POST` for `url`.
    pub method: String,
    /// Tried when `url` fails.
    pub fallback_url: Option<String>,
    /// `GET` or `POST` for `fallback_url`.
    pub fallback_method: String,
    /// Where status changes are reported.
    pub status_callback: Option<String>,
    /// `GET` or `POST` for `status_callback`.
    pub status_callback_method: String,
    /// Which of `initiated ringing answered completed` to report (empty: `completed`).
    pub status_callback_event: Vec<String>,
    /// Seconds to let it ring, 1..=600 (default 60).
    pub timeout: u32,
    /// `Record=true`: the whole call is recorded from its answer, with the
    /// `RecordingChannels`, `RecordingTrack`, `Trim` and `RecordingStatusCallback…`
    /// settings given beside it.
    pub record: Option<StartRecording>,
}

/// A validated `POST …/Calls/{Sid}.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallUpdate {
    /// Fetch new instructions from `url` with `method`.
    Redirect {
        /// Absolute http(s) URL.
        url: String,
        /// `GET` or `POST`.
        method: String,
    },
    /// Run this TwiML now.
    Twiml(String),
    /// `Status=completed`: hang up a live call.
    Complete,
    /// `Status=canceled`: drop a queued or ringing call.
    Cancel,
}

/// What the handlers share.
#[derive(Clone)]
pub struct ApiState {
    /// Accounts, numbers, applications, calls, notifications.
    pub repo: Arc<dyn Repository>,
    /// The node's call control.
    pub calls: Arc<dyn CallControl>,
    /// Where recordings' media are kept.
    pub recordings: Arc<dyn RecordingStorage>,
    /// The base URL the node's HTTP server is reached at (`http://host:port`), for
    /// absolute URLs such as a recording's `media_url`.
    pub public_url: String,
}

impl std::fmt::Debug for ApiState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiState")
            .field("repo", &self.repo)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

/// Twilio's API version, echoed in resources' `api_version`.
pub(crate) const API_VERSION: &str = "2010-04-01";

/// Now, in Unix milliseconds (records' timestamps). The API is the I/O edge, so it may
/// read the clock; the protocol cores never do.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Every route of the API, ready to merge into the node's router.
pub fn router(state: ApiState) -> Router {
    router_documented(state, openapi())
}

/// [`router`], serving `doc` at `GET /openapi.json`: the API's own document extended
/// with the routes of whoever merges this router into theirs.
pub fn router_documented(state: ApiState, doc: serde_json::Value) -> Router {
    const ACC: &str = "/2010-04-01/Accounts/{account}";
    // Rendered once: the document never changes while the router lives.
    let doc = axum::body::Bytes::from(doc.to_string());
    let serve = move || {
        let doc = doc.clone();
        async move {
            (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                doc,
            )
        }
    };
    Router::new()
        .route("/openapi.json", get(serve))
        .route(
            "/2010-04-01/Accounts.json",
            get(accounts::list).post(accounts::create),
        )
        .route(
            "/2010-04-01/Accounts/{account}",
            get(accounts::fetch).post(accounts::update),
        )
        .route(
            &format!("{ACC}/Calls.json"),
            get(calls::list).post(calls::create),
        )
        .route(
            &format!("{ACC}/Calls/{{call}}"),
            get(calls::fetch).post(calls::update),
        )
        .route(
            &format!("{ACC}/Calls/{{call}}/Streams.json"),
            post(streams::create),
        )
        .route(
            &format!("{ACC}/Calls/{{call}}/Streams/{{stream}}"),
            post(streams::update),
        )
        .route(
            &format!("{ACC}/IncomingPhoneNumbers.json"),
            get(numbers::list).post(numbers::create),
        )
        .route(
            &format!("{ACC}/IncomingPhoneNumbers/{{number}}"),
            get(numbers::fetch)
                .post(numbers::update)
                .delete(numbers::delete),
        )
        .route(
            &format!("{ACC}/Applications.json"),
            get(applications::list).post(applications::create),
        )
        .route(
            &format!("{ACC}/Applications/{{app}}"),
            get(applications::fetch)
                .post(applications::update)
                .delete(applications::delete),
        )
        .route(
            &format!("{ACC}/Notifications.json"),
            get(notifications::list),
        )
        .route(
            &format!("{ACC}/Notifications/{{notification}}"),
            get(notifications::fetch),
        )
        .route(&format!("{ACC}/Conferences.json"), get(conferences::list))
        .route(
            &format!("{ACC}/Conferences/{{conference}}"),
            get(conferences::fetch).post(conferences::update),
        )
        .route(
            &format!("{ACC}/Conferences/{{conference}}/Participants.json"),
            get(conferences::list_participants).post(conferences::create_participant),
        )
        .route(
            &format!("{ACC}/Conferences/{{conference}}/Participants/{{participant}}"),
            get(conferences::fetch_participant)
                .post(conferences::update_participant)
                .delete(conferences::remove_participant),
        )
        .route(&format!("{ACC}/Recordings.json"), get(recordings::list))
        .route(
            &format!("{ACC}/Recordings/{{recording}}"),
            get(recordings::fetch).delete(recordings::delete),
        )
        .route(
            &format!("{ACC}/Calls/{{call}}/Recordings.json"),
            get(recordings::list_of_call).post(recordings::create),
        )
        .route(
            &format!("{ACC}/Calls/{{call}}/Recordings/{{recording}}"),
            get(recordings::fetch_of_call)
                .post(recordings::update)
                .delete(recordings::delete_of_call),
        )
        .route(&format!("{ACC}/Usage/Records.json"), get(usage::list))
        .route(
            &format!("{ACC}/Usage/Records/{{period}}"),
            get(usage::list_period),
        )
        .route(
            "/v1/AuthTokens/Secondary",
            post(tokens::create_secondary).delete(tokens::delete_secondary),
        )
        .route("/v1/AuthTokens/Promote", post(tokens::promote))
        .route(
            &format!("{ACC}/Keys.json"),
            get(keys::list).post(keys::create),
        )
        .route(
            &format!("{ACC}/Keys/{{key}}"),
            get(keys::fetch).post(keys::update).delete(keys::delete),
        )
        .merge(sip::routes())
        .merge(queues::routes())
        .with_state(state)
}
