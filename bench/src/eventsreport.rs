//! The `events` benchmark's tables and notes.

use std::fmt::Write as _;

use crate::events::{Measured, Plan, Target, TargetResult};

fn ms(us: u32) -> String {
    format!("{:.2}", f64::from(us) / 1000.0)
}

fn quant(us: &[u32; 4]) -> String {
    format!(
        "{} / {} / {} / {}",
        ms(us[0]),
        ms(us[1]),
        ms(us[2]),
        ms(us[3])
    )
}

fn reference(results: &[TargetResult]) -> Option<&Measured> {
    results
        .iter()
        .find(|r| r.target == Target::Reference)
        .and_then(|r| r.outcome.as_ref().ok())
}

/// The best clean step of scenario 2: nothing lost, no stream closed, p99 within limit.
fn best(m: &Measured, limit_ms: f64) -> Option<&crate::events::TputStep> {
    m.tput
        .iter()
        .filter(|s| {
            s.received == s.expected && s.closed == 0 && f64::from(s.us[1]) / 1000.0 <= limit_ms
        })
        .max_by(|a, b| a.delivered_per_s.total_cmp(&b.delivered_per_s))
}

/// A latency table (scenario 1 or 1b): one row per target, ratios to the reference's.
fn latency_rows(
    t: &mut String,
    results: &[TargetResult],
    of: impl Fn(&Measured) -> Option<&crate::events::Latency>,
) {
    let r = reference(results).and_then(&of);
    t.push_str(
        "| server | subscribers | events | delivered / expected | streams closed | latency p50 / p99 / p99.9 / max ms \
         | delivered/s | server CPU % (of one core) | p50 / p99 ÷ reference |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for res in results {
        match &res.outcome {
            Ok(m) => {
                let Some(l) = of(m) else { continue };
                let ratio = r
                    .filter(|rl| rl.us[0] > 0 && rl.us[1] > 0)
                    .map_or("–".into(), |rl| {
                        format!(
                            "{:.1} / {:.1}",
                            f64::from(l.us[0]) / f64::from(rl.us[0]),
                            f64::from(l.us[1]) / f64::from(rl.us[1])
                        )
                    });
                let _ = writeln!(
                    t,
                    "| {} | {} | {} | {} / {} | {} | {} | {:.0} | {:.0} | {ratio} |",
                    res.target.label(),
                    l.conns,
                    l.events,
                    l.received,
                    l.expected,
                    l.closed,
                    quant(&l.us),
                    l.delivered_per_s,
                    l.cpu_pct
                );
            }
            Err(e) => unavailable(t, res.target, e, 9),
        }
    }
}

