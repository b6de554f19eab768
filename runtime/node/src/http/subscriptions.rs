//! The event router's control channel:
//! `/v1/Accounts/{AccountSid}/Subscriptions[/{Sid}]` (create, list, fetch, change,
//! delete), signed stream URLs, client events to calls, and the event catalogue.
//!
//! Parameters (form-encoded, Twilio style): `Types` (comma-separated, repeatable:
//! `call.*`, `gather.ended`, …), `Filter` (repeatable: `From=+1555…` or
//! `From^=+1555`), `WasmFilter` (a deployed event-filter app), `SinkUrl` (a webhook;
//! none: a stream subscription) and `Ttl` (seconds until it expires).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use switchyard_api::auth::{authenticate, reach};
use switchyard_api::Error as ApiError;
use switchyard_events::{catalogue, signed, Spec};
use switchyard_store::{Account, Repository, Subscription};
use switchyard_types::{CallSid, SubscriptionSid};

use crate::events::{default_kid, signing_key};
use crate::live::Control;
use crate::shared::{now_ms, Shared};

/// How long a minted stream URL is valid when no `Ttl` is given.
const DEFAULT_URL_TTL: u64 = 3600;
/// The longest a minted URL may be valid (a day): short-lived by design.
const MAX_URL_TTL: u64 = 86_400;

type Params = Vec<(String, String)>;

fn all<'a>(p: &'a Params, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    p.iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A form body, decoded once the caller is known (a stranger learns nothing from it).
fn form(body: &[u8]) -> Result<Params, ApiError> {
    Ok(switchyard_api::Params::parse(body)?.into_pairs())
}

fn one<'a>(p: &'a Params, name: &str) -> Option<&'a str> {
    p.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn account(shared: &Shared, headers: &HeaderMap, sid: &str) -> Result<Account, ApiError> {
    let caller = authenticate(shared.store.as_ref(), headers)?;
    reach(shared.store.as_ref(), &caller, sid)
}

fn events_path(account: &Account) -> String {
    format!("/v1/Accounts/{}/Events", account.sid)
}

/// A signed stream URL (path and query) for `params`, valid for `ttl` seconds but
/// never past `cap` (a subscription's own expiry).
fn mint(account: &Account, params: &Params, ttl: u64, cap: Option<i64>) -> (String, u64) {
    let now = now_ms() as u64 / 1000;
    let mut expires = now + ttl;
    if let Some(cap) = cap {
        expires = expires.min(cap.max(0) as u64);
    }
    let kid = default_kid(account);
    let key = signing_key(account, kid).unwrap_or_default();
    let path = events_path(account);
    let query = signed::mint(&path, params, kid, &key, expires);
    (format!("{path}?{query}"), expires)
}

/// The answer of both SignedUrl requests: `params` signed for `Ttl` (capped by `cap`),
/// with `publish=true` when `Publish=true` was asked.
fn minted(
    account: &Account,
    mut params: Params,
    request: &Params,
    cap: Option<i64>,
) -> Result<Json<Value>, ApiError> {
    if one(request, "Publish") == Some("true") {
        params.push(("publish".into(), "true".into()));
    }
    let ttl = ttl(request)?.unwrap_or(DEFAULT_URL_TTL).min(MAX_URL_TTL);
    let (url, expires) = mint(account, &params, ttl, cap);
    Ok(Json(
        json!({ "url": url, "console_url": console_url(&url), "expires_at": expires }),
    ))
}

/// The live page of all of `account`'s events, signed for the longest a URL may live
/// (what `switchyard up` prints for the demo account).
pub(crate) fn console_link(account: &Account) -> String {
    let (url, _) = mint(account, &Vec::new(), MAX_URL_TTL, None);
    console_url(&url)
}

/// The live page showing a signed stream URL's events.
fn console_url(stream: &str) -> String {
    let query = serde_urlencoded::to_string([("stream", stream)]).unwrap_or_default();
    format!("/console/events?{query}")
}

fn ttl(p: &Params) -> Result<Option<u64>, ApiError> {
    one(p, "Ttl")
        .map(|t| {
            t.parse::<u64>()
                .ok()
                .filter(|t| (1..=MAX_URL_TTL * 365).contains(t))
                .ok_or_else(|| ApiError::param("Ttl", "whole seconds, at least 1"))
        })
        .transpose()
}

