//! Concurrent bridged calls: N calls through the node (benchmark caller → node →
//! sipp callee with an RTP echo), RTP both ways at 50 packets/s per direction; then the
//! same streams through the in-benchmark reference relay to the same echo.

use crate::bridge_echo::{Callee, EchoKind, ECHO_THREAD};
use crate::bridge_gen::{Delivery, Streams, GEN_THREAD, RX_THREAD};
use crate::bridge_probe::{self as probe, Pressure};
use crate::bridge_relay::{self, Relay};
use crate::ivrhook::RustHook;
use crate::node::{Node, NUMBER};
use crate::procs::{self, cpu_percent, ProcSample};
use crate::stats::percentile;
use crate::uac::{Caller, Ending};
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;
use switchyard_rtp::SessionDescription;
use tokio::sync::oneshot;
use tokio::time::Instant;

/// The node's RTP ports: 16,000 (2 per leg, 2 legs per call: 4,000 calls), below the
/// Linux ephemeral range (32768+) where the benchmark's own sockets land.
pub const BRIDGE_RTP: (u16, u16) = (16_000, 31_999);

/// Knobs of one concurrent step.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Calls (or relayed call pairs) at once.
    pub calls: usize,
    /// Call set-up rate, calls/s.
    pub setup_rate: u32,
    /// Pause between "all up" and the window.
    pub settle: Duration,
    /// Length of the measurement window.
    pub window: Duration,
    /// Time after the window for its last packets to come back.
    pub grace: Duration,
    /// Which echo returns the RTP.
    pub echo: EchoKind,
    /// Worker threads of the reference relay.
    pub relay_workers: usize,
}

/// The figures of one step on one path.
#[derive(Debug, Clone, Default)]
pub struct MediaStep {
    /// Calls asked for.
    pub calls: usize,
    /// Calls answered (and streaming) for the window.
    pub up: usize,
    /// Set-ups that failed, with the first reason.
    pub setup_failures: (usize, Option<String>),
    /// Packets sent into the path in the window, and back out.
    pub sent: u64,
    /// See `sent`.
    pub received: u64,
    /// Window length, s.
    pub secs: f64,
    /// Added jitter p50, p99, max (µs).
    pub jitter_us: [Option<u32>; 3],
    /// Round trip p50, p99, max (µs).
    pub transit_us: [Option<u32>; 3],
    /// Packets without a kernel timestamp.
    pub unstamped: u64,
    /// CPU of the path (node process, or relay threads), % of one core.
    pub cpu_pct: Option<f64>,
    /// CPU of the echo (sipp process or the benchmark's echo thread).
    pub echo_cpu_pct: Option<f64>,
    /// CPU of the generator and receiver threads.
    pub gen_cpu_pct: Option<f64>,
    /// Share of the window during which some runnable task waited for a core (the
    /// kernel's CPU pressure), %.
    pub pressure_pct: Option<f64>,
    /// Node RSS during the window, MiB, and its growth per call over the idle node, KiB.
    pub rss_mib: Option<f64>,
    /// See `rss_mib`.
    pub rss_per_call_kib: Option<f64>,
    /// Datagrams the kernel dropped in the window: at the echo, at the benchmark's
    /// receiving sockets, at the path's sockets (the node's RTP range, or the relay's),
    /// anywhere else on the box (not ours; the generator's unread RTCP sockets are left
    /// out).
    pub drops_echo: u64,
    /// See `drops_echo`.
    pub drops_receiver: u64,
    /// See `drops_echo`.
    pub drops_path: u64,
    /// See `drops_echo`.
    pub drops_elsewhere: u64,
    /// The node's CPU per thread name over the window.
    pub threads: String,
    /// Calls the node ended before we did, and our BYEs left unanswered.
    pub early_hangups: usize,
    /// See `early_hangups`.
    pub bye_unanswered: usize,
}

impl MediaStep {
    /// Loss in percent of the packets sent in the window.
    pub fn loss_pct(&self) -> f64 {
        if self.sent == 0 {
            return 0.0;
        }
        100.0 * self.sent.saturating_sub(self.received) as f64 / self.sent as f64
    }

