//! Bridged calls set up per second: a sipp caller (`bench/sipp/bridge_uac.xml`) against the
//! node, whose number's app answers `<Dial answerOnBridge="true"><Sip>` to a sipp callee
//! (`bench/sipp/uas_dial.xml`: answers at once, holds the bridge, hangs up). Reference: the
//! same caller straight to the same callee.
//!
//! Both sipp scenarios log `gettimeofday` (µs) at the moments that matter, keyed by the
//! caller's From user, which the node passes on as the dialled leg's From: the caller's
//! INVITE sent, its 200 received, and the callee's INVITE received. Post-dial delay is
//! callee INVITE − caller INVITE.

use crate::bridge_media::{dial_twiml, BRIDGE_RTP};
use crate::bridge_probe as probe;
use crate::ivrhook::RustHook;
use crate::node::{free_port, Node, NUMBER};
use crate::procs::{self, cpu_percent, Guarded};
use crate::rate::{self, scenario, RateStep};
use crate::stats::percentile;
use anyhow::Result;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Knobs of the call-rate part.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Offered rates, calls/s, in order.
    pub rates: Vec<u32>,
    /// Seconds of calls per step.
    pub secs: u32,
    /// How long the callee keeps each bridge up, ms.
    pub hold_ms: u32,
}

/// One step on one path.
#[derive(Debug, Clone)]
pub struct RateRow {
    /// Offered calls/s.
    pub offered: u32,
    /// What sipp's caller counted.
    pub caller: RateStep,
    /// The callee's successful and failed calls (`-trace_stat`).
    pub callee_ok: u64,
    /// See `callee_ok`.
    pub callee_failed: u64,
    /// Calls whose 200 the caller logged, per second between the first and the last.
    pub achieved: f64,
    /// Caller INVITE → callee INVITE, µs: p50, p99, max (calls that reached the callee).
    pub pdd_us: [Option<u64>; 3],
    /// Caller INVITE → its 200, µs: p50, p99, max.
    pub answer_us: [Option<u64>; 3],
    /// Node CPU over the step (% of one core), RSS at its end (MiB); the kernel's CPU
    /// pressure (share of the step some runnable task waited for a core, %).
    pub cpu_pct: Option<f64>,
    /// See `cpu_pct`.
    pub rss_mib: Option<f64>,
    /// See `cpu_pct`.
    pub pressure_pct: Option<f64>,
    /// WARN/ERROR lines the node had written by the end of a failed step, and the first.
    pub node_errors: Option<(usize, String)>,
    /// See [`RateRow::first_error`].
    caller_error: Option<String>,
}

impl RateRow {
    /// The first line of the caller's error log that says why a call failed (an
    /// aborted call), else the first that says anything.
    pub fn first_error(&self) -> Option<&str> {
        self.caller_error.as_deref()
    }
}

impl RateRow {
    /// Every offered call was created, answered and ended well on both sides.
    pub fn clean(&self, secs: u32) -> bool {
        let offered = u64::from(self.offered) * u64::from(secs);
        crate::report::clean(&self.caller, offered)
            && self.callee_failed == 0
            && self.callee_ok == offered
    }
}

/// The node's steps (until the first with a failure), then the reference at the same
/// rates. `work` holds sipp's files.
pub fn run(plan: &Plan, work: &Path, ticks: u64) -> Result<(Vec<RateRow>, Vec<RateRow>)> {
    let callee_port = free_port()?;
    let callee = SocketAddr::from(([127, 0, 0, 1], callee_port));
    let hook = RustHook::start(dial_twiml(callee), String::new())?;
    let mut node = Node::start(&format!("{}/", hook.base_url()), BRIDGE_RTP)?;
    // One call first: the node's first webhook connection and store writes are not
    // what is measured.
    let warm = step(
        &plan.with_rates(1, 1),
        1,
        node.sip(),
        callee,
        &work.join("warm"),
        None,
        ticks,
    )?;
    eprintln!(
        "  warm-up: caller {} ok / {} failed, callee {} ok",
        warm.caller.successful, warm.caller.failed, warm.callee_ok
    );
    let mut node_rows = Vec::new();
    for &r in &plan.rates {
        let mut row = step(
            plan,
            r,
            node.sip(),
            callee,
            &work.join(format!("node-{r}")),
            Some(node.pid()),
            ticks,
        )?;
        eprintln!("  node {r}/s: {}", brief(&row));
        let clean = row.clean(plan.secs);
        if !clean || !node.alive() {
            let (n, first) = node.warnings(5);
            if n > 0 {
                eprintln!("  node WARN/ERROR lines: {n}\n  {}", first.join("\n  "));
                row.node_errors = Some((n, first.into_iter().next().unwrap_or_default()));
            }
            node_rows.push(row);
            break;
        }
        node_rows.push(row);
    }
    drop(node);
    drop(hook);
    let mut ref_rows = Vec::new();
    for r in node_rows.iter().map(|r| r.offered) {
        let row = step(
            plan,
            r,
            callee,
            callee,
            &work.join(format!("sipp-{r}")),
            None,
            ticks,
        )?;
        eprintln!("  sipp→sipp {r}/s: {}", brief(&row));
        ref_rows.push(row);
    }
    Ok((node_rows, ref_rows))
}

