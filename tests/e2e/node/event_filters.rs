//! Acceptance 4: a redacting Wasm filter changes what one subscriber sees and not
//! another's; filters that loop or trap are skipped for the event with a notification,
//! and their subscribers keep receiving.

use std::time::Duration;

use anyhow::Result;
use switchyard_e2e::http::request;
use switchyard_e2e::wasm::{component, deploy, deploy_ok};
use switchyard_e2e::{ACCOUNT_SID, AUTH_TOKEN};

use super::events::{node_with_two_accounts, open_sse};
use super::{call_with_capture, eventually, notifications};

const CALLER: &str = "+15557770000";

#[test]
fn a_redacting_filter_changes_one_subscribers_view_and_hostile_ones_are_skipped() -> Result<()> {
    let (_hook, node) = node_with_two_accounts("")?;
    let filter = [("Kind", "event-filter"), ("CpuMs", "20")];
    let app = deploy_ok(&node, "redactor", &component("redactor", None)?, &filter)?;
    assert_eq!(app["kind"], "event-filter");
    deploy_ok(
        &node,
        "filter-looper",
        &component("filter-looper", None)?,
        &filter,
    )?;
    deploy_ok(
        &node,
        "filter-trapper",
        &component("filter-trapper", None)?,
        &filter,
    )?;
    // A component of the other world is refused, each way round.
    let r = deploy(&node, "wrong", &component("redactor", None)?, &[])?;
    assert_eq!(r.status, 400, "{}", r.text());
    let r = deploy(
        &node,
        "wrong",
        &component("echo", None)?,
        &[("Kind", "event-filter")],
    )?;
    assert_eq!(r.status, 400, "{}", r.text());
    // A subscription may name only a deployed filter.
    let subs = node.http_url(&format!("/v1/Accounts/{ACCOUNT_SID}/Subscriptions"));
    let r = request("POST", &subs)
        .basic_auth(ACCOUNT_SID, AUTH_TOKEN)
        .send_form(&[("WasmFilter", "nope")])?;
    assert_eq!(r.status, 400, "{}", r.text());
    let r = request("POST", &subs)
        .basic_auth(ACCOUNT_SID, AUTH_TOKEN)
        .send_form(&[("WasmFilter", "redactor"), ("Types", "call.*")])?;
    assert_eq!(r.status, 201, "{}", r.text());
    let sub = r.json()?["sid"].as_str().unwrap_or_default().to_owned();

    let mut redacted = open_sse(&node, ACCOUNT_SID, &format!("?subscriptions={sub}"))?;
    let mut plain = open_sse(&node, ACCOUNT_SID, "?types=call.*")?;
    let mut looped = open_sse(
        &node,
        ACCOUNT_SID,
        "?types=call.*&wasm_filter=filter-looper",
    )?;
    let mut trapped = open_sse(
        &node,
        ACCOUNT_SID,
        "?types=call.*&wasm_filter=filter-trapper",
    )?;

    let (out, _) = call_with_capture(&node, "uac_gather.xml", &[])?;
    assert!(out.success(), "the call suffered from the filters: {out}");

    let done = |e: &switchyard_e2e::SseEvent| e.event == "call.completed";
    let r = redacted.until(Duration::from_secs(20), done);
    let p = plain.until(Duration::from_secs(20), done);
    let ids = |v: &[switchyard_e2e::SseEvent]| v.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&r), ids(&p), "the same events, one redacted");
    assert_eq!(r.len(), super::events::CALL_LIFECYCLE.len(), "{r:?}");
    for (red, raw) in r.iter().zip(&p) {
        assert_eq!(raw.json()["data"]["From"], CALLER);
        assert_eq!(red.json()["data"]["From"], "+*******0000", "{}", red.data);
        assert_eq!(red.json()["data"]["To"], "+*******1111");
        assert_eq!(red.json()["type"], raw.json()["type"]);
        assert_eq!(red.json()["call_sid"], raw.json()["call_sid"]);
    }
    // Hostile filters are skipped: their subscribers still get every event.
    for hostile in [&mut looped, &mut trapped] {
        let got = hostile.until(Duration::from_secs(20), done);
        assert_eq!(ids(&got), ids(&p));
        assert_eq!(got[0].json()["data"]["From"], CALLER);
    }
    for name in ["filter-looper", "filter-trapper"] {
        let n = eventually(Duration::from_secs(5), || {
            Ok(notifications(&node)?.into_iter().find(|n| {
                n["error_code"] == "64003"
                    && n["message_text"].as_str().is_some_and(|m| m.contains(name))
            }))
        })?;
        assert!(
            n["message_text"]
                .as_str()
                .unwrap_or_default()
                .contains("skipped"),
            "{n}"
        );
    }
    Ok(())
}
