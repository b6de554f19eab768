//! An operator's view of a node: what `switchyard up` prints for a newcomer, and the
//! Prometheus series at `/metrics` as a real Prometheus scrapes them during a sipp run.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use switchyard_e2e::http::request;
use switchyard_e2e::{
    EventStream, Node, NodeConfig, Prometheus, SippCommand, DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN,
    NUMBER,
};

use super::eventually;

/// The demo node's stdout once it has printed its console line (bounded wait).
fn welcome(node: &Node) -> Result<String> {
    eventually(Duration::from_secs(10), || {
        let out = node.stdout();
        Ok(out.contains("Console").then_some(out))
    })
    .with_context(|| format!("no console line on stdout: {:?}", node.stdout()))
}

/// The value after `label` on the line that starts with it (`  Token      demo-…`).
fn field<'a>(text: &'a str, label: &str) -> Result<&'a str> {
    text.lines()
        .find_map(|l| l.trim_start().strip_prefix(label))
        .map(|rest| rest.trim())
        .with_context(|| format!("no {label} line in {text:?}"))
}

#[test]
fn up_tells_a_newcomer_where_to_call_and_which_credentials_to_use() -> Result<()> {
    let node = Node::start(NodeConfig::demo())?;
    let out = welcome(&node)?;
    assert_eq!(
        field(&out, "SIP")?,
        format!("{} (UDP and TCP)", node.sip_target())
    );
    assert!(
        field(&out, "HTTP")?.starts_with(&node.http_url("")),
        "{out}"
    );
    assert!(
        field(&out, "Call")?.starts_with(&node.sip_uri(NUMBER)),
        "{out}"
    );
    let account = field(&out, "Account")?;
    let token = field(&out, "Token")?;
    assert_eq!((account, token), (DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN));
    // The printed credentials work against the REST API, and it lists the demo number.
    let numbers = request(
        "GET",
        &node.http_url(&format!(
            "/2010-04-01/Accounts/{account}/IncomingPhoneNumbers.json"
        )),
    )
    .basic_auth(account, token)
    .call()?;
    assert_eq!(numbers.status, 200, "{}", numbers.text());
    assert_eq!(
        numbers.json()?["incoming_phone_numbers"][0]["phone_number"],
        NUMBER
    );
    // The console link opens the live page, and the signed stream it carries is accepted.
    let console = field(&out, "Console")?
        .split_whitespace()
        .next()
        .context("a console URL")?;
    assert!(console.starts_with(&node.http_url("/console/events?stream=")));
    let page = request("GET", console).call()?;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Live events"));
    let stream = console
        .split_once("stream=")
        .map(|(_, s)| percent_decode(s))
        .context("a stream parameter")?;
    match EventStream::open(&node.http_url(&stream), &[])? {
        Ok(_) => {}
        Err(refused) => bail!("the console's stream was refused: {}", refused.text()),
    }
    Ok(())
}

