//! `switchyard-bench conference`: concurrent conference legs over real RTP, every
//! participant talking, through a node.
//!
//! Each step calls the node `legs` times from the benchmark's Rust caller ([`Caller`]);
//! the number's webhook (an axum server here) puts call `n` into room `n / size` with
//! `<Dial><Conference>`. Once a call is up, the `bridge` benchmark's generator sends it
//! its participant's tone ([`conference_rx`]) every 20 ms; one receiver thread reads
//! what the node sends back. The same legs in rooms of 2 (a pair, nothing to mix beyond
//! it) are the reference of the same run. The table: [`conference_report`].
//!
//! [`conference_rx`]: crate::conference_rx
//! [`conference_report`]: crate::conference_report

use crate::bridge_gen::{Streams, GEN_THREAD};
use crate::bridge_media::{media_address, BRIDGE_RTP};
use crate::bridge_probe::{self as probe, Pressure};
use crate::conference_rx::{self, check_content, expected_in_window, Receiver, RX_THREAD};
use crate::node::{Node, NUMBER};
use crate::procs::{self, cpu_percent, ProcSample};
use crate::rtprx;
use crate::stats::percentile;
use crate::uac::{Caller, Ending};
use anyhow::Result;
use axum::{http::header, routing::post, Form, Router};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::Instant;

/// The heading of the section in `BENCHMARKS.md`.
pub const HEADING: &str = "## Conference legs over RTP (`<Dial><Conference>`)";

/// Everything one invocation does.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Full runs; the table gives their median and spread.
    pub runs: usize,
    /// Concurrent legs per step, in order.
    pub legs: Vec<usize>,
    /// Participants per room (the last room of a step may be smaller).
    pub room_size: usize,
    /// Call set-up rate, calls/s.
    pub setup_rate: u32,
    /// Pause between "all up" and the window.
    pub settle: Duration,
    /// Measurement window of a step.
    pub window: Duration,
    /// Legs whose audio is checked per step (spread over the rooms).
    pub checked: usize,
    /// Jitter p99 limit of the target, ms.
    pub jitter_limit_ms: f64,
    /// A room size is not run past a step whose loss is over this, %…
    pub break_loss_pct: f64,
    /// …or whose jitter p99 is over this, ms.
    pub break_jitter_ms: f64,
}

/// The figures of one step in one room size.
#[derive(Debug, Clone, Default)]
pub struct Step {
    /// Legs asked for.
    pub legs: usize,
    /// Participants per room.
    pub room_size: usize,
    /// Legs answered (and streaming) for the window.
    pub up: usize,
    /// Set-ups that failed, with the first reason.
    pub setup_failures: (usize, Option<String>),
    /// Packets from the node in the window, and what it should have sent: per leg the
    /// span of sequence numbers that came, at least 50 per second less one.
    pub received: u64,
    /// See `received`.
    pub expected: u64,
    /// Legs from which nothing came in the window.
    pub silent_legs: usize,
    /// Window length, s.
    pub secs: f64,
    /// Pacing jitter p50, p99, max (µs): |interarrival − 20 ms × sequence step|, kernel
    /// receive timestamps.
    pub jitter_us: [Option<u32>; 3],
    /// Packets without a kernel timestamp.
    pub unstamped: u64,
    /// Node CPU, % of one core.
    pub cpu_pct: Option<f64>,
    /// CPU of the generator and receiver threads.
    pub gen_cpu_pct: Option<f64>,
    /// Share of the window during which some runnable task waited for a core, %.
    pub pressure_pct: Option<f64>,
    /// Node RSS during the window, MiB, and its growth per leg over the idle node, KiB.
    pub rss_mib: Option<f64>,
    /// See `rss_mib`.
    pub rss_per_leg_kib: Option<f64>,
    /// Legs whose audio was checked, and those that heard the others and not
    /// themselves.
    pub checked: usize,
    /// See `checked`.
    pub heard_ok: usize,
    /// The first failed check.
    pub first_bad: Option<String>,
    /// The node's CPU per thread name over the window.
    pub threads: String,
    /// Calls the node ended before we did, and our BYEs left unanswered.
    pub early_hangups: usize,
    /// See `early_hangups`.
    pub bye_unanswered: usize,
    /// WARN/ERROR lines the node logged in the step.
    pub warnings: usize,
}

