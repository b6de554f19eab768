//! Overload control through a real node: past its capacity the node refuses new calls
//! at once with 503 and Retry-After while the calls it admitted complete normally.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context, Result};
use switchyard_e2e::{Node, NodeConfig, Scenario, SippCommand, Webhook, AUTH_TOKEN, NUMBER};

fn call_id(text: &str) -> Option<&str> {
    text.lines()
        .find_map(|l| l.strip_prefix("Call-ID:"))
        .map(str::trim)
}

#[test]
fn a_burst_past_capacity_gets_quick_503s_while_admitted_calls_complete() -> Result<()> {
    // Each call's app answers after 1 s, so admitted calls pile up awaiting their
    // answer; the node's capacity is set to 5 such calls.
    let hook = Webhook::start(Scenario::Slow, AUTH_TOKEN, &["--delay", "1"])?;
    let mut config = NodeConfig::new().with_webhook(&hook.base_url());
    config.extra_toml = "[overload]\nmax_setups = 5\nhold_ms = 0\nretry_after_secs = 7\n".into();
    let node = Node::start(config)?;

    let calls = 40;
    let out = SippCommand::new("uac_shed.xml")?
        .target(&node.sip_target())
        .trace_messages()
        .args(&[
            "-s",
            NUMBER,
            "-r",
            "40",
            "-m",
            &calls.to_string(),
            "-l",
            "100",
        ])
        .timeout(Duration::from_secs(60))
        .run()?;
    assert!(out.success(), "sipp failed: {out}");
    assert_eq!(out.successful_calls(), Some(calls), "{out}");

    let mut invited: HashMap<String, Duration> = HashMap::new();
    let mut refused = Vec::new();
    let mut answered = 0;
    for m in out.messages() {
        let at = m.at.context("a message without a time stamp")?;
        let id = call_id(&m.text)
            .context("a message without Call-ID")?
            .to_owned();
        if !m.received && m.method() == Some("INVITE") {
            invited.entry(id.clone()).or_insert(at);
        }
        if m.received && m.status() == Some(503) {
            assert_eq!(m.header("Retry-After"), Some("7"), "{}", m.text);
            refused.push(at.saturating_sub(invited[&id]).as_secs_f64());
        }
        if m.received && m.status() == Some(200) && m.text.contains("INVITE") {
            answered += 1;
        }
    }
    let byes = out.received("BYE");
    let slowest = refused.iter().copied().fold(0.0, f64::max);
    eprintln!(
        "{} refused (slowest 503 after {slowest:.4} s), {answered} answered, {byes} BYEs",
        refused.len()
    );
    // Some calls are shed, some admitted, and every admitted call ran its app and was
    // hung up by the node as the document says.
    assert!(
        refused.len() >= 10,
        "only {} refused of {calls}",
        refused.len()
    );
    assert!(answered >= 5, "only {answered} answered");
    assert_eq!(
        byes, answered,
        "every admitted call ends with the app's hangup"
    );
    // Refusals come at once, not after the queue they avoid (each admitted call waits
    // 1 s for its app). The bench measures the 50 ms target on a dedicated run; here the
    // bound leaves room for a machine shared with builds.
    assert!(slowest < 0.2, "a 503 took {slowest:.3} s");
    // Nothing was refused by the webhook: the admitted calls reached it, the others not.
    let voice = hook.requests_to("/voice")?.len();
    assert!(
        voice >= answered,
        "{voice} app requests for {answered} answered calls"
    );
    assert!(
        voice < calls as usize,
        "refused calls never reached the app ({voice})"
    );
    Ok(())
}
