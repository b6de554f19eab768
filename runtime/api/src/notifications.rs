//! `…/Notifications.json` and `…/Notifications/{Sid}.json` (read-only).

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use switchyard_store::NotificationRecord;
use switchyard_types::NotificationSid;

use crate::auth::{authenticate, reach, strip_json};
use crate::date::rfc2822;
use crate::paging::{Listing, PageRequest};
use crate::params::Params;
use crate::{ApiState, Error, API_VERSION};

/// The notification's JSON, Twilio's field names (`error_code` and `log` are strings).
pub(crate) fn render(n: &NotificationRecord) -> Value {
    json!({
        "sid": n.sid,
        "account_sid": n.account_sid,
        "call_sid": n.call_sid,
        "api_version": API_VERSION,
        "error_code": n.error_code.to_string(),
        "log": n.log.to_string(),
        "message_text": n.message_text,
        "message_date": rfc2822(n.date_created),
        "more_info": format!("https://www.twilio.com/docs/errors/{}", n.error_code),
        "request_method": if n.request_url.is_some() { Some("POST") } else { None },
        "request_url": n.request_url,
        "date_created": rfc2822(n.date_created),
        "date_updated": rfc2822(n.date_created),
        "uri": format!("/2010-04-01/Accounts/{}/Notifications/{}.json", n.account_sid, n.sid),
    })
}

/// `GET …/Notifications.json`, newest first.
pub async fn list(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(account): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    let params = Params::query(query.as_deref())?;
    let request = PageRequest::from_params(&params)?;
    let rows = state
        .repo
        .notifications(account.sid, &request.store_page())?;
    let listing = Listing {
        key: "notifications",
        path: format!("/2010-04-01/Accounts/{}/Notifications.json", account.sid),
        params: &params,
        request: &request,
    };
    let body = listing.body(rows, |n| (n.date_created, n.sid.to_string()), render);
    Ok(Json(body).into_response())
}

/// `GET …/Notifications/{Sid}.json`.
pub async fn fetch(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account, notification)): Path<(String, String)>,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    let not_found = || {
        Error::NotFound(format!(
            "/2010-04-01/Accounts/{}/Notifications/{notification}",
            account.sid
        ))
    };
    let sid: NotificationSid = strip_json(&notification)?
        .parse()
        .map_err(|_| not_found())?;
    let record = state
        .repo
        .notification(account.sid, sid)?
        .ok_or_else(not_found)?;
    Ok(Json(render(&record)).into_response())
}
