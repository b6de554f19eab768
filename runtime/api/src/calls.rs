//! `…/Calls.json` and `…/Calls/{CallSid}.json`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use switchyard_store::{Account, AccountStatus, CallFilter, CallRecord};
use switchyard_types::{CallSid, CallStatus};

use crate::auth::{authenticate, reach, strip_json};
use crate::date::{next_day, parse_filter, rfc2822, rfc2822_opt};
use crate::paging::{Listing, PageRequest};
use crate::params::Params;
use crate::{validate, ApiState, CallUpdate, Error, NewCall, API_VERSION};

/// Twilio's limit on an inline `Twiml` parameter.
const TWIML_MAX: usize = 4000;
/// The status callback events Twilio knows.
pub(crate) const EVENTS: [&str; 4] = ["initiated", "ringing", "answered", "completed"];

const STATUSES: [CallStatus; 8] = [
    CallStatus::Queued,
    CallStatus::Ringing,
    CallStatus::InProgress,
    CallStatus::Completed,
    CallStatus::Busy,
    CallStatus::Failed,
    CallStatus::NoAnswer,
    CallStatus::Canceled,
];

fn parse_status(value: &str) -> Result<CallStatus, Error> {
    STATUSES
        .into_iter()
        .find(|s| s.as_str() == value)
        .ok_or_else(|| Error::param("Status", format!("{value:?} is not a call status")))
}

/// The call's JSON, Twilio's field names.
pub(crate) fn render(c: &CallRecord) -> Value {
    json!({
        "sid": c.sid,
        "account_sid": c.account_sid,
        "parent_call_sid": c.parent_call_sid,
        "phone_number_sid": c.phone_number_sid,
        "to": c.to,
        "to_formatted": c.to,
        "from": c.from,
        "from_formatted": c.from,
        "status": c.status.as_str(),
        "direction": c.direction,
        "date_created": rfc2822(c.date_created),
        "date_updated": rfc2822(c.date_updated),
        "start_time": rfc2822_opt(c.start_time),
        "end_time": rfc2822_opt(c.end_time),
        // Twilio sends the duration in seconds as a string.
        "duration": c.duration.map(|d| d.to_string()),
        "price": Value::Null,
        "price_unit": "USD",
        "answered_by": Value::Null,
        "caller_name": Value::Null,
        "forwarded_from": Value::Null,
        "group_sid": Value::Null,
        "trunk_sid": Value::Null,
        "queue_time": "0",
        "annotation": Value::Null,
        "api_version": API_VERSION,
        "uri": format!("/2010-04-01/Accounts/{}/Calls/{}.json", c.account_sid, c.sid),
        "subresource_uris": {},
    })
}

/// The `StartTime`, `StartTime>` (on or after) and `StartTime<` (on or before) filters.
/// A bare date covers that whole UTC day; a date-time has one-second resolution.
fn time_filter(params: &Params, filter: &mut CallFilter) -> Result<(), Error> {
    let mut after: Vec<i64> = Vec::new();
    let mut before: Vec<i64> = Vec::new();
    if let Some(v) = params.get("StartTime") {
        let (t, day) = parse_filter("StartTime", v)?;
        after.push(t);
        before.push(if day { next_day(t) } else { t + 1000 });
    }
    if let Some(v) = params.get("StartTime>") {
        after.push(parse_filter("StartTime>", v)?.0);
    }
    if let Some(v) = params.get("StartTime<") {
        let (t, day) = parse_filter("StartTime<", v)?;
        before.push(if day { next_day(t) } else { t + 1000 });
    }
    filter.started_after = after.into_iter().max();
    filter.started_before = before.into_iter().min();
    Ok(())
}

