//! `…/Applications.json` and `…/Applications/{Sid}.json`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use switchyard_store::{Account, Application};
use switchyard_types::ApplicationSid;

use crate::auth::{authenticate, reach, strip_json};
use crate::date::rfc2822;
use crate::paging::{Listing, PageRequest};
use crate::params::Params;
use crate::voice::{merge, Voice};
use crate::{now_ms, validate, ApiState, Error, API_VERSION};

/// The application's JSON, Twilio's field names.
pub(crate) fn render(a: &Application) -> Value {
    let base = json!({
        "sid": a.sid,
        "account_sid": a.account_sid,
        "friendly_name": a.friendly_name,
        "voice_caller_id_lookup": false,
        "api_version": API_VERSION,
        "date_created": rfc2822(a.date_created),
        "date_updated": rfc2822(a.date_updated),
        "uri": format!("/2010-04-01/Accounts/{}/Applications/{}.json", a.account_sid, a.sid),
    });
    merge(base, Voice::of(a).render())
}

fn apply(a: &mut Application, params: &Params) -> Result<(), Error> {
    if params.has("FriendlyName") {
        a.friendly_name = validate::friendly_name(params.get("FriendlyName").unwrap_or(""))?;
    }
    let mut voice = Voice::of(a);
    voice.apply(params)?;
    voice.store(a);
    Ok(())
}

/// `GET …/Applications.json`.
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
        .applications(account.sid, &request.store_page())?;
    let listing = Listing {
        key: "applications",
        path: format!("/2010-04-01/Accounts/{}/Applications.json", account.sid),
        params: &params,
        request: &request,
    };
    let body = listing.body(rows, |a| (a.date_created, a.sid.to_string()), render);
    Ok(Json(body).into_response())
}

/// `POST …/Applications.json`.
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
    let mut app = Application {
        sid: ApplicationSid::random(),
        account_sid: account.sid,
        friendly_name: String::new(),
        voice_url: None,
        voice_method: String::new(),
        voice_fallback_url: None,
        voice_fallback_method: String::new(),
        status_callback: None,
        status_callback_method: String::new(),
        date_created: now,
        date_updated: now,
    };
    Voice::default().store(&mut app);
    apply(&mut app, &params)?;
    state.repo.put_application(&app)?;
    Ok((StatusCode::CREATED, Json(render(&app))).into_response())
}

fn find(state: &ApiState, account: &Account, segment: &str) -> Result<Application, Error> {
    let not_found = || {
        Error::NotFound(format!(
            "/2010-04-01/Accounts/{}/Applications/{segment}",
            account.sid
        ))
    };
    let sid: ApplicationSid = strip_json(segment)?.parse().map_err(|_| not_found())?;
    state
        .repo
        .application(account.sid, sid)?
        .ok_or_else(not_found)
}

/// `GET …/Applications/{Sid}.json`.
pub async fn fetch(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account, app)): Path<(String, String)>,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    Ok(Json(render(&find(&state, &account, &app)?)).into_response())
}

/// `POST …/Applications/{Sid}.json`.
pub async fn update(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account, app)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    let mut app = find(&state, &account, &app)?;
    apply(&mut app, &Params::parse(&body)?)?;
    app.date_updated = now_ms();
    state.repo.put_application(&app)?;
    Ok(Json(render(&app)).into_response())
}

/// `DELETE …/Applications/{Sid}.json` (204).
pub async fn delete(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account, app)): Path<(String, String)>,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    let app = find(&state, &account, &app)?;
    state.repo.delete_application(account.sid, app.sid)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
