//! `switchyard-bench api`: how many `POST …/Calls.json` a release node accepts per
//! second next to its bare HTTP stack (`GET /healthz`), and the dequeue cost of the
//! fair outbound queue next to a `VecDeque`.

use crate::httpload::{self, LoadResult, MakeRequest};
use crate::node::{Node, ACCOUNT_SID, AUTH_TOKEN};
use crate::qbench::{self, QueueRun};
use anyhow::{bail, Context, Result};
use reqwest::{header, Client, StatusCode};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

/// The heading of this benchmark's section in `BENCHMARKS.md`.
pub const HEADING: &str = "## REST API: create call and queue overhead";

/// The form of every created call: a number nobody answers (the discard port), inline
/// TwiML, so no webhook is involved.
const CREATE_FORM: &str = "To=sip%3A%2B1555%40127.0.0.1%3A9&From=%2B15550001111\
                           &Twiml=%3CResponse%3E%3CHangup%2F%3E%3C%2FResponse%3E";

/// The account's throttle: one call per 1,000 s, so every created call stays queued and
/// the figure is the API's acceptance, not dialing.
const SLOW_THROTTLE: &str = "calls_per_second = 0.001";

/// Knobs of the `api` subcommand.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Concurrent HTTP clients.
    pub clients: usize,
    /// Seconds of each HTTP load.
    pub secs: u64,
    /// Items pushed and dequeued per queue run.
    pub items: usize,
    /// Accounts per queue run.
    pub accounts: Vec<usize>,
    /// Items per timed batch.
    pub batch: usize,
}

/// Both measurements, as the markdown tables of the section.
pub fn run(plan: &Plan) -> Result<String> {
    let mut out = String::new();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("bench")
        .build()?;
    let (health, create) = rt.block_on(http_loads(plan))?;
    drop(rt);
    let t = http_table(&health, &create);
    println!("{t}");
    out.push_str(&http_notes(plan));
    out.push_str(&t);

    let mut runs = Vec::new();
    for &a in &plan.accounts {
        let r = qbench::run(a, plan.items, plan.batch)
            .with_context(|| format!("queue run over {a} accounts lost or reordered items"))?;
        eprintln!("queue {a} accounts: {r:?}");
        runs.push(r);
    }
    let t = queue_table(&runs);
    println!("{t}");
    out.push_str(&queue_notes(plan));
    out.push_str(&t);
    Ok(out)
}

async fn http_loads(plan: &Plan) -> Result<(LoadResult, LoadResult)> {
    // No call is ever answered, so the number's webhook is never fetched.
    let mut node = tokio::task::spawn_blocking(|| {
        Node::start_with(
            "http://127.0.0.1:9/unused",
            crate::media::NODE_RTP,
            SLOW_THROTTLE,
        )
    })
    .await??;
    let base = format!("http://{}", node.http());
    let client = Client::builder()
        .pool_max_idle_per_host(plan.clients)
        .timeout(Duration::from_secs(10))
        .build()?;
    let length = Duration::from_secs(plan.secs);

    let url = format!("{base}/healthz");
    let health: MakeRequest = Arc::new(move |c: &Client| c.get(&url));
    // Opens the keep-alive connections before anything is timed.
    httpload::run(
        &client,
        health.clone(),
        plan.clients,
        Duration::from_secs(1),
        StatusCode::OK,
    )
    .await;
    let h = httpload::run(&client, health, plan.clients, length, StatusCode::OK).await;
    eprintln!("GET /healthz: {h:?}");

    let url = format!("{base}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json");
    let create: MakeRequest = Arc::new(move |c: &Client| {
        c.post(&url)
            .basic_auth(ACCOUNT_SID, Some(AUTH_TOKEN))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(CREATE_FORM)
    });
    let c = httpload::run(&client, create, plan.clients, length, StatusCode::CREATED).await;
    eprintln!("POST Calls.json: {c:?}");
    if !node.alive() {
        bail!("the node died during the load:\n{}", node.stderr_tail(30));
    }
    Ok((h, c))
}

fn opt_ms(v: Option<u32>) -> String {
    v.map_or("–".into(), |us| format!("{:.2}", f64::from(us) / 1000.0))
}

