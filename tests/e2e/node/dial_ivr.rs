//! "Press 0 for an operator": the IVR of `examples/ivr` deployed through the API (and its
//! webhook twin, `examples/ivr-webhook`), a sipp caller pressing 0 by RFC 4733, the
//! operator's number placed through the account's `[[trunks]]` entry to a sipp callee,
//! and the two bridged until the operator hangs up.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::Value;
use switchyard_e2e::wasm::{bind_number, component, deploy_ok};
use switchyard_e2e::{
    Node, NodeConfig, RtpPacket, Sipp, SippOutcome, SippProcess, ACCOUNT_SID, NUMBER,
};

use super::{audible_packets, call_with_capture, calls, eventually};

/// The operator's number in both twins (`OPERATOR` in `examples/ivr/src/lib.rs` and
/// `examples/ivr-webhook/ivr_webhook.py`).
const OPERATOR: &str = "+15550000000";

/// The operator answers, streams speech (`g711a.pcap`, 30 ms PCMA packets) for this
/// long, then hangs up.
const OPERATOR_TALKS_MS: u64 = 2000;

/// `uac_gather.xml` pressing 0 instead of 1 (sipp's `dtmf_2833_0.pcap`), written to a
/// temporary directory that lives as long as the returned handle.
fn press_0_scenario() -> Result<(tempfile::TempDir, PathBuf)> {
    let gather = std::fs::read_to_string(switchyard_e2e::sipp_scenario("uac_gather.xml"))?;
    anyhow::ensure!(
        gather.contains("dtmf_2833_1.pcap"),
        "uac_gather.xml no longer plays dtmf_2833_1.pcap"
    );
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("uac_press_0.xml");
    std::fs::write(
        &path,
        gather.replace("dtmf_2833_1.pcap", "dtmf_2833_0.pcap"),
    )?;
    Ok((dir, path))
}

/// The operator: a sipp UAS answering, talking for [`OPERATOR_TALKS_MS`] and hanging up.
fn answering_operator() -> Result<SippProcess> {
    Sipp::uas(
        "uas_answer_bye.xml",
        &["-d", &OPERATOR_TALKS_MS.to_string()],
    )
}

/// A node config whose `[[trunks]]` entry for the test account is `operator`.
fn trunk_to(operator: &SippProcess) -> NodeConfig {
    let mut config = NodeConfig::new();
    config.extra_toml = format!(
        "[[trunks]]\nname = \"operators\"\naddress = \"{}\"\ntransport = \"udp\"\naccounts = [\"{ACCOUNT_SID}\"]\n",
        operator.addr()
    );
    config
}

/// The user part of a Request-URI (`sip:USER@host;params`).
fn uri_user(uri: &str) -> Option<&str> {
    let rest = uri
        .strip_prefix("sip:")
        .or_else(|| uri.strip_prefix("sips:"))?;
    Some(rest.split_once('@')?.0)
}

/// The operator's INVITE asked the trunk for [`OPERATOR`].
fn assert_invited_the_operator(operator: &SippOutcome) -> Result<()> {
    let invites = operator.received_requests("INVITE");
    let invite = invites.first().context("the operator got no INVITE")?;
    let uri = invite.start_line().split(' ').nth(1).unwrap_or_default();
    assert_eq!(uri_user(uri), Some(OPERATOR), "{}", invite.text);
    Ok(())
}

/// The caller's completed call record and its one child leg, once both are final.
fn parent_and_child(node: &Node) -> Result<(Value, Value)> {
    let parent = eventually(Duration::from_secs(5), || {
        Ok(calls(node)?
            .into_iter()
            .find(|c| c["to"] == NUMBER && c["status"] == "completed"))
    })?;
    let parent_sid = parent["sid"].as_str().context("parent sid")?.to_owned();
    let settled = ["completed", "busy", "failed", "no-answer", "canceled"];
    let children = eventually(Duration::from_secs(5), || {
        let list = node.get_json(&format!(
            "/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json?ParentCallSid={parent_sid}"
        ))?;
        let calls = list["calls"].as_array().cloned().unwrap_or_default();
        let done = calls
            .iter()
            .all(|c| settled.iter().any(|s| c["status"] == *s));
        Ok((!calls.is_empty() && done).then_some(calls))
    })
    .with_context(|| format!("no settled child of {parent_sid}: {:#?}", calls(node)))?;
    let [child] = children.as_slice() else {
        bail!("one child call expected: {children:#?}");
    };
    assert_eq!(child["parent_call_sid"], parent_sid.as_str(), "{child}");
    assert_eq!(child["direction"], "outbound-dial", "{child}");
    assert_eq!(child["to"], OPERATOR, "{child}");
    assert!(parent["parent_call_sid"].is_null(), "{parent}");
    Ok((parent, child.clone()))
}

