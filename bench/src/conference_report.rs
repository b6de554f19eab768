//! The `conference` benchmark's one table (median of the runs, spread in brackets),
//! its headline and its notes.

use crate::bridge_report::{cell, jitter_cell, ms, percent, ratios};
use crate::conference::{Plan, Run, Step};
use std::fmt::Write as _;

/// A step's figures of every run, in rooms of `plan.room_size` (`mixed`) or of 2.
fn rows(runs: &[Run], legs: usize, mixed: bool) -> Vec<&Step> {
    runs.iter()
        .flatten()
        .filter_map(|(m, p)| if mixed { m.as_ref() } else { p.as_ref() })
        .filter(|s| s.legs == legs)
        .collect()
}

/// Whether a step met the target: every leg up and heard right, nothing lost, jitter
/// p99 under the limit.
pub fn clean(s: &Step, limit_ms: f64) -> bool {
    s.up == s.legs
        && s.content_ok()
        && s.expected > 0
        && s.received >= s.expected
        && s.jitter_us[1].is_some_and(|j| f64::from(j) / 1000.0 < limit_ms)
}

fn row(t: &mut String, rows: &[&Step], path: &str, ratio: &str) {
    let Some(first) = rows.first() else {
        return;
    };
    let up = rows.iter().map(|s| s.up).min().unwrap_or(0);
    let expected: u64 = rows.iter().map(|s| s.expected).sum();
    let received: u64 = rows.iter().map(|s| s.received).sum();
    let lost = expected.saturating_sub(received);
    let loss = format!("{received} / {expected} ({:.3} %)", percent(lost, expected));
    let jitter = jitter_cell(rows, |s| s.jitter_us);
    let cpu = cell(rows.iter().filter_map(|s| s.cpu_pct).collect(), 0);
    let per_leg = cell(
        rows.iter()
            .filter_map(|s| s.cpu_pct.map(|c| c / s.up.max(1) as f64))
            .collect(),
        3,
    );
    let rss = format!(
        "{} ({})",
        cell(rows.iter().filter_map(|s| s.rss_mib).collect(), 0),
        cell(rows.iter().filter_map(|s| s.rss_per_leg_kib).collect(), 1),
    );
    let checked: usize = rows.iter().map(|s| s.checked).sum();
    let ok: usize = rows.iter().map(|s| s.heard_ok).sum();
    let heard = if checked > 0 && ok == checked {
        format!("{ok} / {checked}")
    } else {
        format!("**FAILED** {ok} / {checked}")
    };
    let _ = writeln!(
        t,
        "| {} | {path} | {} | {up} / {} | {loss} | {jitter} | {cpu} | {per_leg} | {rss} | {} | {} | {heard} | {ratio} |",
        first.legs,
        rows.len(),
        first.legs,
        cell(rows.iter().filter_map(|s| s.pressure_pct).collect(), 0),
        cell(rows.iter().filter_map(|s| s.gen_cpu_pct).collect(), 0),
    );
}

/// The one table, then the headline and anything odd.
pub fn table(plan: &Plan, runs: &[Run]) -> String {
    let mut t = String::new();
    t.push_str(
        "| legs | rooms | runs | up | packets from the node: received / expected (lost %) | \
         jitter p50 / p99 / max ms | node CPU % of one core | CPU % per leg | node RSS MiB (KiB per leg) | \
         CPU pressure % | generator+receiver CPU % | legs heard right / checked | rooms of {size} ÷ rooms of 2 |\n\
         | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
            .replace("{size}", &plan.room_size.to_string())
            .as_str(),
    );
    let mut steps: Vec<usize> = runs
        .iter()
        .flatten()
        .flat_map(|(m, p)| m.iter().chain(p.iter()).map(|s| s.legs).collect::<Vec<_>>())
        .collect();
    steps.sort_unstable();
    steps.dedup();
    for &legs in &steps {
        let pairs: Vec<(&Step, &Step)> = runs
            .iter()
            .flatten()
            .filter_map(|(m, p)| Some((m.as_ref()?, p.as_ref()?)))
            .filter(|(m, _)| m.legs == legs)
            .collect();
        let jitter = ratios(&pairs, |s| s.jitter_us[1].map(f64::from));
        let cpu = ratios(&pairs, |s| s.cpu_pct);
        let ratio = format!("CPU {}×, jitter p99 {}×", cell(cpu, 2), cell(jitter, 2));
        row(
            &mut t,
            &rows(runs, legs, true),
            &format!("{} × {}", legs.div_ceil(plan.room_size), plan.room_size),
            &ratio,
        );
        row(
            &mut t,
            &rows(runs, legs, false),
            &format!("{} × 2 (reference)", legs.div_ceil(2)),
            "",
        );
    }
    t.push('\n');
    t.push_str(&headline(plan, runs, &steps));
    t.push_str(&anomalies(runs));
    t
}