/// The HTTP table: the create-call load next to the bare HTTP stack.
pub fn http_table(health: &LoadResult, create: &LoadResult) -> String {
    let mut t = String::from(
        "| request | clients | answered as expected | other status / errors | requests/s accepted \
         | latency p50 / p99 ms |\n| --- | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for (name, r) in [
        ("`GET /healthz` → 200 (reference)", health),
        ("`POST …/Calls.json` → 201", create),
    ] {
        let _ = writeln!(
            t,
            "| {name} | {} | {} | {} / {} | {:.0} | {} / {} |",
            r.clients,
            r.accepted,
            r.other_status,
            r.errors,
            r.rate(),
            opt_ms(r.latency_us[0]),
            opt_ms(r.latency_us[1]),
        );
    }
    if health.rate() > 0.0 {
        let _ = writeln!(
            t,
            "\n**Headline:** {:.0} create-call requests/s accepted, {:.2} × the bare HTTP stack's \
             {:.0} requests/s; create p99 {} ms.",
            create.rate(),
            create.rate() / health.rate(),
            health.rate(),
            opt_ms(create.latency_us[1]),
        );
    }
    for (name, r) in [("healthz", health), ("create", create)] {
        if let Some(p) = &r.first_problem {
            let _ = writeln!(t, "\nFirst problem of the {name} load: `{p}`.");
        }
    }
    t
}

/// The queue table: `OutboundQueue` next to `VecDeque`, per account spread.
pub fn queue_table(runs: &[QueueRun]) -> String {
    let mut t = String::from(
        "| accounts | items | push ns p50 / p99 | poll (dequeue) ns p50 / p99 \
         | VecDeque push_back ns p50 / p99 | VecDeque pop_front ns p50 / p99 \
         | push ÷ push_back p50 | poll ÷ pop_front p50 |\n\
         | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    let pair = |v: [f64; 2]| format!("{:.1} / {:.1}", v[0], v[1]);
    let ratio = |a: f64, b: f64| {
        if b > 0.0 {
            format!("{:.0}", a / b)
        } else {
            "–".into()
        }
    };
    for r in runs {
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            r.accounts,
            r.items,
            pair(r.push_ns),
            pair(r.poll_ns),
            pair(r.ref_push_ns),
            pair(r.ref_pop_ns),
            ratio(r.push_ns[0], r.ref_push_ns[0]),
            ratio(r.poll_ns[0], r.ref_pop_ns[0]),
        );
    }
    t
}

fn http_notes(plan: &Plan) -> String {
    format!(
        "### Create call requests/s accepted\n\n\
         A release node whose account has `{SLOW_THROTTLE}`, so created calls stay `queued` \
         (the figure is the API's acceptance, not dialing). {} closed-loop clients (reqwest, \
         keep-alive, one shared pool, in the benchmark process) for {} s each: first `GET \
         /healthz` (the HTTP stack alone; after a 1 s untimed warm-up that opens the \
         connections), then `POST /2010-04-01/Accounts/{{sid}}/Calls.json` with HTTP Basic \
         auth and `To=sip:+1555@127.0.0.1:9`, `From=+15550001111`, \
         `Twiml=<Response><Hangup/></Response>`. Latency = send → body read, accepted \
         answers only.\n\n",
        plan.clients, plan.secs
    )
}

fn queue_notes(plan: &Plan) -> String {
    format!(
        "\n### Queue dequeue overhead\n\n\
         `switchyard_tenancy::OutboundQueue<u64>` in the benchmark process: {} items pushed \
         round robin over N accounts (limits 10⁹ calls/s and no practical cap, so `poll` \
         always yields; virtual time advances 1 ns per operation), then all polled; each \
         batch of {} operations is timed and divided by its size, p50/p99 over the batches. \
         The benchmark checks every item comes back once, in its account's push order. \
         Reference in the same run: `VecDeque::push_back` / `pop_front` of the same items \
         in the same batches.\n\n",
        plan.items, plan.batch
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_table_gives_the_ratio_to_the_reference() {
        let health = LoadResult {
            clients: 4,
            accepted: 20_000,
            secs: 10.0,
            latency_us: [Some(150), Some(900)],
            ..LoadResult::default()
        };
        let create = LoadResult {
            clients: 4,
            accepted: 5_000,
            other_status: 2,
            secs: 10.0,
            latency_us: [Some(700), Some(4_250)],
            first_problem: Some("status 429".into()),
            ..LoadResult::default()
        };
        let t = http_table(&health, &create);
        assert!(t.contains("| `POST …/Calls.json` → 201 | 4 | 5000 | 2 / 0 | 500 | 0.70 / 4.25 |"));
        assert!(
            t.contains("500 create-call requests/s accepted, 0.25 × the bare HTTP stack's 2000")
        );
        assert!(t.contains("First problem of the create load: `status 429`"));
    }

    #[test]
    fn queue_table_gives_ratios_of_the_medians() {
        let r = QueueRun {
            accounts: 10,
            items: 1000,
            push_ns: [60.0, 90.0],
            poll_ns: [80.0, 120.0],
            ref_push_ns: [2.0, 3.0],
            ref_pop_ns: [1.0, 2.0],
        };
        let t = queue_table(&[r]);
        assert!(t.contains(
            "| 10 | 1000 | 60.0 / 90.0 | 80.0 / 120.0 | 2.0 / 3.0 | 1.0 / 2.0 | 30 | 80 |"
        ));
    }
}
