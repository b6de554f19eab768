//! `…/SIP/IpAccessControlLists` and their `IpAddresses` (address ranges).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use switchyard_store::{Account, IpAccessControlList, IpAddress};
use switchyard_types::{IpAccessControlListSid, IpAddressSid};

use super::{account, bare_or_json_sid, listing, path_sid, required_name, rules};
use crate::date::rfc2822;
use crate::params::Params;
use crate::validate::friendly_name;
use crate::{now_ms, ApiState, Error};

fn list_uri(l: &IpAccessControlList) -> String {
    format!(
        "/2010-04-01/Accounts/{}/SIP/IpAccessControlLists/{}",
        l.account_sid, l.sid
    )
}

/// The list's JSON, Twilio's field names.
pub(super) fn render_list(l: &IpAccessControlList) -> Value {
    let uri = list_uri(l);
    json!({
        "sid": l.sid,
        "account_sid": l.account_sid,
        "friendly_name": l.friendly_name,
        "date_created": rfc2822(l.date_created),
        "date_updated": rfc2822(l.date_updated),
        "uri": format!("{uri}.json"),
        "subresource_uris": { "ip_addresses": format!("{uri}/IpAddresses.json") },
    })
}

fn render(a: &IpAddress) -> Value {
    json!({
        "sid": a.sid,
        "account_sid": a.account_sid,
        "ip_access_control_list_sid": a.ip_access_control_list_sid,
        "friendly_name": a.friendly_name,
        "ip_address": a.ip_address,
        "cidr_prefix_length": a.cidr_prefix_length,
        "date_created": rfc2822(a.date_created),
        "date_updated": rfc2822(a.date_updated),
        "uri": format!(
            "/2010-04-01/Accounts/{}/SIP/IpAccessControlLists/{}/IpAddresses/{}.json",
            a.account_sid, a.ip_access_control_list_sid, a.sid
        ),
    })
}

fn required<'a>(params: &'a Params, name: &'static str) -> Result<&'a str, Error> {
    params
        .non_empty(name)
        .ok_or_else(|| Error::param(name, "is required"))
}

/// `GET …/SIP/IpAccessControlLists.json`.
pub async fn list_lists(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(account_sid): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &account_sid)?;
    listing(
        query.as_deref(),
        "ip_access_control_lists",
        format!(
            "/2010-04-01/Accounts/{}/SIP/IpAccessControlLists.json",
            account.sid
        ),
        |page| Ok(state.repo.ip_acls(account.sid, page)?),
        |l| (l.date_created, l.sid.to_string()),
        render_list,
    )
}

/// `POST …/SIP/IpAccessControlLists.json`: `FriendlyName` is required.
pub async fn create_list(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(account_sid): Path<String>,
    body: Bytes,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &account_sid)?;
    let params = Params::parse(&body)?;
    let now = now_ms();
    let l = IpAccessControlList {
        sid: IpAccessControlListSid::random(),
        account_sid: account.sid,
        friendly_name: required_name(&params)?,
        date_created: now,
        date_updated: now,
    };
    state.repo.put_ip_acl(&l)?;
    Ok((StatusCode::CREATED, Json(render_list(&l))).into_response())
}

/// The account's list named by a path segment (with or without `.json`).
pub(super) fn find_list(
    state: &ApiState,
    account: &Account,
    segment: &str,
) -> Result<IpAccessControlList, Error> {
    let path = format!(
        "/2010-04-01/Accounts/{}/SIP/IpAccessControlLists/{segment}",
        account.sid
    );
    let sid: IpAccessControlListSid = bare_or_json_sid(segment, &path)?;
    state
        .repo
        .ip_acl(account.sid, sid)?
        .ok_or(Error::NotFound(path))
}

/// `GET …/SIP/IpAccessControlLists/{Sid}.json`.
pub async fn fetch_list(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account_sid, list)): Path<(String, String)>,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &account_sid)?;
    Ok(Json(render_list(&find_list(&state, &account, &list)?)).into_response())
}