/// Calls [`NUMBER`] (bound to the IVR) pressing 0 and checks the operator flow end to
/// end: the trunk gets an INVITE for [`OPERATOR`], the caller hears the operator through
/// the bridge, the child call is recorded under its parent, and when the operator hangs
/// up the IVR says goodbye and hangs up the caller at once (not the "not available"
/// menu, which would gather for 10 s more).
fn press_0_reaches_the_operator(node: &Node, operator: SippProcess) -> Result<()> {
    let (_dir, scenario) = press_0_scenario()?;
    let (out, packets) = call_with_capture(node, &scenario.to_string_lossy(), &[])?;
    // uac_gather ends on the node's BYE: success means the IVR hung up the caller.
    assert!(out.success(), "caller: {out}");
    let operator = operator.wait()?;
    assert!(operator.success(), "operator: {operator}");

    assert_invited_the_operator(&operator)?;

    // The caller heard the operator: the callee's 30 ms packets (240 samples) are relayed
    // as they are, the node's own frames are 20 ms (160). About 2 s of them; the first
    // 2 s of sipp's g711a.pcap are speech with pauses, about half of it audible.
    let relayed: Vec<RtpPacket> = packets
        .iter()
        .filter(|p| p.payload.len() == 240)
        .cloned()
        .collect();
    let expected = OPERATOR_TALKS_MS as usize / 30;
    let audible = audible_packets(&relayed);
    assert!(
        (expected * 3 / 4..=expected * 5 / 4).contains(&relayed.len()) && audible >= expected / 3,
        "{audible} audible relayed packets of {} (≈{expected} expected)",
        relayed.len()
    );
    // After the operator hung up, the node spoke a short goodbye of its own (well under
    // the 4 s of "The operator is not available. Press one, or zero …").
    let last_relayed = relayed.last().map_or(0.0, |p| p.time);
    let after: Vec<RtpPacket> = packets
        .iter()
        .filter(|p| p.time > last_relayed && p.payload.len() == 160)
        .cloned()
        .collect();
    let goodbye = audible_packets(&after);
    assert!(
        (5..=75).contains(&goodbye),
        "{goodbye} audible packets after the bridge (\"Goodbye.\" expected)"
    );

    // The records: the caller's inbound call and, under it, the operator's leg.
    let (_, child) = parent_and_child(node)?;
    assert_eq!(child["status"], "completed", "{child}");
    Ok(())
}

#[test]
fn wasm_ivr_press_0_dials_the_operator_through_the_trunk_and_bridges() -> Result<()> {
    let ivr = component("ivr", None)?;
    let operator = answering_operator()?;
    let node = Node::start(trunk_to(&operator))?;
    deploy_ok(&node, "ivr", &ivr, &[])?;
    bind_number(&node, NUMBER, "app:ivr", None)?;
    press_0_reaches_the_operator(&node, operator)
}

#[test]
fn wasm_ivr_press_0_with_a_busy_operator_says_so_and_offers_the_menu_again() -> Result<()> {
    let ivr = component("ivr", None)?;
    let operator = Sipp::uas("uas_busy.xml", &[])?;
    let node = Node::start(trunk_to(&operator))?;
    deploy_ok(&node, "ivr", &ivr, &[])?;
    bind_number(&node, NUMBER, "app:ivr", None)?;

    let (_dir, scenario) = press_0_scenario()?;
    let (out, packets) = call_with_capture(&node, &scenario.to_string_lossy(), &[])?;
    // The menu offered again gathers for 10 s; no digit comes, the document ends and the
    // node hangs up, which uac_gather waits for.
    assert!(out.success(), "caller: {out}");
    let operator = operator.wait()?;
    assert!(operator.success(), "operator: {operator}");
    assert_invited_the_operator(&operator)?;
    assert_eq!(operator.sent_responses(486), 1, "{operator}");

    let (parent, child) = parent_and_child(&node)?;
    assert_eq!(child["status"], "busy", "{child}");
    assert!(
        packets.iter().all(|p| p.payload.len() != 240),
        "nothing was bridged, yet 30 ms packets reached the caller"
    );
    // 2.5 s before the digit, "Connecting you to an operator.", then "The operator is not
    // available. Press one, or zero for an operator." and the menu's 10 s: at least 15 s
    // (a goodbye-and-hang-up would end the call some 10 s sooner).
    let duration: u64 = parent["duration"]
        .as_str()
        .and_then(|d| d.parse().ok())
        .or_else(|| parent["duration"].as_u64())
        .with_context(|| format!("duration of {parent}"))?;
    assert!(
        (15..=30).contains(&duration),
        "caller's call lasted {duration} s"
    );
    Ok(())
}

/// `examples/ivr-webhook/ivr_webhook.py` on a free port; killed when dropped (and gone
/// after `--lifetime` anyway).
struct IvrTwin {
    child: Child,
    base: String,
}

impl IvrTwin {
    fn start() -> Result<IvrTwin> {
        let script = switchyard_e2e::tests_dir().join("../examples/ivr-webhook/ivr_webhook.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .args(["0", "--lifetime", "120"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", script.display()))?;
        let mut line = String::new();
        let read = BufReader::new(child.stdout.take().context("twin stdout")?).read_line(&mut line);
        let port = line.trim().strip_prefix("PORT ").map(str::to_owned);
        let twin = IvrTwin {
            child,
            base: format!("http://127.0.0.1:{}", port.as_deref().unwrap_or("0")),
        };
        read?;
        match port {
            Some(_) => Ok(twin),
            None => bail!("the twin printed {line:?}, not PORT n"),
        }
    }
}

impl Drop for IvrTwin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn webhook_twin_press_0_dials_the_operator_through_the_trunk_and_bridges() -> Result<()> {
    let twin = IvrTwin::start()?;
    let operator = answering_operator()?;
    let node = Node::start(trunk_to(&operator))?;
    bind_number(&node, NUMBER, &format!("{}/", twin.base), None)?;
    press_0_reaches_the_operator(&node, operator)
}
