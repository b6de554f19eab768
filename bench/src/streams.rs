//! Concurrent bidirectional Media Streams (`<Connect><Stream>`): N calls from the
//! benchmark's SIP caller, each sending 20 ms of RTP every 20 ms; the node forks each
//! call's audio to the benchmark's WebSocket echo server, which sends every frame back
//! at once, and the node plays it to the caller. The same RTP then goes through the
//! reference bridge (see [`crate::streams_ws`]) to the same echo server.
//!
//! Every payload is marked with its stream, index and send time, so each frame is
//! matched at each end: RTP in → WS out is the echo server's read time minus the
//! generator's send time, WS in → RTP out is the kernel's receive time of the packet
//! back at the caller minus the time the echo server sent it. All on one realtime
//! clock.

use crate::bridge_gen::{Arrivals, Streams, GEN_THREAD, RX_THREAD};
use crate::bridge_media::{media_address, BRIDGE_RTP};
use crate::ivrhook::RustHook;
use crate::node::{Node, NUMBER};
use crate::procs::{self, cpu_percent};
use crate::stats::percentile;
use crate::streams_ws::{Bridge, EchoServer, Echoed, BRIDGE_THREAD, ECHO_THREAD};
use crate::uac::Caller;
use anyhow::Result;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::oneshot;

/// Loss of the reference above which the machine, not the node, is the limit.
const SATURATED_LOSS_PCT: f64 = 1.0;

/// The section of BENCHMARKS.md.
pub const HEADING: &str = "## Media Streams: concurrent bidirectional streams";

/// Knobs of the benchmark.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Full runs.
    pub runs: usize,
    /// Concurrent streams per step.
    pub streams: Vec<usize>,
    /// Calls set up per second.
    pub setup_rate: u32,
    /// Pause between "all up" and the window.
    pub settle: Duration,
    /// Length of the measurement window.
    pub window: Duration,
    /// Worker threads of the echo server and of the reference bridge.
    pub workers: usize,
}

/// The figures of one path at one stream count.
#[derive(Debug, Clone, Default)]
pub struct Step {
    /// Streams asked for, and streams whose frames came back in the window.
    pub streams: usize,
    /// See `streams`.
    pub live: usize,
    /// Call set-ups that failed, and the first reason.
    pub failures: (usize, Option<String>),
    /// RTP in → WS out, µs, sorted.
    pub up_us: Vec<u32>,
    /// WS in → RTP out, µs, sorted.
    pub down_us: Vec<u32>,
    /// Packets sent in the window and distinct ones back.
    pub sent: u64,
    /// See `sent`.
    pub back: u64,
    /// CPU of the path (the node process, or the bridge's threads), % of one core.
    pub cpu_pct: f64,
    /// CPU of the echo server, and of the generator and receiver.
    pub echo_cpu_pct: f64,
    /// See `echo_cpu_pct`.
    pub gen_cpu_pct: f64,
}

impl Step {
    /// Percent of the window's packets that did not come back.
    pub fn loss_pct(&self) -> f64 {
        if self.sent == 0 {
            return 100.0;
        }
        100.0 * self.sent.saturating_sub(self.back) as f64 / self.sent as f64
    }

    /// CPU per stream, % of one core.
    pub fn cpu_per_stream(&self) -> f64 {
        self.cpu_pct / self.live.max(1) as f64
    }

    fn ms(sorted: &[u32], p: f64) -> f64 {
        percentile(sorted, p).map_or(f64::NAN, |v| f64::from(v) / 1000.0)
    }

    /// (up p50, up p99, down p50, down p99), ms.
    pub fn latencies(&self) -> [f64; 4] {
        [
            Self::ms(&self.up_us, 50.0),
            Self::ms(&self.up_us, 99.0),
            Self::ms(&self.down_us, 50.0),
            Self::ms(&self.down_us, 99.0),
        ]
    }
}

/// One run: for each stream count, the node's step and the reference's.
pub type Run = Vec<(Step, Step)>;

/// Runs the plan.
pub fn run(plan: &Plan, ticks: u64) -> Result<Vec<Run>> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut runs = Vec::new();
    for r in 0..plan.runs {
        let mut run = Vec::new();
        for &n in &plan.streams {
            let node = rt.block_on(node_step(plan, n, ticks))?;
            eprintln!("run {}: node, {n} streams: {}", r + 1, brief(&node));
            let reference = rt.block_on(reference_step(plan, n, ticks))?;
            eprintln!(
                "run {}: reference, {n} streams: {}",
                r + 1,
                brief(&reference)
            );
            run.push((node, reference));
        }
        runs.push(run);
    }
    Ok(runs)
}

