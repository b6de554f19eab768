//! Acceptance 4 over the wire: every RFC 4475 torture message sent to the node's UDP
//! listener gets the outcome `runtime/sip/tests/rfc4475_outcomes.tsv` names (the same table
//! the parser's own test uses).

use std::net::UdpSocket;
use std::path::PathBuf;
use std::time::Duration;

use switchyard_e2e::{Node, NodeConfig};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/rfc4475")
}

/// The port a response goes to: RFC 3261 §18.2.2 sends it to the source address and the
/// Via's sent-by port (5060 when absent) unless `rport` asks for the source port.
fn via_port(message: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(message);
    let via = text
        .lines()
        .find(|l| {
            let l = l.to_ascii_lowercase();
            l.starts_with("via") || l.starts_with("v:") || l.starts_with("v ")
        })
        .unwrap_or("");
    // "Via: SIP/2.0/UDP host:port;params": the sent-by follows the protocol token.
    let mut tokens = via
        .split_whitespace()
        .skip_while(|t| !t.starts_with("SIP/"));
    let sent_by = tokens.nth(1).unwrap_or("");
    sent_by
        .split(';')
        .next()
        .and_then(|h| h.rsplit_once(':'))
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or(5060)
}

/// The Call-ID of a message, to tell its responses from retransmissions of earlier
/// final responses (an un-ACKed 4xx to INVITE is resent by Timer G for 32 s).
fn call_id(message: &[u8]) -> String {
    let text = String::from_utf8_lossy(message);
    text.lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            let name = name.trim().to_ascii_lowercase();
            (name == "call-id" || name == "i").then(|| value.trim().to_owned())
        })
        .unwrap_or_default()
}

/// The status of the next response to the message with `call_id` (None: nothing came).
/// The top Via's branch parameter: messages that share one are one transaction to the
/// node (RFC 3261 §17.2.3), so they must go to different nodes to be judged on their own.
fn branch(message: &[u8]) -> String {
    let text = String::from_utf8_lossy(message);
    text.split("branch=")
        .nth(1)
        .map(|b| {
            b.split([';', ',', '\r', '\n', ' '])
                .next()
                .unwrap_or("")
                .to_owned()
        })
        .unwrap_or_default()
}

fn first_status(sock: &UdpSocket, call_id: &str) -> Option<u16> {
    let mut buf = [0u8; 65535];
    loop {
        let (n, _) = sock.recv_from(&mut buf).ok()?;
        let text = String::from_utf8_lossy(&buf[..n]);
        if !call_id.is_empty() && !text.contains(call_id) {
            continue;
        }
        return text.strip_prefix("SIP/2.0 ")?.get(..3)?.parse().ok();
    }
}

#[test]
fn torture_messages_through_the_udp_listener() -> anyhow::Result<()> {
    let mut node = Node::start(NodeConfig::new())?;
    let mut branches = std::collections::HashSet::new();
    let table = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../runtime/sip/tests/rfc4475_outcomes.tsv"),
    )?;
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in table.lines().skip(1) {
        let Some((file, outcome)) = line.split_once('\t') else {
            continue;
        };
        let message = std::fs::read(data_dir().join(file))?;
        let b = branch(&message);
        if !b.is_empty() && !branches.insert(b) {
            node = Node::start(NodeConfig::new())?;
            branches.clear();
            branches.insert(branch(&message));
        }
        let sock = UdpSocket::bind(("127.0.0.1", via_port(&message)))?;
        sock.set_read_timeout(Some(Duration::from_millis(400)))?;
        sock.send_to(&message, node.sip_target())?;
        let id = call_id(&message);
        let got = first_status(&sock, &id);
        let ok = match outcome.split_once(' ') {
            Some(("status", code)) => got == code.parse().ok(),
            // Parsed and handed on: whatever the node answers, it is not a parse error.
            _ if outcome == "parse" => got != Some(400),
            _ if outcome == "drop" => got.is_none(),
            _ => false,
        };
        checked += 1;
        if !ok {
            failures.push(format!("{file}: expected {outcome}, got {got:?}"));
        }
        // Drain anything else (final responses after 100 Trying) before the next message.
        while first_status(&sock, &id).is_some() {}
    }
    assert_eq!(checked, 49, "the table must cover all 49 messages");
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(node.stderr().matches("panicked").count() == 0);
    Ok(())
}
