//! Concurrent playing calls: N calls set up at a modest rate, each hearing a 30 s WAV;
//! once all are up, every stream's packets are timed over a window. The reference is
//! the same receiver fed by the in-process pacer.

use crate::kstamp::Clock;
use crate::node::{Node, NUMBER};
use crate::pacer;
use crate::procs::{self, cpu_percent};
use crate::rtprx::{self, FRAME_US};
use crate::rxset::Receivers;
use crate::stats::percentile;
use crate::uac::{Caller, Ending};
use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

/// The node's RTP ports: below the Linux ephemeral range (32768+) and the receivers'
/// 40000+, room for 6000 calls.
pub const NODE_RTP: (u16, u16) = (20_000, 31_999);

/// Knobs of one concurrent step.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Calls (or reference streams) at once.
    pub calls: usize,
    /// Call set-up rate, calls/s.
    pub setup_rate: u32,
    /// Pause between "all up" and the window, letting set-up work drain.
    pub settle: Duration,
    /// Length of the measurement window.
    pub window: Duration,
    /// `Some(period)`: one task sweeps every receiving socket each period instead of
    /// one task per stream.
    pub sweep: Option<Duration>,
}

/// The figures of one step.
#[derive(Debug, Clone, Default)]
pub struct MediaStep {
    /// Streams asked for.
    pub calls: usize,
    /// Streams that were up (answered) for the window.
    pub up: usize,
    /// Packets received in the window.
    pub received: u64,
    /// Packets a perfect sender would have delivered in the window.
    pub expected: u64,
    /// Jitter p50, p99, max (µs) from user-space read times.
    pub jitter_us: [Option<u32>; 3],
    /// Jitter p50, p99, max (µs) from kernel receive timestamps.
    pub kernel_jitter_us: [Option<u32>; 3],
    /// CPU of the sender (node, or the pacer threads), % of one core.
    pub cpu_pct: Option<f64>,
    /// CPU of the benchmark's receiving runtime (threads `bench…`), % of one core.
    pub rx_cpu_pct: Option<f64>,
    /// Node RSS during the window, MiB.
    pub rss_mib: Option<f64>,
    /// RSS growth per call over the idle node, KiB.
    pub rss_per_call_kib: Option<f64>,
    /// Calls whose set-up failed, with the first reason.
    pub setup_failures: (usize, Option<String>),
    /// How calls ended: (node hung up during the window, our BYE unanswered).
    pub early_hangups: usize,
    /// Our BYEs that got no answer.
    pub bye_unanswered: usize,
}

impl MediaStep {
    /// Loss in percent of `expected`.
    pub fn loss_pct(&self) -> f64 {
        if self.expected == 0 {
            return 0.0;
        }
        100.0 * self.expected.saturating_sub(self.received) as f64 / self.expected as f64
    }
}

struct Window {
    from_us: u64,
    to_us: u64,
}

/// Runs one step against a fresh node whose number plays via `voice_url`.
pub async fn node_step(voice_url: &str, plan: Plan, ticks: u64) -> Result<MediaStep> {
    let url = voice_url.to_string();
    let mut node = tokio::task::spawn_blocking(move || Node::start(&url, NODE_RTP)).await??;
    let idle = procs::sample(node.pid())?;
    let caller = Caller::bind(node.sip()).await?;
    let clock = Clock::now();
    let epoch = clock.instant;
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut receivers = Receivers::new(clock, stop_rx.clone(), plan.sweep);
    let mut calls = Vec::with_capacity(plan.calls);
    let mut setups = Vec::with_capacity(plan.calls);
    let mut pace = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(plan.setup_rate)));
    for n in 0..plan.calls {
        pace.tick().await;
        let sockets = rtprx::bind_pair().await?;
        let port = sockets.port;
        receivers.add(sockets)?;
        let (hang_tx, hang_rx) = oneshot::channel();
        calls.push(hang_tx);
        let c = caller.clone();
        setups.push(tokio::spawn(async move {
            c.call(n, NUMBER, port, hang_rx).await
        }));
    }
    let mut step = MediaStep {
        calls: plan.calls,
        ..MediaStep::default()
    };
    let mut in_call = Vec::new();
    for s in setups {
        match s.await? {
            Ok(task) => in_call.push(task),
            Err(e) => {
                step.setup_failures.0 += 1;
                step.setup_failures
                    .1
                    .get_or_insert_with(|| format!("{e:#}"));
            }
        }
    }
    step.up = in_call.len();
    tokio::time::sleep(plan.settle).await;
    let before = procs::sample(node.pid())?;
    let rx0 = rx_cpu()?;
    let w = measure_window(epoch, plan.window).await;
    let rx1 = rx_cpu()?;
    let after = procs::sample(node.pid())?;
    step.rx_cpu_pct = Some(rx_percent(rx0, rx1, ticks));
    step.cpu_pct = Some(cpu_percent(&before, &after, ticks));
    step.rss_mib = Some(after.rss_kib as f64 / 1024.0);
    if step.up > 0 {
        step.rss_per_call_kib =
            Some(after.rss_kib.saturating_sub(idle.rss_kib) as f64 / step.up as f64);
    }
    // Count calls the node ended before the window closed: their streams stopped early.
    let mut hang_pace = tokio::time::interval(Duration::from_micros(1000));
    for h in calls {
        hang_pace.tick().await;
        let _ = h.send(());
    }
    let end_deadline = Instant::now() + Duration::from_secs(40);
    for t in in_call {
        match tokio::time::timeout_at(end_deadline, t).await {
            Ok(Ok(Ok(Ending::NodeHungUp))) => step.early_hangups += 1,
            Ok(Ok(Ok(Ending::ByeUnanswered))) => step.bye_unanswered += 1,
            _ => {}
        }
    }
    let _ = stop_tx.send(true);
    collect(&mut step, receivers, &w).await?;
    if !node.alive() {
        anyhow::bail!("the node died during the step:\n{}", node.stderr_tail(30));
    }
    Ok(step)
}

