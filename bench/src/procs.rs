//! Child processes that cannot outlive the benchmark, and what `/proc` says about them.

use anyhow::{Context, Result};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A spawned process that is stopped (SIGTERM, then SIGKILL after 2 s) and reaped when
/// dropped, so an early error never leaves a node or a sipp running.
#[derive(Debug)]
pub struct Guarded {
    child: Child,
    name: String,
}

impl Guarded {
    /// Spawns `command`; `name` is only for messages.
    pub fn spawn(mut command: Command, name: &str) -> Result<Guarded> {
        let child = command
            .spawn()
            .with_context(|| format!("spawning {name}: {command:?}"))?;
        Ok(Guarded {
            child,
            name: name.to_string(),
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The child's stdin and stdout, when they were piped (once).
    pub fn take_pipes(&mut self) -> Option<(std::process::ChildStdin, std::process::ChildStdout)> {
        Some((self.child.stdin.take()?, self.child.stdout.take()?))
    }

    /// Whether the process has exited.
    pub fn exited(&mut self) -> Result<bool> {
        Ok(self
            .child
            .try_wait()
            .with_context(|| format!("polling {}", self.name))?
            .is_some())
    }

    /// Waits at most `timeout` for the process to end by itself; true if it did.
    pub fn wait_for(&mut self, timeout: Duration) -> Result<bool> {
        let deadline = Instant::now() + timeout;
        loop {
            if self.exited()? {
                return Ok(true);
            }
            if Instant::now() >= deadline {
                return Ok(false);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // SIGTERM through kill(1) because the workspace forbids `unsafe` and std only
            // sends SIGKILL; a terminated sipp still writes its statistics files.
            let _ = Command::new("kill")
                .args(["-s", "TERM", &self.pid().to_string()])
                .status();
            if let Ok(true) = self.wait_for(Duration::from_secs(2)) {
                return;
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        self.stop();
    }
}

/// CPU time and resident memory of one process at one instant.
#[derive(Debug, Clone, Copy)]
pub struct ProcSample {
    /// When it was read.
    pub at: Instant,
    /// utime + stime, in clock ticks.
    pub cpu_ticks: u64,
    /// VmRSS in KiB.
    pub rss_kib: u64,
}

/// Reads `/proc/<pid>/stat` (fields 14 and 15, utime and stime) and `/proc/<pid>/status`
/// (VmRSS).
pub fn sample(pid: u32) -> Result<ProcSample> {
    let at = Instant::now();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let cpu_ticks = parse_stat_cpu(&stat).context("malformed /proc/pid/stat")?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let rss_kib = parse_vm_rss(&status).context("no VmRSS in /proc/pid/status")?;
    Ok(ProcSample {
        at,
        cpu_ticks,
        rss_kib,
    })
}

/// utime + stime of a `/proc/<pid>/stat` line. The command name (field 2) may contain
/// spaces and parentheses, so fields are counted from the last `)`.
pub fn parse_stat_cpu(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // After ")" come field 3 (state) onwards; utime is field 14, stime 15.
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

fn parse_vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 when that fails, the Linux default).
pub fn clock_ticks() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

/// CPU use between two samples, in percent of one core.
pub fn cpu_percent(a: &ProcSample, b: &ProcSample, ticks_per_s: u64) -> f64 {
    let secs = b.at.duration_since(a.at).as_secs_f64();
    if secs <= 0.0 {
        return 0.0;
    }
    let used = b.cpu_ticks.saturating_sub(a.cpu_ticks) as f64 / ticks_per_s as f64;
    100.0 * used / secs
}

/// Sum of utime + stime of this process's threads whose name starts with `prefix`
/// (from `/proc/self/task/*/stat`), so the in-process reference pacer's CPU can be told
/// apart from the receiver's.
pub fn threads_cpu_ticks(prefix: &str) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir("/proc/self/task")? {
        let dir = entry?.path();
        let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if comm.trim_end().starts_with(prefix) {
            let stat = std::fs::read_to_string(dir.join("stat")).unwrap_or_default();
            total += parse_stat_cpu(&stat).unwrap_or(0);
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_name() {
        let line = "42 (a) b (c) S 1 2 3 4 5 6 7 8 9 10 111 222 13 14 15";
        assert_eq!(parse_stat_cpu(line), Some(333));
    }

    #[test]
    fn vm_rss_is_read_in_kib() {
        let status = "Name:\tx\nVmPeak:\t  10 kB\nVmRSS:\t    2048 kB\n";
        assert_eq!(parse_vm_rss(status), Some(2048));
    }

    #[test]
    fn own_process_can_be_sampled() {
        let s = sample(std::process::id()).unwrap();
        assert!(s.rss_kib > 0);
    }
}

/// Instructions retired by a process's threads (user and kernel), counted by
/// `perf stat -e instructions -p PID` between [`Instructions::start`] and
/// [`Instructions::stop`]. Unlike CPU time, the count hardly depends on what else the
/// machine runs, so it shows small differences in work per call that time hides.
pub struct Instructions {
    perf: Guarded,
    out: std::path::PathBuf,
}

impl Instructions {
    /// Starts counting for `pid`; `None` when `perf` is missing.
    pub fn start(pid: u32, out: &std::path::Path) -> Option<Instructions> {
        let mut cmd = Command::new("perf");
        cmd.args(["stat", "-x", ",", "-e", "instructions", "-o"])
            .arg(out)
            .args(["-p", &pid.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let perf = Guarded::spawn(cmd, "perf stat").ok()?;
        // perf attaches to the threads within a few milliseconds.
        std::thread::sleep(Duration::from_millis(200));
        Some(Instructions {
            perf,
            out: out.to_path_buf(),
        })
    }

    /// Stops counting (SIGINT makes perf write its count); `None` when the counter is not
    /// supported on this machine.
    pub fn stop(mut self) -> Option<u64> {
        let _ = Command::new("kill")
            .args(["-s", "INT", &self.perf.pid().to_string()])
            .status();
        self.perf.wait_for(Duration::from_secs(5)).ok()?;
        parse_perf_count(&std::fs::read_to_string(&self.out).ok()?)
    }
}

/// The count of `perf stat -x ,` output (`1234,,instructions,…`); `None` for
/// `<not supported>` or `<not counted>`.
fn parse_perf_count(text: &str) -> Option<u64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let mut fields = l.split(',');
        let count = fields.next()?;
        let event = fields.nth(1)?;
        event
            .starts_with("instructions")
            .then(|| count.parse().ok())?
    })
}

#[cfg(test)]
mod perf_tests {
    use super::parse_perf_count;

    #[test]
    fn perf_csv_counts_are_read_and_unsupported_ones_are_not() {
        let ok =
            "# started on Tue Dec  8 00:40:00 2026\n\n8123456789,,instructions,10000,100.00,,\n";
        assert_eq!(parse_perf_count(ok), Some(8_123_456_789));
        let user = "55,,instructions:u,10,100.00,,\n";
        assert_eq!(parse_perf_count(user), Some(55));
        let unsupported = "<not supported>,,instructions,0,100.00,,\n";
        assert_eq!(parse_perf_count(unsupported), None);
        assert_eq!(parse_perf_count("12,,cycles,1,100.00,,\n"), None);
    }
}
