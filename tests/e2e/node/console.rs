//! Acceptance 6: headless Chromium opens `/console/events` with a signed URL and shows a
//! call's events as the call happens.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result};
use switchyard_e2e::http::request;
use switchyard_e2e::{ACCOUNT_SID, AUTH_TOKEN};

use super::call_with_capture;
use super::events::{node_with_two_accounts, open_sse, CALL_TYPES};

#[test]
fn chromium_shows_a_calls_events_live_on_the_console_page() -> Result<()> {
    let (_hook, node) = node_with_two_accounts("")?;
    let minted = request(
        "POST",
        &node.http_url(&format!("/v1/Accounts/{ACCOUNT_SID}/Events/SignedUrl")),
    )
    .basic_auth(ACCOUNT_SID, AUTH_TOKEN)
    .send_form(&[("Ttl", "300")])?;
    assert_eq!(minted.status, 200, "{}", minted.text());
    let page = node.http_url(
        minted.json()?["console_url"]
            .as_str()
            .context("console_url")?,
    );
    assert!(!page.contains(AUTH_TOKEN), "the page URL carries no key");
    let mut witness = open_sse(&node, ACCOUNT_SID, "")?;

    let dir = tempfile::tempdir()?;
    let shot = dir.path().join("console.png");
    let script = switchyard_e2e::tests_dir().join("browser/console.mjs");
    let mut browser = Command::new("timeout")
        .args(["120", "node"])
        .arg(&script)
        .arg(&page)
        .arg("--screenshot")
        .arg(&shot)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting node (Node.js) with playwright-core: run scripts/install-deps --test")?;
    let (tx, rx) = mpsc::channel();
    let stdout = browser.stdout.take().context("stdout")?;
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
            let _ = tx.send(line);
        }
    });
    let ready = rx.recv_timeout(Duration::from_secs(60));
    if ready.as_deref() != Ok("ready") {
        let _ = browser.kill();
        let out = browser.wait_with_output()?;
        anyhow::bail!(
            "the page did not go live: {ready:?}; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The call happens while the page is open.
    let (out, _) = call_with_capture(&node, "uac_gather.xml", &[])?;
    assert!(out.success(), "sipp failed: {out}");
    let line = rx.recv_timeout(Duration::from_secs(60));
    let status = browser.wait()?;
    let line = line.context("the page never showed call.completed")?;
    assert!(status.success(), "browser driver failed: {status}");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&line)?;

    let shown: Vec<&str> = rows.iter().filter_map(|r| r["type"].as_str()).collect();
    let documented: Vec<&str> = shown
        .iter()
        .copied()
        .filter(|t| CALL_TYPES.contains(t))
        .collect();
    assert_eq!(documented, CALL_TYPES, "the page showed {shown:?}");
    let seen = witness.until(Duration::from_secs(10), |e| e.event == "call.completed");
    let witness_ids: Vec<Option<String>> = seen.iter().map(|e| e.id.clone()).collect();
    let page_ids: Vec<Option<String>> = rows
        .iter()
        .map(|r| r["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        page_ids, witness_ids,
        "the page and an SSE client saw different events"
    );
    let call = rows[0]["call"].as_str().unwrap_or_default();
    assert!(call.starts_with("CA") && rows.iter().all(|r| r["call"] == call));
    assert!(
        std::fs::metadata(&shot)?.len() > 1000,
        "a screenshot of the page"
    );
    Ok(())
}
