//! The `switchyard` CLI against a real node: numbers create/list/update/delete as tables
//! and JSON, calls create/get/list, and how it reports a refused token or a node that is
//! not there.

use std::process::{Command, Output};

use anyhow::Result;
use serde_json::Value;
use switchyard_e2e::node::node_binary;
use switchyard_e2e::{free_port, Node, NodeConfig, ACCOUNT_SID, AUTH_TOKEN};

/// Run the CLI against `api` with explicit flags only (the environment must not leak in).
fn run(api: &str, token: &str, args: &[&str]) -> Result<Output> {
    let out = Command::new(node_binary()?)
        .args(["--api", api, "--account", ACCOUNT_SID, "--token", token])
        .args(args)
        .env_remove("SWITCHYARD_API")
        .env_remove("SWITCHYARD_ACCOUNT_SID")
        .env_remove("SWITCHYARD_AUTH_TOKEN")
        .output()?;
    Ok(out)
}

struct Cli<'a> {
    node: &'a Node,
}

impl Cli<'_> {
    /// Run and require success; the stdout.
    fn ok(&self, args: &[&str]) -> Result<String> {
        let out = run(&self.node.http_url(""), AUTH_TOKEN, args)?;
        let stdout = String::from_utf8(out.stdout)?;
        anyhow::ensure!(
            out.status.success(),
            "switchyard {args:?}: {}\nstdout: {stdout}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(stdout)
    }

    fn json(&self, args: &[&str]) -> Result<Value> {
        let mut all = args.to_vec();
        all.push("--json");
        Ok(serde_json::from_str(&self.ok(&all)?)?)
    }
}

/// The table row (not the header) that mentions `needle`.
fn row<'a>(table: &'a str, needle: &str) -> Option<&'a str> {
    table.lines().skip(1).find(|l| l.contains(needle))
}

#[test]
fn numbers_lifecycle_as_tables_and_json() -> Result<()> {
    let node = Node::start(NodeConfig::new())?;
    let cli = Cli { node: &node };
    let number = "+15550002222";

    let created = cli.ok(&[
        "numbers",
        "create",
        number,
        "--voice-url",
        "http://127.0.0.1:9/voice",
    ])?;
    assert!(created.starts_with("SID"), "{created}");
    let created_row = row(&created, number).expect("created number in the table");
    let sid = created_row.split_whitespace().next().unwrap().to_owned();
    assert!(sid.starts_with("PN") && sid.len() == 34, "{created}");

    let table = cli.ok(&["numbers", "list"])?;
    let listed = row(&table, number).expect("number in the list table");
    assert!(
        listed.contains(&sid) && listed.contains("http://127.0.0.1:9/voice"),
        "{table}"
    );

    // Update by phone number: the CLI finds the SID itself.
    let updated = cli.ok(&[
        "numbers",
        "update",
        number,
        "--friendly-name",
        "Front desk",
        "--voice-method",
        "get",
    ])?;
    assert!(row(&updated, "Front desk").is_some(), "{updated}");
    let api = node.get_json(&format!(
        "/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers/{sid}.json"
    ))?;
    assert_eq!(api["friendly_name"], "Front desk");
    assert_eq!(api["voice_method"], "GET");
    assert_eq!(api["voice_url"], "http://127.0.0.1:9/voice");

    let list = cli.json(&["numbers", "list", "--phone-number", number])?;
    let list = list.as_array().expect("--json list is an array");
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["sid"], sid.as_str());
    assert_eq!(list[0]["friendly_name"], "Front desk");

    let deleted = cli.ok(&["numbers", "delete", number])?;
    assert_eq!(deleted.trim(), format!("Deleted {sid}"));
    let after = cli.json(&["numbers", "list"])?;
    assert!(
        !after
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["sid"] == sid.as_str()),
        "{after}"
    );
    // Deleting again: the number is gone, so it cannot be resolved.
    let out = run(
        &node.http_url(""),
        AUTH_TOKEN,
        &["numbers", "delete", number],
    )?;
    assert_eq!(out.status.code(), Some(1));
    Ok(())
}