    /// Packets per second through the relaying path, both directions (each packet
    /// sent crosses it twice: to the echo and back).
    pub fn relayed_per_s(&self) -> f64 {
        if self.secs <= 0.0 {
            return 0.0;
        }
        2.0 * self.sent as f64 / self.secs
    }

    fn delivered(&mut self, d: &Delivery) {
        self.sent = d.sent;
        self.received = d.received;
        self.secs = d.secs;
        self.unstamped = d.unstamped;
        self.jitter_us = summary(&d.jitter_us);
        self.transit_us = summary(&d.transit_us);
    }
}

fn summary(sorted: &[u32]) -> [Option<u32>; 3] {
    [
        percentile(sorted, 50.0),
        percentile(sorted, 99.0),
        sorted.last().copied(),
    ]
}

/// The dialled party's TwiML: the caller rings until the callee answers, so the
/// caller's 200 means the bridge is up.
pub fn dial_twiml(callee: SocketAddr) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Dial answerOnBridge=\"true\">\
         <Sip>sip:callee@{callee}</Sip></Dial></Response>"
    )
}

/// One step: through the node (when `with_node`), then through the reference relay,
/// both to the same callee's echo. `work` holds sipp's files.
pub async fn step_pair(
    plan: Plan,
    ticks: u64,
    work: &Path,
    with_node: bool,
) -> Result<(Option<MediaStep>, MediaStep)> {
    let ramp = plan.calls as f64 / f64::from(plan.setup_rate.max(1));
    let lifetime = Duration::from_secs_f64(2.0 * ramp + 4.0 * plan.window.as_secs_f64() + 120.0);
    let dir = work.join(format!("media-{}", plan.calls));
    let mut callee = Callee::start(plan.echo, &dir, lifetime)?;
    let node = if with_node {
        let node = node_step(plan, ticks, &mut callee).await?;
        eprintln!("  node {} calls: {}", plan.calls, brief(&node));
        Some(node)
    } else {
        None
    };
    let relay = relay_step(plan, ticks, &callee).await?;
    eprintln!("  relay {} calls: {}", plan.calls, brief(&relay));
    Ok((node, relay))
}

fn brief(s: &MediaStep) -> String {
    let ms = |v: Option<u32>| v.map_or("–".into(), |v| format!("{:.2}", f64::from(v) / 1000.0));
    format!(
        "up {}/{}, loss {:.3} % ({} of {}), jitter p50/p99/max {}/{}/{} ms, round trip p50/p99 {}/{} ms, \
         cpu {:.0} %, echo {:.0} %, gen+rx {:.0} %, cpu pressure {:.0} %, drops echo/rx/path/elsewhere {}/{}/{}/{}{}",
        s.up,
        s.calls,
        s.loss_pct(),
        s.sent.saturating_sub(s.received),
        s.sent,
        ms(s.jitter_us[0]),
        ms(s.jitter_us[1]),
        ms(s.jitter_us[2]),
        ms(s.transit_us[0]),
        ms(s.transit_us[1]),
        s.cpu_pct.unwrap_or(0.0),
        s.echo_cpu_pct.unwrap_or(0.0),
        s.gen_cpu_pct.unwrap_or(0.0),
        s.pressure_pct.unwrap_or(0.0),
        s.drops_echo,
        s.drops_receiver,
        s.drops_path,
        s.drops_elsewhere,
        if s.threads.is_empty() {
            String::new()
        } else {
            format!("; node threads: {}", s.threads)
        }
    )
}

/// Readings taken at both ends of the window.
struct Readings {
    at: std::time::Instant,
    path: Option<ProcSample>,
    path_threads: u64,
    echo: Option<ProcSample>,
    echo_threads: u64,
    gen: u64,
    pressure: Pressure,
    drops: BTreeMap<u16, u64>,
    node_threads: BTreeMap<String, u64>,
}

