//! `GET …/Calls/{Sid}.json`, `…/Calls.json`, `…/Notifications.json`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde_json::{json, Value};
use switchyard_store::{CallFilter, CallRecord, NotificationRecord, Page, Repository};
use switchyard_types::{AccountSid, CallSid};

use crate::shared::Shared;

fn error(status: StatusCode, code: u32, message: &str) -> Response {
    (
        status,
        Json(json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status.as_u16(),
        })),
    )
        .into_response()
}

/// HTTP Basic `AccountSid:AuthToken` for the account in the path.
fn authorize(
    shared: &Shared,
    headers: &HeaderMap,
    account: &str,
) -> Result<AccountSid, Box<Response>> {
    let unauthorized = || Box::new(error(StatusCode::UNAUTHORIZED, 20003, "Authenticate"));
    let account: AccountSid = account.parse().map_err(|_| unauthorized())?;
    let creds = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(unauthorized)?;
    let (user, token) = creds.split_once(':').ok_or_else(unauthorized)?;
    let entry = shared.accounts.get(&account).ok_or_else(unauthorized)?;
    if user != account.to_string()
        || !constant_time_eq(token.as_bytes(), entry.auth_token.as_bytes())
    {
        return Err(unauthorized());
    }
    Ok(account)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn rfc2822(ms: i64) -> Value {
    Value::String(httpdate::fmt_http_date(
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64),
    ))
}

fn call_json(c: &CallRecord) -> Value {
    json!({
        "sid": c.sid.to_string(),
        "account_sid": c.account_sid.to_string(),
        "from": c.from,
        "to": c.to,
        "status": c.status.as_str(),
        "direction": c.direction,
        "date_created": rfc2822(c.date_created),
        "start_time": c.start_time.map(rfc2822),
        "end_time": c.end_time.map(rfc2822),
        "duration": c.duration.map(|d| d.to_string()),
        "api_version": "2010-04-01",
        "uri": format!("/2010-04-01/Accounts/{}/Calls/{}.json", c.account_sid, c.sid),
    })
}

fn notification_json(n: &NotificationRecord) -> Value {
    json!({
        "sid": n.sid.to_string(),
        "account_sid": n.account_sid.to_string(),
        "call_sid": n.call_sid.map(|c| c.to_string()),
        "error_code": n.error_code.to_string(),
        "log": n.log.to_string(),
        "message_text": n.message_text,
        "request_url": n.request_url,
        "date_created": rfc2822(n.date_created),
        "more_info": format!("https://www.twilio.com/docs/errors/{}", n.error_code),
        "uri": format!("/2010-04-01/Accounts/{}/Notifications/{}.json", n.account_sid, n.sid),
    })
}

/// `…/Calls/{Sid}.json`, and `…/Calls.json` (the list) on the same route.
pub async fn call(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((account, call)): Path<(String, String)>,
) -> Response {
    let account = match authorize(&shared, &headers, &account) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let Some(call) = call.strip_suffix(".json") else {
        return error(
            StatusCode::NOT_FOUND,
            20404,
            "The requested resource was not found",
        );
    };
    if call == "Calls" {
        return error(
            StatusCode::NOT_FOUND,
            20404,
            "The requested resource was not found",
        );
    }
    let not_found = || {
        error(
            StatusCode::NOT_FOUND,
            20404,
            &format!("The requested resource /Calls/{call}.json was not found"),
        )
    };
    let Ok(sid) = call.parse::<CallSid>() else {
        return not_found();
    };
    match shared.store.call(account, sid) {
        Ok(Some(c)) => Json(call_json(&c)).into_response(),
        Ok(None) => not_found(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, 20500, &e.to_string()),
    }
}

pub async fn calls(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(account): Path<String>,
) -> Response {
    let account = match authorize(&shared, &headers, &account) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    match shared.store.calls(
        account,
        &CallFilter::default(),
        &Page {
            size: 50,
            after: None,
        },
    ) {
        Ok(list) => Json(json!({
            "calls": list.iter().map(call_json).collect::<Vec<_>>(),
            "page": 0,
            "page_size": 50,
            "uri": format!("/2010-04-01/Accounts/{account}/Calls.json"),
        }))
        .into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, 20500, &e.to_string()),
    }
}

pub async fn notifications(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(account): Path<String>,
) -> Response {
    let account = match authorize(&shared, &headers, &account) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    match shared.store.notifications(
        account,
        &Page {
            size: 50,
            after: None,
        },
    ) {
        Ok(list) => Json(json!({
            "notifications": list.iter().map(notification_json).collect::<Vec<_>>(),
            "page": 0,
            "page_size": 50,
            "uri": format!("/2010-04-01/Accounts/{account}/Notifications.json"),
        }))
        .into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, 20500, &e.to_string()),
    }
}
