//! Call rate: sipp callers at rising rates, against the node and against a sipp callee.

use crate::node::free_port;
use crate::procs::Guarded;
use crate::stats::percentile;
use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// One sipp run at one offered rate.
#[derive(Debug, Clone)]
pub struct RateStep {
    /// Offered calls per second (`-r`).
    pub offered: u32,
    /// Calls whose 200 arrived, per second, between the first and the last 200.
    pub achieved: f64,
    /// Calls sipp created.
    pub created: u64,
    /// Calls that ended successfully (200 received, BYE answered).
    pub successful: u64,
    /// Calls that failed or never ended.
    pub failed: u64,
    /// INVITE→200 (ms, sipp's resolution): p50 and p99.
    pub p50_ms: Option<u32>,
    /// See `p50_ms`.
    pub p99_ms: Option<u32>,
    /// Calls refused with 503 (RTD 2 of `tests/sipp/uac_shed.xml`; they end
    /// successfully in sipp's count).
    pub refused: u64,
    /// INVITE→503 (ms): p99 and the slowest.
    pub refuse_p99_ms: Option<u32>,
    /// See `refuse_p99_ms`.
    pub refuse_max_ms: Option<u32>,
    /// The first lines of sipp's error log (evidence when calls fail).
    pub errors: Vec<String>,
}

/// The scenario files: the caller from `tests/sipp/` and the reference callee from
/// `bench/sipp/`.
pub fn scenario(name: &str) -> PathBuf {
    let bench = Path::new(env!("CARGO_MANIFEST_DIR"));
    if name.starts_with("uac") {
        bench.join("../tests/sipp").join(name)
    } else {
        bench.join("sipp").join(name)
    }
}

/// A sipp callee running `bench/sipp/uas_bye.xml` on 127.0.0.1.
#[derive(Debug)]
pub struct ReferenceCallee {
    _child: Guarded,
    addr: SocketAddr,
}

impl ReferenceCallee {
    /// Starts the callee; it lives until dropped (or `lifetime` passes).
    pub fn start(lifetime: Duration) -> Result<ReferenceCallee> {
        let port = free_port()?;
        let mut cmd = Command::new("sipp");
        cmd.arg("-sf")
            .arg(scenario("uas_bye.xml"))
            .args(["-i", "127.0.0.1", "-p", &port.to_string()])
            .args(["-mp", &free_port()?.to_string(), "-nostdin"])
            .args(["-timeout", &format!("{}s", lifetime.as_secs().max(1))])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = Guarded::spawn(cmd, "sipp uas")?;
        // sipp binds within milliseconds; a caller started earlier would lose its first
        // INVITEs to an ICMP port-unreachable.
        std::thread::sleep(Duration::from_millis(500));
        Ok(ReferenceCallee {
            _child: child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        })
    }

    /// Where to send the INVITEs.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// Runs `tests/sipp/uac_bench.xml` at `rate` calls/s for `seconds` against `target`,
/// dialling `number`, with its files in `work`.
pub fn run_step(
    target: SocketAddr,
    number: &str,
    rate: u32,
    seconds: u32,
    work: &Path,
) -> Result<RateStep> {
    run_step_with(
        target,
        number,
        rate,
        seconds,
        work,
        &scenario("uac_bench.xml"),
        &[],
    )
}

/// [`run_step`] with another caller scenario and `extra` sipp arguments (before the
/// target).
pub fn run_step_with(
    target: SocketAddr,
    number: &str,
    rate: u32,
    seconds: u32,
    work: &Path,
    uac: &Path,
    extra: &[String],
) -> Result<RateStep> {
    let dir = work.join(format!("{}-{rate}", target.port()));
    std::fs::create_dir_all(&dir)?;
    let calls = u64::from(rate) * u64::from(seconds);
    // Every call ends by itself within ~2 s (Say + BYE); the margin covers a node that
    // falls behind, and sipp's recv timeouts (30 s) fail any call stuck longer.
    let limit = u64::from(seconds) + 45;
    let mut cmd = Command::new("sipp");
    cmd.current_dir(&dir)
        .arg("-sf")
        .arg(uac)
        .args(["-s", number, "-i", "127.0.0.1"])
        .args(["-p", &free_port()?.to_string()])
        .args(["-mp", &free_port()?.to_string()])
        .args(["-r", &rate.to_string(), "-m", &calls.to_string()])
        // Calls last about a second; allow ten seconds' worth open at once.
        .args(["-l", &(u64::from(rate) * 10).max(100).to_string()])
        .args(["-nostdin", "-trace_rtt", "-rtt_freq", "100"])
        .args(["-trace_stat", "-fd", "1", "-stf", "stat.csv"])
        .args(["-trace_err", "-error_file", "errors.log"])
        .args(["-timeout", &format!("{limit}s"), "-timeout_error"])
        .args(extra)
        .arg(target.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("stderr.txt"))?);
    let mut child = Guarded::spawn(cmd, "sipp uac")?;
    child.wait_for(Duration::from_secs(limit + 5))?;
    drop(child);
    summarize(rate, &dir)
}

