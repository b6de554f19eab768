//! Per-module metering and Usage records through a real node: a call handed from a Wasm
//! IVR to a second Wasm app to a webhook has three metered spans; Twilio's Python
//! library reads Usage records that match the calls made, subaccounts rolled up, and the
//! per-module breakdown sums to the same totals.

use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::Value;
use switchyard_e2e::http::request;
use switchyard_e2e::wasm::{bind_number, component, deploy_ok};
use switchyard_e2e::{peer_script, Node, Sipp, ACCOUNT_SID, AUTH_TOKEN, NUMBER};

use super::dial::dial_app;
use super::{calls, eventually};

/// What the hand-off guest says before handing on: 8 characters of speech.
const HAND_OFF_SPEECH: i64 = "hand off".len() as i64;

/// Percent-encodes everything but unreserved characters (the hand-off guest decodes it).
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// One call to `number` that waits for the node's BYE.
fn call(node: &Node, number: &str) -> Result<()> {
    let out = Sipp::run(
        "uac_wait_bye.xml",
        &node.sip_target(),
        &["-m", "1", "-s", number],
    )?;
    anyhow::ensure!(out.success(), "sipp failed: {out}");
    Ok(())
}

fn get(node: &Node, sid: &str, token: &str, path: &str) -> Result<Value> {
    let r = request("GET", &node.http_url(path))
        .basic_auth(sid, token)
        .call()?;
    anyhow::ensure!(r.status == 200, "GET {path}: {} {}", r.status, r.text());
    r.json()
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

#[test]
fn a_call_through_two_wasm_apps_and_a_webhook_has_three_metered_spans() -> Result<()> {
    let (_dir, hook, node) = dial_app(&[("hangup", "<Response><Hangup/></Response>".into())], "")?;
    let app = component("hand-off", None)?;
    deploy_ok(&node, "ivr", &app, &[])?;
    deploy_ok(&node, "billing", &app, &[])?;
    let webhook = hook.url("/hangup");
    let second = format!("app:billing/go/{}", enc(&webhook));
    bind_number(&node, NUMBER, &format!("app:ivr/go/{}", enc(&second)), None)?;

    call(&node, NUMBER)?;
    let record = eventually(Duration::from_secs(5), || {
        Ok(calls(&node)?
            .into_iter()
            .find(|c| c["status"] == "completed"))
    })?;
    let sid = record["sid"].as_str().context("call sid")?.to_owned();
    let path = format!("/v1/Accounts/{ACCOUNT_SID}/Calls/{sid}/Modules");
    let body = eventually(Duration::from_secs(5), || {
        let b = node.get_json(&path)?;
        Ok((b["modules"].as_array().map_or(0, Vec::len) == 3).then_some(b))
    })
    .with_context(|| format!("three spans at {path}"))?;
    let spans = body["modules"].as_array().context("modules")?;

    let names: Vec<&str> = spans.iter().filter_map(|s| s["module"].as_str()).collect();
    let origin = hook.base_url();
    assert_eq!(
        names,
        ["app:ivr", "app:billing", origin.trim_end_matches('/')],
        "{body:#}"
    );
    let kinds: Vec<&str> = spans.iter().filter_map(|s| s["kind"].as_str()).collect();
    assert_eq!(kinds, ["wasm", "wasm", "webhook"], "{body:#}");
    assert_eq!(spans[0]["version"], 1, "{body:#}");
    assert_eq!(spans[1]["version"], 1, "{body:#}");

    // The spans follow each other, and their durations add up to the call's.
    for w in spans.windows(2) {
        assert_eq!(w[0]["end_ms"], w[1]["start_ms"], "{body:#}");
    }
    let sum: i64 = spans.iter().map(|s| int(&s["meters"]["duration_ms"])).sum();
    let call_ms = int(&body["end_ms"]) - int(&body["start_ms"]);
    assert!(
        (sum - call_ms).abs() <= 50,
        "spans add up to {sum} ms, the call lasted {call_ms} ms: {body:#}"
    );

    // What the test caused: one step each; each Wasm app ran guest code and said
    // "hand off"; only the webhook was requested over HTTP, once.
    let m = |i: usize, k: &str| int(&spans[i]["meters"][k]);
    for i in 0..3 {
        assert_eq!(m(i, "steps"), 1, "span {i}: {body:#}");
        assert_eq!(m(i, "errors"), 0, "span {i}: {body:#}");
    }
    assert!(
        m(0, "wasm_cpu_us") > 0 && m(1, "wasm_cpu_us") > 0,
        "{body:#}"
    );
    assert_eq!(m(2, "wasm_cpu_us"), 0, "{body:#}");
    assert_eq!(
        [
            m(0, "webhook_requests"),
            m(1, "webhook_requests"),
            m(2, "webhook_requests")
        ],
        [0, 0, 1],
        "{body:#}"
    );
    assert_eq!(hook.requests_to("/hangup")?.len(), 1);
    assert_eq!(m(0, "tts_characters"), HAND_OFF_SPEECH, "{body:#}");
    assert_eq!(m(1, "tts_characters"), HAND_OFF_SPEECH, "{body:#}");
    assert!(m(0, "media_ms") > 0 && m(1, "media_ms") > 0, "{body:#}");
    assert_eq!(m(2, "media_ms"), 0, "{body:#}");

    // The same spans, summed per module for the account.
    let usage = node.get_json(&format!(
        "/v1/Accounts/{ACCOUNT_SID}/Usage/Modules?Module=app:billing"
    ))?;
    let rows = usage["modules"].as_array().context("modules")?;
    assert_eq!(rows.len(), 1, "{usage:#}");
    assert_eq!(rows[0]["calls"], 1, "{usage:#}");
    assert_eq!(rows[0]["meters"]["steps"], 1, "{usage:#}");
    assert_eq!(
        rows[0]["meters"]["duration_ms"], spans[1]["meters"]["duration_ms"],
        "{usage:#}"
    );
    Ok(())
}

fn post(node: &Node, path: &str, form: &[(&str, &str)]) -> Result<Value> {
    let r = request("POST", &node.http_url(path))
        .basic_auth(ACCOUNT_SID, AUTH_TOKEN)
        .send_form(form)?;
    anyhow::ensure!(r.status < 300, "POST {path}: {} {}", r.status, r.text());
    r.json()
}

/// A number answered by an `Applications` resource whose voice URL fails: the
/// application's span is named by its `AP…` sid, and the fallback (on another origin)
/// that answered is a span of its own, with its step and its request.
#[test]
fn an_application_is_its_own_module_and_a_fallback_that_answers_opens_its_span() -> Result<()> {
    let (_dir, hook, node) = dial_app(&[], "")?;
    let (_fallback_dir, fallback, _unused) =
        dial_app(&[("hangup", "<Response><Hangup/></Response>".into())], "")?;
    let acc = format!("/2010-04-01/Accounts/{ACCOUNT_SID}");
    let app = post(
        &node,
        &format!("{acc}/Applications.json"),
        &[
            ("FriendlyName", "failing app"),
            ("VoiceUrl", &hook.url("/missing")),
            ("VoiceFallbackUrl", &fallback.url("/hangup")),
        ],
    )?;
    let app_sid = app["sid"].as_str().context("AP sid")?;
    let numbers = node.get_json(&format!(
        "{acc}/IncomingPhoneNumbers.json?PhoneNumber=%2B{}",
        NUMBER.trim_start_matches('+')
    ))?;
    let number_sid = numbers["incoming_phone_numbers"][0]["sid"]
        .as_str()
        .context("PN sid")?;
    post(
        &node,
        &format!("{acc}/IncomingPhoneNumbers/{number_sid}.json"),
        &[("VoiceApplicationSid", app_sid)],
    )?;

    call(&node, NUMBER)?;
    let record = eventually(Duration::from_secs(5), || {
        Ok(calls(&node)?
            .into_iter()
            .find(|c| c["status"] == "completed"))
    })?;
    let sid = record["sid"].as_str().context("call sid")?.to_owned();
    let path = format!("/v1/Accounts/{ACCOUNT_SID}/Calls/{sid}/Modules");
    let body = eventually(Duration::from_secs(5), || {
        let b = node.get_json(&path)?;
        Ok((b["modules"].as_array().map_or(0, Vec::len) >= 2).then_some(b))
    })?;
    let spans = body["modules"].as_array().context("modules")?;
    let names: Vec<&str> = spans.iter().filter_map(|s| s["module"].as_str()).collect();
    let fallback_origin = fallback.base_url();
    assert_eq!(
        names,
        [app_sid, fallback_origin.trim_end_matches('/')],
        "{body:#}"
    );
    let m = |i: usize, k: &str| int(&spans[i]["meters"][k]);
    // The application's step failed (404); the fallback's answered.
    assert_eq!(
        (m(0, "steps"), m(0, "webhook_requests")),
        (1, 1),
        "{body:#}"
    );
    assert!(m(0, "errors") >= 1, "{body:#}");
    assert_eq!(
        (m(1, "steps"), m(1, "webhook_requests")),
        (1, 1),
        "{body:#}"
    );
    assert_eq!(fallback.requests_to("/hangup")?.len(), 1);
    Ok(())
}

/// Runs `tests/peers/twilio_usage.py` and parses the JSON it prints.
fn twilio_usage(node: &Node, sub: &str, sub_token: &str) -> Result<Value> {
    let out = Command::new("timeout")
        .args(["--signal=KILL", "60", "python3"])
        .arg(peer_script("twilio_usage.py"))
        .args(["--base-url", &node.http_url("")])
        .args(["--account", ACCOUNT_SID, "--token", AUTH_TOKEN])
        .args(["--sub", sub, "--sub-token", sub_token])
        .output()
        .context("running twilio_usage.py")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).with_context(|| {
        format!(
            "twilio_usage.py printed no JSON (exit {:?}):\n{stdout}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The one record of `category` in a list the script printed.
fn of<'a>(records: &'a Value, category: &str) -> &'a Value {
    let found: Vec<&Value> = records
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["category"] == category)
        .collect();
    assert_eq!(found.len(), 1, "{category} in {records:#}");
    found[0]
}

fn num(v: &Value) -> i64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a number string: {v}"))
}

