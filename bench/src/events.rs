//! `switchyard-bench events`: publish → SSE receive latency, the most deliveries/s, and
//! memory per idle SSE connection, for the node with each broker and for a bare axum
//! SSE server fed by a broadcast channel (the reference), each in a child process
//! (`events-server`, see [`crate::eventsrv`]) while the clients run here.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use base64::Engine as _;

use crate::eventsrv::Mode;
use crate::procs::{self, Guarded};
use crate::sseclient::{self, Conn};
use crate::stats::percentile;

/// The heading of the section in `BENCHMARKS.md`.
pub const HEADING: &str = "## Events: publish → SSE latency, deliveries/s, memory per connection";

/// What to run.
#[derive(Debug, Clone)]
pub struct Plan {
    pub brokers: Vec<Broker>,
    pub lat_accounts: usize,
    pub lat_subs: usize,
    pub lat_rate: f64,
    pub lat_secs: f64,
    /// Scenario 1b: subscribers of one account, each following its own call (0: skip).
    pub call_subs: usize,
    pub tput_subs: usize,
    pub tput_rates: Vec<f64>,
    pub tput_secs: f64,
    pub tput_p99_limit_ms: f64,
    pub idle_conns: usize,
    pub idle_accounts: usize,
    pub client_threads: usize,
    pub subscriber_queue: usize,
    pub retention_events: usize,
    pub nats_server: std::path::PathBuf,
}

/// A broker of the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broker {
    Local,
    Nats,
}

impl Broker {
    pub fn name(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Nats => "nats",
        }
    }
}

/// One server under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Node(Broker),
    Reference,
}

impl Target {
    pub fn label(self) -> String {
        match self {
            Self::Node(b) => format!("node, {} broker", b.name()),
            Self::Reference => "reference: bare axum SSE + broadcast".into(),
        }
    }
}

/// Scenario 1.
#[derive(Debug, Clone, Default)]
pub struct Latency {
    pub conns: usize,
    pub events: u64,
    pub expected: u64,
    pub received: u64,
    pub closed: usize,
    /// p50, p99, p99.9, max in µs.
    pub us: [u32; 4],
    pub cpu_pct: f64,
    pub delivered_per_s: f64,
}

/// One step of scenario 2.
#[derive(Debug, Clone, Default)]
pub struct TputStep {
    pub rate: f64,
    pub expected: u64,
    pub received: u64,
    pub delivered_per_s: f64,
    pub us: [u32; 4],
    pub cpu_pct: f64,
    pub closed: usize,
}

/// Scenario 3.
#[derive(Debug, Clone, Default)]
pub struct Idle {
    pub conns: usize,
    pub connected: usize,
    pub registered: usize,
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
    pub probe_received: usize,
}

impl Idle {
    pub fn bytes_per_conn(&self) -> f64 {
        if self.connected == 0 {
            return 0.0;
        }
        (self.rss_after_kib.saturating_sub(self.rss_before_kib) * 1024) as f64
            / self.connected as f64
    }
}

/// Everything measured for one target; `Err` when it could not run.
#[derive(Debug)]
pub struct TargetResult {
    pub target: Target,
    pub outcome: Result<Measured, String>,
}

#[derive(Debug, Default)]
pub struct Measured {
    pub latency: Option<Latency>,
    /// Scenario 1b.
    pub calls: Option<Latency>,
    pub tput: Vec<TputStep>,
    pub idle: Option<Idle>,
}

/// Runs every target of the plan.
pub fn run(plan: &Plan) -> Result<Vec<TargetResult>> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(plan.client_threads)
        .thread_name("sse-client")
        .enable_all()
        .build()?;
    let work = tempfile::tempdir()?;
    let mut targets = vec![];
    for b in &plan.brokers {
        targets.push(Target::Node(*b));
    }
    targets.push(Target::Reference);
    let mut results = Vec::new();
    for target in targets {
        eprintln!("== {}", target.label());
        let nats = match target {
            Target::Node(Broker::Nats) => match Nats::start(work.path(), &plan.nats_server) {
                Ok(n) => Some(n),
                Err(e) => {
                    results.push(TargetResult {
                        target,
                        outcome: Err(format!("{e:#}")),
                    });
                    continue;
                }
            },
            _ => None,
        };
        let outcome = measure(plan, &rt, target, nats.as_ref(), work.path());
        if let Err(e) = &outcome {
            eprintln!("{}: {e:#}", target.label());
        }
        results.push(TargetResult {
            target,
            outcome: outcome.map_err(|e| format!("{e:#}")),
        });
    }
    rt.shutdown_timeout(Duration::from_secs(2));
    Ok(results)
}