impl Step {
    /// Loss in percent of the expected packets.
    pub fn loss_pct(&self) -> f64 {
        if self.expected == 0 {
            return 0.0;
        }
        100.0 * self.expected.saturating_sub(self.received) as f64 / self.expected as f64
    }

    /// Whether every checked leg heard the others and not itself.
    pub fn content_ok(&self) -> bool {
        self.checked > 0 && self.heard_ok == self.checked
    }
}

/// What one run measured: per step, the rooms of `room_size` (until they broke) and
/// the rooms of 2.
pub type Run = Vec<(Option<Step>, Option<Step>)>;

impl Plan {
    /// Whether a step is past saying anything more.
    fn broke(&self, s: &Step) -> bool {
        s.up < s.legs
            || !s.content_ok()
            || s.loss_pct() > self.break_loss_pct
            || s.jitter_us[1].is_none_or(|j| f64::from(j) / 1000.0 > self.break_jitter_ms)
    }
}

/// Runs everything `plan.runs` times.
pub fn run(plan: &Plan, ticks: u64) -> Result<Vec<Run>> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("conference")
        .build()?;
    let mut runs = Vec::with_capacity(plan.runs);
    for i in 0..plan.runs {
        eprintln!("run {}/{}: concurrent conference legs", i + 1, plan.runs);
        let mut run = Run::new();
        let (mut mixed_broke, mut pairs_broke) = (false, false);
        for &legs in &plan.legs {
            let one = |size: usize, broke: &mut bool| -> Result<Option<Step>> {
                if *broke {
                    return Ok(None);
                }
                let s = rt.block_on(step(plan, legs, size, ticks))?;
                eprintln!("  rooms of {size}, {legs} legs: {}", brief(&s));
                if plan.broke(&s) {
                    eprintln!("  rooms of {size} broke at {legs} legs: no larger step for them");
                    *broke = true;
                }
                Ok(Some(s))
            };
            let mixed = one(plan.room_size, &mut mixed_broke)?;
            let pairs = one(2, &mut pairs_broke)?;
            run.push((mixed, pairs));
            if mixed_broke && pairs_broke {
                break;
            }
        }
        runs.push(run);
    }
    rt.shutdown_timeout(Duration::from_secs(2));
    Ok(runs)
}

fn brief(s: &Step) -> String {
    let ms = |v: Option<u32>| v.map_or("–".into(), |v| format!("{:.2}", f64::from(v) / 1000.0));
    format!(
        "up {}/{}, received {} of {} ({:.3} % lost, {} legs silent), jitter p50/p99/max {}/{}/{} ms, \
         cpu {:.0} %, gen+rx {:.0} %, cpu pressure {:.0} %, rss {:.0} MiB, heard right {}/{}{}{}",
        s.up,
        s.legs,
        s.received,
        s.expected,
        s.loss_pct(),
        s.silent_legs,
        ms(s.jitter_us[0]),
        ms(s.jitter_us[1]),
        ms(s.jitter_us[2]),
        s.cpu_pct.unwrap_or(0.0),
        s.gen_cpu_pct.unwrap_or(0.0),
        s.pressure_pct.unwrap_or(0.0),
        s.rss_mib.unwrap_or(0.0),
        s.heard_ok,
        s.checked,
        s.first_bad
            .as_ref()
            .map_or(String::new(), |b| format!(" (first wrong: {b})")),
        if s.threads.is_empty() {
            String::new()
        } else {
            format!("; node threads: {}", s.threads)
        }
    )
}

