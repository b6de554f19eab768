//! The Wasm side of the `wasm` benchmark: the host, the IVR's two requests, the
//! instantiation-only loop and the cold start (compile vs load from the artifact cache).

use anyhow::{bail, Context, Result};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use switchyard_instructions::Verb;
use switchyard_wasm::{
    CallRequest, CompiledApp, Level, Loaded, LogSink, MemorySessionStore, StepContext, WasmHost,
};

/// The call every step belongs to; the same values go into the webhook's form.
pub const CALL_SID: &str = "CA0123456789abcdef0123456789abcdef";
/// The account of that call.
pub const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
/// The caller.
pub const FROM: &str = "+15551230000";
/// The number called.
pub const TO: &str = "+15550001111";

/// The IVR's two steps, alternated by every loop: `/` (Gather + Say) and `/gathered`
/// with `Digits=1` (Play + Hangup).
pub const PATHS: [(&str, Option<&str>); 2] = [("/", None), ("/gathered", Some("1"))];

/// Twilio's parameters of step `path` (with `digits`), as a webhook's form carries them.
pub fn params(digits: Option<&str>) -> Vec<(String, String)> {
    let mut p: Vec<(String, String)> = [
        ("CallSid", CALL_SID),
        ("AccountSid", ACCOUNT_SID),
        ("From", FROM),
        ("To", TO),
        ("CallStatus", "in-progress"),
        ("Direction", "inbound"),
        ("ApiVersion", "2010-04-01"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    if let Some(d) = digits {
        p.push(("Digits".into(), d.into()));
    }
    p
}

/// The host's request for step `path`, filled as the node fills it.
pub fn call_request(path: &str, digits: Option<&str>) -> CallRequest {
    CallRequest {
        call_sid: CALL_SID.into(),
        account_sid: ACCOUNT_SID.into(),
        from: FROM.into(),
        to: TO.into(),
        call_status: "in-progress".into(),
        direction: "inbound".into(),
        path: path.into(),
        digits: digits.map(str::to_owned),
        params: params(digits),
        ..CallRequest::default()
    }
}

/// Drops guest log lines: the IVR logs only when its session store is full.
#[derive(Debug)]
struct NoLog;

impl LogSink for NoLog {
    fn log(&self, _app: &str, _call: &str, _level: Level, _message: &str) {}
}

/// The context of every step: an in-memory session store, no log.
pub fn context() -> StepContext {
    StepContext {
        app_name: "ivr".into(),
        call_sid: CALL_SID.into(),
        account_sid: ACCOUNT_SID.into(),
        session: Arc::new(MemorySessionStore::default()),
        session_scope: (ACCOUNT_SID.to_owned(), FROM.to_owned(), TO.to_owned()).into(),
        log: Arc::new(NoLog),
        http: reqwest::Client::new(),
    }
}

/// One app on one host, ready to run the IVR's steps. Cheap to clone.
#[derive(Debug, Clone)]
pub struct WasmIvr {
    host: WasmHost,
    app: CompiledApp,
    ctx: StepContext,
    requests: Arc<[CallRequest; 2]>,
}

impl WasmIvr {
    /// A host on `artifact_dir` with `wasm` compiled under the host's default limits.
    pub fn new(artifact_dir: &Path, wasm: &[u8]) -> Result<Self> {
        let host = WasmHost::new(switchyard_wasm::HostConfig::new(artifact_dir))?;
        let app = host
            .compile(wasm, host.config().default_limits())
            .context("compiling the IVR")?;
        Ok(WasmIvr {
            host,
            app,
            ctx: context(),
            requests: Arc::new(PATHS.map(|(p, d)| call_request(p, d))),
        })
    }

    /// Step `i`: path `i % 2`, request built, fresh instance, verbs converted.
    pub async fn step(&self, i: u64) -> Result<Vec<Verb>> {
        let request = self.requests[(i % 2) as usize].clone();
        Ok(self
            .host
            .handle(&self.app, request, self.ctx.clone())
            .await?)
    }

    /// A fresh store and instance, dropped without calling the guest.
    pub async fn instantiate(&self) -> Result<()> {
        Ok(self
            .host
            .instantiate_only(&self.app, self.ctx.clone())
            .await?)
    }
}

/// `compile` on a fresh host vs `load` from its artifact cache on a second host over
/// the same directory (as a restarted node would), each `rounds` times.
#[derive(Debug, Clone)]
pub struct ColdStart {
    /// Each `compile` (validation, native compilation, artifact written).
    pub compile: Vec<Duration>,
    /// Each `load` that found the artifact (validation, deserialization).
    pub load: Vec<Duration>,
    /// Size of the cached artifact, bytes.
    pub artifact_bytes: u64,
}

/// Measures [`ColdStart`] in a fresh temporary artifact directory.
pub fn cold_start(wasm: &[u8], rounds: usize) -> Result<ColdStart> {
    let dir = tempfile::tempdir()?;
    let first = WasmHost::new(switchyard_wasm::HostConfig::new(dir.path()))?;
    let limits = first.config().default_limits();
    let mut compile = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        first.compile(wasm, limits.clone())?;
        compile.push(t.elapsed());
    }
    let restarted = WasmHost::new(switchyard_wasm::HostConfig::new(dir.path()))?;
    let mut load = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        let (_app, how) = restarted.load(wasm, limits.clone())?;
        load.push(t.elapsed());
        // A load that compiled would make the comparison meaningless.
        if how != Loaded::FromCache {
            bail!("the second host compiled the IVR instead of loading its artifact");
        }
    }
    let artifact_bytes = std::fs::read_dir(dir.path())?
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    Ok(ColdStart {
        compile,
        load,
        artifact_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_carry_the_same_parameters_as_the_webhook_form() {
        let r = call_request("/gathered", Some("1"));
        assert_eq!(r.digits.as_deref(), Some("1"));
        assert_eq!(r.params, params(Some("1")));
        assert!(r.params.contains(&("Digits".to_string(), "1".to_string())));
        assert!(!params(None).iter().any(|(k, _)| k == "Digits"));
        assert_eq!(
            params(None)
                .iter()
                .find(|(k, _)| k == "CallSid")
                .map(|p| &p.1[..]),
            Some(r.call_sid.as_str())
        );
    }
}