fn summarize(offered: u32, dir: &Path) -> Result<RateStep> {
    let stat = std::fs::read_to_string(dir.join("stat.csv")).context("sipp wrote no stat.csv")?;
    let (created, successful, failed_counted) = parse_stat(&stat).context("bad stat.csv")?;
    let rtt_file = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().ends_with("_rtt.csv"));
    let rtt = match rtt_file {
        Some(p) => std::fs::read_to_string(p)?,
        None => String::new(),
    };
    let (mut times, answered_at) = parse_rtt(&rtt, "1");
    times.sort_unstable();
    let (mut refusals, _) = parse_rtt(&rtt, "2");
    refusals.sort_unstable();
    let errors = std::fs::read_to_string(dir.join("errors.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(6)
        .map(|s| s.chars().take(200).collect())
        .collect();
    Ok(RateStep {
        offered,
        achieved: rate_of(&answered_at),
        created,
        successful,
        // Calls still open when sipp stopped never finished: count them as failed.
        failed: failed_counted.max(created.saturating_sub(successful)),
        p50_ms: percentile(&times, 50.0),
        p99_ms: percentile(&times, 99.0),
        refused: refusals.len() as u64,
        refuse_p99_ms: percentile(&refusals, 99.0),
        refuse_max_ms: refusals.last().copied(),
        errors,
    })
}

/// TotalCallCreated, SuccessfulCall(C), FailedCall(C) from the last line of sipp's
/// `-trace_stat` CSV (`;`-separated, named by its header line).
pub fn parse_stat(csv: &str) -> Option<(u64, u64, u64)> {
    let mut lines = csv.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next()?.split(';').collect();
    let last: Vec<&str> = lines.next_back()?.split(';').collect();
    let field = |name: &str| -> Option<u64> {
        let i = header.iter().position(|h| *h == name)?;
        last.get(i)?.trim().parse().ok()
    };
    Some((
        field("TotalCallCreated")?,
        field("SuccessfulCall(C)")?,
        field("FailedCall(C)")?,
    ))
}

/// Response times (ms) of RTD `rtd` and the times they were measured (ms since sipp
/// started) from a `-trace_rtt` CSV: `Date_ms;response_time_ms;rtd_no`.
fn parse_rtt(csv: &str, rtd: &str) -> (Vec<u32>, Vec<f64>) {
    let mut times = Vec::new();
    let mut at = Vec::new();
    for line in csv.lines().skip(1) {
        let mut f = line.split(';');
        let (Some(date), Some(rt), Some(no)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        if no.trim() != rtd {
            continue;
        }
        if let (Ok(date), Ok(rt)) = (date.trim().parse::<f64>(), rt.trim().parse::<f64>()) {
            at.push(date);
            times.push(rt.round() as u32);
        }
    }
    (times, at)
}

/// Events per second between the first and the last of `at_ms`.
fn rate_of(at_ms: &[f64]) -> f64 {
    let (Some(first), Some(last)) = (
        at_ms.iter().copied().reduce(f64::min),
        at_ms.iter().copied().reduce(f64::max),
    ) else {
        return 0.0;
    };
    if last <= first {
        return 0.0;
    }
    (at_ms.len() - 1) as f64 * 1000.0 / (last - first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_csv_last_line_is_read_by_column_name() {
        let csv = "StartTime;TotalCallCreated;SuccessfulCall(P);SuccessfulCall(C);FailedCall(C);\n\
                   x;10;1;5;0;\n\
                   y;400;3;397;2;\n";
        assert_eq!(parse_stat(csv), Some((400, 397, 2)));
    }

    #[test]
    fn rtt_csv_gives_times_and_rate() {
        let csv = "Date_ms;response_time_ms;rtd_no\n0.000;3;1\n500.0;7;1\n600.0;9;2\n1000.0;1;1\n";
        let (t, at) = parse_rtt(csv, "1");
        assert_eq!(t, vec![3, 7, 1]);
        assert!((rate_of(&at) - 2.0).abs() < 1e-9);
        assert_eq!(parse_rtt(csv, "2").0, vec![9]);
    }

    #[test]
    fn scenarios_exist() {
        assert!(scenario("uac_bench.xml").is_file());
        assert!(scenario("uas_bye.xml").is_file());
    }
}
