//! `…/SIP/Domains.json` and `…/SIP/Domains/{Sid}.json`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use switchyard_store::{Account, MappingKind, Page, SipDomain};
use switchyard_types::SipDomainSid;

use super::{account, bare_or_json_sid, conflict, listing, rules};
use crate::date::rfc2822;
use crate::params::Params;
use crate::validate::{friendly_name, set_method, set_url};
use crate::{now_ms, ApiState, Error, API_VERSION};

/// Twilio's `auth_type`: `IP_ACL`, `CREDENTIAL_LIST` or both, comma separated, by what
/// is mapped for calls.
fn auth_type(state: &ApiState, d: &SipDomain) -> Result<String, Error> {
    let one = Page {
        size: 1,
        after: None,
    };
    let mut kinds = Vec::new();
    for (kind, name) in [
        (MappingKind::CallIpAcls, "IP_ACL"),
        (MappingKind::CallCredentials, "CREDENTIAL_LIST"),
    ] {
        if !state
            .repo
            .domain_mappings(d.account_sid, d.sid, kind, &one)?
            .is_empty()
        {
            kinds.push(name);
        }
    }
    Ok(kinds.join(","))
}

/// The domain's JSON, Twilio's field names.
fn render(d: &SipDomain, auth_type: &str) -> Value {
    let uri = format!(
        "/2010-04-01/Accounts/{}/SIP/Domains/{}",
        d.account_sid, d.sid
    );
    json!({
        "sid": d.sid,
        "account_sid": d.account_sid,
        "api_version": API_VERSION,
        "domain_name": d.domain_name,
        "friendly_name": d.friendly_name,
        "auth_type": auth_type,
        "voice_url": d.voice_url,
        "voice_method": d.voice_method,
        "voice_fallback_url": d.voice_fallback_url,
        "voice_fallback_method": d.voice_fallback_method,
        "voice_status_callback_url": d.voice_status_callback_url,
        "voice_status_callback_method": d.voice_status_callback_method,
        "sip_registration": d.sip_registration,
        "emergency_calling_enabled": false,
        "secure": false,
        "byoc_trunk_sid": null,
        "emergency_caller_sid": null,
        "date_created": rfc2822(d.date_created),
        "date_updated": rfc2822(d.date_updated),
        "uri": format!("{uri}.json"),
        "subresource_uris": {
            "ip_access_control_list_mappings": format!("{uri}/IpAccessControlListMappings.json"),
            "credential_list_mappings": format!("{uri}/CredentialListMappings.json"),
        },
    })
}

fn rendered(state: &ApiState, d: &SipDomain) -> Result<Value, Error> {
    Ok(render(d, &auth_type(state, d)?))
}

/// Twilio's boolean parameters: `true` or `false`.
fn boolean(params: &Params, name: &'static str) -> Result<Option<bool>, Error> {
    params
        .get(name)
        .map(|v| match v.to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(Error::param(name, format!("{v:?} is not true or false"))),
        })
        .transpose()
}

fn apply(d: &mut SipDomain, params: &Params) -> Result<(), Error> {
    if let Some(name) = params.get("DomainName") {
        d.domain_name = rules::domain_name(name)?;
    }
    if let Some(name) = params.get("FriendlyName") {
        d.friendly_name = friendly_name(name)?;
    }
    set_url(params, "VoiceUrl", &mut d.voice_url)?;
    set_method(params, "VoiceMethod", &mut d.voice_method)?;
    set_url(params, "VoiceFallbackUrl", &mut d.voice_fallback_url)?;
    set_method(params, "VoiceFallbackMethod", &mut d.voice_fallback_method)?;
    set_url(
        params,
        "VoiceStatusCallbackUrl",
        &mut d.voice_status_callback_url,
    )?;
    set_method(
        params,
        "VoiceStatusCallbackMethod",
        &mut d.voice_status_callback_method,
    )?;
    if let Some(on) = boolean(params, "SipRegistration")? {
        d.sip_registration = on;
    }
    Ok(())
}

fn save(state: &ApiState, d: &SipDomain) -> Result<(), Error> {
    state
        .repo
        .put_sip_domain(d)
        .map_err(|e| conflict(e, "DomainName", &d.domain_name))
}

/// `GET …/SIP/Domains.json`.
pub async fn list(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(account_sid): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &account_sid)?;
    listing(
        query.as_deref(),
        "domains",
        format!("/2010-04-01/Accounts/{}/SIP/Domains.json", account.sid),
        |page| {
            let rows = state.repo.sip_domains(account.sid, page)?;
            rows.into_iter()
                .map(|d| Ok((auth_type(&state, &d)?, d)))
                .collect()
        },
        |(_, d)| (d.date_created, d.sid.to_string()),
        |(auth, d)| render(d, auth),
    )
}

/// `POST …/SIP/Domains.json`: `DomainName` is required.
pub async fn create(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(account_sid): Path<String>,
    body: Bytes,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &account_sid)?;
    let params = Params::parse(&body)?;
    if params.non_empty("DomainName").is_none() {
        return Err(Error::param("DomainName", "is required"));
    }
    let now = now_ms();
    let mut d = SipDomain {
        sid: SipDomainSid::random(),
        account_sid: account.sid,
        domain_name: String::new(),
        friendly_name: String::new(),
        voice_url: None,
        voice_method: "POST".into(),
        voice_fallback_url: None,
        voice_fallback_method: "POST".into(),
        voice_status_callback_url: None,
        voice_status_callback_method: "POST".into(),
        sip_registration: false,
        date_created: now,
        date_updated: now,
    };
    apply(&mut d, &params)?;
    save(&state, &d)?;
    Ok((StatusCode::CREATED, Json(rendered(&state, &d)?)).into_response())
}

/// The account's domain named by a path segment (`SD…`, with or without `.json`), or 404.
pub(super) fn find(state: &ApiState, account: &Account, segment: &str) -> Result<SipDomain, Error> {
    let path = format!("/2010-04-01/Accounts/{}/SIP/Domains/{segment}", account.sid);
    let sid: SipDomainSid = bare_or_json_sid(segment, &path)?;
    state
        .repo
        .sip_domain(account.sid, sid)?
        .ok_or(Error::NotFound(path))
}

/// `GET …/SIP/Domains/{Sid}.json`.
pub async fn fetch(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account_sid, domain)): Path<(String, String)>,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &account_sid)?;
    let d = find(&state, &account, &domain)?;
    Ok(Json(rendered(&state, &d)?).into_response())
}

/// `POST …/SIP/Domains/{Sid}.json`.
pub async fn update(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account_sid, domain)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &account_sid)?;
    let mut d = find(&state, &account, &domain)?;
    apply(&mut d, &Params::parse(&body)?)?;
    d.date_updated = now_ms();
    save(&state, &d)?;
    Ok(Json(rendered(&state, &d)?).into_response())
}

/// `DELETE …/SIP/Domains/{Sid}.json` (204); its mappings go with it.
pub async fn delete(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account_sid, domain)): Path<(String, String)>,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &account_sid)?;
    let d = find(&state, &account, &domain)?;
    state.repo.delete_sip_domain(account.sid, d.sid)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
