//! What `/proc` says about the whole box during a `bridge` step: how long runnable
//! tasks waited for a core, where the kernel dropped datagrams, and which of a
//! process's threads used its CPU.

use crate::procs::parse_stat_cpu;
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::time::Instant;

/// The kernel's CPU pressure stall information (`/proc/pressure/cpu`, `some` line): the
/// total time, µs, during which at least one runnable task waited for a core, at one
/// instant.
#[derive(Debug, Clone, Copy)]
pub struct Pressure {
    at: Instant,
    some_us: u64,
}

/// Reads `/proc/pressure/cpu`.
pub fn pressure() -> Result<Pressure> {
    let at = Instant::now();
    let text = std::fs::read_to_string("/proc/pressure/cpu")?;
    let some_us = parse_pressure(&text).context("malformed /proc/pressure/cpu")?;
    Ok(Pressure { at, some_us })
}

fn parse_pressure(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("some "))?;
    line.split_whitespace()
        .find_map(|f| f.strip_prefix("total="))?
        .parse()
        .ok()
}

/// Share of the time between two readings during which some task waited for a core, %.
pub fn pressure_percent(a: &Pressure, b: &Pressure) -> f64 {
    let us = b.at.duration_since(a.at).as_micros() as f64;
    if us <= 0.0 {
        return 0.0;
    }
    100.0 * b.some_us.saturating_sub(a.some_us) as f64 / us
}

/// Datagrams the kernel dropped so far on each bound local UDP port (`/proc/net/udp`,
/// last column), summed per port.
pub fn udp_drops() -> BTreeMap<u16, u64> {
    let text = std::fs::read_to_string("/proc/net/udp").unwrap_or_default();
    parse_udp_drops(&text)
}

fn parse_udp_drops(text: &str) -> BTreeMap<u16, u64> {
    let mut out = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (Some(local), Some(drops)) = (f.get(1), f.last()) else {
            continue;
        };
        let Some(port) = local
            .rsplit_once(':')
            .and_then(|(_, p)| u16::from_str_radix(p, 16).ok())
        else {
            continue;
        };
        if let Ok(d) = drops.parse::<u64>() {
            *out.entry(port).or_insert(0) += d;
        }
    }
    out
}

/// Drops between two readings, summed over the ports `which` selects.
pub fn drops_between(
    before: &BTreeMap<u16, u64>,
    after: &BTreeMap<u16, u64>,
    which: impl Fn(u16) -> bool,
) -> u64 {
    after
        .iter()
        .filter(|(p, _)| which(**p))
        .map(|(p, d)| d.saturating_sub(before.get(p).copied().unwrap_or(0)))
        .sum()
}

/// CPU ticks (utime + stime) of each thread name of process `pid`, threads of the same
/// name summed.
pub fn threads_of(pid: u32) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for entry in dir.flatten() {
        let path = entry.path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        let stat = std::fs::read_to_string(path.join("stat")).unwrap_or_default();
        if let Some(t) = parse_stat_cpu(&stat) {
            // Worker threads are often numbered (`media-3`): group by the name's stem.
            let stem = comm
                .trim_end()
                .trim_end_matches(|c: char| c.is_ascii_digit() || c == '-' || c == '_');
            *out.entry(stem.to_string()).or_insert(0) += t;
        }
    }
    out
}

/// `name: percent` of the threads' CPU between two readings over `secs`, busiest first.
pub fn threads_summary(
    before: &BTreeMap<String, u64>,
    after: &BTreeMap<String, u64>,
    ticks: u64,
    secs: f64,
) -> String {
    let mut used: Vec<(String, f64)> = after
        .iter()
        .map(|(n, t)| {
            let d = t.saturating_sub(before.get(n).copied().unwrap_or(0));
            (n.clone(), 100.0 * d as f64 / ticks as f64 / secs.max(1e-9))
        })
        .filter(|(_, p)| *p >= 0.5)
        .collect();
    used.sort_by(|a, b| b.1.total_cmp(&a.1));
    used.iter()
        .map(|(n, p)| format!("{n} {p:.0} %"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pressure_reads_the_some_total() {
        let text = "some avg10=3.73 avg60=15.14 avg300=31.53 total=1092681356\n\
                    full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
        assert_eq!(parse_pressure(text), Some(1_092_681_356));
    }

    #[test]
    fn udp_drops_are_summed_per_local_port() {
        let text = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n\
             1: 0100007F:4E20 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0000000000000000 5\n\
             2: 0100007F:4E20 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0000000000000000 1\n\
             3: 0100007F:1770 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0000000000000000 0\n";
        let d = parse_udp_drops(text);
        assert_eq!(d.get(&20000), Some(&6));
        assert_eq!(d.get(&6000), Some(&0));
        let mut later = d.clone();
        later.insert(20000, 9);
        assert_eq!(drops_between(&d, &later, |p| p >= 20000), 3);
    }

    #[test]
    fn own_threads_are_grouped_by_name() {
        let t = threads_of(std::process::id());
        assert!(!t.is_empty());
    }
}
