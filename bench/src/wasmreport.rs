//! Markdown of the `wasm` benchmark.

use crate::stepper::Latency;
use crate::wasmbench::Results;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

/// The `NAME.wasm` path among the lines `scripts/build-wasm` printed.
pub fn find_component(build_output: &str, name: &str) -> Option<PathBuf> {
    let file = format!("/{name}.wasm");
    build_output
        .lines()
        .map(str::trim)
        .find(|l| l.ends_with(&file))
        .map(PathBuf::from)
}

fn us(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{v:.1}"))
}

/// How many times slower `other` is than `base` at percentile `p`.
fn times(other: &Latency, base: &Latency, p: f64) -> String {
    match (other.us(p), base.us(p)) {
        (Some(o), Some(b)) if b > 0.0 => format!("{:.1}×", o / b),
        _ => "–".into(),
    }
}

fn row(t: &mut String, name: &str, l: &Latency, wasm: &Latency) {
    let _ = writeln!(
        t,
        "| {name} | {}{} | {} | {} | {} | {:.0} | {} / {} |",
        l.sorted.len(),
        if l.time_bounded {
            " (time-bounded)"
        } else {
            ""
        },
        us(l.us(50.0)),
        us(l.us(99.0)),
        us(l.us(100.0)),
        l.rate(),
        times(l, wasm, 50.0),
        times(l, wasm, 99.0),
    );
}

fn ms(d: &[Duration]) -> (f64, f64, f64) {
    let mut v: Vec<f64> = d.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    v.sort_by(f64::total_cmp);
    let median = crate::stats::percentile(&v, 50.0).unwrap_or(0.0);
    (
        median,
        v.first().copied().unwrap_or(0.0),
        v.last().copied().unwrap_or(0.0),
    )
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "**missed**"
    }
}

/// The three tables and the targets' verdicts.
pub fn tables(r: &Results) -> String {
    let mut t = String::new();
    t.push_str(
        "### Request → verbs ready, one step at a time\n\n\
         | side | timed steps | p50 µs | p99 µs | max µs | steps/s (sequential) | p50 / p99 ÷ Wasm |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    row(
        &mut t,
        "Wasm IVR, fresh instance per step",
        &r.wasm,
        &r.wasm,
    );
    row(
        &mut t,
        "Rust loopback webhook (axum) + node client + TwiML parse",
        &r.rust_hook,
        &r.wasm,
    );
    row(
        &mut t,
        "Python twin (`ivr_webhook.py`) + node client + TwiML parse",
        &r.twin,
        &r.wasm,
    );
    row(
        &mut t,
        "Wasm instantiation alone (`instantiate_only`)",
        &r.instantiate,
        &r.wasm,
    );

    let p50 = r.wasm.us(50.0).unwrap_or(f64::INFINITY);
    let p99 = r.wasm.us(99.0).unwrap_or(f64::INFINITY);
    let vs_twin = r.twin.us(50.0).unwrap_or(0.0) / p50;
    let vs_rust = r.rust_hook.us(50.0).unwrap_or(0.0) / p50;
    let _ = writeln!(
        t,
        "\nTargets: Wasm p50 ≤ 20 µs: {} ({p50:.1}); p99 ≤ 100 µs: {} ({p99:.1}); ≥ 10× \
         faster than the loopback webhook twin at p50: {} ({vs_twin:.1}×; against the Rust \
         loopback webhook: {vs_rust:.1}×). The Wasm IVR and its twin answered {} verbs.",
        verdict(p50 <= 20.0),
        verdict(p99 <= 100.0),
        verdict(vs_twin >= 10.0),
        if r.same_verbs {
            "the same"
        } else {
            "**different**"
        },
    );

    t.push_str(
        "\n### Steps/s on both cores (2-worker runtime, concurrent tasks)\n\n\
         | tasks | Wasm steps/s | Rust webhook steps/s | Python twin steps/s | Wasm ÷ Rust webhook |\n\
         | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for &(n, w, rh, tw) in &r.tput {
        let _ = writeln!(
            t,
            "| {n} | {w:.0} | {rh:.0} | {tw:.0} | {:.1}× |",
            w / rh.max(1e-9)
        );
    }

    let (c50, cmin, cmax) = ms(&r.cold.compile);
    let (l50, lmin, lmax) = ms(&r.cold.load);
    let _ = write!(
        t,
        "\n### Cold start: compile vs load from the artifact cache\n\n\
         | | runs | median ms | min ms | max ms |\n\
         | --- | ---: | ---: | ---: | ---: |\n\
         | `compile` (validate, compile, write artifact) | {} | {c50:.2} | {cmin:.2} | {cmax:.2} |\n\
         | `load` on a restarted host (artifact found) | {} | {l50:.2} | {lmin:.2} | {lmax:.2} |\n\
         \nLoad is {:.0}× faster than compiling (`{}`: {} byte component, {} byte artifact).\n",
        r.cold.compile.len(),
        r.cold.load.len(),
        c50 / l50.max(1e-9),
        r.ivr.file_name().map_or("?".into(), |n| n.to_string_lossy()),
        r.wasm_bytes,
        r.cold.artifact_bytes,
    );
    t
}

