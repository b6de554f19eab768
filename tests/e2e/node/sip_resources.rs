//! Twilio's SIP resources and API keys through a real node, managed by Twilio's own
//! Python helper library (`tests/peers/twilio_sip.py`).

use std::process::Command;

use anyhow::{Context, Result};
use serde_json::Value;
use switchyard_e2e::{peer_script, Node, NodeConfig, ACCOUNT_SID, AUTH_TOKEN};

/// Runs `twilio_sip.py` against `node` as the test account with `extra` arguments; its
/// exit code and the JSON object it printed last.
pub fn twilio_sip(node: &Node, extra: &[&str]) -> Result<(Option<i32>, Value)> {
    let out = Command::new("timeout")
        .args(["--signal=KILL", "90", "python3"])
        .arg(peer_script("twilio_sip.py"))
        .args(["--base-url", &node.http_url("")])
        .args(["--account", ACCOUNT_SID, "--token", AUTH_TOKEN])
        .args(extra)
        .output()
        .context("running twilio_sip.py")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .with_context(|| {
            format!(
                "twilio_sip.py printed no JSON (exit {:?}):\n{stdout}\n{}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
    Ok((out.status.code(), summary))
}

#[test]
fn twilio_library_manages_sip_domains_credentials_acls_mappings_and_keys() -> Result<()> {
    let node = Node::start(NodeConfig::new())?;
    let (code, summary) = twilio_sip(&node, &[])?;
    assert_eq!(code, Some(0), "checks failed: {summary:#}");
    assert_eq!(summary["failures"], serde_json::json!([]), "{summary:#}");
    // A weak password is Twilio's 400, naming the parameter and its rule.
    assert_eq!(summary["weak_password"]["status"], 400, "{summary:#}");
    Ok(())
}
