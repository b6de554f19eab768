//! `switchyard-bench metering`: what per-module metering costs. Each pair is two fresh
//! nodes, `[metering] enabled = true` and `false`, running side by side: each number
//! runs the one-step Wasm hello app and two sipp callers offer the same load to both at
//! the same time, so whatever else the machine does reaches both sides alike. Each node
//! reports the calls/s it sustained, its own INVITE→200 and Wasm step times (means of its
//! `/metrics` histograms, request → verbs ready), its CPU per call and the instructions
//! it retired per call (`perf stat`), the figure least moved by other work.

use crate::bridge_report::cell;
use crate::node::{self, Node};
use crate::overload::{hello_node_on, step};
use crate::procs::{self, Instructions};
use crate::rate::RateStep;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// The heading of the section in `BENCHMARKS.md`.
pub const HEADING: &str = "## Metering overhead";

/// What to run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// On/off pairs.
    pub pairs: usize,
    /// Offered calls/s.
    pub rate: u32,
    /// Seconds of calls per node.
    pub secs: u32,
    /// The hello component.
    pub app: PathBuf,
    /// Where sipp's files go.
    pub work: PathBuf,
}

/// One node's figures.
#[derive(Debug, Clone)]
pub struct Side {
    /// The sipp step.
    pub step: RateStep,
    /// Mean INVITE→200 as the node timed it, µs.
    pub setup_us: f64,
    /// Mean Wasm step (request → verbs ready) as the node timed it, µs.
    pub wasm_step_us: f64,
    /// Wasm steps timed.
    pub wasm_steps: u64,
    /// Node CPU (user + system) per offered call, ms.
    pub cpu_ms_per_call: f64,
    /// Instructions the node retired per offered call (`None` without `perf`).
    pub instructions_per_call: Option<f64>,
}

/// Metering on, then off.
pub type Pair = (Side, Side);

