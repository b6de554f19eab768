//! Markdown tables and the `BENCHMARKS.md` section.

use crate::media::MediaStep;
use crate::rate::RateStep;
use std::fmt::Write as _;
use std::path::Path;

/// The heading the section lives under in `BENCHMARKS.md`.
pub const HEADING: &str = "## Foundation: call rate and concurrent media";

fn opt_ms(v: Option<u32>) -> String {
    v.map_or("–".into(), |v| v.to_string())
}

fn opt_us_as_ms(v: Option<u32>) -> String {
    v.map_or("–".into(), |v| format!("{:.2}", f64::from(v) / 1000.0))
}

fn pct(v: Option<f64>) -> String {
    v.map_or("–".into(), |c| format!("{c:.0}"))
}

/// A step passes when sipp created every call it was asked for and all succeeded.
pub fn clean(s: &RateStep, calls_offered: u64) -> bool {
    s.failed == 0 && s.created >= calls_offered && s.successful == s.created
}

/// The call-rate table, one row per offered rate, node next to sipp's own limit.
pub fn rate_table(node: &[RateStep], reference: &[RateStep], secs: u32) -> String {
    let mut t = String::new();
    t.push_str(
        "| offered calls/s | node: achieved calls/s | node: ok / failed | node: INVITE→200 p50 / p99 ms \
         | sipp→sipp: achieved calls/s | sipp→sipp: ok / failed | sipp→sipp: p50 / p99 ms | node ÷ sipp rate |\n\
         | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for n in node {
        let r = reference.iter().find(|r| r.offered == n.offered);
        let ratio = r
            .filter(|r| r.achieved > 0.0)
            .map_or("–".into(), |r| format!("{:.2}", n.achieved / r.achieved));
        let (ra, rof, rp) = match r {
            Some(r) => (
                format!("{:.0}", r.achieved),
                format!("{} / {}", r.successful, r.failed),
                format!("{} / {}", opt_ms(r.p50_ms), opt_ms(r.p99_ms)),
            ),
            None => ("–".into(), "–".into(), "–".into()),
        };
        let _ = writeln!(
            t,
            "| {} | {:.0} | {} / {} | {} / {} | {ra} | {rof} | {rp} | {ratio} |",
            n.offered,
            n.achieved,
            n.successful,
            n.failed,
            opt_ms(n.p50_ms),
            opt_ms(n.p99_ms),
        );
    }
    let offered = |s: &RateStep| u64::from(s.offered) * u64::from(secs);
    let best = node
        .iter()
        .filter(|s| clean(s, offered(s)))
        .max_by_key(|s| s.offered);
    let ref_best = reference
        .iter()
        .filter(|s| clean(s, offered(s)))
        .max_by_key(|s| s.offered);
    match best {
        Some(b) => {
            let _ = write!(
                t,
                "\n**Headline:** {} calls/s with zero failed calls (achieved {:.0}/s), INVITE→200 p99 {} ms",
                b.offered,
                b.achieved,
                opt_ms(b.p99_ms)
            );
            if let Some(r) = reference.iter().find(|r| r.offered == b.offered) {
                if r.achieved > 0.0 {
                    let _ = write!(
                        t,
                        "; {:.2} × sipp→sipp at the same offered rate",
                        b.achieved / r.achieved
                    );
                }
            }
            if let Some(rb) = ref_best {
                let _ = writeln!(
                    t,
                    "; sipp→sipp was clean up to {} calls/s offered (the highest step run against it), \
                     so the node reached {:.2} of the generator's demonstrated ceiling.",
                    rb.offered,
                    f64::from(b.offered) / f64::from(rb.offered)
                );
            } else {
                t.push_str(".\n");
            }
        }
        None => t.push_str("\n**Headline:** no step finished without failed calls.\n"),
    }
    t
}

