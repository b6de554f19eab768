//! Hostile tenant apps are contained: each failing step goes to the number's fallback
//! within its budget, becomes a notification, and calls on other apps carry on.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use switchyard_e2e::wasm::{bind_number, component, deploy_ok};
use switchyard_e2e::{Node, NodeConfig, Scenario, Sipp, Webhook, AUTH_TOKEN};

use super::audible_packets;
use super::wasm_apps::{call_number, wait_note};

/// One hostile guest: how it is deployed and how the node must describe its failure.
struct Hostile {
    name: &'static str,
    number: &'static str,
    cpu_ms: u64,
    memory_limit: Option<&'static str>,
    /// Twilio-style code the fallback request must carry.
    code: &'static str,
    /// What the notification must say about the reason.
    reason: &'static str,
}

const HOSTILE: &[Hostile] = &[
    Hostile {
        name: "looper",
        number: "+15550002001",
        cpu_ms: 50,
        memory_limit: None,
        code: "11205",
        reason: "CPU budget",
    },
    Hostile {
        name: "grower",
        number: "+15550002002",
        cpu_ms: 500,
        memory_limit: Some("16777216"),
        code: "11200",
        reason: "memory limit",
    },
    Hostile {
        name: "recurser",
        number: "+15550002003",
        cpu_ms: 500,
        memory_limit: None,
        code: "11200",
        reason: "trapped",
    },
    Hostile {
        name: "panicker",
        number: "+15550002004",
        cpu_ms: 500,
        memory_limit: None,
        code: "11200",
        reason: "trapped",
    },
    Hostile {
        name: "flood",
        number: "+15550002005",
        cpu_ms: 1000,
        memory_limit: None,
        code: "11750",
        reason: "more verbs",
    },
];

/// The number of the well-behaved app taking load meanwhile.
const LOAD_NUMBER: &str = "+15550003000";

fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Calls the hostile guest's number; checks the fallback, its timing and the
/// notification. Returns a description of what went wrong, if anything.
fn contained(node: &Node, hook: &Webhook, h: &Hostile) -> Result<()> {
    let started = now_secs();
    let (out, packets) = call_number(node, h.number, "uac_bench.xml")?;
    anyhow::ensure!(out.success(), "{}: call did not complete: {out}", h.name);
    anyhow::ensure!(
        audible_packets(&packets) > 25,
        "{}: the fallback's Say was not heard",
        h.name
    );
    let fallback: Vec<_> = hook
        .requests_to("/fallback")?
        .into_iter()
        .filter(|r| r.param("To") == Some(h.number))
        .collect();
    anyhow::ensure!(fallback.len() == 1, "{}: {fallback:?}", h.name);
    let f = &fallback[0];
    anyhow::ensure!(f.signature_valid, "{}: {f:?}", h.name);
    anyhow::ensure!(
        f.param("ErrorCode") == Some(h.code),
        "{}: ErrorCode {:?}, want {}",
        h.name,
        f.param("ErrorCode"),
        h.code
    );
    let app_url = format!("app://{}/", h.name);
    anyhow::ensure!(
        f.param("ErrorUrl").is_some_and(|u| u.starts_with(&app_url)),
        "{}: ErrorUrl {:?}, want {app_url}…",
        h.name,
        f.param("ErrorUrl")
    );
    // The step is stopped within its budget: its CPU budget, or at the latest its wall
    // budget (the node gives a step 20 × its CPU budget, at least 1 s, of wall time; on a
    // loaded machine a spinning guest reaches the wall limit first), plus a second for
    // signalling and the HTTP round trip.
    let elapsed = f.time - started;
    let wall = (h.cpu_ms as f64 * 20.0 / 1000.0).max(1.0);
    let limit = wall + 1.0;
    anyhow::ensure!(
        elapsed < limit,
        "{}: fallback requested {elapsed:.3} s after the INVITE (limit {limit} s)",
        h.name
    );
    let call_sid = f.param("CallSid").unwrap_or_default();
    // The node's notification ("app NAME vN: reason"), not the guest's own log lines
    // ("app NAME: …", code 82002), which a panicking guest also leaves.
    let note = wait_note(node, &format!("app {} v", h.name))?;
    anyhow::ensure!(
        note["call_sid"] == call_sid,
        "{}: notification names another call: {note}",
        h.name
    );
    anyhow::ensure!(
        note["message_text"]
            .as_str()
            .is_some_and(|t| t.contains(h.reason)),
        "{}: notification does not say {:?}: {note}",
        h.name,
        h.reason
    );
    Ok(())
}