fn measure(
    plan: &Plan,
    rt: &tokio::runtime::Runtime,
    target: Target,
    nats: Option<&Nats>,
    work: &Path,
) -> Result<Measured> {
    let ticks = procs::clock_ticks();
    let accounts = plan.lat_accounts.max(plan.idle_accounts).max(1);
    let mut m = Measured::default();

    // 1. Latency: accounts × subscribers each, events spread evenly over the accounts.
    let mut child = Child::start(plan, target, nats, work, accounts)?;
    let subs: Vec<(usize, String)> = (0..plan.lat_accounts)
        .flat_map(|a| (0..plan.lat_subs).map(move |_| (a, String::new())))
        .collect();
    m.latency = Some(latency(
        plan,
        rt,
        &mut child,
        &subs,
        plan.lat_subs,
        |c, n| c.publish(n, plan.lat_rate, plan.lat_accounts),
    )?);
    eprintln!("latency: {:?}", m.latency);
    drop(child);

    // 1b. Latency: subscribers of one account, each following its own call; every event
    // is offered to all of them and taken by one.
    if plan.call_subs > 0 {
        let mut child = Child::start(plan, target, nats, work, accounts)?;
        let subs: Vec<(usize, String)> = (0..plan.call_subs)
            .map(|k| {
                (
                    0,
                    format!("?filter=Call%3D{}", crate::eventsrv::call_sid(k)),
                )
            })
            .collect();
        m.calls = Some(latency(plan, rt, &mut child, &subs, 1, |c, n| {
            c.publish_calls(n, plan.lat_rate, plan.call_subs)
        })?);
        eprintln!("latency, one call each: {:?}", m.calls);
    }

    // 2. Deliveries/s: subscribers of one account, publish rate raised step by step.
    let mut child = Child::start(plan, target, nats, work, accounts)?;
    let targets = plain(&vec![0; plan.tput_subs]);
    let group = Group::connect(rt, child.http, &targets, 64 * 1024)?;
    group.require_all(targets.len())?;
    child.publish(1000, 4000.0, 1)?;
    group.wait(1000 * plan.tput_subs as u64, Duration::from_secs(3));
    group.drain();
    for &rate in &plan.tput_rates {
        let count = (rate * plan.tput_secs) as u64;
        let before = procs::sample(child.pid())?;
        let (start_ns, _) = child.publish(count, rate, 1)?;
        let expected = count * plan.tput_subs as u64;
        group.wait(expected, Duration::from_secs(3));
        let after = procs::sample(child.pid())?;
        let (mut lat, last_ns) = group.drain();
        lat.sort_unstable();
        let step = TputStep {
            rate,
            expected,
            received: lat.len() as u64,
            delivered_per_s: per_s(lat.len(), start_ns, last_ns),
            us: quantiles(&lat),
            cpu_pct: procs::cpu_percent(&before, &after, ticks),
            closed: group.closed(),
        };
        eprintln!("deliveries/s step: {step:?}");
        let stop = step.received < step.expected
            || f64::from(step.us[1]) / 1000.0 > plan.tput_p99_limit_ms
            || step.closed > 0;
        m.tput.push(step);
        if stop {
            break;
        }
    }
    drop(group);
    drop(child);

    // 3. Idle connections: RSS growth of the server per connection.
    let mut child = Child::start(plan, target, nats, work, accounts)?;
    let spread = |n: usize| plain(&(0..n).map(|i| i % plan.idle_accounts).collect::<Vec<_>>());
    let warm_targets = spread(plan.idle_accounts * 10);
    let warm = Group::connect(rt, child.http, &warm_targets, 2048)?;
    warm.require_all(warm_targets.len())?;
    std::thread::sleep(Duration::from_secs(1));
    let rss_before_kib = procs::sample(child.pid())?.rss_kib;
    let targets = spread(plan.idle_conns);
    let group = Group::connect(rt, child.http, &targets, 2048)?;
    let connected = group.open();
    std::thread::sleep(Duration::from_secs(2));
    let registered = child
        .subscribers()?
        .saturating_sub(warm_targets.len())
        .min(connected);
    let rss_after_kib = procs::sample(child.pid())?.rss_kib;
    // Every connection is live: one event per account reaches all of them.
    child.publish(plan.idle_accounts as u64, 1000.0, plan.idle_accounts)?;
    group.wait(connected as u64, Duration::from_secs(5));
    let probe_received = group.conns_with_events();
    m.idle = Some(Idle {
        conns: plan.idle_conns,
        connected,
        registered,
        rss_before_kib,
        rss_after_kib,
        probe_received,
    });
    eprintln!("idle: {:?}", m.idle);
    drop(group);
    drop(warm);
    drop(child);
    Ok(m)
}

