//! The REST API through a real node: Twilio's official Python library driving an
//! outbound call against a sipp far end, and tenant isolation over plain HTTP.

use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::Value;
use switchyard_e2e::http::{request, HttpResponse};
use switchyard_e2e::{
    peer_script, AccountConfig, Capture, Node, NodeConfig, SippCommand, ACCOUNT_SID, AUTH_TOKEN,
};

use super::audible_packets;

const OTHER_SID: &str = "AC00000000000000000000000000000002";
const OTHER_TOKEN: &str = "other-token";

/// Runs `tests/peers/twilio_client.py`; returns its exit code and its JSON summary.
fn twilio_client(node: &Node, to: &str, number: &str) -> Result<(Option<i32>, Value)> {
    let out = Command::new("timeout")
        .args(["--signal=KILL", "90", "python3"])
        .arg(peer_script("twilio_client.py"))
        .args(["--base-url", &node.http_url("")])
        .args(["--account", ACCOUNT_SID, "--token", AUTH_TOKEN])
        .args(["--to", to, "--from", "+15550009999", "--number", number])
        .args(["--after-update", "3"])
        .output()
        .context("running twilio_client.py")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    let summary: Value = serde_json::from_str(last).with_context(|| {
        format!(
            "twilio_client.py printed no JSON (exit {:?}):\n{stdout}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    Ok((out.status.code(), summary))
}

#[test]
fn twilio_python_library_drives_calls_numbers_and_notifications() -> Result<()> {
    // Two calls reach the far end: the one the library steers and the invalid-TwiML one
    // that provokes a notification. sipp exits 0 only if both ended with our BYE.
    let uas = SippCommand::new("uas_wait_bye.xml")?
        .args(&["-m", "2"])
        .timeout(Duration::from_secs(100));
    let media_port = uas.media_port();
    let cap = Capture::start(media_port)?;
    let mut uas = uas.spawn()?;
    uas.wait_listening(Duration::from_secs(5))?;
    let node = Node::start(NodeConfig::new())?;
    let to = format!("sip:+15550002222@{}", uas.addr());

    let (code, summary) = twilio_client(&node, &to, "+15557770001")?;
    std::thread::sleep(Duration::from_millis(300));
    let packets = cap.stop()?;
    assert_eq!(code, Some(0), "twilio client checks failed: {summary:#}");
    assert_eq!(summary["failures"], serde_json::json!([]), "{summary:#}");
    assert_eq!(summary["call"]["status"], "completed", "{summary:#}");
    let duration: u64 = summary["call"]["duration"]
        .as_str()
        .and_then(|d| d.parse().ok())
        .with_context(|| format!("no duration: {summary:#}"))?;
    assert!(duration >= 3, "{summary:#}");

    // The redirect really changed what the call plays: the hold Pause is silent, the
    // redirected Say is not.
    let t = |k: &str| {
        summary[k]
            .as_f64()
            .with_context(|| format!("no {k}: {summary:#}"))
    };
    let (answered, update, hangup) = (t("answered_at")?, t("update_at")?, t("hangup_at")?);
    let window = |from: f64, to: f64| -> Vec<_> {
        packets
            .iter()
            .filter(|p| p.time >= from && p.time < to)
            .cloned()
            .collect()
    };
    let before = window(answered, update);
    let after = window(update, hangup);
    assert_eq!(
        audible_packets(&before),
        0,
        "sound during the hold Pause ({} packets)",
        before.len()
    );
    assert!(
        audible_packets(&after) >= 10,
        "no Say after the redirect: {} audible of {} packets",
        audible_packets(&after),
        after.len()
    );

    // Both calls ended with the node's BYE, answered by sipp.
    let out = uas.wait()?;
    assert!(out.success(), "far end did not see both calls end: {out}");
    Ok(())
}

fn as_account<'a>(
    sid: &'a str,
    token: &'a str,
) -> impl Fn(&str, &str) -> Result<HttpResponse> + 'a {
    move |method, url| request(method, url).basic_auth(sid, token).call()
}

fn post(
    node: &Node,
    sid: &str,
    token: &str,
    path: &str,
    form: &[(&str, &str)],
) -> Result<HttpResponse> {
    request("POST", &node.http_url(path))
        .basic_auth(sid, token)
        .send_form(form)
}

fn json_of(r: &HttpResponse, want: u16, what: &str) -> Result<Value> {
    anyhow::ensure!(r.status == want, "{what}: {} {}", r.status, r.text());
    r.json()
}

#[test]
fn tenants_are_isolated_and_parents_reach_subaccounts() -> Result<()> {
    let mut config = NodeConfig::new();
    config.accounts.push(AccountConfig {
        sid: OTHER_SID.into(),
        auth_token: OTHER_TOKEN.into(),
        signing_key: None,
        max_concurrent_calls: None,
    });
    let node = Node::start(config)?;
    let a = |p: &str| format!("/2010-04-01/Accounts/{ACCOUNT_SID}{p}");
    let b = |p: &str| format!("/2010-04-01/Accounts/{OTHER_SID}{p}");

    // Wrong token: 401 with Twilio's 20003 and a Basic challenge.
    let r = request("GET", &node.http_url(&a("/Calls.json")))
        .basic_auth(ACCOUNT_SID, "not-the-token")
        .call()?;
    assert_eq!(r.status, 401, "{}", r.text());
    assert_eq!(r.json()?["code"], 20003);
    assert!(r
        .header("WWW-Authenticate")
        .is_some_and(|h| h.starts_with("Basic")));
    let r = request("GET", &node.http_url(&a("/Calls.json"))).call()?;
    assert_eq!(r.status, 401, "no credentials: {}", r.text());

    // The other account's number, application and call.
    let number = json_of(
        &post(
            &node,
            OTHER_SID,
            OTHER_TOKEN,
            &b("/IncomingPhoneNumbers.json"),
            &[
                ("PhoneNumber", "+15557770002"),
                ("VoiceUrl", "https://example.com/b"),
            ],
        )?,
        201,
        "B creates a number",
    )?;
    let app = json_of(
        &post(
            &node,
            OTHER_SID,
            OTHER_TOKEN,
            &b("/Applications.json"),
            &[
                ("FriendlyName", "b-app"),
                ("VoiceUrl", "https://example.com/b-app"),
            ],
        )?,
        201,
        "B creates an application",
    )?;
    // Nothing listens there: the call fails, its record stays.
    let dead = switchyard_e2e::free_port()?;
    let call = json_of(
        &post(
            &node,
            OTHER_SID,
            OTHER_TOKEN,
            &b("/Calls.json"),
            &[
                ("To", &format!("sip:+15550003333@127.0.0.1:{dead}")),
                ("From", "+15550004444"),
                ("Twiml", "<Response><Hangup/></Response>"),
            ],
        )?,
        201,
        "B creates a call",
    )?;
    let sid = |v: &Value| v["sid"].as_str().unwrap_or_default().to_owned();
    let (pn, ap, ca) = (sid(&number), sid(&app), sid(&call));

    let get_a = as_account(ACCOUNT_SID, AUTH_TOKEN);
    let get_b = as_account(OTHER_SID, OTHER_TOKEN);
    for path in [
        b(".json"),
        b("/Calls.json"),
        b(&format!("/Calls/{ca}.json")),
        a(&format!("/Calls/{ca}.json")),
        b(&format!("/IncomingPhoneNumbers/{pn}.json")),
        a(&format!("/IncomingPhoneNumbers/{pn}.json")),
        b(&format!("/Applications/{ap}.json")),
        a(&format!("/Applications/{ap}.json")),
    ] {
        let r = get_a("GET", &node.http_url(&path))?;
        assert_eq!(r.status, 404, "A reached {path}: {}", r.text());
        assert_eq!(r.json()?["code"], 20404, "{path}");
    }
    // A may not change B's number either.
    let r = post(
        &node,
        ACCOUNT_SID,
        AUTH_TOKEN,
        &a(&format!("/IncomingPhoneNumbers/{pn}.json")),
        &[("VoiceUrl", "https://example.com/hijack")],
    )?;
    assert_eq!(r.status, 404, "{}", r.text());
    let r = get_b(
        "GET",
        &node.http_url(&b(&format!("/IncomingPhoneNumbers/{pn}.json"))),
    )?;
    assert_eq!(
        json_of(&r, 200, "B fetches its number")?["voice_url"],
        "https://example.com/b"
    );
    let calls_a = json_of(
        &get_a("GET", &node.http_url(&a("/Calls.json")))?,
        200,
        "A lists",
    )?;
    assert!(
        calls_a["calls"]
            .as_array()
            .is_some_and(|c| c.iter().all(|c| c["sid"] != ca.as_str())),
        "A's list shows B's call: {calls_a}"
    );

    // A subaccount created through the API, reached by its parent.
    let sub = json_of(
        &post(
            &node,
            ACCOUNT_SID,
            AUTH_TOKEN,
            "/2010-04-01/Accounts.json",
            &[("FriendlyName", "sub one")],
        )?,
        201,
        "A creates a subaccount",
    )?;
    let (sub_sid, sub_token) = (
        sid(&sub),
        sub["auth_token"].as_str().unwrap_or_default().to_owned(),
    );
    assert!(sub_sid.starts_with("AC") && sub_sid.len() == 34, "{sub}");
    assert_eq!(sub["owner_account_sid"], ACCOUNT_SID, "{sub}");
    assert_eq!(sub["status"], "active", "{sub}");
    let s = |p: &str| format!("/2010-04-01/Accounts/{sub_sid}{p}");
    let sub_number = json_of(
        &post(
            &node,
            &sub_sid,
            &sub_token,
            &s("/IncomingPhoneNumbers.json"),
            &[
                ("PhoneNumber", "+15557770003"),
                ("VoiceUrl", "https://example.com/sub"),
            ],
        )?,
        201,
        "sub creates a number",
    )?;
    let spn = sid(&sub_number);
    let r = get_a(
        "GET",
        &node.http_url(&s(&format!("/IncomingPhoneNumbers/{spn}.json"))),
    )?;
    let fetched = json_of(&r, 200, "parent fetches the sub's number")?;
    assert_eq!(fetched["phone_number"], "+15557770003");
    assert_eq!(fetched["voice_url"], "https://example.com/sub");
    assert_eq!(fetched["account_sid"], sub_sid.as_str());
    let listed = json_of(
        &get_a("GET", &node.http_url(&s("/IncomingPhoneNumbers.json")))?,
        200,
        "parent lists",
    )?;
    assert_eq!(
        listed["incoming_phone_numbers"][0]["sid"],
        spn.as_str(),
        "{listed}"
    );
    // The other tenant cannot reach the subaccount, nor the sub its parent.
    let r = get_b(
        "GET",
        &node.http_url(&s(&format!("/IncomingPhoneNumbers/{spn}.json"))),
    )?;
    assert_eq!(r.status, 404, "{}", r.text());
    let r = request("GET", &node.http_url(&a("/Calls.json")))
        .basic_auth(&sub_sid, &sub_token)
        .call()?;
    assert_eq!(r.status, 404, "sub reached its parent: {}", r.text());

    // Suspended by its parent, the subaccount can no longer create calls.
    let suspended = json_of(
        &post(
            &node,
            ACCOUNT_SID,
            AUTH_TOKEN,
            &s(".json"),
            &[("Status", "suspended")],
        )?,
        200,
        "parent suspends the sub",
    )?;
    assert_eq!(suspended["status"], "suspended");
    let form = [
        ("To", "sip:+15550003333@127.0.0.1:9"),
        ("From", "+15550004444"),
        ("Twiml", "<Response><Hangup/></Response>"),
    ];
    for (who, token) in [
        (sub_sid.as_str(), sub_token.as_str()),
        (ACCOUNT_SID, AUTH_TOKEN),
    ] {
        let r = post(&node, who, token, &s("/Calls.json"), &form)?;
        assert_eq!(
            r.status,
            403,
            "{who} created a call on a suspended account: {}",
            r.text()
        );
        let body = r.json()?;
        assert_eq!(body["code"], 10001, "{body}");
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.contains(&sub_sid) && m.contains("not active")),
            "{body}"
        );
    }
    Ok(())
}
