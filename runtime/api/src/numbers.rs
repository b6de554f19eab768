//! `…/IncomingPhoneNumbers.json` and `…/IncomingPhoneNumbers/{Sid}.json`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use switchyard_store::{Account, NumberFilter, PhoneNumber};
use switchyard_types::{ApplicationSid, PhoneNumberSid};

use crate::auth::{authenticate, reach, strip_json};
use crate::date::rfc2822;
use crate::paging::{Listing, PageRequest};
use crate::params::Params;
use crate::voice::{merge, Voice};
use crate::{now_ms, validate, ApiState, Error, API_VERSION};

/// The number's JSON, Twilio's field names plus our `voice_wasm_app` and
/// `voice_transcoder` (`app:NAME`, as it was set).
pub(crate) fn render(n: &PhoneNumber) -> Value {
    let base = json!({
        "sid": n.sid,
        "account_sid": n.account_sid,
        "phone_number": n.phone_number,
        "friendly_name": n.friendly_name,
        "voice_application_sid": n.voice_application_sid,
        "voice_wasm_app": n.voice_wasm_app,
        "voice_transcoder": n.voice_transcoder.as_ref().map(|name| format!("app:{name}")),
        "voice_caller_id_lookup": false,
        "capabilities": {"voice": true, "sms": false, "mms": false, "fax": false},
        "status": "in-use",
        "origin": "hosted",
        "api_version": API_VERSION,
        "date_created": rfc2822(n.date_created),
        "date_updated": rfc2822(n.date_updated),
        "uri": format!(
            "/2010-04-01/Accounts/{}/IncomingPhoneNumbers/{}.json",
            n.account_sid, n.sid
        ),
    });
    merge(base, Voice::of(n).render())
}

/// `VoiceWasmApp`: the name of one of the account's Wasm apps.
fn wasm_app(value: &str) -> Result<String, Error> {
    let ok = (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'));
    if !ok {
        return Err(Error::param(
            "VoiceWasmApp",
            format!("{value:?} is not an app name (1-64 letters, digits, '_', '-', '.')"),
        ));
    }
    Ok(value.to_owned())
}

/// Apply every settable parameter except `PhoneNumber` (fixed once created).
fn apply(state: &ApiState, n: &mut PhoneNumber, params: &Params) -> Result<(), Error> {
    if params.has("FriendlyName") {
        n.friendly_name = validate::friendly_name(params.get("FriendlyName").unwrap_or(""))?;
    }
    let mut voice = Voice::of(n);
    voice.apply(params)?;
    voice.store(n);
    if params.has("VoiceApplicationSid") {
        n.voice_application_sid = match params.non_empty("VoiceApplicationSid") {
            None => None,
            Some(v) => {
                let sid: ApplicationSid = validate::sid("VoiceApplicationSid", v)?;
                // Only the account's own applications: another tenant's app must look
                // exactly like a missing one.
                if state.repo.application(n.account_sid, sid)?.is_none() {
                    return Err(Error::NotFound(format!(
                        "VoiceApplicationSid {v} (no such application in this account)"
                    )));
                }
                Some(sid)
            }
        };
    }
    if params.has("VoiceWasmApp") {
        n.voice_wasm_app = params.non_empty("VoiceWasmApp").map(wasm_app).transpose()?;
    }
    // A Switchyard extension: the tenant transcoder on the caller's leg; empty clears it.
    if params.has("VoiceTranscoder") {
        n.voice_transcoder = params
            .non_empty("VoiceTranscoder")
            .map(|v| validate::transcoder("VoiceTranscoder", v))
            .transpose()?;
    }
    Ok(())
}

/// `GET …/IncomingPhoneNumbers.json`: filters `PhoneNumber`, `FriendlyName`.
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
    let filter = NumberFilter {
        phone_number: params.non_empty("PhoneNumber").map(str::to_owned),
        friendly_name: params.non_empty("FriendlyName").map(str::to_owned),
    };
    let rows = state
        .repo
        .numbers(account.sid, &filter, &request.store_page())?;
    let listing = Listing {
        key: "incoming_phone_numbers",
        path: format!(
            "/2010-04-01/Accounts/{}/IncomingPhoneNumbers.json",
            account.sid
        ),
        params: &params,
        request: &request,
    };
    let body = listing.body(rows, |n| (n.date_created, n.sid.to_string()), render);
    Ok(Json(body).into_response())
}

/// `POST …/IncomingPhoneNumbers.json`: claim a number for the account.
pub async fn create(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(account): Path<String>,
    body: Bytes,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    let params = Params::parse(&body)?;
    let e164 = params.get("PhoneNumber").unwrap_or("");
    if !validate::is_e164(e164) {
        return Err(Error::InvalidPhoneNumber(e164.to_owned()));
    }
    // One number, one account: the call router looks numbers up by E.164 alone.
    if state.repo.number_by_e164(e164)?.is_some() {
        return Err(Error::PhoneNumberUnavailable(e164.to_owned()));
    }
    let now = now_ms();
    let mut number = PhoneNumber {
        sid: PhoneNumberSid::random(),
        account_sid: account.sid,
        phone_number: e164.to_owned(),
        friendly_name: e164.to_owned(),
        voice_url: None,
        voice_method: String::new(),
        voice_fallback_url: None,
        voice_fallback_method: String::new(),
        status_callback: None,
        status_callback_method: String::new(),
        status_callback_event: Vec::new(),
        voice_application_sid: None,
        voice_wasm_app: None,
        voice_transcoder: None,
        date_created: now,
        date_updated: now,
    };
    Voice::default().store(&mut number);
    apply(&state, &mut number, &params)?;
    put(&state, &number)?;
    Ok((StatusCode::CREATED, Json(render(&number))).into_response())
}

fn put(state: &ApiState, number: &PhoneNumber) -> Result<(), Error> {
    state.repo.put_number(number).map_err(|e| match e {
        // Lost a race with another account claiming the same number.
        switchyard_store::Error::Conflict { .. } => {
            Error::PhoneNumberUnavailable(number.phone_number.clone())
        }
        other => other.into(),
    })
}

fn find(state: &ApiState, account: &Account, segment: &str) -> Result<PhoneNumber, Error> {
    let not_found = || {
        Error::NotFound(format!(
            "/2010-04-01/Accounts/{}/IncomingPhoneNumbers/{segment}",
            account.sid
        ))
    };
    let sid: PhoneNumberSid = strip_json(segment)?.parse().map_err(|_| not_found())?;
    state.repo.number(account.sid, sid)?.ok_or_else(not_found)
}

/// `GET …/IncomingPhoneNumbers/{Sid}.json`.
pub async fn fetch(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account, number)): Path<(String, String)>,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    Ok(Json(render(&find(&state, &account, &number)?)).into_response())
}

/// `POST …/IncomingPhoneNumbers/{Sid}.json`.
pub async fn update(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account, number)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    let mut number = find(&state, &account, &number)?;
    apply(&state, &mut number, &Params::parse(&body)?)?;
    number.date_updated = now_ms();
    put(&state, &number)?;
    Ok(Json(render(&number)).into_response())
}

/// `DELETE …/IncomingPhoneNumbers/{Sid}.json`: release the number (204).
pub async fn delete(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account, number)): Path<(String, String)>,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    let number = find(&state, &account, &number)?;
    state.repo.delete_number(account.sid, number.sid)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