#[test]
fn calls_created_by_the_cli_are_listed_as_json() -> Result<()> {
    let node = Node::start(NodeConfig::new())?;
    let cli = Cli { node: &node };
    assert_eq!(cli.json(&["calls", "list"])?, Value::Array(Vec::new()));

    // Nobody listens on this port: the call stays queued or ringing, or fails, but its
    // record exists from the moment the API answers.
    let to = format!("sip:nobody@127.0.0.1:{}", free_port()?);
    let created = cli.json(&[
        "calls",
        "create",
        "--to",
        &to,
        "--from",
        "+15550001111",
        "--twiml",
        "<Response><Say>Hello</Say></Response>",
    ])?;
    let sid = created["sid"].as_str().expect("sid").to_owned();
    assert_eq!(created["to"], to.as_str());

    let fetched = cli.json(&["calls", "get", &sid])?;
    assert_eq!(fetched["sid"], sid.as_str());
    let listed = cli.json(&["calls", "list", "--to", &to])?;
    let listed = listed.as_array().expect("array");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["sid"], sid.as_str());
    let table = cli.ok(&["calls", "list"])?;
    assert!(
        row(&table, &sid).is_some_and(|r| r.contains("+15550001111")),
        "{table}"
    );
    Ok(())
}

#[test]
fn refused_token_prints_the_api_code_and_exits_1() -> Result<()> {
    let node = Node::start(NodeConfig::new())?;
    let out = run(&node.http_url(""), "wrong-token", &["numbers", "list"])?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("20003"), "{stderr}");
    assert!(out.stdout.is_empty());
    Ok(())
}

#[test]
fn unreachable_node_names_the_url_and_exits_2() -> Result<()> {
    let api = format!("http://127.0.0.1:{}", free_port()?);
    let out = run(&api, AUTH_TOKEN, &["calls", "list", "--json"])?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&api), "{stderr}");
    Ok(())
}

/// The CLI mints signed stream URLs and manages subscriptions; a minted URL opens a
/// stream without any credentials.
#[test]
fn cli_mints_stream_urls_and_manages_subscriptions() -> Result<()> {
    let node = Node::start(NodeConfig::new())?;
    let cli = Cli { node: &node };
    let minted: Value = serde_json::from_str(&cli.ok(&[
        "--json", "events", "url", "--types", "call.*", "--ttl", "120",
    ])?)?;
    let url = minted["url"].as_str().expect("url");
    assert!(url.starts_with(&node.http_url("/v1/Accounts/")), "{url}");
    assert!(minted["console_url"]
        .as_str()
        .is_some_and(|c| c.contains("/console/events?stream=")));
    let stream = switchyard_e2e::EventStream::open(url, &[])?;
    assert!(stream.is_ok(), "the minted URL opens a stream");

    let created: Value = serde_json::from_str(&cli.ok(&[
        "--json",
        "events",
        "subscribe",
        "--types",
        "gather.ended",
        "--filter",
        "Digits=1",
    ])?)?;
    let sid = created["sid"].as_str().expect("sid").to_owned();
    assert_eq!(created["types"], serde_json::json!(["gather.ended"]));
    let table = cli.ok(&["events", "subscriptions"])?;
    assert!(
        table.contains(&sid) && table.contains("Digits=1") && table.contains("stream"),
        "{table}"
    );
    let for_sub: Value =
        serde_json::from_str(&cli.ok(&["--json", "events", "url", "--subscription", &sid])?)?;
    assert!(for_sub["url"].as_str().is_some_and(|u| u.contains(&sid)));
    cli.ok(&["events", "unsubscribe", &sid])?;
    let list: Value = serde_json::from_str(&cli.ok(&["--json", "events", "subscriptions"])?)?;
    assert_eq!(list, serde_json::json!([]));
    // A bad type is refused with the API's message.
    let out = run(
        &node.http_url(""),
        AUTH_TOKEN,
        &["events", "subscribe", "--types", "call.exploded"],
    )?;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("call.exploded"));
    Ok(())
}
