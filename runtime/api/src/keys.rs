//! `…/Keys.json` and `…/Keys/{Sid}.json`: API keys. A key's secret signs access tokens;
//! it is returned once, by the request that creates the key, and never again.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rand::distr::{Alphanumeric, SampleString};
use serde_json::{json, Value};
use switchyard_store::{Account, ApiKey};
use switchyard_types::ApiKeySid;

use crate::auth::{authenticate, reach, strip_json};
use crate::date::rfc2822;
use crate::paging::{Listing, PageRequest};
use crate::params::Params;
use crate::validate::friendly_name;
use crate::{now_ms, ApiState, Error};

/// Characters of a new secret (Twilio's are 32 letters and digits: about 190 bits).
const SECRET_LEN: usize = 32;

/// The key's JSON without its secret.
fn render(k: &ApiKey) -> Value {
    json!({
        "sid": k.sid,
        "friendly_name": k.friendly_name,
        "date_created": rfc2822(k.date_created),
        "date_updated": rfc2822(k.date_updated),
    })
}

/// `GET …/Keys.json`.
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
    let rows = state.repo.api_keys(account.sid, &request.store_page())?;
    let listing = Listing {
        key: "keys",
        path: format!("/2010-04-01/Accounts/{}/Keys.json", account.sid),
        params: &params,
        request: &request,
    };
    let body = listing.body(rows, |k| (k.date_created, k.sid.to_string()), render);
    Ok(Json(body).into_response())
}

/// `POST …/Keys.json`: a new key; the response carries its `secret`, the only time it
/// is shown.
pub async fn create(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(account): Path<String>,
    body: Bytes,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    let params = Params::parse(&body)?;
    let now = now_ms();
    let key = ApiKey {
        sid: ApiKeySid::random(),
        account_sid: account.sid,
        friendly_name: friendly_name(params.get("FriendlyName").unwrap_or(""))?,
        secret: Alphanumeric.sample_string(&mut rand::rng(), SECRET_LEN),
        date_created: now,
        date_updated: now,
    };
    state.repo.put_api_key(&key)?;
    let mut body = render(&key);
    body["secret"] = json!(key.secret);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

fn find(state: &ApiState, account: &Account, segment: &str) -> Result<ApiKey, Error> {
    let not_found = || {
        Error::NotFound(format!(
            "/2010-04-01/Accounts/{}/Keys/{segment}",
            account.sid
        ))
    };
    let sid: ApiKeySid = strip_json(segment)?.parse().map_err(|_| not_found())?;
    state
        .repo
        .api_key_of(account.sid, sid)?
        .ok_or_else(not_found)
}

/// `GET …/Keys/{Sid}.json`.
pub async fn fetch(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account, key)): Path<(String, String)>,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    Ok(Json(render(&find(&state, &account, &key)?)).into_response())
}

/// `POST …/Keys/{Sid}.json`: `FriendlyName`.
pub async fn update(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account, key)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    let mut key = find(&state, &account, &key)?;
    if let Some(name) = Params::parse(&body)?.get("FriendlyName") {
        key.friendly_name = friendly_name(name)?;
    }
    key.date_updated = now_ms();
    state.repo.put_api_key(&key)?;
    Ok(Json(render(&key)).into_response())
}

/// `DELETE …/Keys/{Sid}.json` (204): tokens it signed stop being accepted.
pub async fn delete(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account, key)): Path<(String, String)>,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    let key = find(&state, &account, &key)?;
    state.repo.delete_api_key(account.sid, key.sid)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
