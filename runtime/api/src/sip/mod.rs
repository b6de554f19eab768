//! Twilio's SIP resources under `…/SIP/`: domains, credential lists with their
//! credentials, IP access control lists with their addresses, and the domain mappings
//! that say which lists authenticate a domain's registrations and calls.

mod credentials;
mod domains;
mod ip_acls;
mod mappings;
mod rules;

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;
use switchyard_store::{Account, Page};

use crate::auth::{authenticate, reach, strip_json};
use crate::paging::{Listing, PageRequest};
use crate::params::Params;
use crate::{ApiState, Error};

/// The routes of the SIP resources.
pub(crate) fn routes() -> Router<ApiState> {
    const SIP: &str = "/2010-04-01/Accounts/{account}/SIP";
    const DOMAIN: &str = "/2010-04-01/Accounts/{account}/SIP/Domains/{domain}";
    let mut router = Router::new()
        .route(
            &format!("{SIP}/Domains.json"),
            get(domains::list).post(domains::create),
        )
        .route(
            &format!("{SIP}/Domains/{{domain}}"),
            get(domains::fetch)
                .post(domains::update)
                .delete(domains::delete),
        )
        .route(
            &format!("{SIP}/CredentialLists.json"),
            get(credentials::list_lists).post(credentials::create_list),
        )
        .route(
            &format!("{SIP}/CredentialLists/{{list}}"),
            get(credentials::fetch_list)
                .post(credentials::update_list)
                .delete(credentials::delete_list),
        )
        .route(
            &format!("{SIP}/CredentialLists/{{list}}/Credentials.json"),
            get(credentials::list).post(credentials::create),
        )
        .route(
            &format!("{SIP}/CredentialLists/{{list}}/Credentials/{{credential}}"),
            get(credentials::fetch)
                .post(credentials::update)
                .delete(credentials::delete),
        )
        .route(
            &format!("{SIP}/IpAccessControlLists.json"),
            get(ip_acls::list_lists).post(ip_acls::create_list),
        )
        .route(
            &format!("{SIP}/IpAccessControlLists/{{list}}"),
            get(ip_acls::fetch_list)
                .post(ip_acls::update_list)
                .delete(ip_acls::delete_list),
        )
        .route(
            &format!("{SIP}/IpAccessControlLists/{{list}}/IpAddresses.json"),
            get(ip_acls::list).post(ip_acls::create),
        )
        .route(
            &format!("{SIP}/IpAccessControlLists/{{list}}/IpAddresses/{{address}}"),
            get(ip_acls::fetch)
                .post(ip_acls::update)
                .delete(ip_acls::delete),
        );
    for m in mappings::KINDS {
        router = router
            .route(
                &format!("{DOMAIN}/{}.json", m.path),
                get(mappings::list).post(mappings::create),
            )
            .route(
                &format!("{DOMAIN}/{}/{{mapping}}", m.path),
                get(mappings::fetch).delete(mappings::delete),
            );
    }
    router
}

/// The account named in the path, when the request's credentials may act on it.
fn account(state: &ApiState, headers: &HeaderMap, path_account: &str) -> Result<Account, Error> {
    let caller = authenticate(state.repo.as_ref(), headers)?;
    reach(state.repo.as_ref(), &caller, path_account)
}

/// The sid in a path segment `SID.json`, or 404 naming `path` when it is not one.
fn path_sid<T: std::str::FromStr>(segment: &str, path: &str) -> Result<T, Error> {
    strip_json(segment)?
        .parse()
        .map_err(|_| Error::NotFound(path.to_owned()))
}

/// The sid a resource's path segment names, with or without `.json` (Twilio's own paths
/// end in it; the helper libraries' fetches of a bare sid do not).
fn bare_or_json_sid<T: std::str::FromStr>(segment: &str, path: &str) -> Result<T, Error> {
    let bare = segment.strip_suffix(".json").unwrap_or(segment);
    path_sid(&format!("{bare}.json"), path)
}

/// A required FriendlyName (Twilio requires it on lists).
fn required_name(params: &Params) -> Result<String, Error> {
    let name = params
        .non_empty("FriendlyName")
        .ok_or_else(|| Error::param("FriendlyName", "is required"))?;
    crate::validate::friendly_name(name)
}

/// A listing response: `key` holds the records of the page `fetch` returns.
fn listing<T>(
    query: Option<&str>,
    key: &'static str,
    path: String,
    fetch: impl FnOnce(&Page) -> Result<Vec<T>, Error>,
    cursor: impl Fn(&T) -> (i64, String),
    render: impl Fn(&T) -> Value,
) -> Result<Response, Error> {
    let params = Params::query(query)?;
    let request = PageRequest::from_params(&params)?;
    let rows = fetch(&request.store_page())?;
    let listing = Listing {
        key,
        path,
        params: &params,
        request: &request,
    };
    Ok(Json(listing.body(rows, cursor, render)).into_response())
}

/// A store conflict on a unique value as the client's error about `param`.
fn conflict(e: switchyard_store::Error, param: &'static str, value: &str) -> Error {
    match e {
        switchyard_store::Error::Conflict { .. } => {
            Error::param(param, format!("{value:?} is already in use"))
        }
        e => Error::Store(e),
    }
}
