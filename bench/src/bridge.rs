//! `switchyard-bench bridge`: bridged calls (`<Dial>`), run several times.
//!
//! Each run measures (a) bridged calls set up per second ([`bridge_rate`]) and (b)
//! concurrent bridged calls with RTP both ways next to (c) a minimal UDP relay in the
//! benchmark ([`bridge_media`]). The table ([`bridge_report`]) gives the median of the
//! runs and their spread.
//!
//! [`bridge_rate`]: crate::bridge_rate
//! [`bridge_media`]: crate::bridge_media
//! [`bridge_report`]: crate::bridge_report

use crate::bridge_echo::EchoKind;
use crate::bridge_media::{self, MediaStep};
use crate::bridge_rate::{self, RateRow};
use anyhow::Result;
use std::path::PathBuf;
use std::time::Duration;

/// The heading of the section in `BENCHMARKS.md`.
pub const HEADING: &str = "## Bridged calls (`<Dial>`)";

/// Everything one invocation does.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Full runs; the table gives their median and spread.
    pub runs: usize,
    /// Part (a).
    pub rate: bridge_rate::Plan,
    /// Concurrent calls per step of part (b), in order.
    pub calls: Vec<usize>,
    /// Call set-up rate of part (b), calls/s.
    pub setup_rate: u32,
    /// Pause between "all calls up" and the window.
    pub settle: Duration,
    /// Measurement window of a step.
    pub window: Duration,
    /// Which echo returns the RTP.
    pub echo: EchoKind,
    /// Worker threads of the reference relay.
    pub relay_workers: usize,
    /// Added-jitter p99 limit of the target, ms.
    pub jitter_limit_ms: f64,
    /// A path (node or relay) is not run past a step whose loss is over this, %…
    pub break_loss_pct: f64,
    /// …or whose added jitter p99 is over this, ms.
    pub break_jitter_ms: f64,
    /// Skip part (a).
    pub skip_rate: bool,
    /// Skip part (b).
    pub skip_media: bool,
    /// Where sipp's files go (default: a temporary directory, removed at the end).
    pub work_dir: Option<PathBuf>,
}

/// What one run measured.
#[derive(Debug, Clone, Default)]
pub struct Run {
    /// Part (a): the node's steps and sipp→sipp at the same rates.
    pub rate_node: Vec<RateRow>,
    /// See `rate_node`.
    pub rate_ref: Vec<RateRow>,
    /// Part (b) and (c): node (until it broke) and relay, step by step.
    pub media: Vec<(Option<MediaStep>, MediaStep)>,
}

impl Plan {
    /// Whether a step is past saying anything more: a call not up, loss or jitter over
    /// the break limits.
    fn broke(&self, s: &MediaStep) -> bool {
        s.up < s.calls
            || s.loss_pct() > self.break_loss_pct
            || s.jitter_us[1].is_none_or(|j| f64::from(j) / 1000.0 > self.break_jitter_ms)
    }
}

/// Runs everything `plan.runs` times.
pub fn run(plan: &Plan, ticks: u64) -> Result<Vec<Run>> {
    let temp = tempfile::tempdir()?;
    let work = plan.work_dir.as_deref().unwrap_or(temp.path());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("bridge")
        .build()?;
    let mut runs = Vec::with_capacity(plan.runs);
    for i in 0..plan.runs {
        let dir = work.join(format!("run-{i}"));
        std::fs::create_dir_all(&dir)?;
        let mut run = Run::default();
        if !plan.skip_rate {
            eprintln!("run {}/{}: bridged calls per second", i + 1, plan.runs);
            (run.rate_node, run.rate_ref) = bridge_rate::run(&plan.rate, &dir, ticks)?;
        }
        if !plan.skip_media {
            eprintln!("run {}/{}: concurrent bridged calls", i + 1, plan.runs);
            // The node's ramp stops where it breaks; the relay goes on alone until it
            // breaks too (the box's limit).
            let mut node_broke = false;
            for &calls in &plan.calls {
                let step = bridge_media::Plan {
                    calls,
                    setup_rate: plan.setup_rate,
                    settle: plan.settle,
                    window: plan.window,
                    grace: Duration::from_secs(1),
                    echo: plan.echo,
                    relay_workers: plan.relay_workers,
                };
                let (node, relay) =
                    rt.block_on(bridge_media::step_pair(step, ticks, &dir, !node_broke))?;
                if node.as_ref().is_some_and(|n| plan.broke(n)) {
                    eprintln!("  the node broke at {calls} calls: the relay goes on alone");
                    node_broke = true;
                }
                let relay_broke = plan.broke(&relay);
                run.media.push((node, relay));
                if relay_broke {
                    eprintln!("  the relay broke at {calls} calls: no larger step this run");
                    break;
                }
            }
        }
        runs.push(run);
    }
    rt.shutdown_timeout(Duration::from_secs(2));
    Ok(runs)
}