fn brief(s: &Step) -> String {
    let [u50, u99, d50, d99] = s.latencies();
    format!(
        "{}/{} live, {} failed{}, loss {:.3} %, RTP→WS p50/p99 {u50:.2}/{u99:.2} ms, \
         WS→RTP p50/p99 {d50:.2}/{d99:.2} ms, cpu {:.0} % ({:.3} %/stream), echo {:.0} %, gen+rx {:.0} %",
        s.live,
        s.streams,
        s.failures.0,
        s.failures
            .1
            .as_deref()
            .map_or(String::new(), |e| format!(" ({e})")),
        s.loss_pct(),
        s.cpu_pct,
        s.cpu_per_stream(),
        s.echo_cpu_pct,
        s.gen_cpu_pct
    )
}

/// The TwiML of every call: hand it to the echo server.
fn connect_twiml(url: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Connect>\
         <Stream url=\"{url}\"/></Connect></Response>"
    )
}

/// CPU readings at one end of the window.
struct Cpu {
    path: u64,
    node: Option<procs::ProcSample>,
    echo: u64,
    gen: u64,
    at: std::time::Instant,
}

fn cpu(node: Option<u32>) -> Result<Cpu> {
    Ok(Cpu {
        path: procs::threads_cpu_ticks(BRIDGE_THREAD)?,
        node: node.map(procs::sample).transpose()?,
        echo: procs::threads_cpu_ticks(ECHO_THREAD)?,
        gen: procs::threads_cpu_ticks(GEN_THREAD)? + procs::threads_cpu_ticks(RX_THREAD)?,
        at: std::time::Instant::now(),
    })
}

fn account(step: &mut Step, a: &Cpu, b: &Cpu, ticks: u64) {
    let secs = b.at.duration_since(a.at).as_secs_f64().max(1e-9);
    let pct = |t0: u64, t1: u64| 100.0 * t1.saturating_sub(t0) as f64 / ticks as f64 / secs;
    step.cpu_pct = match (&a.node, &b.node) {
        (Some(x), Some(y)) => cpu_percent(x, y, ticks),
        _ => pct(a.path, b.path),
    };
    step.echo_cpu_pct = pct(a.echo, b.echo);
    step.gen_cpu_pct = pct(a.gen, b.gen);
}

async fn node_step(plan: &Plan, n: usize, ticks: u64) -> Result<Step> {
    let echo = EchoServer::start(plan.workers)?;
    let hook = RustHook::start(connect_twiml(&echo.url()), String::new())?;
    let url = format!("{}/", hook.base_url());
    let mut node = tokio::task::spawn_blocking(move || Node::start(&url, BRIDGE_RTP)).await??;
    let streams = Streams::start().await?;
    let caller = Caller::bind(node.sip()).await?;
    let mut pace = tokio::time::interval(Duration::from_secs_f64(
        1.0 / f64::from(plan.setup_rate.max(1)),
    ));
    let mut hangups = Vec::with_capacity(n);
    let mut setups = Vec::with_capacity(n);
    for i in 0..n {
        pace.tick().await;
        let (hang_tx, hang_rx) = oneshot::channel();
        hangups.push(hang_tx);
        let (c, adder) = (caller.clone(), streams.adder());
        let stream = i as u32;
        let port = streams.port_for(stream);
        setups.push(tokio::spawn(async move {
            let (task, answer) = c.call_answered(i, NUMBER, port, hang_rx).await?;
            adder.add(stream, media_address(&answer)?)?;
            Ok::<_, anyhow::Error>(task)
        }));
    }
    let mut step = Step {
        streams: n,
        ..Step::default()
    };
    let mut calls = Vec::new();
    for s in setups {
        match s.await? {
            Ok(task) => calls.push(task),
            Err(e) => {
                step.failures.0 += 1;
                step.failures.1.get_or_insert_with(|| format!("{e:#}"));
            }
        }
    }
    tokio::time::sleep(plan.settle).await;
    let a = cpu(Some(node.pid()))?;
    streams.open_window();
    tokio::time::sleep(plan.window).await;
    streams.close_window();
    let b = cpu(Some(node.pid()))?;
    account(&mut step, &a, &b, ticks);
    let arrivals =
        tokio::task::spawn_blocking(move || streams.finish_arrivals(Duration::from_secs(1)))
            .await??;
    for h in hangups {
        let _ = h.send(());
    }
    for t in calls {
        let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
    }
    // Let the node close its sockets, so the echo server hands over every note.
    tokio::time::sleep(Duration::from_millis(500)).await;
    measure(&mut step, arrivals, echo.take());
    if !node.alive() {
        anyhow::bail!("the node died during the step:\n{}", node.stderr_tail(30));
    }
    let (warnings, first) = node.warnings(3);
    if warnings > 0 {
        eprintln!(
            "  node stderr: {warnings} WARN/ERROR lines, e.g.\n  {}",
            first.join("\n  ")
        );
    }
    drop(hook);
    Ok(step)
}

