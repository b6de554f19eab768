//! `GET /v1/Accounts/{AccountSid}/Presence[/{Identity}]`: which identities are reachable
//! now, and at how many contacts. An identity without a live binding is answered
//! `reachable: false` rather than 404, so a page polling an agent needs no special case.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use switchyard_api::auth::{authenticate, reach};
use switchyard_sip::registrar::Binding;
use switchyard_store::Account;

use super::wall_now;
use crate::shared::Shared;

fn account(
    shared: &Shared,
    headers: &HeaderMap,
    sid: &str,
) -> Result<Account, switchyard_api::Error> {
    let caller = authenticate(shared.store.as_ref(), headers)?;
    reach(shared.store.as_ref(), &caller, sid)
}

fn identity_json(account: &Account, identity: &str, bindings: &[Binding]) -> Value {
    let now = wall_now();
    json!({
        "account_sid": account.sid.to_string(),
        "identity": identity,
        "reachable": !bindings.is_empty(),
        "contact_count": bindings.len(),
        "contacts": bindings.iter().map(|b| json!({
            "contact": b.contact,
            "transport": b.transport.as_str(),
            "expires": b.expires_in(now),
            "user_agent": b.user_agent,
        })).collect::<Vec<_>>(),
        "url": format!("/v1/Accounts/{}/Presence/{identity}", account.sid),
    })
}

/// Every reachable identity of the account.
pub(crate) async fn presence_list(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(account_sid): Path<String>,
) -> Response {
    let result = account(&shared, &headers, &account_sid).map(|a| {
        let ids = shared
            .presence
            .registrar()
            .identities(&a.sid.to_string(), wall_now());
        let list: Vec<Value> = ids
            .iter()
            .map(|(identity, b)| identity_json(&a, identity, b))
            .collect();
        Json(json!({ "presence": list }))
    });
    result.into_response()
}

/// One identity.
pub(crate) async fn presence_one(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((account_sid, identity)): Path<(String, String)>,
) -> Response {
    let result = account(&shared, &headers, &account_sid).map(|a| {
        let bindings = shared.presence.contacts(a.sid, &identity);
        Json(identity_json(&a, &identity, &bindings))
    });
    result.into_response()
}