fn headline(plan: &Plan, runs: &[Run], steps: &[usize]) -> String {
    let limit = plan.jitter_limit_ms;
    let clean_in_all = |legs: usize| {
        let r = rows(runs, legs, true);
        r.len() == runs.len() && r.iter().all(|s| clean(s, limit))
    };
    let best = steps.iter().copied().filter(|&l| clean_in_all(l)).max();
    let target = 1500;
    let mut t = String::new();
    match best {
        Some(b) => {
            let r = rows(runs, b, true);
            let _ = write!(
                t,
                "**Headline:** {b} concurrent conference legs in rooms of {size}, all talking, with \
                 every leg up, no packet lost, every checked leg hearing the others and not itself, \
                 and jitter p99 {} ms (< {limit} ms) in every run; node CPU {} % of one core, {} % \
                 per leg.",
                cell(r.iter().filter_map(|s| ms(s.jitter_us[1])).collect(), 2),
                cell(r.iter().filter_map(|s| s.cpu_pct).collect(), 0),
                cell(
                    r.iter()
                        .filter_map(|s| s.cpu_pct.map(|c| c / s.up.max(1) as f64))
                        .collect(),
                    3
                ),
                size = plan.room_size,
            );
        }
        None => {
            let _ = write!(
                t,
                "**Headline:** no step was clean in every run (every leg up and heard right, no \
                 loss, jitter p99 < {limit} ms)."
            );
        }
    }
    let _ = writeln!(
        t,
        " Target (≥ {target} legs, jitter p99 < {limit} ms): {}.",
        if best.is_some_and(|b| b >= target) {
            "met".to_string()
        } else if steps.iter().all(|&s| s < target) {
            format!(
                "not measured (largest step {} legs)",
                steps.last().copied().unwrap_or(0)
            )
        } else {
            "**missed**".to_string()
        }
    );
    t
}

