//! One call step answered by a tenant Wasm app (`app://NAME/path`) instead of a webhook.
//!
//! The call keeps the version of each app it first used: a number rebound to a new
//! version mid-call changes the next call, not this one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use switchyard_call::modules::StepCost;
use switchyard_call::{AppFailure, Document};
use switchyard_types::{AccountSid, CallSid};
use switchyard_wasm::{CallRequest, SessionScope, StepContext};
use tracing::Instrument;

use crate::metrics::Metrics;
use crate::wasm_glue::{NotifyingLog, StoreSessions};
use crate::Shared;

/// Twilio's "HTTP retrieval failure": the app a number names cannot be had.
pub(super) const APP_MISSING: u32 = 11200;

/// What a step needs to know about its call.
#[derive(Debug, Clone)]
pub(super) struct AppCall {
    pub account: AccountSid,
    pub call_sid: CallSid,
    pub from: String,
    pub to: String,
    /// App name → the version this call started with.
    pub pinned: Arc<Mutex<HashMap<String, u32>>>,
}

/// `app://NAME/path` → (NAME, /path).
pub(super) fn split_app_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("app://")?;
    let (name, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let path = path.split(['?', '#']).next().unwrap_or("/");
    (!name.is_empty()).then_some((name, path))
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

pub(super) async fn step(
    shared: &Arc<Shared>,
    call: &AppCall,
    url: &str,
    params: &[(String, String)],
    cost: &mut StepCost,
) -> Result<Document, AppFailure> {
    let missing = |message: String| AppFailure {
        code: APP_MISSING,
        message,
    };
    let (name, path) = split_app_url(url).ok_or_else(|| {
        missing(format!(
            "{:?} names no app",
            switchyard_webhook::redact_url(url)
        ))
    })?;
    let pinned = call
        .pinned
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(name)
        .copied();
    let (meta, compiled) = shared
        .wasm
        .get(call.account, name, pinned)
        .ok_or_else(|| missing(format!("app {name} is not deployed on this account")))?;
    call.pinned
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(name.to_owned(), meta.version);
    let request = CallRequest {
        call_sid: call.call_sid.to_string(),
        account_sid: call.account.to_string(),
        from: call.from.clone(),
        to: call.to.clone(),
        call_status: param(params, "CallStatus")
            .unwrap_or("in-progress")
            .to_owned(),
        direction: param(params, "Direction").unwrap_or("inbound").to_owned(),
        path: path.to_owned(),
        digits: param(params, "Digits").map(str::to_owned),
        finished_on_key: param(params, "FinishedOnKey").map(str::to_owned),
        error_code: param(params, "ErrorCode").and_then(|c| c.parse().ok()),
        error_url: param(params, "ErrorUrl").map(str::to_owned),
        params: params.to_vec(),
    };
    let ctx = StepContext {
        app_name: name.to_owned(),
        call_sid: call.call_sid.to_string(),
        account_sid: call.account.to_string(),
        session: Arc::new(StoreSessions(shared.store.clone())),
        session_scope: SessionScope {
            account: call.account.to_string(),
            from: call.from.clone(),
            to: call.to.clone(),
        },
        log: Arc::new(NotifyingLog {
            store: shared.store.clone(),
            account: call.account,
        }),
        http: shared.webhook.http(),
    };
    let step = shared.wasm.host.handle_measured(&compiled, request, ctx);
    let span = tracing::info_span!("wasm_step", app = name, version = meta.version);
    let (verbs, cpu) = Metrics::timed(&shared.metrics.wasm_step_seconds, step)
        .instrument(span)
        .await;
    cost.wasm_cpu += cpu;
    cost.version = Some(meta.version);
    verbs.map(Document::Verbs).map_err(|e| AppFailure {
        code: e.code(),
        message: format!("app {name} v{}: {}", meta.version, e.reason()),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn app_urls_split_into_name_and_path() {
        assert_eq!(super::split_app_url("app://ivr/"), Some(("ivr", "/")));
        assert_eq!(super::split_app_url("app://ivr"), Some(("ivr", "/")));
        assert_eq!(
            super::split_app_url("app://ivr/gathered?x=1"),
            Some(("ivr", "/gathered"))
        );
        assert_eq!(super::split_app_url("app:///x"), None);
        assert_eq!(super::split_app_url("https://ivr/"), None);
    }
}