/// All three tables, one row per target (the node with each broker, then the reference).
pub fn tables(plan: &Plan, results: &[TargetResult]) -> String {
    let r = reference(results);
    let mut t = String::new();
    let _ = writeln!(
        t,
        "### 1. Latency: {} events/s to {} subscribers ({} accounts × {}), {} deliveries/s\n",
        plan.lat_rate,
        plan.lat_accounts * plan.lat_subs,
        plan.lat_accounts,
        plan.lat_subs,
        plan.lat_rate * plan.lat_subs as f64
    );
    latency_rows(&mut t, results, |m| m.latency.as_ref());
    if plan.call_subs > 0 {
        let _ = writeln!(
            t,
            "\n### 1b. Latency: {} events/s to {} subscribers of one account, each following its own call, {} deliveries/s\n",
            plan.lat_rate, plan.call_subs, plan.lat_rate
        );
        latency_rows(&mut t, results, |m| m.calls.as_ref());
    }

    let _ = writeln!(
        t,
        "\n### 2. Deliveries/s: {} subscribers of one account, publish rate raised per step\n",
        plan.tput_subs
    );
    t.push_str(
        "| server | events/s | deliveries/s offered | delivered / expected | streams closed \
         | delivered/s | latency p50 / p99 / p99.9 / max ms | server CPU % |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for res in results {
        match &res.outcome {
            Ok(m) => {
                for s in &m.tput {
                    let _ = writeln!(
                        t,
                        "| {} | {:.0} | {:.0} | {} / {} | {} | {:.0} | {} | {:.0} |",
                        res.target.label(),
                        s.rate,
                        s.rate * plan.tput_subs as f64,
                        s.received,
                        s.expected,
                        s.closed,
                        s.delivered_per_s,
                        quant(&s.us),
                        s.cpu_pct
                    );
                }
            }
            Err(e) => unavailable(&mut t, res.target, e, 8),
        }
    }
    t.push('\n');
    let ref_best = r.and_then(|r| best(r, plan.tput_p99_limit_ms));
    for res in results {
        if let Ok(m) = &res.outcome {
            match best(m, plan.tput_p99_limit_ms) {
                Some(b) => {
                    let _ = write!(
                        t,
                        "- {}: most deliveries/s with nothing lost and p99 ≤ {} ms: **{:.0}** \
                         (at {:.0} events/s, p99 {} ms)",
                        res.target.label(),
                        plan.tput_p99_limit_ms,
                        b.delivered_per_s,
                        b.rate,
                        ms(b.us[1])
                    );
                    if let (Some(rb), Target::Node(_)) = (ref_best, res.target) {
                        let _ = write!(
                            t,
                            "; {:.2} × the reference",
                            b.delivered_per_s / rb.delivered_per_s
                        );
                    }
                    t.push_str(".\n");
                }
                None => {
                    let _ = writeln!(t, "- {}: no clean step.", res.target.label());
                }
            }
            // The most delivered with nothing lost, whatever the latency.
            let most = m
                .tput
                .iter()
                .filter(|s| s.received == s.expected && s.closed == 0)
                .max_by(|a, b| a.delivered_per_s.total_cmp(&b.delivered_per_s));
            let clean = best(m, plan.tput_p99_limit_ms);
            if let Some(s) = most.filter(|s| !clean.is_some_and(|b| std::ptr::eq(b, *s))) {
                let _ = writeln!(
                    t,
                    "  (with nothing lost but p99 over {} ms: {:.0} at {:.0} events/s, p99 {} ms.)",
                    plan.tput_p99_limit_ms,
                    s.delivered_per_s,
                    s.rate,
                    ms(s.us[1])
                );
            }
        }
    }

    let _ = writeln!(
        t,
        "\n### 3. Memory per idle SSE connection: {} connections over {} accounts\n",
        plan.idle_conns, plan.idle_accounts
    );
    t.push_str(
        "| server | connected | subscribers registered | probe event received by | server RSS before / after MiB \
         | bytes per connection | ÷ reference |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    let ref_idle = r.and_then(|r| r.idle.as_ref());
    for res in results {
        match &res.outcome {
            Ok(Measured { idle: Some(i), .. }) => {
                let ratio = ref_idle
                    .filter(|ri| ri.bytes_per_conn() > 0.0)
                    .map_or("–".into(), |ri| {
                        format!("{:.1}", i.bytes_per_conn() / ri.bytes_per_conn())
                    });
                let _ = writeln!(
                    t,
                    "| {} | {} / {} | {} | {} | {:.1} / {:.1} | {:.0} | {ratio} |",
                    res.target.label(),
                    i.connected,
                    i.conns,
                    if res.target == Target::Reference {
                        format!("{} (broadcast receivers)", i.registered)
                    } else {
                        i.registered.to_string()
                    },
                    i.probe_received,
                    i.rss_before_kib as f64 / 1024.0,
                    i.rss_after_kib as f64 / 1024.0,
                    i.bytes_per_conn()
                );
            }
            Ok(_) => {}
            Err(e) => unavailable(&mut t, res.target, e, 7),
        }
    }
    t.push_str(&targets(plan, results));
    t
}

fn unavailable(t: &mut String, target: Target, why: &str, cols: usize) {
    let _ = writeln!(
        t,
        "| {} | unavailable: {} |{}",
        target.label(),
        why.replace('|', "/").replace('\n', " "),
        " – |".repeat(cols - 1)
    );
}

/// The targets, met or missed, per node broker.
fn targets(plan: &Plan, results: &[TargetResult]) -> String {
    let mut t = String::from("\nTargets (issue): ");
    let mut lines = Vec::new();
    for res in results {
        let (Target::Node(b), Ok(m)) = (res.target, &res.outcome) else {
            continue;
        };
        let verdict = |ok: bool| if ok { "met" } else { "**missed**" };
        let mut parts = Vec::new();
        if let Some(l) = &m.latency {
            let p99 = f64::from(l.us[1]) / 1000.0;
            parts.push(format!(
                "p99 < 5 ms at {:.0} deliveries/s to {} subscribers (scenario 1): {} ({p99:.2} ms{})",
                plan.lat_rate * plan.lat_subs as f64,
                plan.lat_accounts * plan.lat_subs,
                verdict(p99 < 5.0 && l.received == l.expected),
                if l.received == l.expected {
                    String::new()
                } else {
                    format!(", {} of {} delivered", l.received, l.expected)
                }
            ));
        }
        if let Some(l) = &m.calls {
            let p99 = f64::from(l.us[1]) / 1000.0;
            parts.push(format!(
                "p99 < 5 ms at {:.0} events/s to {} subscribers each following its own call (scenario 1b): {} ({p99:.2} ms)",
                plan.lat_rate,
                plan.call_subs,
                verdict(p99 < 5.0 && l.received == l.expected && l.closed == 0),
            ));
        }
        // The same rate to fewer subscribers: more events each, so frames share writes.
        let same_rate = plan.lat_rate * plan.lat_subs as f64;
        if let Some(step) = m
            .tput
            .iter()
            .find(|s| (s.rate * plan.tput_subs as f64 - same_rate).abs() < 1.0)
        {
            let p99 = f64::from(step.us[1]) / 1000.0;
            let clean = step.received == step.expected && step.closed == 0;
            parts.push(format!(
                "p99 < 5 ms at {same_rate:.0} deliveries/s to {} subscribers (scenario 2): {} ({p99:.2} ms)",
                plan.tput_subs,
                verdict(p99 < 5.0 && clean)
            ));
        }
        let b_best = best(m, plan.tput_p99_limit_ms).map_or(0.0, |s| s.delivered_per_s);
        parts.push(format!(
            "≥ 500,000 deliveries/s: {} ({b_best:.0})",
            verdict(b_best >= 500_000.0)
        ));
        if let Some(i) = &m.idle {
            let kb = i.bytes_per_conn() / 1024.0;
            parts.push(format!(
                "< 16 KiB per idle connection: {} ({kb:.1} KiB)",
                verdict(kb < 16.0 && i.connected == i.conns)
            ));
        }
        lines.push(format!("{} broker — {}", b.name(), parts.join("; ")));
    }
    t.push_str(&lines.join(". "));
    t.push_str(".\n");
    t
}

/// What each scenario is, exactly.
pub fn notes(plan: &Plan) -> String {
    format!(
        "The server runs in a child process (`switchyard-bench events-server`, re-executed \
         from the benchmark): either a whole node (`switchyard_node::start`, SQLite store, \
         HTTP, the configured broker with a replay log of {rl} events, per-subscriber \
         queues of {q}; for NATS one `nats-server -js` ({nv}) for the whole run, its stream \
         kept from one scenario to the next) or the reference, a bare \
         axum route that writes the same frames from one tokio `broadcast` channel per \
         account (capacity {q}; no broker, log, router or per-subscriber queue; each frame \
         rendered once per event and shared). The child publishes on its own thread, paced \
         in 100 µs ticks; each event carries `t` = unix ns just before `publish` (a `Draft` \
         to `shared.events.broker`, type `{ty}`). The clients run in the benchmark process \
         on a {ct}-worker tokio runtime: real TCP connections over loopback, each a \
         hand-written `GET /v1/Accounts/{{AccountSid}}/Events` with HTTP Basic auth, a \
         chunked-transfer decoder and an SSE splitter; latency = wall time of the `read` \
         that carried the frame − `t`. Both processes share the 2 cores. A fresh child per \
         scenario. Server CPU: `/proc/PID/stat` over the measured publication and drain.\n\n\
         1. **Latency.** 1,000 subscribers on one account each receiving every event at \
         10,000 events/s would be 10 M deliveries/s, so the load is spread: {la} accounts × \
         {ls} subscribers each, events round robin over the accounts, so each event reaches \
         {ls} subscribers: {lr} events/s = {ld} deliveries/s for {lsec} s (after ¼ s of \
         warm-up). The issue's \"p99 under 5 ms at 100,000/s\" is checked here and at \
         the same rate in scenario 2.\n\
         1b. **Latency, one call each.** The other way to put 1,000 subscribers under \
         10,000 events/s, the way a page follows a call: {cs} subscribers of one account, \
         each `?filter=Call%3DCA…` on its own call; events round robin over the {cs} calls \
         at {lr} events/s for {lsec} s, so every event is matched against all {cs} \
         subscriptions and delivered to one. The reference keeps a broadcast channel per \
         call instead (no matching).\n\
         2. **Deliveries/s.** {ts} subscribers of one account receive every event; each \
         step publishes for {tsec} s at the next rate; delivered/s = deliveries received ÷ \
         (last receive − first publication). The ramp stops after a step that lost a \
         delivery, closed a stream (queue overflow) or had p99 over {lim} ms; the figure is \
         the best step with none of those.\n\
         3. **Idle memory.** {wc} warm-up connections, then VmRSS of the server; then \
         {ic} more connections spread over {ia} accounts, 2 s of quiet, VmRSS again; bytes \
         per connection = growth ÷ connections. Kernel socket buffers are not in RSS. A \
         probe event per account afterwards checks every connection is live.\n",
        q = plan.subscriber_queue,
        rl = plan.retention_events,
        nv = crate::events::nats_version(&plan.nats_server),
        ty = crate::eventsrv::EVENT_TYPE,
        ct = plan.client_threads,
        la = plan.lat_accounts,
        ls = plan.lat_subs,
        lr = plan.lat_rate,
        ld = plan.lat_rate * plan.lat_subs as f64,
        lsec = plan.lat_secs,
        cs = plan.call_subs,
        ts = plan.tput_subs,
        tsec = plan.tput_secs,
        lim = plan.tput_p99_limit_ms,
        wc = plan.idle_accounts * 10,
        ic = plan.idle_conns,
        ia = plan.idle_accounts,
    )
}
