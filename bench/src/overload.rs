//! `switchyard-bench overload`: the node's clean call rate with a one-step Wasm app
//! (`examples/hello`: Say, Hangup), next to Kamailio's stateless responder, and its
//! goodput when offered 1×, 2× and 3× that rate (sipp callers that accept a 503).
//!
//! Each run: (a) a ramp of offered rates against a fresh node until the first step with
//! a failed or refused call, the clean capacity being the last clean step; (b) a fresh
//! node per multiple of that capacity, counting calls served (answered and hung up by
//! the app), refused (503) and failed, and INVITE→503; (c) the same ramp of sipp
//! (INVITE, 200, ACK) against Kamailio. The report gives the median of the runs and
//! their spread.

use crate::kamailio::Kamailio;
use crate::node::{self, Node};
use crate::rate::{self, RateStep};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// The heading of the section in `BENCHMARKS.md`.
pub const HEADING: &str = "## Overload: goodput past the clean capacity";

/// Everything one invocation does.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Full runs.
    pub runs: usize,
    /// Offered rates of the node's ramp, calls/s, in order.
    pub rates: Vec<u32>,
    /// Seconds of calls per step.
    pub secs: u32,
    /// Multiples of the clean capacity offered in part (b).
    pub multiples: Vec<u32>,
    /// Offered rates of Kamailio's ramp.
    pub kamailio_rates: Vec<u32>,
    /// The Kamailio binary (`None`: skip part (c)).
    pub kamailio: Option<String>,
    /// Kamailio's worker processes.
    pub kamailio_children: usize,
    /// The hello component.
    pub app: PathBuf,
    /// Where sipp's files go.
    pub work: PathBuf,
}

/// One step of part (b).
#[derive(Debug, Clone)]
pub struct LoadStep {
    /// Multiple of the capacity.
    pub multiple: u32,
    /// The sipp step (offered = multiple × capacity).
    pub step: RateStep,
}

impl LoadStep {
    /// Calls answered and hung up by the app, per second of offered load.
    pub fn goodput(&self, secs: u32) -> f64 {
        self.step.successful.saturating_sub(self.step.refused) as f64 / f64::from(secs)
    }
}

/// One full run.
#[derive(Debug, Clone)]
pub struct Run {
    /// Part (a).
    pub ramp: Vec<RateStep>,
    /// The last clean offered rate of the ramp (0 if none).
    pub capacity: u32,
    /// Part (b).
    pub load: Vec<LoadStep>,
    /// Part (c).
    pub kamailio: Vec<RateStep>,
    /// The last clean rate of part (c).
    pub kamailio_capacity: u32,
    /// `/proc/loadavg` (1, 5, 15 min) before and after the run.
    pub load_before: String,
    /// See `load_before`.
    pub load_after: String,
}

/// Every offered call completed, none refused.
pub fn clean(s: &RateStep, secs: u32) -> bool {
    crate::report::clean(s, u64::from(s.offered) * u64::from(secs)) && s.refused == 0
}

/// The node's RTP ports: 9,000 calls' pairs, within the 20,000 open files a process
/// gets here (each call holds two sockets), so the pool, which the node's admission
/// watches, runs out before the descriptors do.
const RTP: (u16, u16) = (20_000, 37_999);

/// A fresh node whose number runs the hello app, warmed by one call (so the Say's
/// speech is in the node's cache for every measured call).
fn hello_node(plan: &Plan) -> Result<Node> {
    hello_node_with(&plan.app, &plan.work, "")
}

/// [`hello_node`] for component `app`, sipp's files in `work`, `tables` (TOML tables)
/// added to the node's config.
pub fn hello_node_with(app: &Path, work: &Path, tables: &str) -> Result<Node> {
    hello_node_on(app, work, tables, RTP)
}