impl Plan {
    fn with_rates(&self, rate: u32, secs: u32) -> Plan {
        Plan {
            rates: vec![rate],
            secs,
            hold_ms: self.hold_ms,
        }
    }
}

fn brief(r: &RateRow) -> String {
    let ms = |v: Option<u64>| v.map_or("–".into(), |v| format!("{:.2}", v as f64 / 1000.0));
    format!(
        "achieved {:.0}/s, caller {} ok / {} failed (created {}), callee {} ok / {} failed, \
         PDD p50/p99/max {}/{}/{} ms, INVITE→200 p50/p99 {}/{} ms, cpu {:.0} %, cpu pressure {:.0} %{}",
        r.achieved,
        r.caller.successful,
        r.caller.failed,
        r.caller.created,
        r.callee_ok,
        r.callee_failed,
        ms(r.pdd_us[0]),
        ms(r.pdd_us[1]),
        ms(r.pdd_us[2]),
        ms(r.answer_us[0]),
        ms(r.answer_us[1]),
        r.cpu_pct.unwrap_or(0.0),
        r.pressure_pct.unwrap_or(0.0),
        r.first_error()
            .map_or(String::new(), |e| format!("; first caller error: {e}")),
    )
}

/// One rate step: the callee on `callee`, the caller against `target` (the node, or the
/// callee itself for the reference).
fn step(
    plan: &Plan,
    rate: u32,
    target: SocketAddr,
    callee: SocketAddr,
    dir: &Path,
    node_pid: Option<u32>,
    ticks: u64,
) -> Result<RateRow> {
    std::fs::create_dir_all(dir)?;
    let calls = u64::from(rate) * u64::from(plan.secs);
    let limit = u64::from(plan.secs) + 60;
    let mut cmd = Command::new("sipp");
    cmd.current_dir(dir)
        .arg("-sf")
        .arg(scenario("uas_dial.xml"))
        .args(["-i", "127.0.0.1", "-p", &callee.port().to_string()])
        .args(["-mp", &free_port()?.to_string()])
        .args(["-set", "hold", &plan.hold_ms.to_string()])
        .args(["-m", &calls.to_string(), "-nostdin"])
        .args(["-trace_logs", "-log_file", "callee.log"])
        .args(["-trace_stat", "-fd", "1", "-stf", "callee-stat.csv"])
        .args(["-trace_err", "-error_file", "callee-errors.log"])
        .args(["-timeout", &format!("{limit}s")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("callee-stderr.txt"))?);
    let mut callee_proc = Guarded::spawn(cmd, "sipp callee")?;
    std::thread::sleep(Duration::from_millis(500));
    let before = node_pid.map(procs::sample).transpose()?;
    let p0 = probe::pressure()?;
    let caller_log = dir.join("caller.log");
    let caller = rate::run_step_with(
        target,
        NUMBER,
        rate,
        plan.secs,
        dir,
        &scenario("bridge_uac.xml"),
        &[
            "-trace_logs".into(),
            "-log_file".into(),
            caller_log.display().to_string(),
        ],
    )?;
    let after = node_pid.map(procs::sample).transpose()?;
    let p1 = probe::pressure()?;
    // The callee ends by itself after its last call (-m); give it a moment, then stop it
    // (sipp writes its logs and statistics on the way out).
    callee_proc.wait_for(Duration::from_secs(5))?;
    drop(callee_proc);
    let callee_stat = std::fs::read_to_string(dir.join("callee-stat.csv")).unwrap_or_default();
    let (_, callee_ok, callee_failed) = rate::parse_stat(&callee_stat).unwrap_or((0, 0, 0));
    let times = Times::read(
        &std::fs::read_to_string(&caller_log).unwrap_or_default(),
        &std::fs::read_to_string(dir.join("callee.log")).unwrap_or_default(),
    );
    Ok(RateRow {
        offered: rate,
        achieved: times.answer_rate(),
        pdd_us: summary(times.pdd_us()),
        answer_us: summary(times.answer_us()),
        callee_ok,
        // Calls the callee never saw failed too (the node never dialled them).
        callee_failed: callee_failed.max(calls.saturating_sub(callee_ok)),
        caller,
        cpu_pct: before.zip(after).map(|(a, b)| cpu_percent(&a, &b, ticks)),
        rss_mib: after.map(|s| s.rss_kib as f64 / 1024.0),
        pressure_pct: Some(probe::pressure_percent(&p0, &p1)),
        node_errors: None,
        // Where `rate::run_step_with` keeps the caller's files.
        caller_error: first_error(
            &dir.join(format!("{}-{rate}", target.port()))
                .join("errors.log"),
        ),
    })
}

