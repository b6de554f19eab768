//! A domain's mappings: which credential lists authenticate its registrations
//! (`Auth/Registrations/CredentialListMappings`) and calls
//! (`Auth/Calls/CredentialListMappings`), and which IP access control lists admit calls
//! (`Auth/Calls/IpAccessControlListMappings`). The older `CredentialListMappings` and
//! `IpAccessControlListMappings` directly under the domain are the calls mappings.
//! A mapping's sid is the sid of the list it maps, as on Twilio.

use axum::body::Bytes;
use axum::extract::{MatchedPath, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use switchyard_store::{Account, DomainMapping, MappingKind, SipDomain};

use super::{account, conflict, credentials, domains, ip_acls, listing};
use crate::date::rfc2822;
use crate::params::Params;
use crate::{now_ms, ApiState, Error};

/// One of the mapping lists under a domain.
#[derive(Debug)]
pub(super) struct Mappings {
    /// Below `…/SIP/Domains/{Sid}/`.
    pub(super) path: &'static str,
    kind: MappingKind,
    /// The records' key in a listing.
    key: &'static str,
    /// The parameter naming the list to map.
    param: &'static str,
}

pub(super) const KINDS: [Mappings; 5] = [
    Mappings {
        path: "Auth/Registrations/CredentialListMappings",
        kind: MappingKind::RegistrationCredentials,
        key: "contents",
        param: "CredentialListSid",
    },
    Mappings {
        path: "Auth/Calls/CredentialListMappings",
        kind: MappingKind::CallCredentials,
        key: "contents",
        param: "CredentialListSid",
    },
    Mappings {
        path: "Auth/Calls/IpAccessControlListMappings",
        kind: MappingKind::CallIpAcls,
        key: "contents",
        param: "IpAccessControlListSid",
    },
    Mappings {
        path: "CredentialListMappings",
        kind: MappingKind::CallCredentials,
        key: "credential_list_mappings",
        param: "CredentialListSid",
    },
    Mappings {
        path: "IpAccessControlListMappings",
        kind: MappingKind::CallIpAcls,
        key: "ip_access_control_list_mappings",
        param: "IpAccessControlListSid",
    },
];

/// Which mapping list a matched route is.
fn which(matched: &MatchedPath) -> &'static Mappings {
    let route = matched.as_str();
    let below = route
        .split_once("/{domain}/")
        .map_or("", |(_, below)| below);
    let path = below
        .strip_suffix(".json")
        .or_else(|| below.strip_suffix("/{mapping}"))
        .unwrap_or(below);
    KINDS.iter().find(|m| m.path == path).unwrap_or(&KINDS[0])
}

fn uri(d: &SipDomain, m: &Mappings) -> String {
    format!(
        "/2010-04-01/Accounts/{}/SIP/Domains/{}/{}",
        d.account_sid, d.sid, m.path
    )
}

/// A mapping's JSON: the mapped list's sid and name.
fn render(d: &SipDomain, m: &Mappings, mapping: &DomainMapping, friendly_name: &str) -> Value {
    json!({
        "sid": mapping.list_sid,
        "account_sid": mapping.account_sid,
        "domain_sid": mapping.domain_sid,
        "friendly_name": friendly_name,
        "date_created": rfc2822(mapping.date_created),
        "date_updated": rfc2822(mapping.date_created),
        "uri": format!("{}/{}.json", uri(d, m), mapping.list_sid),
    })
}

/// The friendly name of the list `sid` of the mapping kind, or 404 when the account has
/// no such list.
fn list_name(
    state: &ApiState,
    account: &Account,
    kind: MappingKind,
    sid: &str,
) -> Result<String, Error> {
    match kind {
        MappingKind::CallIpAcls => Ok(ip_acls::find_list(state, account, sid)?.friendly_name),
        _ => Ok(credentials::find_list(state, account, sid)?.friendly_name),
    }
}

/// `GET …/{mappings}.json`.
pub async fn list(
    State(state): State<ApiState>,
    matched: MatchedPath,
    headers: HeaderMap,
    Path((account_sid, domain)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    let m = which(&matched);
    let account = account(&state, &headers, &account_sid)?;
    let d = domains::find(&state, &account, &domain)?;
    listing(
        query.as_deref(),
        m.key,
        format!("{}.json", uri(&d, m)),
        |page| {
            let rows = state
                .repo
                .domain_mappings(account.sid, d.sid, m.kind, page)?;
            rows.into_iter()
                .map(|r| Ok((list_name(&state, &account, m.kind, &r.list_sid)?, r)))
                .collect()
        },
        |(_, r)| (r.date_created, r.list_sid.clone()),
        |(name, r)| render(&d, m, r, name),
    )
}

/// `POST …/{mappings}.json`: `CredentialListSid` or `IpAccessControlListSid`, a list of
/// the same account.
pub async fn create(
    State(state): State<ApiState>,
    matched: MatchedPath,
    headers: HeaderMap,
    Path((account_sid, domain)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, Error> {
    let m = which(&matched);
    let account = account(&state, &headers, &account_sid)?;
    let d = domains::find(&state, &account, &domain)?;
    let params = Params::parse(&body)?;
    let list = params
        .non_empty(m.param)
        .ok_or_else(|| Error::param(m.param, "is required"))?;
    let name = list_name(&state, &account, m.kind, list)?;
    let mapping = DomainMapping {
        account_sid: account.sid,
        domain_sid: d.sid,
        kind: m.kind,
        list_sid: list.to_owned(),
        date_created: now_ms(),
    };
    state
        .repo
        .put_domain_mapping(&mapping)
        .map_err(|e| conflict(e, m.param, list))?;
    Ok((StatusCode::CREATED, Json(render(&d, m, &mapping, &name))).into_response())
}

fn find(
    state: &ApiState,
    m: &Mappings,
    account: &Account,
    domain: &str,
    segment: &str,
) -> Result<(SipDomain, DomainMapping), Error> {
    let d = domains::find(state, account, domain)?;
    let not_found = || Error::NotFound(format!("{}/{segment}", uri(&d, m)));
    let sid = segment.strip_suffix(".json").ok_or_else(not_found)?;
    let mapping = state
        .repo
        .domain_mapping(account.sid, d.sid, m.kind, sid)?
        .ok_or_else(not_found)?;
    Ok((d, mapping))
}

/// `GET …/{mappings}/{Sid}.json`.
pub async fn fetch(
    State(state): State<ApiState>,
    matched: MatchedPath,
    headers: HeaderMap,
    Path((account_sid, domain, mapping)): Path<(String, String, String)>,
) -> Result<Response, Error> {
    let m = which(&matched);
    let account = account(&state, &headers, &account_sid)?;
    let (d, mapping) = find(&state, m, &account, &domain, &mapping)?;
    let name = list_name(&state, &account, m.kind, &mapping.list_sid)?;
    Ok(Json(render(&d, m, &mapping, &name)).into_response())
}

/// `DELETE …/{mappings}/{Sid}.json` (204): unmaps the list (the list stays).
pub async fn delete(
    State(state): State<ApiState>,
    matched: MatchedPath,
    headers: HeaderMap,
    Path((account_sid, domain, mapping)): Path<(String, String, String)>,
) -> Result<Response, Error> {
    let m = which(&matched);
    let account = account(&state, &headers, &account_sid)?;
    let (d, mapping) = find(&state, m, &account, &domain, &mapping)?;
    state
        .repo
        .delete_domain_mapping(account.sid, d.sid, m.kind, &mapping.list_sid)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
