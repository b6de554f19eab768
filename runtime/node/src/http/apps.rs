//! `/v1/Accounts/{AccountSid}/Apps`: tenant Wasm apps (Twilio has no word for them).
//!
//! `POST …/Apps?Name=ivr` with the component's bytes as the body (`application/wasm`)
//! deploys a new version; optional `MemoryLimit` (bytes), `CpuMs` (per step),
//! `HttpAllow` (comma-separated hosts the app may fetch) and `Kind` (`call-handler`, the
//! default, `event-filter` for a subscription's `WasmFilter`, or `transcoder` for a
//! number's `VoiceTranscoder` and a `<Dial>` noun's `transcoder`; a transcoder's `CpuMs`
//! is per 20 ms frame, 1 by default and at most 10). The upload is validated and
//! compiled before it is stored: a 400 names what is wrong.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use switchyard_api::auth::{authenticate, reach};
use switchyard_api::Error as ApiError;
use switchyard_store::{Repository, WasmApp};

use crate::shared::Shared;
use crate::wasm_apps::{DeployError, DeployOptions, Kind};

fn app_json(app: &WasmApp) -> Value {
    json!({
        "account_sid": app.account_sid.to_string(),
        "name": app.name,
        "version": app.version,
        "sha256": app.sha256,
        "size": app.size,
        "memory_limit": app.memory_limit,
        "cpu_ms": app.cpu_ms,
        "http_allow": app.http_allow,
        "kind": app.kind,
        "date_created": crate::status::format_rfc2822((app.date_created / 1000) as u64),
        "uri": format!("/v1/Accounts/{}/Apps/{}", app.account_sid, app.name),
    })
}

fn account(
    shared: &Shared,
    headers: &HeaderMap,
    path_sid: &str,
) -> Result<switchyard_store::Account, ApiError> {
    let caller = authenticate(shared.store.as_ref(), headers)?;
    reach(shared.store.as_ref(), &caller, path_sid)
}

/// A transcoder's CPU budget per frame unless the upload says otherwise.
const TRANSCODER_CPU_MS: u32 = 1;
/// The most a transcoder may ask for per frame.
const MAX_TRANSCODER_CPU_MS: u32 = 10;

fn options(q: &HashMap<String, String>) -> Result<DeployOptions, ApiError> {
    let mut o = DeployOptions::default();
    if let Some(m) = q.get("MemoryLimit") {
        o.memory_limit = m
            .parse()
            .ok()
            .filter(|m| (1 << 20..=1 << 30).contains(m))
            .ok_or_else(|| ApiError::param("MemoryLimit", "bytes from 1 MiB to 1 GiB"))?;
    }
    if let Some(c) = q.get("CpuMs") {
        o.cpu_ms = c
            .parse()
            .ok()
            .filter(|c| (1..=10_000).contains(c))
            .ok_or_else(|| ApiError::param("CpuMs", "milliseconds from 1 to 10000"))?;
    }
    if let Some(k) = q.get("Kind") {
        o.kind = Kind::parse(k)
            .ok_or_else(|| ApiError::param("Kind", "call-handler, event-filter or transcoder"))?;
    }
    if o.kind == Kind::Transcoder {
        // A transcoder's budget is per 20 ms frame: half a frame at most, so a media
        // thread keeps time with a few streams' worst case.
        match q.get("CpuMs") {
            None => o.cpu_ms = TRANSCODER_CPU_MS,
            Some(_) if o.cpu_ms > MAX_TRANSCODER_CPU_MS => {
                return Err(ApiError::param(
                    "CpuMs",
                    "milliseconds per 20 ms frame, from 1 to 10, for a transcoder",
                ))
            }
            Some(_) => {}
        }
    }
    if let Some(h) = q.get("HttpAllow") {
        o.http_allow = h
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_owned)
            .collect();
    }
    Ok(o)
}

pub async fn deploy(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(sid): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let result = (|| {
        let account = account(&shared, &headers, &sid)?;
        let q: HashMap<String, String> = switchyard_api::Params::query(query.as_deref())?
            .into_pairs()
            .into_iter()
            .collect();
        let name = q
            .get("Name")
            .ok_or_else(|| ApiError::param("Name", "required: the app's name"))?;
        let options = options(&q)?;
        // Compiling takes a while; it runs off the async workers.
        Ok::<_, ApiError>((account, name.clone(), options))
    })();
    let (account, name, options) = match result {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let wasm = shared.wasm.clone();
    let deployed =
        tokio::task::spawn_blocking(move || wasm.deploy(account.sid, &name, &body, options)).await;
    match deployed {
        Ok(Ok(app)) => (StatusCode::CREATED, Json(app_json(&app))).into_response(),
        Ok(Err(DeployError::Store(e))) => ApiError::Store(e).into_response(),
        Ok(Err(e)) => ApiError::param("Body", e.to_string()).into_response(),
        Err(e) => ApiError::param("Body", format!("compilation aborted: {e}")).into_response(),
    }
}

pub async fn list(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(sid): Path<String>,
) -> Response {
    match account(&shared, &headers, &sid).and_then(|a| Ok(shared.store.wasm_apps(a.sid)?)) {
        Ok(apps) => {
            Json(json!({ "apps": apps.iter().map(app_json).collect::<Vec<_>>() })).into_response()
        }
        Err(e) => e.into_response(),
    }
}

pub async fn fetch(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((sid, name)): Path<(String, String)>,
) -> Response {
    let found = account(&shared, &headers, &sid).and_then(|a| {
        shared
            .store
            .wasm_app(a.sid, &name)?
            .ok_or_else(|| ApiError::NotFound(format!("/v1/Accounts/{sid}/Apps/{name}")))
    });
    match found {
        Ok(app) => Json(app_json(&app)).into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn delete(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((sid, name)): Path<(String, String)>,
) -> Response {
    let deleted = account(&shared, &headers, &sid).and_then(|a| {
        shared
            .wasm
            .delete(a.sid, &name)
            .map_err(|e| ApiError::param("Name", e.to_string()))
    });
    match deleted {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => ApiError::NotFound(format!("/v1/Accounts/{sid}/Apps/{name}")).into_response(),
        Err(e) => e.into_response(),
    }
}