/// The concurrent-media table, node next to the in-process pacer. Jitter comes from
/// kernel receive timestamps; the user-space p99 sits beside it to show how much the
/// receiver's own scheduling added.
pub fn media_table(node: &[MediaStep], reference: &[MediaStep], limit_ms: f64) -> String {
    let mut t = String::new();
    t.push_str(
        "| calls | up | node: received / expected (loss %) | node: jitter p50 / p99 / max ms (kernel stamps) \
         | node: jitter p99 ms (user-space) | node CPU % (of one core) | CPU % per call | node RSS MiB | RSS per call KiB \
         | pacer: received / expected (loss %) | pacer: jitter p50 / p99 / max ms (kernel) | pacer: p99 ms (user-space) \
         | pacer CPU % | receiver CPU % (node / pacer step) | node ÷ pacer jitter p99 (kernel) |\n\
         | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for n in node {
        let r = reference.iter().find(|r| r.calls == n.calls);
        let jit = |s: &MediaStep| {
            format!(
                "{} / {} / {}",
                opt_us_as_ms(s.kernel_jitter_us[0]),
                opt_us_as_ms(s.kernel_jitter_us[1]),
                opt_us_as_ms(s.kernel_jitter_us[2])
            )
        };
        let user = |s: &MediaStep| opt_us_as_ms(s.jitter_us[1]);
        let recv = |s: &MediaStep| format!("{} / {} ({:.2})", s.received, s.expected, s.loss_pct());
        let cpu = n.cpu_pct.unwrap_or(0.0);
        let ratio = match (n.kernel_jitter_us[1], r.and_then(|r| r.kernel_jitter_us[1])) {
            (Some(a), Some(b)) if b > 0 => format!("{:.1}", f64::from(a) / f64::from(b)),
            _ => "–".into(),
        };
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} | {} | {:.0} | {:.3} | {:.0} | {:.0} | {} | {} | {} | {} | {} / {} | {ratio} |",
            n.calls,
            n.up,
            recv(n),
            jit(n),
            user(n),
            cpu,
            if n.up > 0 { cpu / n.up as f64 } else { 0.0 },
            n.rss_mib.unwrap_or(0.0),
            n.rss_per_call_kib.unwrap_or(0.0),
            r.map_or("–".into(), recv),
            r.map_or("–".into(), jit),
            r.map_or("–".into(), user),
            r.and_then(|r| r.cpu_pct)
                .map_or("–".into(), |c| format!("{c:.0}")),
            pct(n.rx_cpu_pct),
            pct(r.and_then(|r| r.rx_cpu_pct)),
        );
    }
    let limit_us = (limit_ms * 1000.0) as u32;
    let best = node
        .iter()
        .filter(|s| s.up == s.calls && s.kernel_jitter_us[1].is_some_and(|j| j < limit_us))
        .max_by_key(|s| s.calls);
    match best {
        Some(b) => {
            let _ = writeln!(
                t,
                "\n**Headline:** {} concurrent playing calls with jitter p99 {} ms (< {limit_ms} ms, kernel \
                 receive timestamps; {} ms from user-space read times), loss {:.2} %.",
                b.calls,
                opt_us_as_ms(b.kernel_jitter_us[1]),
                opt_us_as_ms(b.jitter_us[1]),
                b.loss_pct()
            );
        }
        None => {
            let _ = writeln!(
                t,
                "\n**Headline:** no step kept jitter p99 under {limit_ms} ms with every call up."
            );
        }
    }
    let notes: Vec<String> = node
        .iter()
        .filter(|s| s.setup_failures.0 > 0 || s.early_hangups > 0 || s.bye_unanswered > 0)
        .map(|s| {
            format!(
                "- {} calls: {} set-ups failed{}, {} ended by the node before the window closed, {} BYEs unanswered",
                s.calls,
                s.setup_failures.0,
                s.setup_failures.1.as_ref().map_or(String::new(), |e| format!(" (first: {e})")),
                s.early_hangups,
                s.bye_unanswered
            )
        })
        .collect();
    if !notes.is_empty() {
        t.push_str("\nAnomalies:\n");
        t.push_str(&notes.join("\n"));
        t.push('\n');
    }
    t
}

/// Replaces the section under `heading` in `path` (up to the next `## ` heading) with
/// `body`, or appends it; creates the file if needed.
pub fn write_section(path: &Path, heading: &str, body: &str) -> std::io::Result<()> {
    let old = std::fs::read_to_string(path).unwrap_or_else(|_| "# Benchmarks\n".into());
    let section = format!("{heading}\n\n{}\n", body.trim_end());
    let new = match old.find(heading) {
        Some(start) => {
            let after = start + heading.len();
            let end = old[after..]
                .find("\n## ")
                .map_or(old.len(), |i| after + i + 1);
            format!(
                "{}{section}{}",
                &old[..start],
                if end < old.len() {
                    format!("\n{}", &old[end..])
                } else {
                    String::new()
                }
            )
        }
        None => format!(
            "{}\n{section}",
            old.trim_end_matches('\n').to_string() + "\n"
        ),
    };
    std::fs::write(path, new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_is_replaced_not_duplicated() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("B.md");
        std::fs::write(&p, "# Benchmarks\n\n## Other\n\nkeep me\n").unwrap();
        write_section(&p, HEADING, "first").unwrap();
        write_section(&p, HEADING, "second").unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(text.matches(HEADING).count(), 1);
        assert!(text.contains("second") && !text.contains("first"));
        assert!(text.contains("## Other\n\nkeep me"));
    }

    #[test]
    fn section_before_another_keeps_the_other() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("B.md");
        std::fs::write(&p, format!("# B\n\n{HEADING}\n\nold\n\n## Next\n\nx\n")).unwrap();
        write_section(&p, HEADING, "new").unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains("new") && !text.contains("old"));
        assert!(text.contains("## Next\n\nx"));
    }
}