/// `application/x-www-form-urlencoded` value decoding (`%XX` and `+`).
fn percent_decode(s: &str) -> String {
    let mut out = Vec::new();
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'%' => {
                let hex: Vec<u8> = bytes.by_ref().take(2).collect();
                let hex = std::str::from_utf8(&hex).unwrap_or("");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn prometheus_scrapes_calls_and_setup_latency_during_a_sipp_run() -> Result<()> {
    const CALLS: u32 = 3;
    let node = Node::start(NodeConfig::demo())?;
    let prometheus = Prometheus::start(&node.http_url("").replace("http://", ""))?;
    // Scraped before any call: the series exist at zero.
    let wait = Duration::from_secs(20);
    assert_eq!(
        prometheus.wait_value("switchyard_calls_started_total", wait)?,
        0.0
    );
    // Three calls held 4 s each, all up at once: a 1 s scrape sees them active.
    let sipp = SippCommand::new("uac")?
        .target(&node.sip_target())
        .args(&[
            "-s",
            NUMBER,
            "-m",
            &CALLS.to_string(),
            "-l",
            &CALLS.to_string(),
            "-r",
            "10",
            "-d",
            "4000",
        ])
        .spawn()?;
    let active = prometheus.wait_until("switchyard_calls_active", wait, |v| v >= 1.0)?;
    assert!(active <= f64::from(CALLS), "{active} active");
    let peak = prometheus.wait_until("max_over_time(switchyard_calls_active[1m])", wait, |v| {
        v >= f64::from(CALLS)
    })?;
    assert_eq!(peak, f64::from(CALLS));
    let answered = prometheus.wait_until("switchyard_call_setup_seconds_count", wait, |v| {
        v >= f64::from(CALLS)
    })?;
    assert_eq!(answered, f64::from(CALLS));
    let out = sipp.wait()?;
    assert!(out.success(), "sipp: {out}");
    assert_eq!(out.successful_calls(), Some(u64::from(CALLS)), "{out}");
    // After the run: every call ended completed, none is active, and the mean setup
    // time is a real duration under a second (the demo app is served by the node).
    let completed = prometheus.wait_until(
        "switchyard_calls_ended_total{status=\"completed\"}",
        wait,
        |v| v >= f64::from(CALLS),
    )?;
    assert_eq!(completed, f64::from(CALLS));
    assert_eq!(
        prometheus.wait_until("switchyard_calls_active", wait, |v| v == 0.0)?,
        0.0
    );
    assert_eq!(
        prometheus.wait_value("switchyard_calls_started_total", wait)?,
        f64::from(CALLS)
    );
    let mean = prometheus.wait_value(
        "switchyard_call_setup_seconds_sum / switchyard_call_setup_seconds_count",
        wait,
    )?;
    assert!(mean > 0.0 && mean < 1.0, "mean setup {mean} s");
    // Each call fetched the demo app's document over HTTP once at least.
    let webhooks = prometheus.wait_value("switchyard_webhook_request_seconds_count", wait)?;
    assert!(webhooks >= f64::from(CALLS), "{webhooks} webhook requests");
    // The other outcomes are exported, at zero.
    let others = prometheus.query("switchyard_calls_ended_total{status!=\"completed\"}")?;
    assert_eq!(others.len(), 4, "{others:?}");
    assert!(others.iter().all(|(_, v)| *v == 0.0), "{others:?}");
    Ok(())
}

#[test]
fn every_log_line_of_a_call_names_its_sid() -> Result<()> {
    let mut config = NodeConfig::demo();
    config.env = vec![(
        "RUST_LOG".into(),
        // The HTTP client logs each request it makes (a new or a reused connection).
        "switchyard_node=debug,reqwest=debug,hyper_util=trace".into(),
    )];
    let node = Node::start(config)?;
    let out = SippCommand::new("uac")?
        .target(&node.sip_target())
        .args(&["-s", NUMBER, "-m", "2", "-l", "2", "-d", "1000"])
        .run()?;
    assert!(out.success(), "sipp: {out}");
    let log = eventually(Duration::from_secs(10), || {
        let log = node.stderr();
        Ok((log.matches("call ended").count() == 2).then_some(log))
    })
    .context("two calls ended in the log")?;
    // Each call event is logged in its own call's span, even with two calls at once.
    let mut sids = std::collections::BTreeSet::new();
    for line in log.lines().filter(|l| l.contains("event kind=")) {
        let sid = line
            .split("call=Some(")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .with_context(|| format!("no call SID in {line}"))?;
        assert!(
            line.contains(&format!("call{{sid={sid}}}")),
            "not in its call's span: {line}"
        );
        sids.insert(sid.to_owned());
    }
    assert_eq!(sids.len(), 2, "{log}");
    // The app request runs in a task of its own, and still in the call's span.
    for sid in &sids {
        assert!(
            log.lines()
                .any(|l| l.contains(&format!("call{{sid={sid}}}:webhook{{url="))),
            "no webhook line in the span of {sid}:\n{log}"
        );
    }
    Ok(())
}