fn read(node: Option<u32>, echo_pid: u32, path_prefix: Option<&str>) -> Result<Readings> {
    Ok(Readings {
        at: std::time::Instant::now(),
        path: node.map(procs::sample).transpose()?,
        path_threads: match path_prefix {
            Some(p) => procs::threads_cpu_ticks(p)?,
            None => 0,
        },
        echo: procs::sample(echo_pid).ok(),
        echo_threads: procs::threads_cpu_ticks(ECHO_THREAD)?,
        gen: procs::threads_cpu_ticks(GEN_THREAD)? + procs::threads_cpu_ticks(RX_THREAD)?,
        pressure: probe::pressure()?,
        drops: probe::udp_drops(),
        node_threads: node.map(probe::threads_of).unwrap_or_default(),
    })
}

/// Fills the CPU, memory and drop figures of `step` from readings `a` and `b`.
fn account(
    step: &mut MediaStep,
    a: &Readings,
    b: &Readings,
    ticks: u64,
    echo: SocketAddr,
    receiver_ports: &[u16],
    path_ports: &dyn Fn(u16) -> bool,
) {
    let secs = b.at.duration_since(a.at).as_secs_f64().max(1e-9);
    let pct = |t0: u64, t1: u64| 100.0 * t1.saturating_sub(t0) as f64 / ticks as f64 / secs;
    step.cpu_pct = match (&a.path, &b.path) {
        (Some(x), Some(y)) => Some(cpu_percent(x, y, ticks)),
        _ => Some(pct(a.path_threads, b.path_threads)),
    };
    // The echo is sipp's (its whole process) or ours (one thread here): only one of the
    // two moves.
    let sipp = match (&a.echo, &b.echo) {
        (Some(x), Some(y)) => cpu_percent(x, y, ticks),
        _ => 0.0,
    };
    step.echo_cpu_pct = Some(sipp + pct(a.echo_threads, b.echo_threads));
    step.gen_cpu_pct = Some(pct(a.gen, b.gen));
    step.pressure_pct = Some(probe::pressure_percent(&a.pressure, &b.pressure));
    let between = |which: &dyn Fn(u16) -> bool| probe::drops_between(&a.drops, &b.drops, which);
    let echo_port = |p: u16| p == echo.port() || p == echo.port() + 2;
    let receiver = |p: u16| receiver_ports.contains(&p);
    // The generator's RTCP sockets (port + 1) exist only to be bound; nobody reads them.
    let rtcp = |p: u16| receiver_ports.iter().any(|r| p == r + 1);
    step.drops_echo = between(&echo_port);
    step.drops_receiver = between(&receiver);
    step.drops_path = between(&|p| path_ports(p));
    step.drops_elsewhere = between(&|p| !(echo_port(p) || receiver(p) || rtcp(p) || path_ports(p)));
    if !b.node_threads.is_empty() {
        step.threads = probe::threads_summary(&a.node_threads, &b.node_threads, ticks, secs);
    }
}

