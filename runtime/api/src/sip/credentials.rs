//! `…/SIP/CredentialLists` and their `Credentials`. A password is hashed into the digest
//! HA1s (MD5 and SHA-256, under [`SIP_REALM`]) as it arrives and is never stored, logged
//! or returned.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use switchyard_sip::digest::{ha1, Algorithm};
use switchyard_store::{Account, CredentialList, SipCredential, SIP_REALM};
use switchyard_types::{CredentialListSid, CredentialSid};

use super::{account, bare_or_json_sid, conflict, listing, path_sid, required_name, rules};
use crate::date::rfc2822;
use crate::params::Params;
use crate::{now_ms, ApiState, Error};

fn list_uri(l: &CredentialList) -> String {
    format!(
        "/2010-04-01/Accounts/{}/SIP/CredentialLists/{}",
        l.account_sid, l.sid
    )
}

/// The credential list's JSON, Twilio's field names.
pub(super) fn render_list(l: &CredentialList) -> Value {
    let uri = list_uri(l);
    json!({
        "sid": l.sid,
        "account_sid": l.account_sid,
        "friendly_name": l.friendly_name,
        "date_created": rfc2822(l.date_created),
        "date_updated": rfc2822(l.date_updated),
        "uri": format!("{uri}.json"),
        "subresource_uris": { "credentials": format!("{uri}/Credentials.json") },
    })
}

/// The credential's JSON: never the password nor its hashes.
fn render(c: &SipCredential) -> Value {
    json!({
        "sid": c.sid,
        "account_sid": c.account_sid,
        "credential_list_sid": c.credential_list_sid,
        "username": c.username,
        "date_created": rfc2822(c.date_created),
        "date_updated": rfc2822(c.date_updated),
        "uri": format!(
            "/2010-04-01/Accounts/{}/SIP/CredentialLists/{}/Credentials/{}.json",
            c.account_sid, c.credential_list_sid, c.sid
        ),
    })
}

/// `GET …/SIP/CredentialLists.json`.
pub async fn list_lists(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(account_sid): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &account_sid)?;
    listing(
        query.as_deref(),
        "credential_lists",
        format!(
            "/2010-04-01/Accounts/{}/SIP/CredentialLists.json",
            account.sid
        ),
        |page| Ok(state.repo.credential_lists(account.sid, page)?),
        |l| (l.date_created, l.sid.to_string()),
        render_list,
    )
}

/// `POST …/SIP/CredentialLists.json`: `FriendlyName` is required.
pub async fn create_list(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(account_sid): Path<String>,
    body: Bytes,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &account_sid)?;
    let params = Params::parse(&body)?;
    let now = now_ms();
    let l = CredentialList {
        sid: CredentialListSid::random(),
        account_sid: account.sid,
        friendly_name: required_name(&params)?,
        date_created: now,
        date_updated: now,
    };
    state.repo.put_credential_list(&l)?;
    Ok((StatusCode::CREATED, Json(render_list(&l))).into_response())
}

/// The account's credential list named by a path segment (with or without `.json`).
pub(super) fn find_list(
    state: &ApiState,
    account: &Account,
    segment: &str,
) -> Result<CredentialList, Error> {
    let path = format!(
        "/2010-04-01/Accounts/{}/SIP/CredentialLists/{segment}",
        account.sid
    );
    let sid: CredentialListSid = bare_or_json_sid(segment, &path)?;
    state
        .repo
        .credential_list(account.sid, sid)?
        .ok_or(Error::NotFound(path))
}

/// `GET …/SIP/CredentialLists/{Sid}.json`.
pub async fn fetch_list(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account_sid, list)): Path<(String, String)>,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &account_sid)?;
    Ok(Json(render_list(&find_list(&state, &account, &list)?)).into_response())
}