/// `GET …/Calls.json`: filters `To`, `From`, `Status`, `ParentCallSid`, `StartTime`,
/// `StartTime>`, `StartTime<`; newest first.
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
    let mut filter = CallFilter {
        to: params.non_empty("To").map(str::to_owned),
        from: params.non_empty("From").map(str::to_owned),
        status: params.get("Status").map(parse_status).transpose()?,
        parent: params
            .non_empty("ParentCallSid")
            .map(|v| {
                v.parse::<CallSid>()
                    .map_err(|_| Error::param("ParentCallSid", format!("{v:?} is not a call SID")))
            })
            .transpose()?,
        ..CallFilter::default()
    };
    time_filter(&params, &mut filter)?;
    let rows = state
        .repo
        .calls(account.sid, &filter, &request.store_page())?;
    let listing = Listing {
        key: "calls",
        path: format!("/2010-04-01/Accounts/{}/Calls.json", account.sid),
        params: &params,
        request: &request,
    };
    let body = listing.body(rows, |c| (c.date_created, c.sid.to_string()), render);
    Ok(Json(body).into_response())
}

/// Whether `account` (and its owner, for a subaccount) may start calls.
pub(crate) fn ensure_active(state: &ApiState, account: &Account) -> Result<(), Error> {
    let owner_inactive = match account.owner_account_sid {
        Some(owner) => state
            .repo
            .account(owner)?
            .is_some_and(|o| o.status != AccountStatus::Active),
        None => false,
    };
    if account.status != AccountStatus::Active || owner_inactive {
        return Err(Error::AccountNotActive(account.sid.to_string()));
    }
    Ok(())
}

fn twiml(params: &Params) -> Result<Option<String>, Error> {
    match params.get("Twiml") {
        Some("") => Err(Error::param("Twiml", "is empty")),
        Some(t) if t.len() > TWIML_MAX => Err(Error::param(
            "Twiml",
            format!("longer than {TWIML_MAX} characters"),
        )),
        other => Ok(other.map(str::to_owned)),
    }
}

fn new_call(params: &Params) -> Result<NewCall, Error> {
    let to = validate::to(params.get("To"))?;
    let from = validate::from(params.get("From"))?;
    let url = validate::strict_url(params, "Url")?;
    let twiml = twiml(params)?;
    match (&url, &twiml) {
        (Some(_), Some(_)) => return Err(Error::param("Url", "give Url or Twiml, not both")),
        (None, None) => return Err(Error::param("Url", "Url or Twiml is required")),
        _ => {}
    }
    let events = validate::events(params, "StatusCallbackEvent", &EVENTS)?;
    let timeout = match params.get("Timeout") {
        None => 60,
        Some(t) => t
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=600).contains(n))
            .ok_or_else(|| Error::InvalidTimeout(t.to_owned()))?,
    };
    Ok(NewCall {
        to,
        from,
        url,
        twiml,
        method: validate::method(params, "Method", "POST")?,
        fallback_url: validate::strict_url(params, "FallbackUrl")?,
        fallback_method: validate::method(params, "FallbackMethod", "POST")?,
        status_callback: validate::strict_url(params, "StatusCallback")?,
        status_callback_method: validate::method(params, "StatusCallbackMethod", "POST")?,
        status_callback_event: events,
        timeout,
        record: match params.get("Record") {
            None | Some("false") => None,
            Some("true") => Some(crate::recordings::start_recording(params)?),
            Some(other) => {
                return Err(Error::param(
                    "Record",
                    format!("{other:?} is not true or false"),
                ))
            }
        },
    })
}

/// `POST …/Calls.json`: queue an outbound call.
pub async fn create(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(account): Path<String>,
    body: Bytes,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    let params = Params::parse(&body)?;
    let call = new_call(&params)?;
    ensure_active(&state, &account)?;
    let record = state.calls.create(&account, call)?;
    Ok((StatusCode::CREATED, Json(render(&record))).into_response())
}

/// The call named in the path, when it belongs to the path's account.
pub(crate) fn find(
    state: &ApiState,
    account: &Account,
    segment: &str,
) -> Result<CallRecord, Error> {
    let not_found = || {
        Error::NotFound(format!(
            "/2010-04-01/Accounts/{}/Calls/{segment}",
            account.sid
        ))
    };
    let sid: CallSid = strip_json(segment)?.parse().map_err(|_| not_found())?;
    state.repo.call(account.sid, sid)?.ok_or_else(not_found)
}