/// Scenario 1's measurement: `subs` connected, a quarter second of warm-up, then
/// `lat_secs` of `publish`; each event reaches `per_event` subscribers.
fn latency(
    plan: &Plan,
    rt: &tokio::runtime::Runtime,
    child: &mut Child,
    subs: &[(usize, String)],
    per_event: usize,
    mut publish: impl FnMut(&mut Child, u64) -> Result<(u64, u64)>,
) -> Result<Latency> {
    let ticks = procs::clock_ticks();
    let group = Group::connect(rt, child.http, subs, 4096)?;
    group.require_all(subs.len())?;
    // Warm-up: a quarter of a second at the rate, then forget it.
    let warm = (plan.lat_rate / 4.0) as u64;
    publish(child, warm)?;
    group.wait(warm * per_event as u64, Duration::from_secs(3));
    group.drain();
    let before = procs::sample(child.pid())?;
    let count = (plan.lat_rate * plan.lat_secs) as u64;
    let (start_ns, _) = publish(child, count)?;
    let expected = count * per_event as u64;
    group.wait(expected, Duration::from_secs(3));
    let after = procs::sample(child.pid())?;
    let (mut lat, last_ns) = group.drain();
    lat.sort_unstable();
    Ok(Latency {
        conns: subs.len(),
        events: count,
        expected,
        received: lat.len() as u64,
        closed: group.closed(),
        us: quantiles(&lat),
        cpu_pct: procs::cpu_percent(&before, &after, ticks),
        delivered_per_s: per_s(lat.len(), start_ns, last_ns),
    })
}

fn quantiles(sorted: &[u32]) -> [u32; 4] {
    let q = |p| percentile(sorted, p).unwrap_or(0);
    [q(50.0), q(99.0), q(99.9), q(100.0)]
}

fn per_s(n: usize, start_ns: u64, last_ns: u64) -> f64 {
    let secs = last_ns.saturating_sub(start_ns) as f64 / 1e9;
    if secs > 0.0 {
        n as f64 / secs
    } else {
        0.0
    }
}

/// The SID and auth token of bench account `i`.
fn account(i: usize) -> (String, String) {
    (
        format!("AC{:032x}", 0xbe_0000 + i),
        format!("bench-token-{i}"),
    )
}

fn basic(i: usize) -> String {
    let (sid, token) = account(i);
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{sid}:{token}"))
    )
}

/// The child server process and its command pipe.
struct Child {
    proc: Guarded,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    http: SocketAddr,
    stderr: PathBuf,
    _dir: tempfile::TempDir,
}

