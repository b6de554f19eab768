//! Timed loops over one side of the `wasm` benchmark: sequential steps for latency
//! percentiles, concurrent tasks for steps/s.

use crate::ivrhook::HookIvr;
use crate::stats::percentile;
use crate::wasmapp::WasmIvr;
use anyhow::{bail, Result};
use std::time::{Duration, Instant};
use switchyard_instructions::Verb;

/// Either side, behind one `step`.
#[derive(Debug, Clone)]
pub enum Side {
    /// In-process Wasm: request → fresh instance → verbs.
    Wasm(WasmIvr),
    /// A webhook through the node's client: request → signed POST → TwiML → verbs.
    Hook(HookIvr),
}

impl Side {
    /// Step `i` (path `i % 2`), verbs ready.
    pub async fn step(&mut self, i: u64) -> Result<Vec<Verb>> {
        match self {
            Side::Wasm(w) => w.step(i).await,
            Side::Hook(h) => h.step(i).await,
        }
    }
}

/// Latency samples of one sequential run.
#[derive(Debug, Clone, Default)]
pub struct Latency {
    /// Each timed step, ascending.
    pub sorted: Vec<Duration>,
    /// Wall time of the timed steps.
    pub wall: Duration,
    /// Whether the run stopped at its time bound before its step count.
    pub time_bounded: bool,
}

impl Latency {
    /// Builds the summary from unsorted samples.
    pub fn new(mut samples: Vec<Duration>, wall: Duration, time_bounded: bool) -> Self {
        samples.sort_unstable();
        Latency {
            sorted: samples,
            wall,
            time_bounded,
        }
    }

    /// Percentile `p` in µs.
    pub fn us(&self, p: f64) -> Option<f64> {
        percentile(&self.sorted, p).map(|d| d.as_secs_f64() * 1e6)
    }

    /// Steps per second of the sequential run.
    pub fn rate(&self) -> f64 {
        self.sorted.len() as f64 / self.wall.as_secs_f64().max(1e-9)
    }
}

/// The verbs each path answered at the end of the warm-up; every timed step must
/// answer the same, so an error page or a stale document cannot pass as a fast step.
pub type Expected = [Vec<Verb>; 2];

/// Warms `side` up with `warmup` steps (at least 2), then times up to `steps`
/// alternating steps, stopping early after `bound`. Fails on the first step whose
/// verbs differ from the warm-up's.
pub async fn latency(
    side: &mut Side,
    warmup: u64,
    steps: u64,
    bound: Duration,
) -> Result<(Latency, Expected)> {
    let mut expected: Expected = [Vec::new(), Vec::new()];
    for i in 0..warmup.max(2) {
        expected[(i % 2) as usize] = side.step(i).await?;
    }
    let mut samples = Vec::with_capacity(steps as usize);
    let start = Instant::now();
    let mut time_bounded = false;
    for i in 0..steps {
        if start.elapsed() > bound {
            time_bounded = true;
            break;
        }
        let t = Instant::now();
        let verbs = side.step(i).await?;
        samples.push(t.elapsed());
        if verbs != expected[(i % 2) as usize] {
            bail!("step {i} answered {verbs:?}, the warm-up answered {expected:?}");
        }
    }
    Ok((
        Latency::new(samples, start.elapsed(), time_bounded),
        expected,
    ))
}

/// `tasks` concurrent tasks (each its own clone of `side`) stepping for `secs`;
/// returns steps/s over all of them. Run it on the runtime whose cores it measures.
pub async fn throughput(side: &Side, tasks: usize, secs: f64) -> Result<f64> {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let start = Instant::now();
    let mut handles = Vec::with_capacity(tasks);
    for t in 0..tasks {
        let mut side = side.clone();
        handles.push(tokio::spawn(async move {
            // Offset the paths so the tasks do not all ask for the same one at once.
            let mut i = t as u64;
            let mut done = 0u64;
            while Instant::now() < deadline {
                side.step(i).await?;
                i += 1;
                done += 1;
            }
            Ok::<u64, anyhow::Error>(done)
        }));
    }
    let mut total = 0;
    for h in handles {
        total += h.await??;
    }
    Ok(total as f64 / start.elapsed().as_secs_f64())
}

/// Times `n` runs of `f` after `warmup` untimed ones (for instantiation alone).
pub async fn timed<F, Fut>(warmup: u64, n: u64, mut f: F) -> Result<Latency>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    for _ in 0..warmup {
        f().await?;
    }
    let mut samples = Vec::with_capacity(n as usize);
    let start = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        f().await?;
        samples.push(t.elapsed());
    }
    Ok(Latency::new(samples, start.elapsed(), false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_sorts_and_reports_microseconds_and_rate() {
        let samples = (1..=100).rev().map(Duration::from_micros).collect();
        let l = Latency::new(samples, Duration::from_millis(50), false);
        assert_eq!(l.us(50.0), Some(50.0));
        assert_eq!(l.us(99.0), Some(99.0));
        assert_eq!(l.us(100.0), Some(100.0));
        assert!((l.rate() - 2000.0).abs() < 1e-6, "{}", l.rate());
        assert_eq!(Latency::default().us(50.0), None);
    }

    #[tokio::test]
    async fn timed_runs_warmup_then_counts_samples() {
        let mut calls = 0u32;
        let l = timed(3, 10, || {
            calls += 1;
            async { Ok(()) }
        })
        .await
        .unwrap();
        assert_eq!(calls, 13);
        assert_eq!(l.sorted.len(), 10);
        let failing = timed(0, 5, || async { bail!("boom") }).await;
        assert!(failing.is_err());
    }
}