async fn reference_step(plan: &Plan, n: usize, ticks: u64) -> Result<Step> {
    let echo = EchoServer::start(plan.workers)?;
    let streams = Streams::start().await?;
    let ports: Vec<u16> = (0..n as u32).map(|s| streams.port_for(s)).collect();
    let (workers, url) = (plan.workers, echo.url());
    let bridge = tokio::task::spawn_blocking(move || {
        Bridge::start(n, workers, &url, |s| {
            SocketAddr::from(([127, 0, 0, 1], ports[s as usize]))
        })
    })
    .await??;
    let adder = streams.adder();
    for (i, to) in bridge.inputs.iter().enumerate() {
        adder.add(i as u32, *to)?;
    }
    tokio::time::sleep(plan.settle).await;
    let mut step = Step {
        streams: n,
        ..Step::default()
    };
    let a = cpu(None)?;
    streams.open_window();
    tokio::time::sleep(plan.window).await;
    streams.close_window();
    let b = cpu(None)?;
    account(&mut step, &a, &b, ticks);
    let arrivals =
        tokio::task::spawn_blocking(move || streams.finish_arrivals(Duration::from_secs(1)))
            .await??;
    drop(bridge);
    tokio::time::sleep(Duration::from_millis(500)).await;
    measure(&mut step, arrivals, echo.take());
    Ok(step)
}

/// Matches the window's frames at both ends.
fn measure(step: &mut Step, mut a: Arrivals, echoed: Vec<Echoed>) {
    let us = |ns: i64| (ns.max(0) / 1000).min(i64::from(u32::MAX)) as u32;
    let in_window = |t: i64| t >= a.from && t < a.to;
    let by_frame: HashMap<(u32, u32), Echoed> = echoed
        .into_iter()
        .filter(|e| in_window(e.sent_ns))
        .map(|e| ((e.stream, e.index), e))
        .collect();
    step.up_us = by_frame
        .values()
        .map(|e| us(e.ws_in_ns - e.sent_ns))
        .collect();
    step.up_us.sort_unstable();
    a.arrivals.sort_unstable();
    a.arrivals.dedup_by_key(|x| (x.stream, x.index));
    step.sent = a.sent;
    step.back = a.arrivals.len() as u64;
    step.down_us = a
        .arrivals
        .iter()
        .filter_map(|x| {
            by_frame
                .get(&(x.stream, x.index))
                .map(|e| us(x.received_ns - e.ws_out_ns))
        })
        .collect();
    step.down_us.sort_unstable();
    let mut live: Vec<u32> = a.arrivals.iter().map(|x| x.stream).collect();
    live.dedup();
    step.live = live.len();
}

/// Median and range of `values` (NaN-free), formatted with `decimals`.
fn spread(values: &[f64], decimals: usize) -> String {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return "–".into();
    }
    v.sort_by(f64::total_cmp);
    let median = v[v.len() / 2];
    if v.len() == 1 {
        return format!("{median:.decimals$}");
    }
    format!(
        "{median:.decimals$} ({:.decimals$}–{:.decimals$})",
        v[0],
        v[v.len() - 1]
    )
}

