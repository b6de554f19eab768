//! `/2010-04-01/Accounts.json` and `/2010-04-01/Accounts/{Sid}.json`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use switchyard_store::{Account, AccountStatus};
use switchyard_types::AccountSid;

use crate::auth::{authenticate, reach, strip_json};
use crate::date::rfc2822;
use crate::paging::{Listing, PageRequest};
use crate::params::Params;
use crate::{now_ms, validate, ApiState, Error};

/// A fresh secret: 32 lowercase hex digits, like Twilio's auth tokens.
pub(crate) fn new_token() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The account's JSON, Twilio's field names.
pub(crate) fn render(a: &Account) -> Value {
    let uri = format!("/2010-04-01/Accounts/{}", a.sid);
    let sub = |name: &str| format!("{uri}/{name}.json");
    json!({
        "sid": a.sid,
        // Twilio: "The OwnerAccountSid of a parent account is its own sid."
        "owner_account_sid": a.owner_account_sid.unwrap_or(a.sid),
        "friendly_name": a.friendly_name,
        "status": a.status.as_str(),
        "type": "Full",
        "auth_token": a.auth_token,
        "date_created": rfc2822(a.date_created),
        "date_updated": rfc2822(a.date_updated),
        "uri": format!("{uri}.json"),
        "subresource_uris": {
            "calls": sub("Calls"),
            "incoming_phone_numbers": sub("IncomingPhoneNumbers"),
            "applications": sub("Applications"),
            "notifications": sub("Notifications"),
        },
    })
}

/// `GET /2010-04-01/Accounts.json`: the caller's account and its subaccounts.
pub async fn list(
    State(state): State<ApiState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let params = Params::query(query.as_deref())?;
    let request = PageRequest::from_params(&params)?;
    let rows = state.repo.accounts_of(caller.sid, &request.store_page())?;
    let listing = Listing {
        key: "accounts",
        path: "/2010-04-01/Accounts.json".into(),
        params: &params,
        request: &request,
    };
    let body = listing.body(rows, |a| (a.date_created, a.sid.to_string()), render);
    Ok(Json(body).into_response())
}

/// `POST /2010-04-01/Accounts.json`: a new subaccount of the caller, with its own token
/// and the caller's call limits.
pub async fn create(
    State(state): State<ApiState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let params = Params::parse(&body)?;
    if caller.owner_account_sid.is_some() {
        // Twilio: subaccounts cannot have subaccounts of their own.
        return Err(Error::Forbidden(
            "a subaccount cannot create subaccounts".into(),
        ));
    }
    let now = now_ms();
    let friendly_name = match params.non_empty("FriendlyName") {
        Some(name) => validate::friendly_name(name)?,
        None => format!("SubAccount Created at {}", rfc2822(now)),
    };
    let account = Account {
        sid: AccountSid::random(),
        owner_account_sid: Some(caller.sid),
        friendly_name,
        status: AccountStatus::Active,
        auth_token: new_token(),
        secondary_auth_token: None,
        signing_key: Some(new_token()),
        calls_per_second: caller.calls_per_second,
        max_concurrent_calls: caller.max_concurrent_calls,
        date_created: now,
        date_updated: now,
    };
    state.repo.create_account(&account)?;
    Ok((StatusCode::CREATED, Json(render(&account))).into_response())
}

/// `GET /2010-04-01/Accounts/{Sid}.json`.
pub async fn fetch(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(segment): Path<String>,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, strip_json(&segment)?)?;
    Ok(Json(render(&account)).into_response())
}

/// `POST /2010-04-01/Accounts/{Sid}.json`: `FriendlyName`, `Status`.
pub async fn update(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(segment): Path<String>,
    body: Bytes,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let mut account = reach(state.repo.as_ref(), &caller, strip_json(&segment)?)?;
    let params = Params::parse(&body)?;
    if let Some(name) = params.non_empty("FriendlyName") {
        account.friendly_name = validate::friendly_name(name)?;
    }
    if let Some(s) = params.get("Status") {
        let status = AccountStatus::parse(s).ok_or_else(|| {
            Error::param(
                "Status",
                format!("{s:?} is not active, suspended or closed"),
            )
        })?;
        if status != account.status {
            if account.sid == caller.sid {
                // Suspending or closing is the owner's decision, never the account's own:
                // a main account has no owner here, and a subaccount that could reopen
                // itself would make suspension meaningless.
                return Err(Error::Forbidden(
                    "an account's Status is changed by its owning account".into(),
                ));
            }
            if account.status == AccountStatus::Closed {
                return Err(Error::AccountClosed(account.sid.to_string()));
            }
            account.status = status;
        }
    }
    account.date_updated = now_ms();
    state.repo.update_account(&account)?;
    Ok(Json(render(&account)).into_response())
}