impl Child {
    fn start(
        plan: &Plan,
        target: Target,
        nats: Option<&Nats>,
        work: &Path,
        accounts: usize,
    ) -> Result<Child> {
        let dir = tempfile::tempdir_in(work)?;
        let http = SocketAddr::from(([127, 0, 0, 1], crate::node::free_port()?));
        let sip = crate::node::free_port()?;
        let (mode, broker) = match target {
            Target::Node(b) => (Mode::Node, b),
            Target::Reference => (Mode::Bare, Broker::Local),
        };
        let mut toml = format!(
            "[node]\ndata_dir = {:?}\n\n[sip]\nlisten = \"127.0.0.1:{sip}\"\n\n\
             [http]\nlisten = \"{http}\"\n\n[events]\nbroker = \"{}\"\nsubscriber_queue = {}\nretention_events = {}\n",
            dir.path().join("data"),
            broker.name(),
            plan.subscriber_queue,
            plan.retention_events
        );
        if let Some(n) = nats {
            toml.push_str(&format!("nats_url = \"nats://{}\"\n", n.addr));
        }
        for i in 0..accounts {
            let (sid, token) = account(i);
            toml.push_str(&format!(
                "\n[[accounts]]\nsid = \"{sid}\"\nauth_token = \"{token}\"\n"
            ));
        }
        let config = dir.path().join("switchyard.toml");
        std::fs::write(&config, toml)?;
        let stderr = dir.path().join("stderr.log");
        let mut cmd = Command::new(std::env::current_exe()?);
        cmd.arg("events-server")
            .arg("--config")
            .arg(&config)
            .arg("--mode")
            .arg(match mode {
                Mode::Node => "node",
                Mode::Bare => "bare",
            })
            // One line of error, not a backtrace, when the child cannot start.
            .env("RUST_BACKTRACE", "0")
            .env("RUST_LIB_BACKTRACE", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr)?);
        let mut proc = Guarded::spawn(cmd, "events-server")?;
        let (stdin, stdout) = proc.take_pipes().context("child pipes")?;
        let mut child = Child {
            proc,
            stdin,
            stdout: BufReader::new(stdout),
            http,
            stderr,
            _dir: dir,
        };
        let line = child.line().context("waiting for the child's `ready`")?;
        if !line.starts_with("ready") {
            bail!("child said {line:?}");
        }
        Ok(child)
    }

    fn pid(&self) -> u32 {
        self.proc.pid()
    }

    fn line(&mut self) -> Result<String> {
        let mut line = String::new();
        if self.stdout.read_line(&mut line)? == 0 {
            let text = std::fs::read_to_string(&self.stderr).unwrap_or_default();
            // anyhow's report: `Error: …`, then `Caused by:` and the causes.
            let why: Vec<&str> = match text.find("Error:") {
                Some(at) => text[at..]
                    .lines()
                    .map(str::trim)
                    .take_while(|l| !l.starts_with("Stack backtrace"))
                    .filter(|l| !l.is_empty() && *l != "Caused by:")
                    .collect(),
                None => text.lines().rev().take(1).collect(),
            };
            bail!("the child exited: {}", why.join(" "));
        }
        Ok(line.trim_end().to_string())
    }

    fn command(&mut self, cmd: &str) -> Result<String> {
        writeln!(self.stdin, "{cmd}")?;
        self.stdin.flush()?;
        self.line()
    }

    /// `publish-calls`: events of the first account round robin over `calls` calls.
    fn publish_calls(&mut self, count: u64, rate: f64, calls: usize) -> Result<(u64, u64)> {
        let reply = self.command(&format!("publish-calls {count} {rate} {calls}"))?;
        done(&reply)
    }

    /// Publishes and returns the unix ns of the first and last publication.
    fn publish(&mut self, count: u64, rate: f64, accounts: usize) -> Result<(u64, u64)> {
        let reply = self.command(&format!("publish {count} {rate} {accounts}"))?;
        done(&reply)
    }

    fn subscribers(&mut self) -> Result<usize> {
        let reply = self.command("subs")?;
        reply
            .strip_prefix("subs ")
            .and_then(|n| n.parse().ok())
            .with_context(|| format!("child said {reply:?} to subs"))
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        let _ = self.stdin.flush();
        let _ = self.proc.wait_for(Duration::from_secs(3));
    }
}

/// The child's `done <count> <start ns> <end ns>`.
fn done(reply: &str) -> Result<(u64, u64)> {
    let w: Vec<&str> = reply.split_whitespace().collect();
    match w.as_slice() {
        ["done", _, start, end] => Ok((start.parse()?, end.parse()?)),
        _ => bail!("child said {reply:?} to publish"),
    }
}

/// Subscribers of the whole account `accounts[i]`, no query.
fn plain(accounts: &[usize]) -> Vec<(usize, String)> {
    accounts.iter().map(|&a| (a, String::new())).collect()
}

/// Connections opened together, closed when dropped.
struct Group {
    conns: Vec<Arc<Conn>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    errors: Vec<String>,
}