/// The table: one row per stream count and path, median (min–max) over the runs.
pub fn table(plan: &Plan, runs: &[Run]) -> String {
    let mut out = String::from(
        "| streams | path | live | loss % | RTP→WS p50 ms | RTP→WS p99 ms | WS→RTP p50 ms \
         | WS→RTP p99 ms | p99 vs reference (RTP→WS / WS→RTP) | CPU % of a core | CPU per stream % |\n\
         |---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for (i, n) in plan.streams.iter().enumerate() {
        for (path, pick) in [("node", 0usize), ("reference", 1)] {
            let steps: Vec<&Step> = runs
                .iter()
                .filter_map(|r| r.get(i))
                .map(|(node, reference)| if pick == 0 { node } else { reference })
                .collect();
            let col = |f: &dyn Fn(&Step) -> f64, d: usize| {
                spread(&steps.iter().map(|s| f(s)).collect::<Vec<_>>(), d)
            };
            // A ratio to a reference that itself lost audio measures the machine, not
            // the node: such runs give none.
            let ratio = if pick == 0 {
                let r = |k: usize| {
                    runs.iter()
                        .filter_map(|r| r.get(i))
                        .filter(|(_, reference)| reference.loss_pct() <= SATURATED_LOSS_PCT)
                        .map(|(node, reference)| node.latencies()[k] / reference.latencies()[k])
                        .collect::<Vec<_>>()
                };
                match (spread(&r(1), 1), spread(&r(3), 1)) {
                    (up, _) if up == "–" => "– (reference saturated)".into(),
                    (up, down) => format!("{up}× / {down}×"),
                }
            } else {
                "1".into()
            };
            out.push_str(&format!(
                "| {n} | {path} | {} | {} | {} | {} | {} | {} | {ratio} | {} | {} |\n",
                col(&|s| s.live as f64, 0),
                col(&|s| s.loss_pct(), 3),
                col(&|s| s.latencies()[0], 2),
                col(&|s| s.latencies()[1], 2),
                col(&|s| s.latencies()[2], 2),
                col(&|s| s.latencies()[3], 2),
                col(&|s| s.cpu_pct, 0),
                col(&|s| s.cpu_per_stream(), 3),
            ));
        }
    }
    out
}

/// What the table measures.
pub fn notes(plan: &Plan) -> String {
    format!(
        "{} runs; per step: calls set up at {}/s, {:.0} s settle, {:.0} s window. Each call \
         is `<Connect><Stream>` to the benchmark's WebSocket echo server ({} worker \
         thread(s)), which answers every `media` message with the same payload at once. \
         RTP→WS: the echo server's read of the `media` message minus the generator's send of \
         the RTP packet; WS→RTP: the kernel's receive timestamp of the packet back at the \
         caller minus the echo server's send of the answer (one realtime clock, every frame \
         matched by a mark in its payload). Reference: the same RTP and the same echo server \
         through a minimal bridge in the benchmark ({} worker thread(s); per stream one UDP \
         socket and one WebSocket, a packet read is sent on at once, no jitter buffer, no \
         pacing), so the ratio is what the node adds over the sockets and the protocol. \
         The node plays what the server sends paced at real time, one frame per 20 ms tick \
         of the call's media clock, so WS→RTP includes the wait for the next tick (0–20 ms). \
         CPU: the node process from /proc (the reference: the bridge's threads). Figures \
         are the median (min–max) of the runs; no ratio is given for runs whose reference \
         lost more than {SATURATED_LOSS_PCT} % (the machine was the limit).\n",
        plan.runs,
        plan.setup_rate,
        plan.settle.as_secs_f64(),
        plan.window.as_secs_f64(),
        plan.workers,
        plan.workers
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge_gen::Arrival;

    #[test]
    fn frames_are_matched_at_both_ends() {
        let ms = 1_000_000;
        let arrivals = Arrivals {
            arrivals: vec![
                Arrival {
                    stream: 1,
                    index: 0,
                    sent_ns: 10 * ms,
                    received_ns: 30 * ms,
                },
                Arrival {
                    stream: 1,
                    index: 0,
                    sent_ns: 10 * ms,
                    received_ns: 30 * ms,
                },
            ],
            sent: 2,
            unstamped: 0,
            from: 0,
            to: 100 * ms,
        };
        let echoed = vec![
            Echoed {
                stream: 1,
                index: 0,
                sent_ns: 10 * ms,
                ws_in_ns: 12 * ms,
                ws_out_ns: 13 * ms,
            },
            // Sent before the window: not counted.
            Echoed {
                stream: 2,
                index: 0,
                sent_ns: -ms,
                ws_in_ns: 0,
                ws_out_ns: 0,
            },
        ];
        let mut step = Step::default();
        measure(&mut step, arrivals, echoed);
        assert_eq!(step.up_us, vec![2000]);
        assert_eq!(step.down_us, vec![17_000]);
        assert_eq!((step.sent, step.back, step.live), (2, 1, 1));
        assert!((step.loss_pct() - 50.0).abs() < 1e-9);
    }

    #[test]
    fn the_twiml_connects_a_stream() {
        let t = connect_twiml("ws://127.0.0.1:9/streams");
        let verbs = switchyard_instructions::parse_twiml(&t).unwrap();
        assert_eq!(verbs.len(), 1, "{verbs:?}");
    }

    #[test]
    fn spread_is_median_and_range() {
        assert_eq!(spread(&[3.0, 1.0, 2.0], 1), "2.0 (1.0–3.0)");
        assert_eq!(spread(&[f64::NAN], 1), "–");
    }
}
