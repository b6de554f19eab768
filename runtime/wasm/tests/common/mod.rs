//! Shared test fixtures: guest builds, a host, a recording log.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use switchyard_wasm::{
    AppLimits, CallRequest, CompiledApp, HostConfig, Level, LogSink, MemorySessionStore,
    SessionStore, StepContext, WasmHost,
};

/// Builds (once per test process) and returns the bytes of guest `name`.
pub fn guest(name: &str) -> Vec<u8> {
    static BUILD: Mutex<()> = Mutex::new(());
    let _serial = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/guests")
        .join(name);
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        .join("guests");
    let out = target.join(format!("wasm32-wasip2/release/guest_{name}.wasm"));
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--release", "--target", "wasm32-wasip2"])
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .expect("run cargo for the guest");
    assert!(status.success(), "building guest {name} failed");
    std::fs::read(&out).unwrap_or_else(|e| panic!("{}: {e}", out.display()))
}

/// Builds (once per test process) and returns the bytes of member `name` of the
/// `tests/guests` workspace, the guests `scripts/build-wasm` builds for the node's
/// tests (the event filters and transcoders live there).
pub fn workspace_guest(name: &str) -> Vec<u8> {
    workspace_member("tests/guests", "test-guests", name)
}

/// Builds (once per test process) and returns the bytes of member `name` of the
/// `examples` workspace (the transcoder examples run in these tests).
pub fn example(name: &str) -> Vec<u8> {
    workspace_member("examples", "examples", name)
}

/// Builds member `name` of the workspace at `dir` (from the repository's root) into
/// `target/<target_dir>` for wasm32-wasip2 and returns its component's bytes.
fn workspace_member(dir: &str, target_dir: &str, name: &str) -> Vec<u8> {
    static BUILD: Mutex<()> = Mutex::new(());
    let _serial = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(dir)
        .join("Cargo.toml");
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        .join(target_dir);
    let out = target.join(format!(
        "wasm32-wasip2/release/{}.wasm",
        name.replace('-', "_")
    ));
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--release", "--target", "wasm32-wasip2"])
        .args(["-p", name, "--manifest-path"])
        .arg(&manifest)
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .expect("run cargo for the guest");
    assert!(status.success(), "building guest {name} failed");
    std::fs::read(&out).unwrap_or_else(|e| panic!("{}: {e}", out.display()))
}

/// A fresh, empty directory under the system temp dir.
pub fn temp_dir(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "sy-wasm-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A host sized for tests (small pool), artifacts in a fresh directory.
pub fn host_config(tag: &str) -> HostConfig {
    HostConfig {
        max_instances: 64,
        default_memory: 32 << 20,
        ..HostConfig::new(temp_dir(tag))
    }
}

/// One host shared by a test binary: engines are expensive and the point of the
/// design is that apps share one.
pub fn shared_host() -> &'static WasmHost {
    static HOST: OnceLock<WasmHost> = OnceLock::new();
    HOST.get_or_init(|| WasmHost::new(host_config("shared")).unwrap())
}

pub fn limits(cpu_ms: u64, wall_ms: u64) -> AppLimits {
    AppLimits {
        memory: 16 << 20,
        cpu: Duration::from_millis(cpu_ms),
        wall: Duration::from_millis(wall_ms),
        http_allow: Vec::new(),
    }
}

/// Compiles guest `name` on the shared host (through the cache after the first time).
pub fn app(name: &str, limits: AppLimits) -> CompiledApp {
    shared_host().load(&guest(name), limits).unwrap().0
}

/// A log that keeps every line.
#[derive(Default)]
pub struct RecordingLog(pub Mutex<Vec<(String, String, Level, String)>>);

impl LogSink for RecordingLog {
    fn log(&self, app: &str, call: &str, level: Level, message: &str) {
        self.0
            .lock()
            .unwrap()
            .push((app.into(), call.into(), level, message.into()));
    }
}

impl RecordingLog {
    pub fn lines(&self) -> Vec<(String, String, Level, String)> {
        self.0.lock().unwrap().clone()
    }
}

pub fn ctx(call: &str, session: Arc<dyn SessionStore>, log: Arc<RecordingLog>) -> StepContext {
    StepContext {
        app_name: "test-app".into(),
        call_sid: call.into(),
        account_sid: "AC0001".into(),
        session,
        session_scope: (
            "AC0001".to_owned(),
            "+15550001".to_owned(),
            "+15559999".to_owned(),
        )
            .into(),
        log,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    }
}

pub fn simple_ctx(call: &str) -> (StepContext, Arc<RecordingLog>) {
    let log = Arc::new(RecordingLog::default());
    (
        ctx(call, Arc::new(MemorySessionStore::default()), log.clone()),
        log,
    )
}

pub fn request(call: &str, path: &str) -> CallRequest {
    CallRequest {
        call_sid: call.into(),
        account_sid: "AC0001".into(),
        from: "+15550001".into(),
        to: "+15559999".into(),
        call_status: "in-progress".into(),
        direction: "inbound".into(),
        path: path.into(),
        ..CallRequest::default()
    }
}