/// `POST …/SIP/CredentialLists/{Sid}.json`: renames it.
pub async fn update_list(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account_sid, list)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &account_sid)?;
    let mut l = find_list(&state, &account, &list)?;
    l.friendly_name = required_name(&Params::parse(&body)?)?;
    l.date_updated = now_ms();
    state.repo.put_credential_list(&l)?;
    Ok(Json(render_list(&l)).into_response())
}

/// `DELETE …/SIP/CredentialLists/{Sid}.json` (204), with its credentials and mappings.
pub async fn delete_list(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account_sid, list)): Path<(String, String)>,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &account_sid)?;
    let l = find_list(&state, &account, &list)?;
    state.repo.delete_credential_list(account.sid, l.sid)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Set a credential's hashes from a `Password` parameter (required).
fn set_password(c: &mut SipCredential, params: &Params) -> Result<(), Error> {
    let password = rules::password(
        params
            .get("Password")
            .ok_or_else(|| Error::param("Password", "is required"))?,
    )?;
    c.realm = SIP_REALM.to_owned();
    c.ha1_md5 = ha1(Algorithm::Md5, &c.username, SIP_REALM, password);
    c.ha1_sha256 = ha1(Algorithm::Sha256, &c.username, SIP_REALM, password);
    Ok(())
}

/// `GET …/Credentials.json`.
pub async fn list(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account_sid, list)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &account_sid)?;
    let l = find_list(&state, &account, &list)?;
    listing(
        query.as_deref(),
        "credentials",
        format!("{}/Credentials.json", list_uri(&l)),
        |page| Ok(state.repo.sip_credentials(account.sid, l.sid, page)?),
        |c| (c.date_created, c.sid.to_string()),
        render,
    )
}

/// `POST …/Credentials.json`: `Username` and `Password` are required.
pub async fn create(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account_sid, list)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &account_sid)?;
    let l = find_list(&state, &account, &list)?;
    let params = Params::parse(&body)?;
    let username = rules::username(
        params
            .get("Username")
            .ok_or_else(|| Error::param("Username", "is required"))?,
    )?;
    let now = now_ms();
    let mut c = SipCredential {
        sid: CredentialSid::random(),
        account_sid: account.sid,
        credential_list_sid: l.sid,
        username,
        realm: String::new(),
        ha1_md5: String::new(),
        ha1_sha256: String::new(),
        date_created: now,
        date_updated: now,
    };
    set_password(&mut c, &params)?;
    state
        .repo
        .put_sip_credential(&c)
        .map_err(|e| conflict(e, "Username", &c.username))?;
    Ok((StatusCode::CREATED, Json(render(&c))).into_response())
}

fn find(
    state: &ApiState,
    account: &Account,
    list: &str,
    segment: &str,
) -> Result<SipCredential, Error> {
    let l = find_list(state, account, list)?;
    let path = format!("{}/Credentials/{segment}", list_uri(&l));
    let sid: CredentialSid = path_sid(segment, &path)?;
    state
        .repo
        .sip_credential(account.sid, l.sid, sid)?
        .ok_or(Error::NotFound(path))
}

/// `GET …/Credentials/{Sid}.json`.
pub async fn fetch(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account_sid, list, credential)): Path<(String, String, String)>,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &account_sid)?;
    Ok(Json(render(&find(&state, &account, &list, &credential)?)).into_response())
}

/// `POST …/Credentials/{Sid}.json`: a new `Password` (the username never changes).
pub async fn update(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account_sid, list, credential)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &account_sid)?;
    let mut c = find(&state, &account, &list, &credential)?;
    set_password(&mut c, &Params::parse(&body)?)?;
    c.date_updated = now_ms();
    state.repo.put_sip_credential(&c)?;
    Ok(Json(render(&c)).into_response())
}

/// `DELETE …/Credentials/{Sid}.json` (204).
pub async fn delete(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account_sid, list, credential)): Path<(String, String, String)>,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &account_sid)?;
    let c = find(&state, &account, &list, &credential)?;
    state
        .repo
        .delete_sip_credential(account.sid, c.credential_list_sid, c.sid)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