/// `GET …/Calls/{CallSid}.json`.
pub async fn fetch(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account, call)): Path<(String, String)>,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    Ok(Json(render(&find(&state, &account, &call)?)).into_response())
}

fn call_update(params: &Params) -> Result<CallUpdate, Error> {
    let url = validate::strict_url(params, "Url")?;
    let twiml = twiml(params)?;
    let status = params.get("Status");
    if status.is_some() && (url.is_some() || twiml.is_some()) {
        return Err(Error::param(
            "Status",
            "cannot be combined with Url or Twiml",
        ));
    }
    match (status, url, twiml) {
        (Some("completed"), ..) => Ok(CallUpdate::Complete),
        (Some("canceled"), ..) => Ok(CallUpdate::Cancel),
        (Some(other), ..) => Err(Error::param(
            "Status",
            format!("{other:?} is not completed or canceled"),
        )),
        (None, Some(_), Some(_)) => Err(Error::param("Url", "give Url or Twiml, not both")),
        (None, Some(url), None) => Ok(CallUpdate::Redirect {
            url,
            method: validate::method(params, "Method", "POST")?,
        }),
        (None, None, Some(t)) => Ok(CallUpdate::Twiml(t)),
        (None, None, None) => Err(Error::param(
            "Url",
            "one of Url, Twiml or Status is required",
        )),
    }
}

/// `POST …/Calls/{CallSid}.json`: redirect, hang up or cancel.
pub async fn update(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account, call)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    let record = find(&state, &account, &call)?;
    let update = call_update(&Params::parse(&body)?)?;
    let action = match update {
        CallUpdate::Redirect { .. } | CallUpdate::Twiml(_) => "redirect",
        CallUpdate::Complete => "hang up",
        CallUpdate::Cancel => "cancel",
    };
    if record.status.is_final() {
        return Err(Error::InvalidCallState {
            status: record.status.as_str().to_owned(),
            action,
        });
    }
    if update == CallUpdate::Cancel && record.status == CallStatus::InProgress {
        // Twilio: canceling "will not affect in-progress calls" — answer the call as is.
        return Ok(Json(render(&record)).into_response());
    }
    let updated = state.calls.update(&account, record.sid, update)?;
    Ok(Json(render(&updated)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_forms() {
        let p = |s: &str| Params::parse(s.as_bytes()).unwrap();
        assert_eq!(
            call_update(&p("Status=completed")).unwrap(),
            CallUpdate::Complete
        );
        assert_eq!(
            call_update(&p("Status=canceled")).unwrap(),
            CallUpdate::Cancel
        );
        assert_eq!(
            call_update(&p("Url=http%3A%2F%2Fa.test%2Fv&Method=GET")).unwrap(),
            CallUpdate::Redirect {
                url: "http://a.test/v".into(),
                method: "GET".into()
            }
        );
        assert_eq!(
            call_update(&p("Twiml=%3CResponse%2F%3E")).unwrap(),
            CallUpdate::Twiml("<Response/>".into())
        );
        assert!(call_update(&p("Status=busy"))
            .unwrap_err()
            .to_string()
            .starts_with("Status:"));
        assert!(call_update(&p(""))
            .unwrap_err()
            .to_string()
            .starts_with("Url:"));
    }

    #[test]
    fn day_filters_cover_whole_days() {
        let p = Params::parse(b"StartTime%3E=2023-11-14&StartTime%3C=2023-11-15").unwrap();
        let mut f = CallFilter::default();
        time_filter(&p, &mut f).unwrap();
        assert_eq!(f.started_after, Some(1_699_920_000_000));
        assert_eq!(f.started_before, Some(1_699_920_000_000 + 2 * 86_400_000));
    }
}