/// What was measured and how, above the tables.
pub fn notes(steps: u64, warmup: u64, tput_secs: f64) -> String {
    format!(
        "The IVR of `examples/ivr` (built by `scripts/build-wasm`) against its twin \
         `examples/ivr-webhook/ivr_webhook.py`, both asked the same two steps alternately: \
         `/` (answers Gather + Say; a returning caller, counted in the session store) and \
         `/gathered` with `Digits=1` (Play + Hangup). A step is timed from the request to \
         the node's `Verb`s: for Wasm, `WasmHost::handle` on a fresh store and instance \
         (pooling allocator, epoch deadline, in-memory session store) with the WIT verbs \
         converted; for a webhook, `WebhookClient::fetch` (signed POST with \
         `X-Twilio-Signature` and `X-Switchyard-Signature`, keep-alive) to 127.0.0.1 then \
         `parse_twiml`. The Rust loopback webhook (axum, its own 2-worker runtime, reading \
         the form) serves the exact bytes the twin answers, as the fastest webhook possible. \
         {warmup} warm-up steps (the twin: at most 1000), then up to {steps} timed steps per \
         side, sequentially, on a 2-worker tokio runtime; every step's verbs are checked \
         against the warm-up's. Steps/s: N tasks for {tput_secs} s each on the same \
         runtime (the webhook servers share the two cores). Nearest-rank percentiles.\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_ivr_among_build_lines() {
        let out = "/t/wasm32-wasip2/release/hello.wasm\n/t/wasm32-wasip2/release/ivr.wasm\n\
                   /t/wasm32-wasip2/release/looper.wasm\n";
        assert_eq!(
            find_component(out, "ivr"),
            Some(PathBuf::from("/t/wasm32-wasip2/release/ivr.wasm"))
        );
        assert_eq!(
            find_component(out, "hello"),
            Some(PathBuf::from("/t/wasm32-wasip2/release/hello.wasm"))
        );
        assert_eq!(
            find_component("/t/hello.wasm\n/t/not_ivr.wasm\n", "ivr"),
            None
        );
    }

    #[test]
    fn ratios_compare_percentiles() {
        let fast = Latency::new(vec![Duration::from_micros(10); 10], Duration::ZERO, false);
        let slow = Latency::new(vec![Duration::from_micros(250); 10], Duration::ZERO, false);
        assert_eq!(times(&slow, &fast, 50.0), "25.0×");
        assert_eq!(times(&slow, &Latency::default(), 50.0), "–");
        let (median, min, max) = ms(&[
            Duration::from_millis(30),
            Duration::from_millis(10),
            Duration::from_millis(20),
        ]);
        assert_eq!((median, min, max), (20.0, 10.0, 30.0));
    }
}
