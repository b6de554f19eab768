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
mod date;
mod error;
mod notifications;
mod numbers;
pub mod openapi;
mod paging;
mod params;
mod tokens;
pub mod usage;
mod validate;
mod voice;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use switchyard_store::{Account, CallRecord, Repository};
use switchyard_types::CallSid;

pub use error::Error;
pub use openapi::openapi;
pub use params::Params;

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
}

impl std::fmt::Debug for ApiState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiState")
            .field("repo", &self.repo)
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
        .with_state(state)
}
