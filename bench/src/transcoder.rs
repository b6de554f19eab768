//! `transcoder`: what hosting a tenant transcoder costs per 20 ms frame beyond the
//! guest's own work, and the memory of a live transcoder instance with 1,000 streams.
//!
//! In-process, on one thread, like the node's media worker: `streams` live
//! [`TranscoderStream`]s of one guest, then `rounds` frames through each in turn, every
//! call timed. Three guests: `tc-null` (bound to the WIT directly, it hands the frame
//! back untouched, so its call time is the host's cost plus a few guest instructions),
//! `tc-passthrough` (the same through the SDK, which converts the payload to samples and
//! back) and the `agc` example (real work).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Result};
use switchyard_wasm::{
    HostConfig, Level, LogSink, PcmFormat, TranscoderContext, TranscoderLimits, TranscoderStream,
    WasmHost,
};

use crate::stats::percentile;

/// The heading the section lives under in `BENCHMARKS.md`.
pub const HEADING: &str = "## Wasm transcoders: host overhead per frame, memory per stream";

/// Targets of the issue: host overhead per frame.
const TARGET_P50_US: f64 = 2.0;
const TARGET_P99_US: f64 = 10.0;

const RATE: u32 = 8000;

pub struct Plan {
    pub runs: usize,
    pub streams: usize,
    pub rounds: usize,
    /// (name as shown, component path)
    pub guests: Vec<(String, PathBuf)>,
}

/// One guest in one run.
struct Sample {
    p50_us: f64,
    p99_us: f64,
    kib_per_stream: f64,
}

struct NoLog;

impl LogSink for NoLog {
    fn log(&self, _app: &str, _call: &str, _level: Level, _message: &str) {}
}

/// Every run of every guest: `samples[guest][run]`.
pub fn run(plan: &Plan) -> Result<Vec<Vec<f64>>> {
    let dir = tempfile::tempdir()?;
    let host = WasmHost::new(HostConfig::new(dir.path()))?;
    let mut all = Vec::new();
    for (name, path) in &plan.guests {
        let wasm = std::fs::read(path)?;
        let compiled = host.compile_transcoder(&wasm, host.config().default_limits())?;
        let mut runs = Vec::new();
        for run in 0..plan.runs {
            let s = one_run(&compiled, plan)?;
            eprintln!(
                "{name} run {run}: p50 {:.2} µs, p99 {:.2} µs, {:.0} KiB per stream",
                s.p50_us, s.p99_us, s.kib_per_stream
            );
            runs.push(s);
        }
        all.push(runs);
    }
    Ok(all
        .into_iter()
        .map(|runs| {
            runs.iter()
                .flat_map(|s| [s.p50_us, s.p99_us, s.kib_per_stream])
                .collect()
        })
        .collect())
}

fn one_run(compiled: &switchyard_wasm::CompiledTranscoder, plan: &Plan) -> Result<Sample> {
    let format = PcmFormat::mono(RATE);
    let limits = TranscoderLimits::default();
    let open = |k: usize| {
        TranscoderStream::new(
            compiled,
            format,
            format,
            limits,
            TranscoderContext {
                app_name: "bench".into(),
                call_sid: format!("CA{k:032}"),
                log: Arc::new(NoLog),
            },
        )
    };
    let frame: Vec<i16> = (0..format.frame_samples())
        .map(|i| ((i as f32 * 0.3).sin() * 3000.0) as i16)
        .collect();
    let mut out = Vec::with_capacity(frame.len() * 2);
    // A first instance maps the compiled code and the engine's shared state.
    open(usize::MAX).process(&frame, RATE, &mut out)?;

    let before = crate::procs::sample(std::process::id())?.rss_kib;
    let mut streams: Vec<TranscoderStream> = (0..plan.streams).map(open).collect();
    for s in &mut streams {
        s.process(&frame, RATE, &mut out)?;
    }
    let after = crate::procs::sample(std::process::id())?.rss_kib;

    let mut ns = Vec::with_capacity(plan.streams * plan.rounds);
    for _ in 0..plan.rounds {
        for s in &mut streams {
            let t = Instant::now();
            let r = s.process(&frame, RATE, &mut out);
            ns.push(t.elapsed().as_nanos() as u64);
            r?;
            if out.len() != frame.len() {
                bail!(
                    "the guest returned {} samples for {}",
                    out.len(),
                    frame.len()
                );
            }
        }
    }
    ns.sort_unstable();
    let us = |p| percentile(&ns, p).unwrap_or(0) as f64 / 1000.0;
    Ok(Sample {
        p50_us: us(50.0),
        p99_us: us(99.0),
        kib_per_stream: after.saturating_sub(before) as f64 / plan.streams as f64,
    })
}

