//! Step latency of a Wasm app: instantiate + `handle`, the quick loop behind the
//! `wasm` benchmark. Steps alternate `/` and `/gathered` with `Digits=1`, as the
//! benchmark asks the IVR example; any call-handler works.
//!
//! Build the guest first (`scripts/build-wasm` prints the paths), then:
//! `cargo run --release -p switchyard-wasm --example step_bench path/to/ivr.wasm`

use std::sync::Arc;
use std::time::{Duration, Instant};

use switchyard_wasm::{
    CallRequest, HostConfig, Level, LogSink, MemorySessionStore, StepContext, WasmHost,
};

const STEPS: usize = 10_000;

struct NullLog;
impl LogSink for NullLog {
    fn log(&self, _: &str, _: &str, _: Level, _: &str) {}
}

fn ctx() -> StepContext {
    StepContext {
        app_name: "bench".into(),
        call_sid: "CA0".into(),
        account_sid: "AC0".into(),
        session: Arc::new(MemorySessionStore::default()),
        session_scope: ("AC0".to_owned(), "+1555".to_owned(), "+1666".to_owned()).into(),
        log: Arc::new(NullLog),
        http: reqwest::Client::new(),
    }
}

fn request(i: usize) -> CallRequest {
    let (path, digits) = if i.is_multiple_of(2) {
        ("/", None)
    } else {
        ("/gathered", Some("1".to_owned()))
    };
    CallRequest {
        call_sid: "CA0".into(),
        account_sid: "AC0".into(),
        from: "+1555".into(),
        to: "+1666".into(),
        call_status: "in-progress".into(),
        direction: "inbound".into(),
        path: path.into(),
        digits,
        ..CallRequest::default()
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e6
}

fn main() {
    let wasm_path = std::env::args()
        .nth(1)
        .expect("usage: step_bench path/to/app.wasm (scripts/build-wasm builds ivr.wasm)");
    let wasm = std::fs::read(&wasm_path).expect("read the app (build it first)");
    let dir = std::env::temp_dir().join(format!("sy-step-bench-{}", std::process::id()));
    let host = WasmHost::new(HostConfig::new(&dir)).unwrap();
    let app = host.compile(&wasm, host.config().default_limits()).unwrap();
    // One context cloned per step, as the node does (a reqwest client is costly to build).
    let ctx = ctx();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    // Full steps, one at a time.
    let mut steps = Vec::with_capacity(STEPS);
    rt.block_on(async {
        for i in 0..STEPS {
            let t = Instant::now();
            let verbs = host.handle(&app, request(i), ctx.clone()).await.unwrap();
            steps.push(t.elapsed());
            assert!(!verbs.is_empty());
        }
    });
    steps.sort();

    // Instantiation alone: a fresh store + instance, no call.
    let mut fails = Vec::with_capacity(STEPS);
    rt.block_on(async {
        for _ in 0..STEPS {
            let t = Instant::now();
            host.instantiate_only(&app, ctx.clone()).await.unwrap();
            fails.push(t.elapsed());
        }
    });
    fails.sort();

    // Throughput on 2 worker threads, 2 concurrent step loops.
    let t = Instant::now();
    rt.block_on(async {
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let host = host.clone();
                let app = app.clone();
                let ctx = ctx.clone();
                tokio::spawn(async move {
                    for i in 0..STEPS / 2 {
                        host.handle(&app, request(i), ctx.clone()).await.unwrap();
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    let per_sec = STEPS as f64 / t.elapsed().as_secs_f64();

    println!("| measure ({STEPS} steps, {wasm_path}) | p50 µs | p99 µs |");
    println!("|---|---|---|");
    println!(
        "| instantiate + handle (alternating / and /gathered) | {:.1} | {:.1} |",
        percentile(&steps, 0.5),
        percentile(&steps, 0.99)
    );
    println!(
        "| instantiate only (fresh Store + instance) | {:.1} | {:.1} |",
        percentile(&fails, 0.5),
        percentile(&fails, 0.99)
    );
    println!("| steps/s on 2 threads | {per_sec:.0} | |");
    let _ = std::fs::remove_dir_all(&dir);
}