impl Group {
    /// Opens one connection per entry of `subs` (a bench account number and the
    /// request's query), at most 256 handshakes at a time; `buf` is each connection's
    /// read size.
    fn connect(
        rt: &tokio::runtime::Runtime,
        addr: SocketAddr,
        subs: &[(usize, String)],
        buf: usize,
    ) -> Result<Group> {
        let started = Instant::now();
        let mut conns = Vec::new();
        let mut tasks = Vec::new();
        let mut errors = Vec::new();
        for chunk in subs.chunks(256) {
            let opened = rt.block_on(futures_util::future::join_all(chunk.iter().map(
                |(a, query)| {
                    let (sid, _) = account(*a);
                    let auth = basic(*a);
                    async move { sseclient::open(addr, &sid, query, &auth).await }
                },
            )));
            for o in opened {
                match o {
                    Ok((s, first, chunked)) => {
                        let conn = Arc::new(Conn::default());
                        tasks.push(rt.spawn(sseclient::run(s, first, chunked, conn.clone(), buf)));
                        conns.push(conn);
                    }
                    Err(e) => errors.push(format!("{e:#}")),
                }
            }
        }
        eprintln!(
            "{} connections open in {:.1} s ({} failed{})",
            conns.len(),
            started.elapsed().as_secs_f64(),
            errors.len(),
            errors
                .first()
                .map_or(String::new(), |e| format!(", first: {e}"))
        );
        Ok(Group {
            conns,
            tasks,
            errors,
        })
    }

    fn require_all(&self, n: usize) -> Result<()> {
        if self.conns.len() < n {
            bail!(
                "only {} of {n} SSE connections opened; first error: {}",
                self.conns.len(),
                self.errors.first().map_or("none", String::as_str)
            );
        }
        Ok(())
    }

    fn open(&self) -> usize {
        self.conns.iter().filter(|c| !c.is_closed()).count()
    }

    fn closed(&self) -> usize {
        self.conns.iter().filter(|c| c.is_closed()).count()
    }

    fn received(&self) -> u64 {
        self.conns
            .iter()
            .map(|c| c.events.load(Ordering::Relaxed))
            .sum()
    }

    fn conns_with_events(&self) -> usize {
        self.conns
            .iter()
            .filter(|c| c.events.load(Ordering::Relaxed) > 0)
            .count()
    }

    /// Waits until `more` events arrived since the last drain, or nothing arrived for
    /// `quiet`.
    fn wait(&self, more: u64, quiet: Duration) {
        let base = self.drained();
        let mut last = self.received();
        let mut since = Instant::now();
        while self.received() - base < more {
            std::thread::sleep(Duration::from_millis(20));
            let now = self.received();
            if now != last {
                last = now;
                since = Instant::now();
            } else if since.elapsed() > quiet {
                break;
            }
        }
    }

    fn drained(&self) -> u64 {
        self.conns
            .iter()
            .map(|c| c.drained.load(Ordering::Relaxed))
            .sum()
    }

    /// Every latency (µs) received since the last drain, and the last receive time.
    fn drain(&self) -> (Vec<u32>, u64) {
        let mut all = Vec::new();
        let mut last = 0;
        for c in &self.conns {
            let r = c.drain();
            all.extend_from_slice(&r.latency_us);
            last = last.max(r.last_ns);
        }
        (all, last)
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// What `bin --version` says (`nats-server: v2.9.10`), or why it says nothing.
pub fn nats_version(bin: &Path) -> String {
    match Command::new(bin).arg("--version").output() {
        Ok(out) => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        Err(e) => format!("{}: {e}", bin.display()),
    }
}

/// A `nats-server` with JetStream for the node's NATS broker.
#[derive(Debug)]
struct Nats {
    _proc: Guarded,
    addr: SocketAddr,
}

impl Nats {
    fn start(work: &Path, bin: &Path) -> Result<Nats> {
        let port = crate::node::free_port()?;
        let dir = work.join(format!("nats-{port}"));
        std::fs::create_dir_all(&dir)?;
        let mut cmd = Command::new(bin);
        cmd.args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let proc = Guarded::spawn(cmd, "nats-server")
            .with_context(|| format!("starting {}", bin.display()))?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(addr).is_err() {
            if Instant::now() > deadline {
                bail!("nats-server did not listen on {addr} within 10 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Nats { _proc: proc, addr })
    }
}