#[test]
fn wasm_hostile_apps_fall_back_within_budget_while_others_serve_calls() -> Result<()> {
    let hook = Webhook::start(Scenario::Error500, AUTH_TOKEN, &[])?;
    let mut config = NodeConfig::new();
    config.rtp_ports = 200;
    let node = Node::start(config)?;
    for h in HOSTILE {
        let cpu = h.cpu_ms.to_string();
        let mut options = vec![("CpuMs", cpu.as_str())];
        if let Some(m) = h.memory_limit {
            options.push(("MemoryLimit", m));
        }
        deploy_ok(&node, h.name, &component(h.name, None)?, &options)?;
        bind_number(
            &node,
            h.number,
            &format!("app:{}", h.name),
            Some(&hook.url("/fallback")),
        )?;
    }
    deploy_ok(&node, "hello", &component("hello", None)?, &[])?;
    bind_number(&node, LOAD_NUMBER, "app:hello", None)?;

    let (node, hook) = (&node, &hook);
    let (load, results) = std::thread::scope(|s| {
        // 20 calls at once on the well-behaved app, while the hostile ones run.
        let load = s.spawn(|| {
            Sipp::run(
                "uac_bench.xml",
                &node.sip_target(),
                &["-m", "20", "-l", "20", "-r", "20", "-s", LOAD_NUMBER],
            )
        });
        let hostile: Vec<_> = HOSTILE
            .iter()
            .map(|h| s.spawn(move || contained(node, hook, h)))
            .collect();
        let results: Vec<_> = hostile
            .into_iter()
            .map(|t| t.join().expect("hostile call thread"))
            .collect();
        (load.join().expect("load thread"), results)
    });
    let load = load?;
    assert!(load.success(), "load calls failed: {load}");
    assert_eq!(load.successful_calls(), Some(20), "{load}");
    let failures: Vec<String> = results
        .into_iter()
        .filter_map(|r| r.err().map(|e| format!("{e:#}")))
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    Ok(())
}

#[test]
fn wasm_failure_without_fallback_plays_the_error_message_and_hangs_up() -> Result<()> {
    let node = Node::start(NodeConfig::new())?;
    deploy_ok(&node, "panicker", &component("panicker", None)?, &[])?;
    let number = "+15550004000";
    bind_number(&node, number, "app:panicker", None)?;
    // uac_bench waits for the node's BYE and answers it: a clean hang-up.
    let (out, packets) = call_number(&node, number, "uac_bench.xml")?;
    assert!(out.success(), "sipp failed: {out}");
    let audible = audible_packets(&packets);
    assert!(
        audible > 50,
        "error message not heard ({audible} audible packets)"
    );
    // The guest's own panic text also arrives, as a log notification (82002); the one
    // that matters is the node's: the step trapped, naming the app.
    let note = wait_note(&node, "app trapped")?;
    assert!(
        note["message_text"]
            .as_str()
            .is_some_and(|t| t.starts_with("app panicker")),
        "{note}"
    );
    Ok(())
}

#[test]
fn wasm_fetch_outside_the_allow_list_never_leaves_the_node() -> Result<()> {
    // The target is a live webhook: a request reaching it would be logged there.
    let target = Webhook::start(Scenario::SayHangup, AUTH_TOKEN, &[])?;
    let node = Node::start(NodeConfig::new())?;
    deploy_ok(
        &node,
        "fetchy",
        &component("echo", None)?,
        &[("HttpAllow", "allowed.example")],
    )?;
    let number = "+15550005000";
    let path = format!("127.0.0.1:{}/voice", target.port());
    bind_number(&node, number, &format!("app:fetchy/fetch/{path}"), None)?;
    let (out, _) = call_number(&node, number, "uac_bench.xml")?;
    assert!(out.success(), "sipp failed: {out}");
    let note = wait_note(&node, &format!("fetch {path}"))?;
    let text = note["message_text"].as_str().unwrap_or_default();
    assert!(
        text.contains("error") && text.contains("allow-list"),
        "{note}"
    );
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        target.requests()?.is_empty(),
        "the disallowed host was reached"
    );
    Ok(())
}
