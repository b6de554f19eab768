//! The `overload` benchmark's tables (median of the runs, spread in brackets), its
//! headline and its notes.

use crate::bridge_report::cell;
use crate::overload::{Plan, Run};
use std::fmt::Write as _;

/// Runs' values of `f` over the steps that exist.
fn over<T>(runs: &[Run], f: impl Fn(&Run) -> Option<T>) -> Vec<T> {
    runs.iter().filter_map(f).collect()
}

/// The capacity table: the node's clean rate next to Kamailio's, per run and median.
pub fn capacity_table(plan: &Plan, runs: &[Run]) -> String {
    let mut t = String::from(
        "| run | load average before → after | node: clean calls/s (INVITE→200 p99 ms at it) \
         | node: first unclean step (ok / refused / failed) | Kamailio: clean calls/s (p99 ms at it) \
         | node ÷ Kamailio |\n\
         | ---: | :--- | ---: | :--- | ---: | ---: |\n",
    );
    for (i, r) in runs.iter().enumerate() {
        let p99_at = |steps: &[crate::rate::RateStep], rate: u32| {
            steps
                .iter()
                .find(|s| s.offered == rate)
                .and_then(|s| s.p99_ms)
                .map_or("–".into(), |v| v.to_string())
        };
        let p99 = p99_at(&r.ramp, r.capacity);
        let k99 = p99_at(&r.kamailio, r.kamailio_capacity);
        let unclean = r
            .ramp
            .iter()
            .find(|s| !crate::overload::clean(s, plan.secs))
            .map_or("none".into(), |s| {
                format!(
                    "{}/s ({} / {} / {})",
                    s.offered,
                    s.successful.saturating_sub(s.refused),
                    s.refused,
                    s.failed
                )
            });
        let ratio = if r.kamailio_capacity > 0 {
            format!(
                "{:.2}",
                f64::from(r.capacity) / f64::from(r.kamailio_capacity)
            )
        } else {
            "–".into()
        };
        let _ = writeln!(
            t,
            "| {} | {} → {} | {} ({p99}) | {unclean} | {} ({k99}) | {ratio} |",
            i + 1,
            r.load_before,
            r.load_after,
            r.capacity,
            r.kamailio_capacity,
        );
    }
    let _ = writeln!(
        t,
        "| median | | {} | | {} | {} |",
        cell(over(runs, |r| Some(f64::from(r.capacity))), 0),
        cell(over(runs, |r| Some(f64::from(r.kamailio_capacity))), 0),
        cell(
            over(runs, |r| (r.kamailio_capacity > 0).then(|| f64::from(
                r.capacity
            ) / f64::from(
                r.kamailio_capacity
            ))),
            2
        ),
    );
    t
}

/// The goodput table: one row per multiple, median (spread) of the runs.
pub fn goodput_table(plan: &Plan, runs: &[Run]) -> String {
    let mut t = String::from(
        "| offered | offered calls/s | served calls/s | served ÷ capacity % | refused (503) | failed \
         | INVITE→503 p99 / max ms | INVITE→200 p99 ms |\n\
         | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for &m in &plan.multiples {
        let step = |r: &Run| r.load.iter().find(|l| l.multiple == m).cloned();
        let v = |f: &dyn Fn(&Run, &crate::overload::LoadStep) -> Option<f64>| {
            over(runs, |r| step(r).and_then(|l| f(r, &l)))
        };
        let _ = writeln!(
            t,
            "| {m}× | {} | {} | {} | {} | {} | {} / {} | {} |",
            cell(v(&|_, l| Some(f64::from(l.step.offered))), 0),
            cell(v(&|_, l| Some(l.goodput(plan.secs))), 0),
            cell(
                v(&|r, l| (r.capacity > 0)
                    .then(|| 100.0 * l.goodput(plan.secs) / f64::from(r.capacity))),
                0
            ),
            cell(v(&|_, l| Some(l.step.refused as f64)), 0),
            cell(v(&|_, l| Some(l.step.failed as f64)), 0),
            cell(v(&|_, l| l.step.refuse_p99_ms.map(f64::from)), 0),
            cell(v(&|_, l| l.step.refuse_max_ms.map(f64::from)), 0),
            cell(v(&|_, l| l.step.p99_ms.map(f64::from)), 0),
        );
    }
    t
}

/// The headline: the targets of the issue against the medians.
pub fn headline(plan: &Plan, runs: &[Run]) -> String {
    let top = plan.multiples.iter().copied().max().unwrap_or(0);
    let served: Vec<f64> = over(runs, |r| {
        let l = r.load.iter().find(|l| l.multiple == top)?;
        (r.capacity > 0).then(|| 100.0 * l.goodput(plan.secs) / f64::from(r.capacity))
    });
    let slowest = runs
        .iter()
        .flat_map(|r| r.load.iter().filter_map(|l| l.step.refuse_max_ms))
        .max();
    format!(
        "**Headline:** clean capacity {} calls/s with the Wasm hello app (Kamailio's stateless \
         responder: {} calls/s in the same runs); at {top}× that offered, {} % of the capacity \
         served (target ≥ 90 %); slowest 503 of all runs {} ms (target ≤ 50 ms).\n",
        cell(over(runs, |r| Some(f64::from(r.capacity))), 0),
        cell(over(runs, |r| Some(f64::from(r.kamailio_capacity))), 0),
        cell(served, 0),
        slowest.map_or("–".into(), |v| v.to_string()),
    )
}

/// How the figures were made.
pub fn notes(plan: &Plan, kamailio_version: &str) -> String {
    format!(
        "{} full runs. Caller: sipp 3.6.1 with `tests/sipp/uac_shed.xml` (INVITE; then 200, \
         ACK, the node's BYE, 200 — or 503, ACK), {} s per step. The number runs the Wasm \
         hello app (`examples/hello`: `Say` \"Hello, <caller>\", `Hangup`), its speech cached \
         by a warm-up call; a fresh node (default `[overload]` settings) per ramp and per \
         multiple. (a) Ramp {:?} calls/s, stopping after the first step with a refused or \
         failed call; the clean capacity is the last clean step. (b) Offered 1×, 2×, 3× that \
         capacity: served = calls answered and hung up by the app ÷ seconds offered; refused \
         = calls that got 503 (with Retry-After); failed = anything else (timeouts, \
         unexpected messages). INVITE→503 and INVITE→200 are sipp's response times (1 ms \
         resolution). (c) Reference: {kamailio_version} with a minimal config (written by the \
         benchmark to a temporary directory: `sl_send_reply(\"200\", \"OK\")` to every \
         request but ACK, {} worker processes, no transaction state), bound to 127.0.0.1, \
         driven by sipp with `bench/sipp/kamailio_uac.xml` (INVITE, 200, ACK) over {:?} \
         calls/s; the ceiling of SIP handling alone on this machine, sipp included. The \
         machine is shared with other engineers' builds: the load average before and after \
         each run is in the first table.\n",
        plan.runs, plan.secs, plan.rates, plan.kamailio_children, plan.kamailio_rates
    )
}