/// The first line of a sipp error log about an aborted call (or a timeout), else its
/// first line with a timestamp; at most 200 characters.
fn first_error(log: &Path) -> Option<String> {
    first_error_in(&std::fs::read_to_string(log).ok()?)
}

fn first_error_in(text: &str) -> Option<String> {
    // Events start with a date, a message dump may follow on the next lines, and sipp
    // sometimes writes several events on one line.
    let events = || text.lines().filter(|l| l.starts_with("20"));
    let why = ["Aborting", "timeout"];
    text.lines()
        .find_map(|l| why.iter().filter_map(|w| l.find(w)).min().map(|i| &l[i..]))
        .or_else(|| events().next())
        .map(|l| l.chars().take(200).collect())
}

fn summary(mut v: Vec<u64>) -> [Option<u64>; 3] {
    v.sort_unstable();
    [
        percentile(&v, 50.0),
        percentile(&v, 99.0),
        v.last().copied(),
    ]
}

/// The logged moments of one step, µs since the Unix epoch, per call key.
#[derive(Debug, Default)]
struct Times {
    invite: HashMap<String, u64>,
    answered: HashMap<String, u64>,
    reached: HashMap<String, u64>,
}

impl Times {
    /// Reads `<event> <s> <us> <key>` lines (sipp prints its variables as `123.000000`).
    fn read(caller: &str, callee: &str) -> Times {
        let mut t = Times::default();
        for line in caller.lines().chain(callee.lines()) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let &[event, s, us, key] = &f[..] else {
                continue;
            };
            let (Ok(s), Ok(us)) = (s.parse::<f64>(), us.parse::<f64>()) else {
                continue;
            };
            let at = s as u64 * 1_000_000 + us as u64;
            let map = match event {
                "caller-invite" => &mut t.invite,
                "caller-200" => &mut t.answered,
                "callee-invite" => &mut t.reached,
                _ => continue,
            };
            // The first time counts (a retransmission may log again).
            map.entry(key.to_string()).or_insert(at);
        }
        t
    }

    fn pdd_us(&self) -> Vec<u64> {
        self.since_invite(&self.reached)
    }

    fn answer_us(&self) -> Vec<u64> {
        self.since_invite(&self.answered)
    }

    fn since_invite(&self, later: &HashMap<String, u64>) -> Vec<u64> {
        later
            .iter()
            .filter_map(|(k, at)| Some(at.saturating_sub(*self.invite.get(k)?)))
            .collect()
    }

    /// 200s per second between the first and the last.
    fn answer_rate(&self) -> f64 {
        let (Some(first), Some(last)) =
            (self.answered.values().min(), self.answered.values().max())
        else {
            return 0.0;
        };
        if last <= first {
            return 0.0;
        }
        (self.answered.len() - 1) as f64 * 1e6 / (last - first) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_are_matched_by_the_callers_from_user() {
        let caller = "caller-invite 1796620993.000000 746024.000000 bench1n1\n\
                      caller-200 1796620993.000000 747408.000000 bench1n1\n\
                      caller-invite 1796620994.000000 000100.000000 bench1n2\n\
                      caller-200 1796620994.000000 2100.000000 bench1n2\n\
                      caller-invite 1796620995.000000 0.000000 bench1n3\n";
        let callee = "callee-invite 1796620993.000000 747270.000000 bench1n1\n\
                      callee-invite 1796620994.000000 1100.000000 bench1n2\n\
                      callee-invite 1796620994.000000 9999.000000 bench1n2\n\
                      something else\n";
        let t = Times::read(caller, callee);
        let mut pdd = t.pdd_us();
        pdd.sort_unstable();
        assert_eq!(pdd, vec![1000, 1246]);
        let mut answer = t.answer_us();
        answer.sort_unstable();
        assert_eq!(answer, vec![1384, 2000]);
        // Two 200s 254,692 µs apart.
        assert!((t.answer_rate() - 1e6 / 254_692.0).abs() < 1e-9);
    }

    #[test]
    fn the_first_error_is_why_a_call_failed() {
        let log = "The following events occurred:\n\
                   2026-12-07\t06:25:58.641146\t1796624758.641146: Dead call 3008 (successful), received 'BYE sip:x SIP/2.0\n\
                   Via: SIP/2.0/UDP 127.0.0.1\n\
                   '2026-12-07\t06:26:09.1\t1796624769.1: Aborting call on unexpected message for Call-Id '1'\n";
        assert_eq!(
            first_error_in(log).as_deref(),
            Some("Aborting call on unexpected message for Call-Id '1'")
        );
        let only = "2026-12-07\t06:25:58.6\t1796624758.6: Dead call 3008 (successful)\n";
        assert!(first_error_in(only).unwrap().contains("Dead call"));
        assert_eq!(first_error_in("The following events occurred:\n"), None);
    }

    #[test]
    fn scenarios_exist() {
        for s in ["bridge_uac.xml", "uas_dial.xml", "uas_bridge.xml"] {
            assert!(scenario(s).is_file(), "{s}");
        }
    }
}