/// `POST …/SIP/IpAccessControlLists/{Sid}.json`: renames it.
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
    state.repo.put_ip_acl(&l)?;
    Ok(Json(render_list(&l)).into_response())
}

/// `DELETE …/SIP/IpAccessControlLists/{Sid}.json` (204), with its addresses and mappings.
pub async fn delete_list(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account_sid, list)): Path<(String, String)>,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &account_sid)?;
    let l = find_list(&state, &account, &list)?;
    state.repo.delete_ip_acl(account.sid, l.sid)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET …/IpAddresses.json`.
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
        "ip_addresses",
        format!("{}/IpAddresses.json", list_uri(&l)),
        |page| Ok(state.repo.ip_addresses(account.sid, l.sid, page)?),
        |a| (a.date_created, a.sid.to_string()),
        render,
    )
}

/// `POST …/IpAddresses.json`: `FriendlyName` and `IpAddress` are required,
/// `CidrPrefixLength` optional.
pub async fn create(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account_sid, list)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &account_sid)?;
    let l = find_list(&state, &account, &list)?;
    let params = Params::parse(&body)?;
    let friendly = required_name(&params)?;
    let (ip, prefix) = rules::address(
        required(&params, "IpAddress")?,
        params.non_empty("CidrPrefixLength"),
    )?;
    let now = now_ms();
    let a = IpAddress {
        sid: IpAddressSid::random(),
        account_sid: account.sid,
        ip_access_control_list_sid: l.sid,
        friendly_name: friendly,
        ip_address: ip,
        cidr_prefix_length: prefix,
        date_created: now,
        date_updated: now,
    };
    state.repo.put_ip_address(&a)?;
    Ok((StatusCode::CREATED, Json(render(&a))).into_response())
}

fn find(
    state: &ApiState,
    account: &Account,
    list: &str,
    segment: &str,
) -> Result<IpAddress, Error> {
    let l = find_list(state, account, list)?;
    let path = format!("{}/IpAddresses/{segment}", list_uri(&l));
    let sid: IpAddressSid = path_sid(segment, &path)?;
    state
        .repo
        .ip_address(account.sid, l.sid, sid)?
        .ok_or(Error::NotFound(path))
}

/// `GET …/IpAddresses/{Sid}.json`.
pub async fn fetch(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account_sid, list, address)): Path<(String, String, String)>,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &account_sid)?;
    Ok(Json(render(&find(&state, &account, &list, &address)?)).into_response())
}

/// `POST …/IpAddresses/{Sid}.json`: `IpAddress`, `CidrPrefixLength`, `FriendlyName`.
pub async fn update(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account_sid, list, address)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &account_sid)?;
    let mut a = find(&state, &account, &list, &address)?;
    let params = Params::parse(&body)?;
    if let Some(name) = params.get("FriendlyName") {
        a.friendly_name = friendly_name(name)?;
    }
    if params.has("IpAddress") || params.has("CidrPrefixLength") {
        let ip = params.non_empty("IpAddress").unwrap_or(&a.ip_address);
        let prefix = a.cidr_prefix_length.to_string();
        let prefix = params.non_empty("CidrPrefixLength").unwrap_or(&prefix);
        (a.ip_address, a.cidr_prefix_length) = rules::address(ip, Some(prefix))?;
    }
    a.date_updated = now_ms();
    state.repo.put_ip_address(&a)?;
    Ok(Json(render(&a)).into_response())
}

/// `DELETE …/IpAddresses/{Sid}.json` (204).
pub async fn delete(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account_sid, list, address)): Path<(String, String, String)>,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &account_sid)?;
    let a = find(&state, &account, &list, &address)?;
    state
        .repo
        .delete_ip_address(account.sid, a.ip_access_control_list_sid, a.sid)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