/// Median, min and max.
fn spread(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let median = percentile(&v, 50.0).unwrap_or(0.0);
    (
        median,
        v.first().copied().unwrap_or(0.0),
        v.last().copied().unwrap_or(0.0),
    )
}

/// The table: per guest, the median of the runs' p50 and p99 call time and KiB per
/// stream, each with the runs' range; then the verdict on the host overhead (tc-null).
pub fn table(plan: &Plan, samples: &[Vec<f64>]) -> String {
    let mut t = format!(
        "| guest | call p50 µs | call p99 µs | memory per live stream, KiB ({} streams) |\n\
         | --- | ---: | ---: | ---: |\n",
        plan.streams
    );
    let fmt = |(m, lo, hi): (f64, f64, f64), digits: usize| {
        format!("{m:.digits$} ({lo:.digits$}–{hi:.digits$})")
    };
    let mut verdict = String::new();
    for ((name, _), runs) in plan.guests.iter().zip(samples) {
        let col = |k: usize| spread(runs.iter().skip(k).step_by(3).copied().collect());
        let (p50, p99, kib) = (col(0), col(1), col(2));
        t.push_str(&format!(
            "| {name} | {} | {} | {} |\n",
            fmt(p50, 2),
            fmt(p99, 2),
            fmt(kib, 0)
        ));
        if name == "tc-null" {
            let ok = |v: f64, target: f64| if v <= target { "met" } else { "**missed**" };
            verdict = format!(
                "\nHost overhead per 20 ms frame (tc-null): p50 {:.2} µs (target ≤ {TARGET_P50_US} µs: {}), \
                 p99 {:.2} µs (target ≤ {TARGET_P99_US} µs: {}); memory per live instance at most \
                 {:.0} KiB (the largest run: see the note on heap reuse).\n",
                p50.0,
                ok(p50.0, TARGET_P50_US),
                p99.0,
                ok(p99.0, TARGET_P99_US),
                kib.2
            );
        }
    }
    t.push_str(&verdict);
    t
}

pub fn notes(plan: &Plan) -> String {
    format!(
        "In-process on one thread, like the node's media worker: {streams} live transcoder \
         streams of one guest (8 kHz mono, 160-sample frames, the default 1 ms CPU budget), \
         then {rounds} frames through each in turn ({calls} calls), every \
         `TranscoderStream::process` timed with `Instant` (its own ~30 ns included). \
         **Method for the host overhead:** `tc-null` is bound to the WIT directly and hands \
         the lowered frame back as it got it (no conversion, no copy: a handful of guest \
         instructions), so its full call time is the host's cost per frame (arming fuel and \
         the deadline, lowering the payload into guest memory through the guest's \
         allocator, lifting the answer, converting i16 ⇄ big-endian L16) and an upper bound \
         on it. `tc-passthrough` does the same through the guest SDK (payload → samples → \
         payload inside the guest), `agc` is the example doing real work: the difference to \
         `tc-null` is guest work. **Memory:** VmRSS of the benchmark process before and \
         after opening the {streams} streams (each instantiated, its `media-stream` \
         constructed and one frame processed; a first instance opened before the first \
         reading), divided by {streams}; the process's allocator keeps what a run frees, so \
         later runs reuse the host's heap and grow mostly by the guests' pages: the first run \
         (the largest figure) is the one that counts the host's per-stream structures too. \
         {runs} runs of each guest; each cell is the median \
         of the runs with their range in brackets.\n",
        streams = plan.streams,
        rounds = plan.rounds,
        calls = plan.streams * plan.rounds,
        runs = plan.runs,
    )
}