fn subscription_json(s: &Subscription, account: &Account) -> Value {
    let mut v = json!({
        "sid": s.sid.to_string(),
        "account_sid": s.account_sid.to_string(),
        "types": s.types,
        "filters": s.filters,
        "wasm_filter": s.wasm_filter,
        "sink_url": s.sink_url,
        "expires_at": s.expires_at,
        "date_created": crate::status::format_rfc2822((s.date_created / 1000) as u64),
        "date_updated": crate::status::format_rfc2822((s.date_updated / 1000) as u64),
        "uri": format!("/v1/Accounts/{}/Subscriptions/{}", s.account_sid, s.sid),
    });
    if s.sink_url.is_none() {
        let params = vec![("subscriptions".to_owned(), s.sid.to_string())];
        let (url, expires) = mint(account, &params, DEFAULT_URL_TTL, s.expires_at);
        v["stream_url"] = url.into();
        v["stream_url_expires_at"] = expires.into();
    }
    v
}

/// Apply the parameters present to `s` (all of them on create).
fn apply(shared: &Shared, s: &mut Subscription, p: &Params) -> Result<(), ApiError> {
    let types: Vec<String> = all(p, "Types")
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    if one(p, "Types").is_some() {
        s.types = types;
    }
    if one(p, "Filter").is_some() {
        s.filters = all(p, "Filter").map(str::to_owned).collect();
    }
    if let Some(w) = one(p, "WasmFilter") {
        s.wasm_filter = (!w.is_empty()).then(|| w.to_owned());
        if let Some(name) = &s.wasm_filter {
            let app = shared.store.wasm_app(s.account_sid, name)?;
            if app.is_none_or(|a| a.kind != "event-filter") {
                return Err(ApiError::param(
                    "WasmFilter",
                    format!("no event-filter app named {name:?} is deployed"),
                ));
            }
        }
    }
    if let Some(u) = one(p, "SinkUrl") {
        s.sink_url = if u.is_empty() {
            None
        } else {
            match reqwest::Url::parse(u) {
                Ok(url) if ["http", "https"].contains(&url.scheme()) => Some(u.to_owned()),
                _ => return Err(ApiError::param("SinkUrl", "an absolute http(s) URL")),
            }
        };
    }
    if let Some(t) = ttl(p)? {
        s.expires_at = Some((now_ms() / 1000) + t as i64);
    }
    // Checked as the router will use it: unknown types and bad filters are named.
    Spec::new(s.types.clone(), &s.filters, s.wasm_filter.clone()).map_err(|e| match e {
        switchyard_events::Error::UnknownEventType(_) => ApiError::param("Types", e.to_string()),
        _ => ApiError::param("Filter", e.to_string()),
    })?;
    Ok(())
}

pub async fn create(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(sid): Path<String>,
    body: Bytes,
) -> Response {
    let result = (|| {
        let account = account(&shared, &headers, &sid)?;
        let p = form(&body)?;
        let now = now_ms();
        let mut s = Subscription {
            sid: SubscriptionSid::random(),
            account_sid: account.sid,
            types: Vec::new(),
            filters: Vec::new(),
            wasm_filter: None,
            sink_url: None,
            expires_at: None,
            date_created: now,
            date_updated: now,
        };
        apply(&shared, &mut s, &p)?;
        shared.store.put_subscription(&s)?;
        shared.sinks.start(&shared, &s);
        Ok::<_, ApiError>((StatusCode::CREATED, Json(subscription_json(&s, &account))))
    })();
    result.into_response()
}

fn found(shared: &Shared, account: &Account, sid: &str) -> Result<Subscription, ApiError> {
    let not_found =
        || ApiError::NotFound(format!("/v1/Accounts/{}/Subscriptions/{sid}", account.sid));
    let sid: SubscriptionSid = sid.parse().map_err(|_| not_found())?;
    shared
        .store
        .subscription(account.sid, sid)?
        .ok_or_else(not_found)
}

pub async fn list(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(sid): Path<String>,
) -> Response {
    let result = account(&shared, &headers, &sid).and_then(|a| {
        let subs = shared.store.subscriptions(a.sid)?;
        let list: Vec<Value> = subs.iter().map(|s| subscription_json(s, &a)).collect();
        Ok(Json(json!({ "subscriptions": list })))
    });
    result.into_response()
}

pub async fn fetch(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((account_sid, sid)): Path<(String, String)>,
) -> Response {
    let result = account(&shared, &headers, &account_sid)
        .and_then(|a| Ok(Json(subscription_json(&found(&shared, &a, &sid)?, &a))));
    result.into_response()
}