fn anomalies(runs: &[Run]) -> String {
    let mut lines = Vec::new();
    for (i, r) in runs.iter().enumerate() {
        for s in r.iter().flat_map(|(m, p)| m.iter().chain(p.iter())) {
            if s.setup_failures.0 > 0
                || s.early_hangups > 0
                || s.bye_unanswered > 0
                || s.unstamped > 0
                || s.silent_legs > 0
                || s.warnings > 0
                || s.first_bad.is_some()
            {
                lines.push(format!(
                    "- run {}, {} legs in rooms of {}: {} set-ups failed{}, {} legs silent in the window, \
                     {} ended by the node first, {} BYEs unanswered, {} packets without a kernel timestamp, \
                     {} node WARN/ERROR lines{}",
                    i + 1,
                    s.legs,
                    s.room_size,
                    s.setup_failures.0,
                    s.setup_failures
                        .1
                        .as_ref()
                        .map_or(String::new(), |e| format!(" (first: {e})")),
                    s.silent_legs,
                    s.early_hangups,
                    s.bye_unanswered,
                    s.unstamped,
                    s.warnings,
                    s.first_bad
                        .as_ref()
                        .map_or(String::new(), |b| format!("; first wrong audio: {b}")),
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
    format!(
        "{runs} full runs; each cell is the median of the runs that reached the step, with the \
         spread (min–max) in brackets; packet and leg counts are summed over the runs.\n\n\
         **Setup.** Calls set up at {setup}/s by the benchmark's Rust caller (one signalling \
         socket, RFC 3261 retransmissions) to one number; its webhook (an axum server in the \
         benchmark) reads the room from the caller's From (`room-K-I`) and answers `<Dial>\
         <Conference beep=\"false\" startConferenceOnEnter=\"true\">room-K</Conference></Dial>`, \
         so call n is participant n mod {size} of room n div {size} (the last room may be \
         smaller). Every leg talks: once up, the `bridge` benchmark's generator thread sends it a \
         20 ms PCMU packet every 20 ms (`sendmmsg` from one of {shards} shared sockets, phases \
         spread over 0.5 ms slots) carrying participant I's tone, 300 + 250·I Hz at amplitude \
         2,500 (−22 dBFS; nine summed stay under the mixer's clamp). One receiver thread reads \
         what the node sends each leg (told apart by the node's source port) with `recvmmsg` and \
         kernel receive timestamps (`SO_TIMESTAMPNS`). A fresh node per step.\n\n\
         **Measured.** {settle} s after the last leg is up, for {window} s: packets from the node, \
         against what it should have sent (per leg the span of RTP sequence numbers that came, so \
         a gap is lost, and at least the window's 20 ms periods less one, so a leg that fell \
         silent counts what it missed); jitter = |interarrival − 20 ms × sequence step| per \
         packet from the kernel stamps, pooled over all legs. The node sends each participant its \
         mix on its leg's own 20 ms media tick, so this is the node's output pacing jitter, \
         independent of the generator's timing. CPU and RSS of the node process from /proc over \
         the window (RSS per leg: growth over the idle node); CPU pressure = share of the window \
         during which some runnable task waited for a core (`/proc/pressure/cpu`, `some`), \
         whoever's task it was. **Content check:** {checked} legs per step, spread over the \
         rooms: the µ-law of the window's last second is decoded and each room member's tone \
         measured (Goertzel); a leg is heard right when every other participant's tone is within \
         ±4 dB of its sent level (a leak from another room, whose tones are the same, would \
         double one) and its own is below −26 dB. A step with one leg heard wrong is marked \
         FAILED and is not clean.\n\n\
         **Reference.** The same legs, same generator, receiver and check, in rooms of 2 on a \
         fresh node right after: the same signalling, the same conference media path and the \
         same pacing by the node's media tick, with nothing to mix beyond a pair. The ratio \
         (node CPU and jitter p99, rooms of {size} ÷ rooms of 2 in the same run) is what mixing \
         {size} talkers costs over the conference machinery itself. The `bridge` benchmark's UDP \
         relay was not used: it forwards the generator's own timing, so its jitter is not \
         comparable with a mixer that paces its output. A room size is not run past a step where \
         a leg did not come up, was heard wrong, loss passed {break_loss} % or jitter p99 passed \
         {break_jitter} ms. Clean = every leg up and heard right, nothing lost, jitter p99 < \
         {limit} ms.\n",
        runs = plan.runs,
        setup = plan.setup_rate,
        size = plan.room_size,
        shards = crate::bridge_gen::SHARDS,
        settle = plan.settle.as_secs_f64(),
        window = plan.window.as_secs_f64(),
        checked = plan.checked,
        break_loss = plan.break_loss_pct,
        break_jitter = plan.break_jitter_ms,
        limit = plan.jitter_limit_ms,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn step(legs: usize, size: usize, p99_us: u32, ok: usize) -> Step {
        Step {
            legs,
            room_size: size,
            up: legs,
            received: 50 * legs as u64,
            expected: 50 * legs as u64,
            jitter_us: [Some(200), Some(p99_us), Some(p99_us * 2)],
            cpu_pct: Some(legs as f64 / 10.0),
            checked: 4,
            heard_ok: ok,
            ..Step::default()
        }
    }

    fn plan() -> Plan {
        Plan {
            runs: 1,
            legs: vec![100, 200],
            room_size: 10,
            setup_rate: 200,
            settle: Duration::from_secs(2),
            window: Duration::from_secs(1),
            checked: 4,
            jitter_limit_ms: 5.0,
            break_loss_pct: 1.0,
            break_jitter_ms: 20.0,
        }
    }

    #[test]
    fn the_headline_is_the_largest_clean_step() {
        let runs = vec![vec![
            (Some(step(100, 10, 1000, 4)), Some(step(100, 2, 500, 4))),
            (Some(step(200, 10, 6000, 4)), Some(step(200, 2, 500, 4))),
        ]];
        let t = table(&plan(), &runs);
        assert!(t.contains("**Headline:** 100 concurrent"), "{t}");
        assert!(t.contains("CPU 1.00×, jitter p99 2.00×"), "{t}");
        assert!(t.contains("not measured"), "{t}");
    }

    #[test]
    fn wrong_audio_fails_the_step() {
        let runs = vec![vec![(
            Some(step(100, 10, 1000, 3)),
            Some(step(100, 2, 500, 4)),
        )]];
        let t = table(&plan(), &runs);
        assert!(t.contains("**FAILED** 3 / 4"), "{t}");
        assert!(t.contains("no step was clean"), "{t}");
    }
}