/// Sum and count of histogram `name` in a Prometheus text exposition.
fn histogram(text: &str, name: &str) -> Option<(f64, u64)> {
    let value = |suffix: &str| {
        let key = format!("{name}_{suffix} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&key))
            .and_then(|v| v.trim().parse::<f64>().ok())
    };
    Some((value("sum")?, value("count")? as u64))
}

/// The node's setup and Wasm step histograms now.
fn histograms(node: &Node) -> Result<[(f64, u64); 2]> {
    let text = node::get(node.http().port(), "/metrics")?;
    let get = |name: &str| {
        histogram(&text, name).with_context(|| format!("no {name} in the node's /metrics"))
    };
    Ok([
        get("switchyard_call_setup_seconds")?,
        get("switchyard_wasm_step_seconds")?,
    ])
}

/// Mean of the samples added between `a` and `b`, µs.
fn mean_us(a: (f64, u64), b: (f64, u64)) -> f64 {
    let n = b.1.saturating_sub(a.1);
    if n == 0 {
        return f64::NAN;
    }
    (b.0 - a.0) / n as f64 * 1e6
}

/// The RTP port ranges of the two nodes of a pair.
const RTP: [(u16, u16); 2] = [(20_000, 28_999), (29_000, 37_999)];

/// A node of a pair, started and warmed, with what was read before its load.
struct Running {
    node: Node,
    metering: bool,
    before: [(f64, u64); 2],
}

/// What a node did between [`Running`] and the end of its load.
fn finish(
    run: Running,
    s: RateStep,
    cpu: (procs::ProcSample, procs::ProcSample),
    instructions: Option<u64>,
    plan: &Plan,
    ticks: u64,
) -> Result<Side> {
    let after = histograms(&run.node)?;
    let calls = u64::from(plan.rate) * u64::from(plan.secs);
    let cpu_ms = cpu.1.cpu_ticks.saturating_sub(cpu.0.cpu_ticks) as f64 * 1e3 / ticks as f64;
    let side = Side {
        setup_us: mean_us(run.before[0], after[0]),
        wasm_step_us: mean_us(run.before[1], after[1]),
        wasm_steps: after[1].1.saturating_sub(run.before[1].1),
        cpu_ms_per_call: cpu_ms / calls as f64,
        instructions_per_call: instructions.map(|n| n as f64 / calls as f64),
        step: s,
    };
    eprintln!("  metering {}: {side:?}", run.metering);
    Ok(side)
}

/// The sipp load on one node, with its CPU and instructions around it.
fn load(
    run: &Running,
    plan: &Plan,
    counts: &Path,
) -> Result<(
    RateStep,
    (procs::ProcSample, procs::ProcSample),
    Option<u64>,
)> {
    let pid = run.node.pid();
    let counter = Instructions::start(pid, counts);
    let cpu0 = procs::sample(pid)?;
    let s = step(&run.node, plan.rate, plan.secs, &plan.work)?;
    let cpu1 = procs::sample(pid)?;
    Ok((s, (cpu0, cpu1), counter.and_then(Instructions::stop)))
}

/// One pair: both nodes up, then the same load on both at once.
fn pair(plan: &Plan, index: usize, ticks: u64) -> Result<Pair> {
    let start = |metering: bool, rtp| -> Result<Running> {
        let tables = format!("[metering]\nenabled = {metering}\n");
        let node = hello_node_on(&plan.app, &plan.work, &tables, rtp)?;
        let before = histograms(&node)?;
        Ok(Running {
            node,
            metering,
            before,
        })
    };
    // Which node starts first (and so gets the first port range) alternates between pairs.
    let (on, off) = if index.is_multiple_of(2) {
        let on = start(true, RTP[0])?;
        (on, start(false, RTP[1])?)
    } else {
        let off = start(false, RTP[0])?;
        (start(true, RTP[1])?, off)
    };
    let counts = [
        plan.work.join(format!("perf-{index}-on.csv")),
        plan.work.join(format!("perf-{index}-off.csv")),
    ];
    let (on_load, off_load) = std::thread::scope(|s| {
        let a = s.spawn(|| load(&on, plan, &counts[0]));
        let b = s.spawn(|| load(&off, plan, &counts[1]));
        (a.join(), b.join())
    });
    let joined = |r: std::thread::Result<Result<_>>| match r {
        Ok(r) => r,
        Err(_) => bail!("a load thread panicked"),
    };
    let (s, cpu, n) = joined(on_load)?;
    let on = finish(on, s, cpu, n, plan, ticks)?;
    let (s, cpu, n) = joined(off_load)?;
    let off = finish(off, s, cpu, n, plan, ticks)?;
    Ok((on, off))
}

/// Runs the plan's pairs.
pub fn run(plan: &Plan) -> Result<Vec<Pair>> {
    if plan.pairs == 0 || plan.rate == 0 || plan.secs == 0 {
        bail!("--pairs, --rate and --secs must be positive");
    }
    let ticks = procs::clock_ticks();
    let mut pairs = Vec::new();
    for i in 0..plan.pairs {
        eprintln!("pair {} (load {})", i + 1, crate::load_average());
        pairs.push(pair(plan, i, ticks)?);
    }
    Ok(pairs)
}

/// A figure compared: its column, how it is read from a side, its decimals.
type Figure = (&'static str, fn(&Side) -> f64, usize);

/// The figures compared.
const FIGURES: [Figure; 5] = [
    ("calls/s", |s| s.step.achieved, 1),
    ("node INVITE→200 mean µs", |s| s.setup_us, 0),
    ("Wasm step mean µs", |s| s.wasm_step_us, 1),
    ("node CPU ms/call", |s| s.cpu_ms_per_call, 3),
    (
        "node instructions/call (M)",
        |s| s.instructions_per_call.map_or(f64::NAN, |n| n / 1e6),
        3,
    ),
];

/// The table: per pair each figure on / off and on ÷ off; then each ratio's median and
/// spread.
pub fn table(pairs: &[Pair]) -> String {
    let mut out = String::from(
        "| pair | sipp ok / refused (503) / failed, Wasm steps (on; off) | sipp INVITE→200 p50 / p99 ms (on; off) |",
    );
    let mut rule = String::from("| ---: | ---: | ---: |");
    // A figure no node measured (instructions where `perf` has no counter) is left out.
    let figures: Vec<Figure> = FIGURES
        .into_iter()
        .filter(|(_, f, _)| pairs.iter().any(|(on, _)| !f(on).is_nan()))
        .collect();
    for (name, _, _) in &figures {
        out.push_str(&format!(" {name}: on / off | ratio |"));
        rule.push_str(" ---: | ---: |");
    }
    out.push('\n');
    out.push_str(&rule);
    out.push('\n');
    let ms = |v: Option<u32>| v.map_or("–".into(), |v| v.to_string());
    for (i, (on, off)) in pairs.iter().enumerate() {
        out.push_str(&format!(
            "| {} | {} / {} / {}, {}; {} / {} / {}, {} | {} / {}; {} / {} |",
            i + 1,
            on.step.successful.saturating_sub(on.step.refused),
            on.step.refused,
            on.step.failed,
            on.wasm_steps,
            off.step.successful.saturating_sub(off.step.refused),
            off.step.refused,
            off.step.failed,
            off.wasm_steps,
            ms(on.step.p50_ms),
            ms(on.step.p99_ms),
            ms(off.step.p50_ms),
            ms(off.step.p99_ms),
        ));
        for &(_, f, digits) in &figures {
            out.push_str(&format!(
                " {:.digits$} / {:.digits$} | {:.3} |",
                f(on),
                f(off),
                f(on) / f(off)
            ));
        }
        out.push('\n');
    }
    out.push_str("| **median (min–max)** | | |");
    for (_, f, _) in &figures {
        let ratios = pairs.iter().map(|(on, off)| f(on) / f(off)).collect();
        out.push_str(&format!(" | **{}** |", cell(ratios, 3)));
    }
    out.push('\n');
    out
}

/// The run's method.
pub fn notes(plan: &Plan) -> String {
    format!(
        "{} pairs of fresh nodes, `[metering] enabled = true` and `false`, running side by \
         side (their start order and RTP port ranges swap between pairs). Each node's \
         number runs the Wasm hello app (`examples/hello`: Say, Hangup), deployed through \
         the REST API and warmed by one call; then two sipp callers \
         (`tests/sipp/uac_shed.xml`) offer {} calls/s each for {} s ({} calls per node), \
         one to each node, at the same time: both nodes meet the same machine. ok = calls \
         the app answered and hung up, refused = 503 from overload control. calls/s = \
         answered calls per second between sipp's first and last 200. The node's own \
         INVITE→200 and Wasm step (request → verbs ready, the node's \
         `WasmHost::handle_measured`) are the means of its `/metrics` histograms \
         (`call_setup_seconds`, `wasm_step_seconds`, sum ÷ count over the measured calls \
         only). CPU = the node's utime + stime (`/proc/PID/stat`) over the sipp step ÷ \
         offered calls; instructions = what the node's threads retired (user and kernel, \
         `perf stat -e instructions -p PID`) over the same window ÷ offered calls, the \
         work a call costs whatever else the machine runs, hence the capacity it leaves \
         (a column only where the machine's perf has the counter). \
         ratio = on ÷ off (above 1: metering costs more time, CPU or instructions; for \
         calls/s, below 1 means fewer calls sustained).\n",
        plan.pairs,
        plan.rate,
        plan.secs,
        u64::from(plan.rate) * u64::from(plan.secs)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_read_from_the_exposition() {
        let text = "# HELP x\nswitchyard_wasm_step_seconds_sum 0.5\n\
                    switchyard_wasm_step_seconds_count 1000\n\
                    switchyard_wasm_step_seconds_bucket{le=\"0.001\"} 900\n";
        let h = histogram(text, "switchyard_wasm_step_seconds").unwrap();
        assert_eq!(h, (0.5, 1000));
        assert!((mean_us((0.1, 200), h) - 500.0).abs() < 1e-9);
        assert!(mean_us(h, h).is_nan());
        assert_eq!(histogram(text, "switchyard_call_setup_seconds"), None);
    }
}
