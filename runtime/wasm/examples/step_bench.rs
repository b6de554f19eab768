//! Step latency of a Wasm app: instantiate + `handle` of the `ok` test guest.
//!
//! Build the guest first (the integration tests do it), then:
//! `cargo run --release -p switchyard-wasm --example step_bench [path/to/guest_ok.wasm]`

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

fn request() -> CallRequest {
    CallRequest {
        call_sid: "CA0".into(),
        account_sid: "AC0".into(),
        from: "+1555".into(),
        to: "+1666".into(),
        call_status: "in-progress".into(),
        direction: "inbound".into(),
        path: "/".into(),
        ..CallRequest::default()
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e6
}

fn main() {
    let wasm_path = std::env::args().nth(1).unwrap_or_else(|| {
        "/work/target-wasm/guests/wasm32-wasip2/release/guest_ok.wasm".to_owned()
    });
    let wasm = std::fs::read(&wasm_path).expect("read the ok guest (build it first)");
    let dir = std::env::temp_dir().join(format!("sy-step-bench-{}", std::process::id()));
    let host = WasmHost::new(HostConfig::new(&dir)).unwrap();
    let app = host.compile(&wasm, host.config().default_limits()).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    // Full steps, one at a time.
    let mut steps = Vec::with_capacity(STEPS);
    rt.block_on(async {
        for _ in 0..STEPS {
            let t = Instant::now();
            let verbs = host.handle(&app, request(), ctx()).await.unwrap();
            steps.push(t.elapsed());
            assert_eq!(verbs.len(), 2);
        }
    });
    steps.sort();

    // Instantiation alone: a fresh store + instance, no call.
    let mut fails = Vec::with_capacity(STEPS);
    rt.block_on(async {
        for _ in 0..STEPS {
            let t = Instant::now();
            host.instantiate_only(&app, ctx()).await.unwrap();
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
                tokio::spawn(async move {
                    for _ in 0..STEPS / 2 {
                        host.handle(&app, request(), ctx()).await.unwrap();
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    let per_sec = STEPS as f64 / t.elapsed().as_secs_f64();

    println!("| measure ({STEPS} steps, guest_ok) | p50 µs | p99 µs |");
    println!("|---|---|---|");
    println!(
        "| instantiate + handle (Say+Gather, session get/set, log) | {:.1} | {:.1} |",
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
