//! The per-module breakdown of usage (Twilio has no word for modules):
//!
//! - `GET /v1/Accounts/{AccountSid}/Usage/Modules?StartDate&EndDate&Module` sums each
//!   module's spans that started in the window (whole UTC days, `YYYY-MM-DD` or
//!   `-30days`; all time by default), subaccounts rolled up unless
//!   `IncludeSubaccounts=false`;
//! - `GET /v1/Accounts/{AccountSid}/Calls/{CallSid}/Modules` lists one call's spans in
//!   order with their meters.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use switchyard_api::auth::{authenticate, reach};
use switchyard_api::usage::{rolled_up, window};
use switchyard_api::{Error as ApiError, Params};
use switchyard_store::{ModuleSpanRecord, Repository, SpanMeter};
use switchyard_types::CallSid;

use crate::shared::Shared;

const DAY_MS: i64 = 86_400_000;

fn meters(m: &SpanMeter) -> Value {
    json!({
        "duration_ms": m.duration_ms,
        "steps": m.steps,
        "wasm_cpu_us": m.wasm_cpu_us,
        "webhook_requests": m.webhook_requests,
        "webhook_latency_ms": m.webhook_latency_ms,
        "tts_characters": m.tts_characters,
        "media_ms": m.media_ms,
        "bridged_ms": m.bridged_ms,
        "errors": m.errors,
        "recorded_ms": m.recorded_ms,
    })
}

fn span_json(s: &ModuleSpanRecord) -> Value {
    json!({
        "seq": s.seq,
        "module": s.module,
        "kind": s.kind,
        "version": s.version,
        "start_ms": s.started,
        "end_ms": s.ended,
        "meters": meters(&s.meter),
    })
}

/// `GET /v1/Accounts/{AccountSid}/Usage/Modules`.
pub(super) async fn modules(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(account): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let caller = authenticate(shared.store.as_ref(), &headers)?;
    let account = reach(shared.store.as_ref(), &caller, &account)?;
    let params = Params::query(query.as_deref())?;
    let now = crate::shared::now_ms();
    let today = now - now.rem_euclid(DAY_MS);
    let (from, to) = window(&params, today, 0, today + DAY_MS)?;
    let accounts = rolled_up(shared.store.as_ref(), &account, &params)?;
    let rows = shared
        .store
        .module_usage(&accounts, from, to, params.non_empty("Module"))?;
    let modules: Vec<Value> = rows
        .iter()
        .map(|u| {
            json!({
                "module": u.module,
                "kind": u.kind,
                "calls": u.calls,
                "spans": u.spans,
                "meters": meters(&u.meter),
            })
        })
        .collect();
    Ok(Json(json!({
        "account_sid": account.sid.to_string(),
        "start_ms": from,
        "end_ms": to,
        "modules": modules,
    }))
    .into_response())
}

/// `GET /v1/Accounts/{AccountSid}/Calls/{CallSid}/Modules`.
pub(super) async fn call_modules(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((account, call)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let caller = authenticate(shared.store.as_ref(), &headers)?;
    let account = reach(shared.store.as_ref(), &caller, &account)?;
    let not_found = || ApiError::NotFound(format!("/v1/Accounts/{}/Calls/{call}", account.sid));
    let sid: CallSid = call.parse().map_err(|_| not_found())?;
    let record = shared.store.call(account.sid, sid)?.ok_or_else(not_found)?;
    let spans = shared.store.call_modules(account.sid, sid)?;
    Ok(Json(json!({
        "account_sid": account.sid.to_string(),
        "call_sid": sid.to_string(),
        "start_ms": record.start_time,
        "end_ms": record.end_time,
        "modules": spans.iter().map(span_json).collect::<Vec<_>>(),
    }))
    .into_response())
}