/// PATCH (and POST, as Twilio updates) a subscription: open streams carrying it pick up
/// the change at their next reconnect; webhook sinks restart with it at once.
pub async fn update(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((account_sid, sid)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let result = account(&shared, &headers, &account_sid).and_then(|a| {
        let p = form(&body)?;
        let mut s = found(&shared, &a, &sid)?;
        apply(&shared, &mut s, &p)?;
        s.date_updated = now_ms();
        shared.store.put_subscription(&s)?;
        shared.sinks.start(&shared, &s);
        Ok(Json(subscription_json(&s, &a)))
    });
    result.into_response()
}

pub async fn delete(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((account_sid, sid)): Path<(String, String)>,
) -> Response {
    let result = account(&shared, &headers, &account_sid).and_then(|a| {
        let s = found(&shared, &a, &sid)?;
        shared.sinks.stop(s.sid);
        shared.store.delete_subscription(a.sid, s.sid)?;
        Ok(StatusCode::NO_CONTENT)
    });
    result.into_response()
}

/// `POST …/Subscriptions/{Sid}/SignedUrl` (`Ttl`): a stream URL for a browser.
pub async fn signed_url(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((account_sid, sid)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let result = account(&shared, &headers, &account_sid).and_then(|a| {
        let p = form(&body)?;
        let s = found(&shared, &a, &sid)?;
        if s.sink_url.is_some() {
            return Err(ApiError::param(
                "Sid",
                "a webhook subscription has no stream",
            ));
        }
        let params = vec![("subscriptions".to_owned(), s.sid.to_string())];
        minted(&a, params, &p, s.expires_at)
    });
    result.into_response()
}

/// `POST …/Events/SignedUrl` (`Types`, `Filter`, `WasmFilter`, `Ttl`, `Publish`): a
/// stream URL with its subscription inline, no stored subscription needed. With
/// `Publish=true` its WebSocket or QUIC control channel may also publish client events.
pub async fn inline_signed_url(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(account_sid): Path<String>,
    body: Bytes,
) -> Response {
    let result = account(&shared, &headers, &account_sid).and_then(|a| {
        let p = form(&body)?;
        let mut probe = Subscription {
            sid: SubscriptionSid::random(),
            account_sid: a.sid,
            types: Vec::new(),
            filters: Vec::new(),
            wasm_filter: None,
            sink_url: None,
            expires_at: None,
            date_created: 0,
            date_updated: 0,
        };
        apply(&shared, &mut probe, &p)?;
        let mut params: Params = Vec::new();
        if !probe.types.is_empty() {
            params.push(("types".into(), probe.types.join(",")));
        }
        params.extend(
            probe
                .filters
                .iter()
                .map(|f| ("filter".to_owned(), f.clone())),
        );
        if let Some(w) = &probe.wasm_filter {
            params.push(("wasm_filter".into(), w.clone()));
        }
        minted(&a, params, &p, None)
    });
    result.into_response()
}

/// `POST /v1/Accounts/{AccountSid}/Calls/{CallSid}/Events` (`Name`, `Data` as JSON):
/// the call's app gets the event as its next request, interrupting a Gather or Pause.
pub async fn client_event(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((account_sid, call_sid)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let result = account(&shared, &headers, &account_sid).and_then(|a| {
        let p: HashMap<String, String> = form(&body)?.into_iter().collect();
        let not_found = || ApiError::NotFound(format!("/v1/Accounts/{}/Calls/{call_sid}", a.sid));
        let call: CallSid = call_sid.parse().map_err(|_| not_found())?;
        shared.store.call(a.sid, call)?.ok_or_else(not_found)?;
        let name = p
            .get("Name")
            .filter(|n| !n.is_empty() && n.len() <= 64)
            .ok_or_else(|| ApiError::param("Name", "required: 1 to 64 characters"))?;
        let data = p.get("Data").cloned().unwrap_or_else(|| "{}".into());
        if data.len() > 16 * 1024 || serde_json::from_str::<Value>(&data).is_err() {
            return Err(ApiError::param("Data", "a JSON document of at most 16 KiB"));
        }
        deliver_client_event(&shared, call, name.clone(), data).map_err(|_| {
            ApiError::InvalidCallState {
                status: "not in progress on this node".into(),
                action: "publishing an event",
            }
        })?;
        Ok((
            StatusCode::ACCEPTED,
            Json(json!({ "call_sid": call.to_string(), "name": name })),
        ))
    });
    result.into_response()
}

/// Hand a client's event to a live call (shared by REST, WebSocket and QUIC).
pub fn deliver_client_event(
    shared: &Shared,
    call: CallSid,
    name: String,
    data: String,
) -> Result<(), crate::live::ControlError> {
    shared.live.send(call, Control::ClientEvent { name, data })
}

/// `GET /v1/EventTypes`: the catalogue.
pub async fn catalogue() -> Json<Value> {
    let types: Vec<Value> = catalogue::CATALOGUE
        .iter()
        .map(|t| json!({ "type": t.name, "description": t.description, "data": t.data }))
        .collect();
    Json(json!({ "event_types": types, "verbs": catalogue::VERBS }))
}