#[test]
fn twilio_library_reads_usage_records_with_subaccounts_rolled_up() -> Result<()> {
    let voice = "<Response><Say>usage</Say><Pause length=\"1\"/><Hangup/></Response>";
    let (_dir, hook, node) = dial_app(&[("voice", voice.into())], "")?;
    let sub = request("POST", &node.http_url("/2010-04-01/Accounts.json"))
        .basic_auth(ACCOUNT_SID, AUTH_TOKEN)
        .send_form(&[("FriendlyName", "metered sub")])?;
    anyhow::ensure!(sub.status == 201, "subaccount: {}", sub.text());
    let sub = sub.json()?;
    let sub_sid = sub["sid"].as_str().context("sid")?.to_owned();
    let sub_token = sub["auth_token"].as_str().context("token")?.to_owned();
    let sub_number = "+15557770003";
    let created = request(
        "POST",
        &node.http_url(&format!(
            "/2010-04-01/Accounts/{sub_sid}/IncomingPhoneNumbers.json"
        )),
    )
    .basic_auth(&sub_sid, &sub_token)
    .send_form(&[
        ("PhoneNumber", sub_number),
        ("VoiceUrl", &hook.url("/voice")),
    ])?;
    anyhow::ensure!(created.status == 201, "sub number: {}", created.text());

    call(&node, NUMBER)?;
    call(&node, NUMBER)?;
    call(&node, sub_number)?;

    // What the calls lists say: Twilio bills each call's minutes rounded up.
    let ended = |sid: &str, token: &str| -> Result<Option<Vec<Value>>> {
        let list = get(
            &node,
            sid,
            token,
            &format!("/2010-04-01/Accounts/{sid}/Calls.json"),
        )?;
        let all = list["calls"].as_array().cloned().unwrap_or_default();
        Ok(all
            .iter()
            .all(|c| c["status"] == "completed")
            .then_some(all))
    };
    let parent_calls = eventually(Duration::from_secs(5), || ended(ACCOUNT_SID, AUTH_TOKEN))?;
    let sub_calls = eventually(Duration::from_secs(5), || ended(&sub_sid, &sub_token))?;
    assert_eq!((parent_calls.len(), sub_calls.len()), (2, 1));
    let minutes = |calls: &[Value]| -> i64 {
        calls
            .iter()
            .map(|c| {
                let secs: i64 = c["duration"].as_str().unwrap_or("0").parse().unwrap_or(0);
                (secs + 59) / 60
            })
            .sum()
    };
    let total_minutes = minutes(&parent_calls) + minutes(&sub_calls);
    assert!(total_minutes >= 3, "each call lasted over a second");

    let usage = twilio_usage(&node, &sub_sid, &sub_token)?;
    let calls_all = of(&usage["calls"], "calls");
    assert_eq!(num(&calls_all["count"]), 3, "{usage:#}");
    assert_eq!(num(&calls_all["usage"]), total_minutes, "{usage:#}");
    assert_eq!(calls_all["count_unit"], "calls");
    assert_eq!(calls_all["usage_unit"], "minutes");
    assert_eq!(calls_all["account_sid"], ACCOUNT_SID);

    let today = &usage["today"];
    assert_eq!(num(&of(today, "calls")["count"]), 3, "{usage:#}");
    assert_eq!(
        num(&of(today, "calls")["usage"]),
        total_minutes,
        "{usage:#}"
    );
    assert_eq!(num(&of(today, "calls-inbound")["count"]), 3, "{usage:#}");
    assert_eq!(num(&of(today, "calls-outbound")["count"]), 0, "{usage:#}");
    assert_eq!(num(&of(today, "recordings")["count"]), 0, "{usage:#}");
    assert_eq!(
        of(today, "calls")["start_date"],
        of(today, "calls")["end_date"],
        "today is one day: {usage:#}"
    );
    // Daily from yesterday: yesterday's record is empty, today's has the calls.
    let daily = usage["daily"].as_array().context("daily")?;
    assert_eq!(daily.len(), 2, "{usage:#}");
    assert_eq!(num(&daily[0]["count"]), 0, "{usage:#}");
    assert_eq!(num(&daily[1]["count"]), 3, "{usage:#}");
    assert_eq!(num(&of(&usage["this_month"], "calls-inbound")["count"]), 3);

    // The subaccount's own usage, and the parent's without it.
    assert_eq!(
        num(&of(&usage["sub_today"], "calls")["count"]),
        1,
        "{usage:#}"
    );
    assert_eq!(
        num(&of(&usage["sub_today"], "calls")["usage"]),
        minutes(&sub_calls)
    );
    assert_eq!(
        num(&of(&usage["parent_only"], "calls")["count"]),
        2,
        "{usage:#}"
    );

    // The per-module breakdown: every call was the webhook's, the same totals.
    let modules = node.get_json(&format!("/v1/Accounts/{ACCOUNT_SID}/Usage/Modules"))?;
    let rows = modules["modules"].as_array().context("modules")?;
    let calls_sum: i64 = rows.iter().map(|r| int(&r["calls"])).sum();
    assert_eq!(calls_sum, 3, "{modules:#}");
    let tts: i64 = rows
        .iter()
        .map(|r| int(&r["meters"]["tts_characters"]))
        .sum();
    assert_eq!(tts, 3 * "usage".len() as i64, "{modules:#}");
    assert_eq!(tts, num(&of(today, "tts")["usage"]), "{usage:#}");
    let module_seconds: i64 = rows
        .iter()
        .map(|r| int(&r["meters"]["duration_ms"]))
        .sum::<i64>()
        / 1000;
    let call_seconds: i64 = parent_calls
        .iter()
        .chain(&sub_calls)
        .map(|c| {
            c["duration"]
                .as_str()
                .unwrap_or("0")
                .parse::<i64>()
                .unwrap_or(0)
        })
        .sum();
    // Call durations are whole seconds rounded up; the spans are to the millisecond.
    assert!(
        module_seconds <= call_seconds && module_seconds + 3 >= call_seconds,
        "modules {module_seconds} s, calls {call_seconds} s: {modules:#}"
    );
    let sub_modules = node.get_json(&format!(
        "/v1/Accounts/{ACCOUNT_SID}/Usage/Modules?IncludeSubaccounts=false"
    ))?;
    let parent_calls_sum: i64 = sub_modules["modules"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| int(&r["calls"]))
        .sum();
    assert_eq!(parent_calls_sum, 2, "{sub_modules:#}");
    Ok(())
}
