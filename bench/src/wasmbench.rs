//! The `wasm` benchmark: a call step of the Wasm IVR in-process against its webhook
//! twins (the Python twin of the examples and a Rust loopback webhook), instantiation
//! alone, steps/s on both cores, and cold start (compile vs load from the cache).

use crate::ivrhook::{HookIvr, PythonTwin, RustHook};
use crate::stepper::{latency, throughput, timed, Expected, Latency, Side};
use crate::wasmapp::{cold_start, ColdStart, WasmIvr};
use crate::wasmreport;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The heading the section lives under in `BENCHMARKS.md`.
pub const HEADING: &str = "## Wasm apps: a call step in-process against its webhook twin";

/// What to run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The IVR component; `None` builds it with `scripts/build-wasm`.
    pub ivr: Option<PathBuf>,
    /// Timed steps per side (and instantiations).
    pub steps: u64,
    /// Untimed steps first.
    pub warmup: u64,
    /// Upper bound on a side's timed steps, seconds (the Python twin may be slow).
    pub bound_secs: u64,
    /// Concurrent tasks of the steps/s runs.
    pub tasks: Vec<usize>,
    /// Seconds per steps/s run.
    pub tput_secs: f64,
    /// Compiles and loads of the cold start.
    pub rounds: usize,
}

/// Every figure of one run.
#[derive(Debug)]
pub struct Results {
    /// The component measured.
    pub ivr: PathBuf,
    /// Its size, bytes.
    pub wasm_bytes: usize,
    /// Sequential steps: Wasm, Rust loopback webhook, Python twin.
    pub wasm: Latency,
    /// See `wasm`.
    pub rust_hook: Latency,
    /// See `wasm`.
    pub twin: Latency,
    /// `instantiate_only`.
    pub instantiate: Latency,
    /// Steps/s per task count: (tasks, Wasm, Rust webhook, twin).
    pub tput: Vec<(usize, f64, f64, f64)>,
    /// Compile vs load.
    pub cold: ColdStart,
    /// Whether the Wasm IVR and its twin answered the same verbs on both paths.
    pub same_verbs: bool,
}

/// The workspace root (the bench crate's parent).
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Component `name`: `path` if given, else the `NAME.wasm` line printed by
/// `scripts/build-wasm` (which builds it when needed).
pub fn component_path(name: &str, path: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = path {
        if !p.is_file() {
            bail!(
                "{}: no such file (build it with scripts/build-wasm, which prints the .wasm paths)",
                p.display()
            );
        }
        return Ok(p.to_path_buf());
    }
    eprintln!("building {name} with scripts/build-wasm (or pass its path)");
    let out = std::process::Command::new(workspace().join("scripts/build-wasm"))
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("running scripts/build-wasm")?;
    if !out.status.success() {
        bail!(
            "scripts/build-wasm failed ({}); pass the path of a built {name}.wasm",
            out.status
        );
    }
    wasmreport::find_component(&String::from_utf8_lossy(&out.stdout), name)
        .with_context(|| format!("scripts/build-wasm printed no {name}.wasm; pass its path"))
}

/// Runs everything; the tables come from [`wasmreport::tables`].
pub fn run(plan: &Plan) -> Result<Results> {
    let ivr = component_path("ivr", plan.ivr.as_deref())?;
    let wasm = std::fs::read(&ivr).with_context(|| format!("reading {}", ivr.display()))?;
    eprintln!("IVR: {} ({} bytes)", ivr.display(), wasm.len());

    // First, while nothing else of ours runs: compilation uses every core.
    let cold = cold_start(&wasm, plan.rounds)?;
    eprintln!("cold start: {cold:?}");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let artifacts = tempfile::tempdir()?;
    let bound = Duration::from_secs(plan.bound_secs);
    rt.block_on(async {
        let wasm_ivr = WasmIvr::new(artifacts.path(), &wasm)?;
        let mut wasm_side = Side::Wasm(wasm_ivr.clone());
        let (wasm_lat, wasm_expected) =
            latency(&mut wasm_side, plan.warmup, plan.steps, bound).await?;
        eprintln!("wasm p50 {:?} µs", wasm_lat.us(50.0));
        let instantiate = timed(plan.warmup, plan.steps, || wasm_ivr.instantiate()).await?;
        eprintln!("instantiate p50 {:?} µs", instantiate.us(50.0));

        // The twin lives at most as long as its runs could take, plus a margin.
        let lifetime = plan.bound_secs * 2 + (plan.tput_secs as u64 + 2) * 3 + 120;
        let twin = PythonTwin::start(&workspace(), lifetime)?;
        let mut twin_side = Side::Hook(HookIvr::new(&twin.base_url())?);
        let (twin_lat, twin_expected) =
            latency(&mut twin_side, plan.warmup.min(1000), plan.steps, bound).await?;
        eprintln!("twin p50 {:?} µs", twin_lat.us(50.0));

        // The Rust webhook serves exactly what the twin answers in steady state (a
        // returning caller), so both webhooks parse the same bytes.
        let mut fetch = HookIvr::new(&twin.base_url())?;
        let rust = RustHook::start(fetch.twiml(0).await?, fetch.twiml(1).await?)?;
        let mut rust_side = Side::Hook(HookIvr::new(&rust.base_url())?);
        let (rust_lat, rust_expected) =
            latency(&mut rust_side, plan.warmup, plan.steps, bound).await?;
        eprintln!("rust webhook p50 {:?} µs", rust_lat.us(50.0));
        if rust_expected != twin_expected {
            bail!("the Rust webhook's verbs differ from the twin's: {rust_expected:?} vs {twin_expected:?}");
        }

        let mut tput = Vec::new();
        for &n in &plan.tasks {
            let w = throughput(&wasm_side, n, plan.tput_secs).await?;
            let r = throughput(&rust_side, n, plan.tput_secs).await?;
            let t = throughput(&twin_side, n, plan.tput_secs).await?;
            eprintln!("{n} tasks: wasm {w:.0}/s, rust webhook {r:.0}/s, twin {t:.0}/s");
            tput.push((n, w, r, t));
        }
        drop(rust);
        drop(twin);
        Ok::<_, anyhow::Error>(Results {
            ivr: ivr.clone(),
            wasm_bytes: wasm.len(),
            wasm: wasm_lat,
            rust_hook: rust_lat,
            twin: twin_lat,
            instantiate,
            tput,
            cold,
            same_verbs: same(&wasm_expected, &twin_expected),
        })
    })
}

fn same(a: &Expected, b: &Expected) -> bool {
    if a != b {
        eprintln!("note: Wasm verbs {a:?}\n  differ from the twin's {b:?}");
    }
    a == b
}