/// The room's TwiML: every participant starts the conference, no beeps.
pub fn room_twiml(room: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Dial><Conference beep=\"false\" \
         startConferenceOnEnter=\"true\" endConferenceOnExit=\"false\">{room}</Conference>\
         </Dial></Response>"
    )
}

/// The caller's From user of participant `i` of room `k`, and back.
pub fn from_user(room: usize, i: usize) -> String {
    format!("room-{room}-{i}")
}

/// The room named by a From of [`from_user`].
pub fn room_of(from: &str) -> Option<&str> {
    let rest = from.strip_prefix("room-")?;
    let (room, i) = rest.split_once('-')?;
    (room.parse::<usize>().is_ok() && i.parse::<usize>().is_ok())
        .then(|| &from[..("room-".len() + room.len())])
}

/// The number's webhook on 127.0.0.1, on its own 1-worker runtime and thread: `POST /`
/// answers [`room_twiml`] for the room in the `From` (400 without one).
#[derive(Debug)]
struct RoomHook {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RoomHook {
    fn start() -> Result<RoomHook> {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("roomhook")
            .enable_all()
            .build()?;
        let thread = std::thread::spawn(move || {
            rt.block_on(async move {
                let app = Router::new().route(
                    "/",
                    post(|Form(f): Form<HashMap<String, String>>| async move {
                        let room = f.get("From").and_then(|from| room_of(from));
                        match room {
                            Some(room) => {
                                Ok(([(header::CONTENT_TYPE, "text/xml")], room_twiml(room)))
                            }
                            None => Err(axum::http::StatusCode::BAD_REQUEST),
                        }
                    }),
                );
                let listener = match tokio::net::TcpListener::from_std(std_listener) {
                    Ok(l) => l,
                    Err(e) => return eprintln!("room webhook listener: {e}"),
                };
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stop_rx.await;
                    })
                    .await;
            });
        });
        Ok(RoomHook {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }
}

impl Drop for RoomHook {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Readings taken at both ends of the window.
struct Readings {
    at: std::time::Instant,
    node: ProcSample,
    gen: u64,
    pressure: Pressure,
    threads: BTreeMap<String, u64>,
}

fn read(pid: u32) -> Result<Readings> {
    Ok(Readings {
        at: std::time::Instant::now(),
        node: procs::sample(pid)?,
        gen: procs::threads_cpu_ticks(GEN_THREAD)? + procs::threads_cpu_ticks(RX_THREAD)?,
        pressure: probe::pressure()?,
        threads: probe::threads_of(pid),
    })
}

/// Which legs' audio is checked: `n` spread evenly over the `up` legs (all if fewer).
fn sampled(up: usize, n: usize) -> Vec<usize> {
    if up == 0 || n == 0 {
        return Vec::new();
    }
    let n = n.min(up);
    (0..n).map(|k| k * up / n).collect()
}

/// Participants of room `room` in a step of `legs` legs in rooms of `size`.
fn room_len(legs: usize, size: usize, room: usize) -> usize {
    legs.saturating_sub(room * size).min(size)
}

/// One step: a fresh node, `legs` calls into rooms of `size`, the window, hang-up.
async fn step(plan: &Plan, legs: usize, size: usize, ticks: u64) -> Result<Step> {
    let hook = RoomHook::start()?;
    let url = format!("http://{}/", hook.addr);
    let mut node = tokio::task::spawn_blocking(move || Node::start(&url, BRIDGE_RTP)).await??;
    let idle = procs::sample(node.pid())?;
    let (streams, fds) = Streams::start_generator(conference_rx::payload(size)).await?;
    let receiver = Receiver::start(fds)?;
    let caller = Caller::bind(node.sip()).await?;
    let mut hangups = Vec::with_capacity(legs);
    let mut setups = Vec::with_capacity(legs);
    let mut pace = tokio::time::interval(Duration::from_secs_f64(
        1.0 / f64::from(plan.setup_rate.max(1)),
    ));
    for n in 0..legs {
        pace.tick().await;
        let (hang_tx, hang_rx) = oneshot::channel();
        hangups.push(hang_tx);
        let (c, adder) = (caller.clone(), streams.adder());
        let port = streams.port_for(n as u32);
        let from = from_user(n / size, n % size);
        setups.push(tokio::spawn(async move {
            let (task, answer) = c
                .call_answered_from(n, &from, NUMBER, port, hang_rx)
                .await?;
            let to = media_address(&answer)?;
            adder.add(n as u32, to)?;
            Ok::<_, anyhow::Error>((task, to.port(), n))
        }));
    }
    let mut s = Step {
        legs,
        room_size: size,
        ..Step::default()
    };
    let mut in_call = Vec::new();
    // (node port, leg number) of each leg up, in leg order.
    let mut up: Vec<(u16, usize)> = Vec::new();
    for setup in setups {
        match setup.await? {
            Ok((task, port, n)) => {
                in_call.push(task);
                up.push((port, n));
            }
            Err(e) => {
                s.setup_failures.0 += 1;
                s.setup_failures.1.get_or_insert_with(|| format!("{e:#}"));
            }
        }
    }
    s.up = up.len();
    tokio::time::sleep(plan.settle).await;
    let checked: Vec<(u16, usize)> = sampled(up.len(), plan.checked)
        .into_iter()
        .map(|k| up[k])
        .collect();
    let from_us = receiver.now_us();
    let to_us = from_us + plan.window.as_micros() as u64;
    receiver.sample(
        checked.iter().map(|c| c.0).collect::<HashSet<_>>(),
        from_us,
        to_us,
    );
    let a = read(node.pid())?;
    tokio::time::sleep(plan.window).await;
    let b = read(node.pid())?;
    // Packets stamped before the window closed but read after it.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let got = tokio::task::spawn_blocking(move || receiver.finish()).await??;
    tokio::task::spawn_blocking(move || streams.stop()).await??;

    let secs = b.at.duration_since(a.at).as_secs_f64().max(1e-9);
    s.secs = plan.window.as_secs_f64();
    s.cpu_pct = Some(cpu_percent(&a.node, &b.node, ticks));
    s.gen_cpu_pct = Some(100.0 * b.gen.saturating_sub(a.gen) as f64 / ticks as f64 / secs);
    s.pressure_pct = Some(probe::pressure_percent(&a.pressure, &b.pressure));
    s.threads = probe::threads_summary(&a.threads, &b.threads, ticks, secs);
    s.rss_mib = Some(b.node.rss_kib as f64 / 1024.0);
    if s.up > 0 {
        s.rss_per_leg_kib = Some(b.node.rss_kib.saturating_sub(idle.rss_kib) as f64 / s.up as f64);
    }
    // Whole 20 ms periods in the window, less one for where its edges fall.
    let floor = (plan.window.as_micros() as u64 / 20_000).saturating_sub(1);
    s.unstamped = got.unstamped;
    let mut jitter = Vec::new();
    for (port, _) in &up {
        let arrivals = got.arrivals.get(port).map_or(&[][..], Vec::as_slice);
        let w = rtprx::window(arrivals, from_us, to_us);
        if w.received == 0 {
            s.silent_legs += 1;
        }
        s.received += w.received;
        s.expected += expected_in_window(arrivals, from_us, to_us, floor);
        jitter.extend(w.kernel_jitter_us);
    }
    jitter.sort_unstable();
    s.jitter_us = [
        percentile(&jitter, 50.0),
        percentile(&jitter, 99.0),
        jitter.last().copied(),
    ];
    for (port, n) in &checked {
        let (room, me) = (n / size, n % size);
        let frames = got.payloads.get(port).map_or(&[][..], Vec::as_slice);
        let heard = check_content(frames, me, room_len(legs, size, room));
        s.checked += 1;
        if heard.ok {
            s.heard_ok += 1;
        } else if s.first_bad.is_none() {
            s.first_bad = Some(format!(
                "leg {n} (room {room}, participant {me}, {} frames): own tone {:.2}, others {:.2}–{:.2} of the sent level",
                frames.len(),
                heard.own,
                heard.others.0,
                heard.others.1
            ));
        }
    }
    // Hang up, 1 ms apart, and count the calls the node ended first.
    let mut hang_pace = tokio::time::interval(Duration::from_millis(1));
    for h in hangups {
        hang_pace.tick().await;
        let _ = h.send(());
    }
    let end_deadline = Instant::now() + Duration::from_secs(40);
    for t in in_call {
        match tokio::time::timeout_at(end_deadline, t).await {
            Ok(Ok(Ok(Ending::NodeHungUp))) => s.early_hangups += 1,
            Ok(Ok(Ok(Ending::ByeUnanswered))) => s.bye_unanswered += 1,
            _ => {}
        }
    }
    if !node.alive() {
        anyhow::bail!("the node died during the step:\n{}", node.stderr_tail(30));
    }
    // Every benchmark node warns at start that it takes calls from any address.
    let (_, all) = node.warnings(usize::MAX);
    let bad: Vec<String> = all
        .into_iter()
        .filter(|l| !l.contains("inbound = \"any\""))
        .collect();
    s.warnings = bad.len();
    if !bad.is_empty() {
        eprintln!(
            "  node stderr: {} WARN/ERROR lines, e.g.\n  {}",
            bad.len(),
            bad[..bad.len().min(3)].join("\n  ")
        );
    }
    drop(hook);
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_from_names_the_room() {
        assert_eq!(room_of(&from_user(12, 7)), Some("room-12"));
        assert_eq!(room_of("+15557770000"), None);
        assert_eq!(room_of("room-x-1"), None);
        assert_eq!(room_of("room-3"), None);
    }

    #[test]
    fn twiml_is_a_conference_that_starts_at_once_without_beeps() {
        let t = room_twiml("room-4");
        let verbs = switchyard_instructions::parse_twiml(&t).unwrap();
        assert_eq!(verbs.len(), 1, "{verbs:?}");
        let dbg = format!("{verbs:?}");
        assert!(dbg.contains("room-4"), "{dbg}");
        assert!(t.contains("beep=\"false\"") && t.contains("startConferenceOnEnter=\"true\""));
    }

    #[test]
    fn checked_legs_spread_over_the_step() {
        assert_eq!(sampled(100, 4), vec![0, 25, 50, 75]);
        assert_eq!(sampled(3, 10), vec![0, 1, 2]);
        assert!(sampled(0, 10).is_empty());
    }

    #[test]
    fn the_last_room_may_be_smaller() {
        assert_eq!(room_len(25, 10, 0), 10);
        assert_eq!(room_len(25, 10, 2), 5);
        assert_eq!(room_len(25, 10, 3), 0);
    }

    #[test]
    fn a_step_with_a_wrong_leg_breaks() {
        let plan = Plan {
            runs: 1,
            legs: vec![10],
            room_size: 10,
            setup_rate: 100,
            settle: Duration::ZERO,
            window: Duration::from_secs(1),
            checked: 4,
            jitter_limit_ms: 5.0,
            break_loss_pct: 1.0,
            break_jitter_ms: 20.0,
        };
        let good = Step {
            legs: 10,
            up: 10,
            received: 500,
            expected: 500,
            jitter_us: [Some(100), Some(900), Some(2000)],
            checked: 4,
            heard_ok: 4,
            ..Step::default()
        };
        assert!(!plan.broke(&good));
        let wrong = Step {
            heard_ok: 3,
            ..good.clone()
        };
        assert!(plan.broke(&wrong));
        let lossy = Step {
            received: 480,
            ..good.clone()
        };
        assert!(plan.broke(&lossy));
    }
}