/// Runs the same receivers against the in-process pacer.
pub async fn reference_step(
    plan: Plan,
    pacer_rt: &tokio::runtime::Runtime,
    ticks: u64,
) -> Result<MediaStep> {
    let clock = Clock::now();
    let epoch = clock.instant;
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut receivers = Receivers::new(clock, stop_rx.clone(), plan.sweep);
    let mut senders = Vec::with_capacity(plan.calls);
    // The streams need no set-up work, so they start faster than calls; their phases
    // still spread evenly over the 20 ms period.
    let rate = plan.setup_rate.max(1000);
    let mut pace = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate)));
    for _ in 0..plan.calls {
        pace.tick().await;
        let sockets = rtprx::bind_pair().await?;
        let to = SocketAddr::from(([127, 0, 0, 1], sockets.port));
        receivers.add(sockets)?;
        senders.push(pacer_rt.spawn(pacer::pace(to, stop_rx.clone())));
    }
    tokio::time::sleep(plan.settle).await;
    let cpu0 = (
        std::time::Instant::now(),
        procs::threads_cpu_ticks(pacer::THREAD_PREFIX)?,
    );
    let rx0 = rx_cpu()?;
    let w = measure_window(epoch, plan.window).await;
    let rx1 = rx_cpu()?;
    let cpu1 = (
        std::time::Instant::now(),
        procs::threads_cpu_ticks(pacer::THREAD_PREFIX)?,
    );
    let _ = stop_tx.send(true);
    for s in senders {
        s.await?.context("pacer stream")?;
    }
    let secs = cpu1.0.duration_since(cpu0.0).as_secs_f64();
    let mut step = MediaStep {
        calls: plan.calls,
        up: plan.calls,
        cpu_pct: Some(100.0 * (cpu1.1 - cpu0.1) as f64 / ticks as f64 / secs),
        rx_cpu_pct: Some(rx_percent(rx0, rx1, ticks)),
        ..MediaStep::default()
    };
    collect(&mut step, receivers, &w).await?;
    Ok(step)
}

async fn measure_window(epoch: Instant, len: Duration) -> Window {
    let from_us = epoch.elapsed().as_micros() as u64;
    tokio::time::sleep(len).await;
    Window {
        from_us,
        to_us: epoch.elapsed().as_micros() as u64,
    }
}

/// The receiving runtime's CPU ticks now (its threads are named `bench…`, see `main`).
fn rx_cpu() -> Result<(std::time::Instant, u64)> {
    Ok((
        std::time::Instant::now(),
        procs::threads_cpu_ticks(RX_THREADS)?,
    ))
}

/// Thread-name prefix of the runtime the receivers run on.
pub const RX_THREADS: &str = "bench";

fn rx_percent(a: (std::time::Instant, u64), b: (std::time::Instant, u64), ticks: u64) -> f64 {
    let secs = b.0.duration_since(a.0).as_secs_f64();
    if secs <= 0.0 {
        return 0.0;
    }
    100.0 * b.1.saturating_sub(a.1) as f64 / ticks as f64 / secs
}

async fn collect(step: &mut MediaStep, receivers: Receivers, w: &Window) -> Result<()> {
    let per_stream = (w.to_us - w.from_us) / FRAME_US as u64;
    let mut jitter = Vec::new();
    let mut kernel = Vec::new();
    for arrivals in receivers.finish().await? {
        let s = rtprx::window(&arrivals, w.from_us, w.to_us);
        step.received += s.received;
        jitter.extend(s.jitter_us);
        kernel.extend(s.kernel_jitter_us);
    }
    step.expected = per_stream * step.up as u64;
    step.jitter_us = summary(jitter);
    step.kernel_jitter_us = summary(kernel);
    Ok(())
}

/// p50, p99 and max of `samples`.
fn summary(mut samples: Vec<u32>) -> [Option<u32>; 3] {
    samples.sort_unstable();
    [
        percentile(&samples, 50.0),
        percentile(&samples, 99.0),
        samples.last().copied(),
    ]
}
