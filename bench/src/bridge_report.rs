//! The `bridge` benchmark's one table (median of the runs, spread in brackets), its
//! headline and its notes.

use crate::bridge::{Plan, Run};
use crate::bridge_echo::EchoKind;
use crate::bridge_media::MediaStep;
use crate::bridge_rate::RateRow;
use std::fmt::Write as _;

/// Median, min and max of `v` (`None` when empty).
fn spread(mut v: Vec<f64>) -> Option<(f64, f64, f64)> {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    Some((median, v[0], v[n - 1]))
}

/// `median (min–max)` with `decimals`, or just the median when the runs agree (or
/// there is one); `–` when there is nothing.
pub(crate) fn cell(v: Vec<f64>, decimals: usize) -> String {
    match spread(v) {
        None => "–".into(),
        Some((m, lo, hi)) => {
            let f = |x: f64| format!("{x:.decimals$}");
            if f(lo) == f(hi) {
                f(m)
            } else {
                format!("{} ({}–{})", f(m), f(lo), f(hi))
            }
        }
    }
}

pub(crate) fn ms(us: Option<impl Into<f64>>) -> Option<f64> {
    us.map(|v| v.into() / 1000.0)
}

/// `part` as a percentage of `whole` (0 when `whole` is).
pub(crate) fn percent(part: u64, whole: u64) -> f64 {
    if whole > 0 {
        100.0 * part as f64 / whole as f64
    } else {
        0.0
    }
}

/// The jitter p50 / p99 / max cell (ms) of the runs' `rows`, from their µs figures.
pub(crate) fn jitter_cell<T>(rows: &[&T], jitter_us: impl Fn(&T) -> [Option<u32>; 3]) -> String {
    let at = |i: usize| rows.iter().filter_map(|s| ms(jitter_us(s)[i])).collect();
    format!(
        "{} / {} / {}",
        cell(at(0), 2),
        cell(at(1), 2),
        cell(at(2), 1)
    )
}

fn ms_u64(us: Option<u64>) -> Option<f64> {
    us.map(|v| v as f64 / 1000.0)
}

/// A rate step's rows of every run, for one path.
fn rate_rows(runs: &[Run], offered: u32, reference: bool) -> Vec<&RateRow> {
    runs.iter()
        .flat_map(|r| if reference { &r.rate_ref } else { &r.rate_node })
        .filter(|r| r.offered == offered)
        .collect()
}

/// A media step's figures of every run, for one path.
fn media_rows(runs: &[Run], calls: usize, reference: bool) -> Vec<&MediaStep> {
    runs.iter()
        .flat_map(|r| &r.media)
        .filter(|(_, r)| r.calls == calls)
        .filter_map(|(n, r)| if reference { Some(r) } else { n.as_ref() })
        .collect()
}

fn bridged(r: &RateRow) -> u64 {
    r.caller.successful.min(r.callee_ok)
}

fn rate_row(t: &mut String, rows: &[&RateRow], secs: u32, path: &str, ratio: &str) {
    let Some(first) = rows.first() else {
        return;
    };
    let offered = u64::from(first.offered) * u64::from(secs);
    let ok: u64 = rows.iter().map(|r| bridged(r)).sum();
    let failed: u64 = rows
        .iter()
        .map(|r| offered.saturating_sub(bridged(r)))
        .sum();
    let delay = format!(
        "PDD {} / {}; 200 {} / {}",
        cell(rows.iter().filter_map(|r| ms_u64(r.pdd_us[0])).collect(), 2),
        cell(rows.iter().filter_map(|r| ms_u64(r.pdd_us[1])).collect(), 2),
        cell(
            rows.iter().filter_map(|r| ms_u64(r.answer_us[0])).collect(),
            2
        ),
        cell(
            rows.iter().filter_map(|r| ms_u64(r.answer_us[1])).collect(),
            2
        ),
    );
    let cpu: Vec<f64> = rows.iter().filter_map(|r| r.cpu_pct).collect();
    let per: Vec<f64> = rows
        .iter()
        .filter_map(|r| r.cpu_pct.map(|c| c / r.achieved.max(1e-9)))
        .collect();
    let cpu_cell = if cpu.is_empty() {
        "–".into()
    } else {
        format!("{} ({} per call/s)", cell(cpu, 0), cell(per, 3))
    };
    let _ = writeln!(
        t,
        "| a: {} calls/s | {path} | {} | {ok} / {failed} | {} calls/s | {delay} | – | – | {cpu_cell} | {} | – | {} | {ratio} |",
        first.offered,
        rows.len(),
        cell(rows.iter().map(|r| r.achieved).collect(), 0),
        cell(rows.iter().filter_map(|r| r.rss_mib).collect(), 0),
        cell(rows.iter().filter_map(|r| r.pressure_pct).collect(), 0),
    );
}