async fn node_step(plan: Plan, ticks: u64, callee: &mut Callee) -> Result<MediaStep> {
    let hook = RustHook::start(dial_twiml(callee.sip), String::new())?;
    let url = format!("{}/", hook.base_url());
    let mut node = tokio::task::spawn_blocking(move || Node::start(&url, BRIDGE_RTP)).await??;
    let idle = procs::sample(node.pid())?;
    let streams = Streams::start().await?;
    let caller = Caller::bind(node.sip()).await?;
    let mut hangups = Vec::with_capacity(plan.calls);
    let mut setups = Vec::with_capacity(plan.calls);
    let mut pace = tokio::time::interval(Duration::from_secs_f64(
        1.0 / f64::from(plan.setup_rate.max(1)),
    ));
    for n in 0..plan.calls {
        pace.tick().await;
        let (hang_tx, hang_rx) = oneshot::channel();
        hangups.push(hang_tx);
        let (c, adder) = (caller.clone(), streams.adder());
        let stream = n as u32;
        let port = streams.port_for(stream);
        setups.push(tokio::spawn(async move {
            let (task, answer) = c.call_answered(n, NUMBER, port, hang_rx).await?;
            let to = media_address(&answer)?;
            adder.add(stream, to)?;
            Ok::<_, anyhow::Error>(task)
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
    let echo_pid = callee.pid();
    let a = read(Some(node.pid()), echo_pid, None)?;
    streams.open_window();
    tokio::time::sleep(plan.window).await;
    streams.close_window();
    let b = read(Some(node.pid()), echo_pid, None)?;
    let ports: Vec<u16> = (0..crate::bridge_gen::SHARDS as u32)
        .map(|s| streams.port_for(s))
        .collect();
    let node_range = |p: u16| (BRIDGE_RTP.0..=BRIDGE_RTP.1).contains(&p);
    account(&mut step, &a, &b, ticks, callee.media, &ports, &node_range);
    if let Some(rss) = b.path.map(|s| s.rss_kib) {
        step.rss_mib = Some(rss as f64 / 1024.0);
        if step.up > 0 {
            step.rss_per_call_kib = Some(rss.saturating_sub(idle.rss_kib) as f64 / step.up as f64);
        }
    }
    let grace = plan.grace;
    let delivery = tokio::task::spawn_blocking(move || streams.finish(grace)).await??;
    step.delivered(&delivery);
    // Hang up, 1 ms apart, and count the calls the node ended first.
    let mut hang_pace = tokio::time::interval(Duration::from_millis(1));
    for h in hangups {
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
    if !callee.alive() {
        anyhow::bail!("the sipp callee exited during the step");
    }
    drop(hook);
    Ok(step)
}

async fn relay_step(plan: Plan, ticks: u64, callee: &Callee) -> Result<MediaStep> {
    let relay = Relay::start(plan.calls, callee.media, plan.relay_workers)?;
    let streams = Streams::start().await?;
    let adder = streams.adder();
    for (n, to) in relay.inputs.iter().enumerate() {
        adder.add(n as u32, *to)?;
    }
    // The streams start in their slots at once; let a few periods pass as well as the
    // settle time.
    tokio::time::sleep(plan.settle + Duration::from_millis(100)).await;
    let mut step = MediaStep {
        calls: plan.calls,
        up: plan.calls,
        ..MediaStep::default()
    };
    let a = read(None, callee.pid(), Some(bridge_relay::THREAD_PREFIX))?;
    streams.open_window();
    tokio::time::sleep(plan.window).await;
    streams.close_window();
    let b = read(None, callee.pid(), Some(bridge_relay::THREAD_PREFIX))?;
    let ports: Vec<u16> = (0..crate::bridge_gen::SHARDS as u32)
        .map(|s| streams.port_for(s))
        .collect();
    let relay_ports = |p: u16| relay.ports.contains(&p);
    account(&mut step, &a, &b, ticks, callee.media, &ports, &relay_ports);
    let grace = plan.grace;
    let delivery = tokio::task::spawn_blocking(move || streams.finish(grace)).await??;
    step.delivered(&delivery);
    relay.stop()?;
    Ok(step)
}

/// Where the 200's SDP says to send RTP.
pub fn media_address(sdp: &[u8]) -> Result<SocketAddr> {
    let text = std::str::from_utf8(sdp).context("SDP is not UTF-8")?;
    let sdp = SessionDescription::parse(text).context("the 200 has no valid SDP")?;
    let ip = sdp
        .connection_for(0)
        .and_then(|c| c.ip())
        .context("no c= in the answer")?;
    let port = sdp.media.first().context("no m= in the answer")?.port;
    Ok(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_address_is_read_from_the_answer() {
        let sdp = b"v=0\r\no=switchyard 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n\
                    t=0 0\r\nm=audio 20002 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
        assert_eq!(
            media_address(sdp).unwrap(),
            "127.0.0.1:20002".parse().unwrap()
        );
        assert!(media_address(b"nonsense").is_err());
    }

    #[test]
    fn twiml_rings_the_caller_until_the_callee_answers() {
        let t = dial_twiml("127.0.0.1:5070".parse().unwrap());
        let verbs = switchyard_instructions::parse_twiml(&t).unwrap();
        assert_eq!(verbs.len(), 1, "{verbs:?}");
        assert!(t.contains("answerOnBridge=\"true\""));
        assert!(t.contains("sip:callee@127.0.0.1:5070"));
    }
}
