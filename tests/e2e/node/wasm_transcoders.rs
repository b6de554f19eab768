//! Tenant transcoders through the API: `Kind=transcoder` deploys a component of the
//! transcoder world with a per-frame CPU budget, refuses other worlds each way round
//! with a 400 naming what is wrong, and survives a restart (loaded from the cache).

use anyhow::Result;
use switchyard_e2e::wasm::{component, deploy, deploy_ok};
use switchyard_e2e::{Node, NodeConfig};

const TRANSCODER: [(&str, &str); 1] = [("Kind", "transcoder")];

#[test]
fn transcoders_deploy_with_their_kind_and_other_worlds_are_refused() -> Result<()> {
    let mut node = Node::start(NodeConfig::new())?;
    let app = deploy_ok(&node, "agc", &component("agc", None)?, &TRANSCODER)?;
    assert_eq!(app["kind"], "transcoder", "{app}");
    assert_eq!(
        app["cpu_ms"], 1,
        "a transcoder's budget is 1 ms per frame: {app}"
    );
    let app = deploy_ok(
        &node,
        "dtmf-mute",
        &component("dtmf-mute", None)?,
        &[("Kind", "transcoder"), ("CpuMs", "2")],
    )?;
    assert_eq!(app["cpu_ms"], 2, "{app}");

    // A call handler is not a transcoder, nor a transcoder a call handler.
    let r = deploy(&node, "wrong", &component("echo", None)?, &TRANSCODER)?;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("transcoder world"), "{}", r.text());
    let r = deploy(&node, "wrong", &component("agc", None)?, &[])?;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("call-handler world"), "{}", r.text());
    // Half a frame at most.
    let r = deploy(
        &node,
        "slow",
        &component("agc", None)?,
        &[("Kind", "transcoder"), ("CpuMs", "50")],
    )?;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("CpuMs"), "{}", r.text());

    node.kill9()?;
    let before = node.stderr().len();
    node.restart_same_data()?;
    let log = node.stderr()[before..].to_owned();
    let line = log
        .lines()
        .find(|l| l.contains("Wasm apps loaded"))
        .unwrap_or_default();
    assert!(line.contains("from_cache=2"), "{line}");
    assert!(line.contains("failed=0"), "{line}");
    Ok(())
}