fn media_row(t: &mut String, rows: &[&MediaStep], path: &str, ratio: &str, node: bool) {
    let Some(first) = rows.first() else {
        return;
    };
    let up = rows.iter().map(|s| s.up).min().unwrap_or(0);
    let sent: u64 = rows.iter().map(|s| s.sent).sum();
    let lost: u64 = rows.iter().map(|s| s.sent.saturating_sub(s.received)).sum();
    let loss = format!("{lost} of {sent} ({:.3} %)", percent(lost, sent));
    let jitter = jitter_cell(rows, |s| s.jitter_us);
    let transit = format!(
        "RTT {} / {}",
        cell(rows.iter().filter_map(|s| ms(s.transit_us[0])).collect(), 2),
        cell(rows.iter().filter_map(|s| ms(s.transit_us[1])).collect(), 2),
    );
    let cpu = format!(
        "{} ({} per call)",
        cell(rows.iter().filter_map(|s| s.cpu_pct).collect(), 0),
        cell(
            rows.iter()
                .filter_map(|s| s.cpu_pct.map(|c| c / s.up.max(1) as f64))
                .collect(),
            3
        ),
    );
    let rss = if node {
        format!(
            "{} ({} KiB per call)",
            cell(rows.iter().filter_map(|s| s.rss_mib).collect(), 0),
            cell(rows.iter().filter_map(|s| s.rss_per_call_kib).collect(), 1),
        )
    } else {
        "–".into()
    };
    let others = format!(
        "{} / {}",
        cell(rows.iter().filter_map(|s| s.echo_cpu_pct).collect(), 0),
        cell(rows.iter().filter_map(|s| s.gen_cpu_pct).collect(), 0),
    );
    let pressure = cell(rows.iter().filter_map(|s| s.pressure_pct).collect(), 0);
    let drops = format!(
        "{} / {} / {} / {}",
        rows.iter().map(|s| s.drops_echo).sum::<u64>(),
        rows.iter().map(|s| s.drops_receiver).sum::<u64>(),
        rows.iter().map(|s| s.drops_path).sum::<u64>(),
        rows.iter().map(|s| s.drops_elsewhere).sum::<u64>(),
    );
    let _ = writeln!(
        t,
        "| b: {} calls | {path} | {} | {up} / {} up | {} packets/s | {transit} | {loss}; drops {drops} | {jitter} | {cpu} | {rss} | {others} | {pressure} | {ratio} |",
        first.calls,
        rows.len(),
        first.calls,
        cell(rows.iter().map(|s| s.relayed_per_s()).collect(), 0),
    );
}

/// Whether a media step met the target: every call up, nothing lost, jitter p99 under
/// the limit.
pub fn media_clean(s: &MediaStep, limit_ms: f64) -> bool {
    s.up == s.calls
        && s.sent > 0
        && s.received >= s.sent
        && s.jitter_us[1].is_some_and(|j| f64::from(j) / 1000.0 < limit_ms)
}

