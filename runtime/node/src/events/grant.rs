//! Who may open an event stream, and for which subscriptions.
//!
//! Two ways in: HTTP Basic with the account's credentials (servers), or a signed URL
//! (browsers; see `switchyard_events::signed`). A request with neither is refused 401,
//! a signature that does not verify 403, an expired URL 401; nothing is streamed then.
//! Whatever the way in, the stream carries only the path account's events (and its
//! subaccounts' when it is a top-level account).

use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use switchyard_events::{signed, Entry, Spec};
use switchyard_store::{Account, Repository, Subscription};
use switchyard_types::{AccountSid, SubscriptionSid};

use crate::shared::Shared;

/// Why a stream was refused.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Internal(String),
}

impl StreamError {
    /// The HTTP status and API error code of the refusal (QUIC answers with the same
    /// status).
    pub fn status(&self) -> (StatusCode, u32) {
        match self {
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, 20003),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, 20403),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, 20404),
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, 21200),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, 20500),
        }
    }
}

impl IntoResponse for StreamError {
    fn into_response(self) -> Response {
        let (status, code) = self.status();
        let body = json!({"code": code, "message": self.to_string(), "status": status.as_u16()});
        (status, Json(body)).into_response()
    }
}

impl From<switchyard_api::Error> for StreamError {
    fn from(e: switchyard_api::Error) -> Self {
        match e {
            switchyard_api::Error::Unauthenticated => {
                Self::Unauthorized("HTTP Basic credentials or a signed URL are required".into())
            }
            switchyard_api::Error::NotFound(p) => Self::NotFound(format!("{p} was not found")),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<switchyard_store::Error> for StreamError {
    fn from(e: switchyard_store::Error) -> Self {
        Self::Internal(e.to_string())
    }
}

/// What an authorized stream may carry.
#[derive(Debug, Clone)]
pub struct Grant {
    pub account: AccountSid,
    pub root: AccountSid,
    pub entries: Vec<Entry>,
    /// Unix seconds at which the stream closes.
    pub expires_at: Option<u64>,
    /// Whether the client may publish client events to the account's calls over its
    /// control channel: always with the account's credentials, with a signed URL only
    /// when it was minted with `Publish=true` (a URL that shows events does not also
    /// steer calls unless its minter said so).
    pub may_publish: bool,
}

/// The key a signed URL names: `k1` is the account's signing key, `at` its auth token.
pub fn signing_key(account: &Account, kid: &str) -> Option<Vec<u8>> {
    match kid {
        "k1" => account.signing_key.as_ref().map(|k| k.as_bytes().to_vec()),
        "at" => Some(account.auth_token.as_bytes().to_vec()),
        _ => None,
    }
}

/// The key id new signed URLs use: the signing key when the account has one.
pub fn default_kid(account: &Account) -> &'static str {
    if account.signing_key.is_some() {
        "k1"
    } else {
        "at"
    }
}

/// Check a stream request for `path` (with its query `params`) on account `path_sid`.
pub fn authorize(
    shared: &Arc<Shared>,
    headers: &HeaderMap,
    path: &str,
    path_sid: &str,
    params: &[(String, String)],
) -> Result<Grant, StreamError> {
    let now = crate::shared::now_ms() as u64 / 1000;
    let is_signed = params
        .iter()
        .any(|(k, _)| [signed::SIGNATURE, signed::KEY_ID, signed::EXPIRES].contains(&k.as_str()));
    let (account, url_expiry) = if is_signed {
        let sid: AccountSid = path_sid
            .parse()
            .map_err(|_| StreamError::NotFound(format!("account {path_sid} was not found")))?;
        let account = shared
            .store
            .account(sid)?
            .filter(|a| a.status != switchyard_store::AccountStatus::Closed)
            .ok_or_else(|| StreamError::NotFound(format!("account {path_sid} was not found")))?;
        let expires = signed::verify(path, params, |kid| signing_key(&account, kid), now).map_err(
            |e| match e {
                switchyard_events::Error::Unsigned | switchyard_events::Error::Expired(_) => {
                    StreamError::Unauthorized(e.to_string())
                }
                other => StreamError::Forbidden(other.to_string()),
            },
        )?;
        (account, Some(expires))
    } else {
        // (Basic credentials: the account's own key holder.)
        let caller = switchyard_api::auth::authenticate(shared.store.as_ref(), headers)?;
        (
            switchyard_api::auth::reach(shared.store.as_ref(), &caller, path_sid)?,
            None,
        )
    };
    let (entries, sub_expiry) = entries(shared, &account, params, now)?;
    let expires_at = match (url_expiry, sub_expiry) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let may_publish = !is_signed || params.iter().any(|(k, v)| k == "publish" && v == "true");
    Ok(Grant {
        account: account.sid,
        root: account.owner_account_sid.unwrap_or(account.sid),
        entries,
        expires_at,
        may_publish,
    })
}

/// A stored subscription as the router matches it.
pub fn entry(s: &Subscription) -> Result<Entry, StreamError> {
    let spec = Spec::new(s.types.clone(), &s.filters, s.wasm_filter.clone())
        .map_err(|e| StreamError::Internal(format!("subscription {}: {e}", s.sid)))?;
    Ok(Entry {
        key: s.sid.to_string(),
        spec: Arc::new(spec),
    })
}

/// The subscriptions a request names (`subscriptions=ES…,ES…`) or describes inline
/// (`types=…`, `filter=…` repeated, `wasm_filter=…`); with neither, every event.
fn entries(
    shared: &Shared,
    account: &Account,
    params: &[(String, String)],
    now: u64,
) -> Result<(Vec<Entry>, Option<u64>), StreamError> {
    let mut entries = Vec::new();
    let mut expiry: Option<u64> = None;
    for sid in all(params, "subscriptions")
        .flat_map(|v| v.split(','))
        .filter(|s| !s.is_empty())
    {
        let not_found = || StreamError::NotFound(format!("subscription {sid} was not found"));
        let sid: SubscriptionSid = sid.parse().map_err(|_| not_found())?;
        let s = shared
            .store
            .subscription(account.sid, sid)?
            .ok_or_else(not_found)?;
        if let Some(at) = s.expires_at {
            if at as u64 <= now {
                return Err(StreamError::Unauthorized(format!(
                    "subscription {sid} expired at {at} (unix seconds)"
                )));
            }
            expiry = Some(expiry.map_or(at as u64, |e| e.min(at as u64)));
        }
        if s.sink_url.is_some() {
            return Err(StreamError::BadRequest(format!(
                "subscription {sid} delivers to a webhook, not to a stream"
            )));
        }
        entries.push(entry(&s)?);
    }
    let types: Vec<String> = all(params, "types")
        .flat_map(|v| v.split(','))
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    let filters: Vec<String> = all(params, "filter").map(str::to_owned).collect();
    let wasm = all(params, "wasm_filter").next().map(str::to_owned);
    if entries.is_empty() || !types.is_empty() || !filters.is_empty() || wasm.is_some() {
        let spec =
            Spec::new(types, &filters, wasm).map_err(|e| StreamError::BadRequest(e.to_string()))?;
        entries.push(Entry {
            key: "inline".into(),
            spec: Arc::new(spec),
        });
    }
    Ok((entries, expiry))
}

fn all<'a>(params: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    params
        .iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}