/// [`hello_node_with`] on the RTP port range `rtp` (nodes running side by side).
pub fn hello_node_on(app: &Path, work: &Path, tables: &str, rtp: (u16, u16)) -> Result<Node> {
    let node = Node::start_tables("app:hello", rtp, tables)?;
    deploy(&node, app)?;
    let warm = step(&node, 1, 1, work)?;
    if warm.successful.saturating_sub(warm.refused) != 1 {
        bail!(
            "the warm-up call failed: {warm:?}\n{}",
            node.stderr_tail(20)
        );
    }
    Ok(node)
}

/// `rate` calls/s for `secs` seconds of sipp callers (accepting a 503) against `node`.
pub fn step(node: &Node, rate: u32, secs: u32, work: &Path) -> Result<RateStep> {
    rate::run_step_with(
        node.sip(),
        node::NUMBER,
        rate,
        secs,
        work,
        &rate::scenario("uac_shed.xml"),
        &[],
    )
}

/// `POST /v1/Accounts/{sid}/Apps?Name=hello` with the component.
fn deploy(node: &Node, app: &Path) -> Result<()> {
    let bytes = std::fs::read(app).with_context(|| format!("reading {}", app.display()))?;
    let url = format!(
        "http://{}/v1/Accounts/{}/Apps?Name=hello",
        node.http(),
        node::ACCOUNT_SID
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let status = rt.block_on(async {
        reqwest::Client::new()
            .post(url)
            .basic_auth(node::ACCOUNT_SID, Some(node::AUTH_TOKEN))
            .header("Content-Type", "application/wasm")
            .body(bytes)
            .send()
            .await
            .map(|r| r.status())
    })?;
    if !status.is_success() {
        bail!("deploying hello: {status}");
    }
    Ok(())
}

/// Steps `rates` in order with `one`, stopping after the first unclean step.
fn ramp(
    rates: &[u32],
    secs: u32,
    mut one: impl FnMut(u32) -> Result<RateStep>,
) -> Result<(Vec<RateStep>, u32)> {
    let mut steps = Vec::new();
    let mut capacity = 0;
    for &r in rates {
        let s = one(r)?;
        let ok = clean(&s, secs);
        eprintln!("  {r}/s: {s:?}");
        steps.push(s);
        if !ok {
            break;
        }
        capacity = r;
    }
    Ok((steps, capacity))
}

/// Runs the plan.
pub fn run(plan: &Plan) -> Result<Vec<Run>> {
    let mut runs = Vec::new();
    for i in 0..plan.runs {
        let load_before = crate::load_average();
        eprintln!("run {} (load {load_before}): node ramp", i + 1);
        let node = hello_node(plan)?;
        let (ramp_steps, capacity) = ramp(&plan.rates, plan.secs, |r| {
            step(&node, r, plan.secs, &plan.work)
        })?;
        drop(node);
        let mut load = Vec::new();
        if capacity > 0 {
            for &m in &plan.multiples {
                eprintln!("run {}: {m}x {capacity}/s", i + 1);
                let node = hello_node(plan)?;
                let s = step(&node, capacity * m, plan.secs, &plan.work)?;
                eprintln!("  {s:?}");
                load.push(LoadStep {
                    multiple: m,
                    step: s,
                });
            }
        }
        let (kamailio, kamailio_capacity) = match &plan.kamailio {
            Some(bin) => {
                eprintln!("run {}: kamailio ramp", i + 1);
                let k = Kamailio::start(bin, plan.kamailio_children)?;
                ramp(&plan.kamailio_rates, plan.secs, |r| {
                    rate::run_step_with(
                        k.addr(),
                        node::NUMBER,
                        r,
                        plan.secs,
                        &plan.work,
                        &rate::scenario("kamailio_uac.xml"),
                        &[],
                    )
                })?
            }
            None => (Vec::new(), 0),
        };
        runs.push(Run {
            ramp: ramp_steps,
            capacity,
            load,
            kamailio,
            kamailio_capacity,
            load_before,
            load_after: crate::load_average(),
        });
    }
    Ok(runs)
}