/// The one table, then the headline.
pub fn table(plan: &Plan, runs: &[Run]) -> String {
    let mut t = String::new();
    t.push_str(
        "| step | path | runs | calls ok / failed (a), up (b) | set up (a), relayed (b) | delay p50 / p99 ms | \
         lost of sent (b); kernel drops echo / receiver / path / elsewhere | added jitter p50 / p99 / max ms | \
         CPU % of one core | RSS MiB | echo / generator+receiver CPU % | CPU pressure % | node ÷ reference |\n\
         | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    let secs = plan.rate.secs;
    let mut offered: Vec<u32> = runs
        .iter()
        .flat_map(|r| r.rate_node.iter().map(|s| s.offered))
        .collect();
    offered.sort_unstable();
    offered.dedup();
    for &o in &offered {
        let node = rate_rows(runs, o, false);
        let refs = rate_rows(runs, o, true);
        let ratios: Vec<f64> = runs
            .iter()
            .filter_map(|r| {
                let n = r.rate_node.iter().find(|s| s.offered == o)?;
                let s = r.rate_ref.iter().find(|s| s.offered == o)?;
                (s.achieved > 0.0).then(|| n.achieved / s.achieved)
            })
            .collect();
        rate_row(
            &mut t,
            &node,
            secs,
            "node",
            &format!("rate {}", cell(ratios, 2)),
        );
        rate_row(&mut t, &refs, secs, "sipp→sipp", "");
    }
    let mut steps: Vec<usize> = runs
        .iter()
        .flat_map(|r| r.media.iter().map(|(_, r)| r.calls))
        .collect();
    steps.sort_unstable();
    steps.dedup();
    for &c in &steps {
        let node = media_rows(runs, c, false);
        let relay = media_rows(runs, c, true);
        let pairs: Vec<(&MediaStep, &MediaStep)> = runs
            .iter()
            .flat_map(|r| &r.media)
            .filter_map(|(n, r)| Some((n.as_ref()?, r)))
            .filter(|(n, _)| n.calls == c)
            .collect();
        let jitter_ratio = ratios(&pairs, |s| s.jitter_us[1].map(f64::from));
        let cpu_ratio = ratios(&pairs, |s| s.cpu_pct);
        let ratio = format!(
            "jitter p99 {}×, CPU {}×",
            cell(jitter_ratio, 1),
            cell(cpu_ratio, 1)
        );
        media_row(&mut t, &node, "node", &ratio, true);
        media_row(&mut t, &relay, "UDP relay", "", false);
    }
    t.push('\n');
    t.push_str(&headline(plan, runs, &offered, &steps));
    t.push_str(&anomalies(runs, plan.rate.secs));
    t
}

fn headline(plan: &Plan, runs: &[Run], offered: &[u32], steps: &[usize]) -> String {
    let mut t = String::new();
    let secs = plan.rate.secs;
    if !plan.skip_rate {
        // Every run must have reached the step and been clean there.
        let clean_in_all = |o: u32, reference: bool| {
            let rows = rate_rows(runs, o, reference);
            rows.len() == runs.len() && rows.iter().all(|r| r.clean(secs))
        };
        let best = offered
            .iter()
            .copied()
            .filter(|&o| clean_in_all(o, false))
            .max();
        let best_ref = offered
            .iter()
            .copied()
            .filter(|&o| clean_in_all(o, true))
            .max();
        match best {
            Some(b) => {
                let rows = rate_rows(runs, b, false);
                let _ = write!(
                    t,
                    "**(a) Bridged calls set up per second:** {b} calls/s offered with zero failed \
                     calls in every run (achieved {} calls/s); post-dial delay (caller's INVITE sent → \
                     callee's INVITE received) p99 {} ms, caller's INVITE → 200 p99 {} ms",
                    cell(rows.iter().map(|r| r.achieved).collect(), 0),
                    cell(rows.iter().filter_map(|r| ms_u64(r.pdd_us[1])).collect(), 2),
                    cell(rows.iter().filter_map(|r| ms_u64(r.answer_us[1])).collect(), 2),
                );
                match best_ref {
                    Some(r) => {
                        let _ = writeln!(
                            t,
                            "; sipp→sipp was clean in every run up to {r} calls/s (it is only run at the rates the node was).\n"
                        );
                    }
                    None => t.push_str(".\n\n"),
                }
            }
            None => t.push_str(
                "**(a) Bridged calls set up per second:** no rate was clean in every run.\n\n",
            ),
        }
    }
    if !plan.skip_media {
        let limit = plan.jitter_limit_ms;
        let clean_in_all = |c: usize, reference: bool| {
            let rows = media_rows(runs, c, reference);
            rows.len() == runs.len() && rows.iter().all(|s| media_clean(s, limit))
        };
        let best = steps
            .iter()
            .copied()
            .filter(|&c| clean_in_all(c, false))
            .max();
        let best_ref = steps
            .iter()
            .copied()
            .filter(|&c| clean_in_all(c, true))
            .max();
        match best {
            Some(b) => {
                let rows = media_rows(runs, b, false);
                let _ = writeln!(
                    t,
                    "**(b) Concurrent bridged calls:** {b} calls ({} packets/s relayed) with no loss and \
                     added jitter p99 {} ms (< {limit} ms) in every run; node CPU {} % of one core \
                     ({} % per call), RSS {} KiB per call.\n",
                    cell(rows.iter().map(|s| s.relayed_per_s()).collect(), 0),
                    cell(rows.iter().filter_map(|s| ms(s.jitter_us[1])).collect(), 2),
                    cell(rows.iter().filter_map(|s| s.cpu_pct).collect(), 0),
                    cell(
                        rows.iter()
                            .filter_map(|s| s.cpu_pct.map(|c| c / s.up.max(1) as f64))
                            .collect(),
                        3
                    ),
                    cell(rows.iter().filter_map(|s| s.rss_per_call_kib).collect(), 1),
                );
            }
            None => {
                let _ = writeln!(
                    t,
                    "**(b) Concurrent bridged calls:** no step was free of loss with added jitter p99 \
                     under {limit} ms in every run.\n"
                );
            }
        }
        let per_step: Vec<String> = steps
            .iter()
            .map(|&c| {
                let count = |reference| {
                    let rows = media_rows(runs, c, reference);
                    let clean = rows.iter().filter(|s| media_clean(s, limit)).count();
                    format!("{clean}/{}", rows.len())
                };
                format!("{c} calls: node {}, relay {}", count(false), count(true))
            })
            .collect();
        let _ = writeln!(
            t,
            "Runs clean (every call up, nothing lost, added jitter p99 < {limit} ms) of runs that \
             reached the step: {}.\n",
            per_step.join("; ")
        );
        // Loss alone, whatever the jitter: how far each path carries every packet.
        let lossless = |reference: bool| {
            steps
                .iter()
                .copied()
                .filter(|&c| {
                    let rows = media_rows(runs, c, reference);
                    rows.len() == runs.len()
                        && rows
                            .iter()
                            .all(|s| s.up == s.calls && s.sent > 0 && s.received >= s.sent)
                })
                .max()
                .map_or("none".to_string(), |c| format!("{c} calls"))
        };
        let _ = writeln!(
            t,
            "Largest step with every call up and nothing lost in every run, whatever the jitter: \
             node {}, relay {}.\n",
            lossless(false),
            lossless(true)
        );
        let _ = writeln!(
            t,
            "**(c) Reference relay:** {}; the node reached {}.\n",
            match best_ref {
                Some(r) =>
                    format!("clean (no loss, p99 < {limit} ms, every run) up to {r} call pairs"),
                None => "no step was clean in every run".into(),
            },
            match (best, best_ref) {
                (Some(b), Some(r)) => format!("{:.2} of it", b as f64 / r as f64),
                (None, Some(_)) => "none of it".into(),
                _ => "–".into(),
            }
        );
        let target = 2500;
        let met = best.is_some_and(|b| b >= target);
        let _ = writeln!(
            t,
            "Target (issue): ≥ {target} bridged calls (≥ 250,000 relayed packets/s) on this machine with \
             added jitter p99 < 2 ms and no loss: {}.",
            if met {
                "met".to_string()
            } else {
                format!(
                    "**missed** (largest clean step: {})",
                    best.map_or("none".into(), |b| format!("{b} calls"))
                )
            }
        );
    }
    t
}

fn anomalies(runs: &[Run], plan_secs: u32) -> String {
    let mut lines = Vec::new();
    for (i, r) in runs.iter().enumerate() {
        for n in r.media.iter().filter_map(|(n, _)| n.as_ref()) {
            if n.setup_failures.0 > 0
                || n.early_hangups > 0
                || n.bye_unanswered > 0
                || n.unstamped > 0
            {
                lines.push(format!(
                    "- run {}, {} calls: {} set-ups failed{}, {} ended by the node first, {} BYEs unanswered, {} packets without a kernel timestamp",
                    i + 1,
                    n.calls,
                    n.setup_failures.0,
                    n.setup_failures
                        .1
                        .as_ref()
                        .map_or(String::new(), |e| format!(" (first: {e})")),
                    n.early_hangups,
                    n.bye_unanswered,
                    n.unstamped
                ));
            }
        }
        for row in &r.rate_node {
            if row.clean(plan_secs) {
                continue;
            }
            if let Some(e) = row.first_error() {
                lines.push(format!(
                    "- run {}, {} calls/s: first sipp caller error: `{}`",
                    i + 1,
                    row.offered,
                    e.replace('`', "'")
                ));
            }
            if let Some((n, first)) = &row.node_errors {
                lines.push(format!(
                    "- run {}, {} calls/s: the node had written {n} WARN/ERROR lines, the first: `{}`",
                    i + 1,
                    row.offered,
                    first.replace('`', "'")
                ));
            }
        }
    }
    if lines.is_empty() {
        return String::new();
    }
    format!("\nAnomalies:\n\n{}\n", lines.join("\n"))
}

/// What the table's columns mean and how the run was set up.
pub fn notes(plan: &Plan) -> String {
    let echo = match plan.echo {
        EchoKind::Sipp => {
            "sipp's `-rtp_echo` (one thread, `recvfrom` then `sendto`, the kernel's default 208 KiB \
             receive buffer)"
        }
        EchoKind::Bench => {
            "the benchmark's echo thread (`recvmmsg`/`sendmmsg`, 32 MiB receive buffer) on the \
             port the sipp callee's SDP names"
        }
    };
    format!(
        "{runs} full runs; each cell is the median of the runs that reached the step, with the spread \
         (min–max) in brackets; call and packet counts are summed over the runs.\n\n\
         **(a) Set-up rate.** For {secs} s per step, sipp 3.6.1 calls the node \
         (`bench/sipp/bridge_uac.xml`: INVITE, 200, ACK, waits for BYE); the number's webhook (an axum \
         server in the benchmark) answers `<Dial answerOnBridge=\"true\"><Sip>sip:callee@…</Sip></Dial>`, \
         so the node places a second leg to a sipp callee (`bench/sipp/uas_dial.xml`: 200 at once, \
         holds the bridge {hold} ms, BYE) and answers the caller when the callee answers; the node \
         then hangs up the caller. PDD = post-dial delay, the callee's INVITE arrival minus the \
         caller's INVITE departure, both read with sipp's `gettimeofday` action and matched by the \
         caller's From user (which the node passes on to the leg); 200 = the caller's INVITE → 200. \
         ok = calls both the caller and the callee completed. A fresh node per run, one warm-up call; \
         the ramp stops after a step with a failed call. Reference: the same caller straight to the \
         same callee at the same rates. CPU per call/s = node CPU ÷ achieved rate. RSS = the \
         node's at the end of the step; one node serves the whole ramp, so it holds what earlier \
         steps left behind, e.g. its event replay log (by default up to 100,000 events per shard \
         for 900 s).\n\n\
         **(b) Concurrent calls.** Calls set up at {setup}/s by the benchmark's Rust caller (one \
         signalling socket, RFC 3261 retransmissions), same webhook, to a sipp callee \
         (`bench/sipp/uas_bridge.xml`, answers and waits for BYE) whose RTP is returned by {echo}. \
         Once a call is up, one generator thread sends it a 20 ms PCMU packet every 20 ms \
         (`sendmmsg` from one of {shards} shared sockets, phases spread over 0.5 ms slots); the \
         payload carries the stream, the packet's index and the realtime clock read before the \
         `sendmmsg`. The node relays it to the callee leg, the echo returns it, the node relays it \
         back: each call crosses the node at 50 packets/s per direction. One receiver thread reads \
         the shared sockets with `recvmmsg` and kernel receive timestamps (`SO_TIMESTAMPNS`). \
         {settle} s after the last call is up, packets sent during {window} s are counted: lost = sent \
         − came back within 1 s after the window; added jitter = |(Rj − Ri) − (Sj − Si)| for \
         consecutive packets i, j of a call that came back (R kernel receive time, S send time), the \
         change in round-trip time, so the generator's own lateness is left out; RTT = R − S (two \
         passes through the node, one through the echo). Relayed = 2 × packets sent ÷ window. CPU \
         and RSS from /proc over the window (RSS per call: growth over the idle node); kernel drops \
         from `/proc/net/udp` (the echo's socket / the receiver's sockets / the path's sockets, \
         the node's RTP range or the relay's / any other socket on the box, not ours); CPU pressure = share of the window during which some \
         runnable task waited for a core (`/proc/pressure/cpu`, `some`), whoever's task it was, \
         this benchmark's or other work on the shared machine. A fresh node and callee per step. The node is not run past a step \
         where a call did not come up, it lost over {break_loss} % or its jitter p99 passed \
         {break_jitter} ms; the relay goes on alone until it breaks the same way.\n\n\
         **(c) Reference.** In the same step, right after the node, the same generator, receiver \
         and echo with the node replaced by a minimal relay in the benchmark: two sockets per call \
         like the node's two legs, std sockets watched by one level-triggered epoll (nix) per worker \
         thread ({workers} workers), one `recvfrom` and one `sendto` per packet, no parsing. \
         `recvmmsg`/`sendmmsg` would batch only within one socket, and a call's socket holds one \
         packet per wake-up. node ÷ reference: (a) the node's achieved rate ÷ sipp→sipp's, (b) the \
         node's jitter p99 and CPU ÷ the relay's in the same run, median of the runs.\n",
        runs = plan.runs,
        secs = plan.rate.secs,
        hold = plan.rate.hold_ms,
        setup = plan.setup_rate,
        shards = crate::bridge_gen::SHARDS,
        settle = plan.settle.as_secs_f64(),
        window = plan.window.as_secs_f64(),
        break_loss = plan.break_loss_pct,
        break_jitter = plan.break_jitter_ms,
        workers = plan.relay_workers,
    )
}

/// Each pair's `a ÷ b` of a figure both sides measured; pairs where either side lacks it,
/// or `b` is 0, are left out.
pub fn ratios<T>(pairs: &[(&T, &T)], figure: impl Fn(&T) -> Option<f64>) -> Vec<f64> {
    pairs
        .iter()
        .filter_map(|(a, b)| {
            let (a, b) = (figure(a)?, figure(b)?);
            (b > 0.0).then(|| a / b)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_give_the_median_and_the_spread() {
        assert_eq!(cell(vec![3.0, 1.0, 2.0], 1), "2.0 (1.0–3.0)");
        assert_eq!(cell(vec![4.0, 1.0, 2.0, 3.0], 1), "2.5 (1.0–4.0)");
        assert_eq!(cell(vec![2.0, 2.0], 0), "2");
        assert_eq!(cell(vec![], 0), "–");
    }

    #[test]
    fn a_clean_step_lost_nothing_and_kept_jitter_under_the_limit() {
        let mut s = MediaStep {
            calls: 10,
            up: 10,
            sent: 100,
            received: 100,
            jitter_us: [Some(100), Some(1900), Some(9000)],
            ..MediaStep::default()
        };
        assert!(media_clean(&s, 2.0));
        s.jitter_us[1] = Some(2000);
        assert!(!media_clean(&s, 2.0));
        s.jitter_us[1] = Some(100);
        s.received = 99;
        assert!(!media_clean(&s, 2.0));
    }
}
