//! A guest cannot flood the store (issue 12, acceptance 3): one step logging 200,000
//! warnings leaves the per-step cap of notifications plus one truncation notice, and a
//! guest filling its conversation state is refused by name at the quota while the
//! store's `session_values` grow by no more than the quota. Across steps, the account's
//! notification rate limit bounds what remains, with a summary of what it dropped.

use std::time::Duration;

use anyhow::Result;
use serde_json::Value;
use switchyard_e2e::wasm::{bind_number, component, deploy_ok};
use switchyard_e2e::{Node, NodeConfig};

use super::wasm_apps::{call_number, notes_with, wait_note};
use super::{eventually, notifications};

/// The node's documented defaults (README, "Wasm apps: caps and quotas").
const LOG_LINES_PER_STEP: usize = 100;
const SESSION_MAX_KEYS: u64 = 100;
const SESSION_MAX_BYTES: u64 = 256 * 1024;

fn text(n: &Value) -> &str {
    n["message_text"].as_str().unwrap_or_default()
}

/// Rows and bytes (keys plus values) of the node's session state, read from its SQLite
/// file beside it.
fn session_usage(node: &Node) -> Result<(u64, u64)> {
    let db = rusqlite::Connection::open_with_flags(
        node.data_dir().join("switchyard.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    Ok(db.query_row(
        "SELECT count(*), coalesce(sum(length(CAST(key AS BLOB)) \
         + length(CAST(value AS BLOB))), 0) FROM session_values",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

#[test]
fn wasm_guest_logging_200000_lines_leaves_the_cap_in_notifications_and_one_truncation_notice(
) -> Result<()> {
    let node = Node::start(NodeConfig::new())?;
    // Enough CPU for the whole loop: the step completes, so every notification of the
    // app is one of its own lines or the notice.
    deploy_ok(
        &node,
        "chatter",
        &component("chatter", None)?,
        &[("CpuMs", "2000")],
    )?;
    let number = "+15550006001";
    bind_number(&node, number, "app:chatter", None)?;

    let (out, _) = call_number(&node, number, "uac_bench.xml")?;
    assert!(out.success(), "sipp failed: {out}");
    // The notice is the step's last line: once it is listed, every line before it is.
    let notice = wait_note(&node, "app chatter: log truncated")?;
    let dropped = 200_000 - LOG_LINES_PER_STEP;
    assert!(
        text(&notice).starts_with(&format!(
            "app chatter: log truncated: {dropped} more lines ("
        )),
        "{notice}"
    );
    let notes = notifications(&node)?;
    let from_app: Vec<&str> = notes
        .iter()
        .map(text)
        .filter(|t| t.starts_with("app chatter"))
        .collect();
    let lines = from_app
        .iter()
        .filter(|t| t.starts_with("app chatter: chatter line "))
        .count();
    let notices = from_app
        .iter()
        .filter(|t| t.starts_with("app chatter: log truncated"))
        .count();
    assert_eq!(lines, LOG_LINES_PER_STEP, "{from_app:#?}");
    assert_eq!(notices, 1, "{from_app:#?}");
    assert_eq!(from_app.len(), LOG_LINES_PER_STEP + 1, "{from_app:#?}");
    Ok(())
}

#[test]
fn wasm_guest_filling_its_conversation_is_refused_at_the_quota_and_the_store_stays_within_it(
) -> Result<()> {
    let node = Node::start(NodeConfig::new())?;
    deploy_ok(
        &node,
        "hoarder",
        &component("hoarder", None)?,
        &[("CpuMs", "1000")],
    )?;
    let number = "+15550006002";
    bind_number(&node, number, "app:hoarder", None)?;
    assert_eq!(session_usage(&node)?, (0, 0));

    for call in 1..=2 {
        let (out, _) = call_number(&node, number, "uac_bench.xml")?;
        assert!(out.success(), "call {call}: sipp failed: {out}");
    }
    // Keys "hoard-00000"… of 11 bytes with 60 KiB values: four fit in 256 KiB. The
    // second call (same From and To) replaces the same four, then is refused too.
    let refused = "hoarder stored 4 values, then quota-exceeded: ";
    let notes = eventually(Duration::from_secs(10), || {
        let notes = notes_with(&node, refused)?;
        Ok((notes.len() == 2).then_some(notes))
    })?;
    for note in &notes {
        assert!(
            text(note).contains(
                "would hold 5 keys of 307255 bytes; its quota is 100 keys and 262144 bytes"
            ),
            "{note}"
        );
    }

    let (rows, bytes) = session_usage(&node)?;
    assert_eq!((rows, bytes), (4, 4 * (11 + 60 * 1024)));
    assert!(rows <= SESSION_MAX_KEYS && bytes <= SESSION_MAX_BYTES);
    Ok(())
}

#[test]
fn wasm_guest_flooding_notifications_across_calls_meets_the_accounts_rate_limit() -> Result<()> {
    let node = Node::start(NodeConfig::new())?;
    deploy_ok(
        &node,
        "chatter",
        &component("chatter", None)?,
        &[("CpuMs", "2000")],
    )?;
    let number = "+15550006003";
    bind_number(&node, number, "app:chatter", None)?;

    // Five calls of 101 notifications each, in far less time than the 30 s the
    // account's rate (bursts of 200, then 10 per second) needs for 505.
    const CALLS: usize = 5;
    let started = std::time::Instant::now();
    for call in 1..=CALLS {
        let (out, _) = call_number(&node, number, "uac_bench.xml")?;
        assert!(out.success(), "call {call}: sipp failed: {out}");
    }
    let summary = wait_note(&node, "notifications dropped in the last")?;
    assert_eq!(summary["error_code"], "20429", "{summary}");
    let elapsed = started.elapsed().as_secs_f64();
    let offered = CALLS * (LOG_LINES_PER_STEP + 1);
    let written = notes_with(&node, "app chatter")?.len();
    let allowed = 200.0 + 10.0 * (elapsed + 1.0);
    assert!(
        (written as f64) <= allowed && written < offered,
        "{written} of {offered} written in {elapsed:.1} s (at most {allowed:.0} allowed)"
    );
    Ok(())
}
