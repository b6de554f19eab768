//! The event router end to end: a sipp call through the webhook app, watched by SSE
//! subscribers and a webhook sink; security of signed URLs; replay after a disconnect;
//! client events steering a live call.

use std::time::Duration;

use anyhow::{Context, Result};
use switchyard_e2e::http::request;
use switchyard_e2e::{
    AccountConfig, Capture, EventStream, Node, NodeConfig, NumberConfig, Scenario, SippCommand,
    SippProcess, SseEvent, Webhook, WebhookRequest, ACCOUNT_SID, AUTH_TOKEN, NUMBER, SIGNING_KEY,
};

use super::{call_with_capture, eventually, tone_packets};

/// A second top-level account: it must never see the first one's events.
pub const OTHER_SID: &str = "AC00000000000000000000000000000002";
pub const OTHER_TOKEN: &str = "other-token";

/// The webhook app (gather, then play) and a node with two accounts; `extra_toml`
/// configures the events section (broker, retention).
pub fn node_with_two_accounts(extra_toml: &str) -> Result<(Webhook, Node)> {
    let hook = Webhook::start(
        Scenario::GatherPlay,
        AUTH_TOKEN,
        &["--wav-seconds", "1.0", "--signing-key", SIGNING_KEY],
    )?;
    let mut config = NodeConfig::new().with_webhook(&hook.base_url());
    config.accounts.push(AccountConfig {
        sid: OTHER_SID.into(),
        auth_token: OTHER_TOKEN.into(),
        signing_key: None,
        max_concurrent_calls: None,
    });
    config.extra_toml = extra_toml.to_owned();
    let node = Node::start(config)?;
    Ok((hook, node))
}

fn basic(sid: &str, token: &str) -> String {
    use base64::Engine as _;
    let raw = format!("{sid}:{token}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// An SSE stream of `account` (Basic auth as the first account) with `query`.
pub fn open_sse(node: &Node, account: &str, query: &str) -> Result<EventStream> {
    let url = node.http_url(&format!("/v1/Accounts/{account}/Events{query}"));
    let auth = basic(ACCOUNT_SID, AUTH_TOKEN);
    EventStream::open(&url, &[("Authorization", &auth)])?
        .map_err(|r| anyhow::anyhow!("stream refused: {} {}", r.status, r.text()))
}

/// A signed stream URL minted by the API (`params` as for `Events/SignedUrl`).
pub fn mint(node: &Node, account: &str, token: &str, params: &[(&str, &str)]) -> Result<String> {
    let r = request(
        "POST",
        &node.http_url(&format!("/v1/Accounts/{account}/Events/SignedUrl")),
    )
    .basic_auth(account, token)
    .send_form(params)?;
    anyhow::ensure!(r.status == 200, "mint: {} {}", r.status, r.text());
    Ok(node.http_url(r.json()?["url"].as_str().context("url")?))
}

fn types(events: &[SseEvent]) -> Vec<String> {
    events.iter().map(|e| e.event.clone()).collect()
}

fn is_completed(e: &SseEvent) -> bool {
    e.event == "call.completed"
}

/// Ids of one log, as `seq` numbers.
fn seqs(events: &[SseEvent]) -> Vec<u64> {
    events
        .iter()
        .map(|e| {
            let id = e.id.as_deref().expect("every event has an id");
            id.rsplit(':').next().unwrap().parse().unwrap()
        })
        .collect()
}

/// The `call.*` events of a call a webhook answers, in order: its lifecycle, and the one
/// module (the webhook application) that controlled it from the first request to the end.
pub const CALL_LIFECYCLE: &[&str] = &[
    "call.initiated",
    "call.ringing",
    "call.module.entered",
    "call.answered",
    "call.module.left",
    "call.completed",
];

/// The catalogue's order for the gather-then-play call.
/// The Gather starts before the answer it causes (the executor starts the verb, and
/// the verb answers the call to play its prompt).
pub const CALL_TYPES: &[&str] = &[
    "call.initiated",
    "call.ringing",
    "gather.started",
    "call.answered",
    "gather.ended",
    "play.started",
    "play.ended",
    "hangup.started",
    "call.completed",
];

/// Acceptance 1 (SSE part) on the broker `extra_toml` selects.
pub fn sse_subscribers_see_the_call_in_order(extra_toml: &str) -> Result<()> {
    let (_hook, node) = node_with_two_accounts(extra_toml)?;
    let mut all = open_sse(&node, ACCOUNT_SID, "")?;
    let mut calls_only = open_sse(&node, ACCOUNT_SID, "?types=call.*")?;
    let mut gather_digit = open_sse(&node, ACCOUNT_SID, "?types=gather.ended&filter=Digits%3D1")?;
    let other_url = node.http_url(&format!("/v1/Accounts/{OTHER_SID}/Events"));
    let mut other = EventStream::open(
        &other_url,
        &[("Authorization", &basic(OTHER_SID, OTHER_TOKEN))],
    )?
    .map_err(|r| anyhow::anyhow!("{} {}", r.status, r.text()))?;
    assert_eq!(
        all.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.as_str()),
        Some("text/event-stream")
    );

    let (out, _) = call_with_capture(&node, "uac_gather.xml", &[])?;
    assert!(out.success(), "sipp failed: {out}");

    let seen = all.until(Duration::from_secs(20), is_completed);
    let got = types(&seen);
    let wanted: Vec<String> = CALL_TYPES.iter().map(|s| s.to_string()).collect();
    let in_order: Vec<String> = got.iter().filter(|t| wanted.contains(t)).cloned().collect();
    assert_eq!(in_order, wanted, "all events: {got:?}");
    let s = seqs(&seen);
    assert!(s.windows(2).all(|w| w[1] > w[0]), "ids increase: {s:?}");
    assert!(
        all.retry_ms.is_some_and(|ms| (2_000..5_000).contains(&ms)),
        "retry: {:?}",
        all.retry_ms
    );
    let call_sid = seen[0].json()["call_sid"]
        .as_str()
        .context("call_sid")?
        .to_owned();
    for e in &seen {
        let j = e.json();
        assert_eq!(j["account_sid"], ACCOUNT_SID);
        assert_eq!(j["call_sid"], call_sid.as_str());
        assert_eq!(j["id"].as_str(), e.id.as_deref());
        assert_eq!(j["data"]["To"], NUMBER, "{j}");
    }
    let gather = seen
        .iter()
        .find(|e| e.event == "gather.ended")
        .unwrap()
        .json();
    assert_eq!(gather["data"]["Digits"], "1");

    let c = calls_only.until(Duration::from_secs(5), is_completed);
    assert_eq!(types(&c), CALL_LIFECYCLE);
    let g = gather_digit.until(Duration::from_secs(5), |e| e.event == "gather.ended");
    assert_eq!(types(&g), ["gather.ended"]);
    assert_eq!(gather_digit.next(Duration::from_millis(500)), None);
    assert_eq!(
        other.next(Duration::from_secs(1)),
        None,
        "another account saw an event"
    );
    Ok(())
}

#[test]
fn sse_subscribers_see_a_calls_events_in_order_and_filtered() -> Result<()> {
    sse_subscribers_see_the_call_in_order("")
}

/// Acceptance 2: each refusal has its status and streams nothing.
#[test]
fn unsigned_tampered_expired_and_foreign_requests_are_refused() -> Result<()> {
    let (_hook, node) = node_with_two_accounts("")?;
    let events = |account: &str| node.http_url(&format!("/v1/Accounts/{account}/Events"));
    let status = |url: &str, headers: &[(&str, &str)]| -> Result<u16> {
        Ok(match EventStream::open(url, headers)? {
            Ok(_) => 200,
            Err(r) => {
                assert!(
                    r.json().is_ok_and(|j| j["message"].is_string()),
                    "a JSON error body: {}",
                    r.text()
                );
                r.status
            }
        })
    };
    // No credentials, no signature.
    assert_eq!(status(&events(ACCOUNT_SID), &[])?, 401);
    // Wrong password.
    assert_eq!(
        status(
            &events(ACCOUNT_SID),
            &[("Authorization", &basic(ACCOUNT_SID, "nope"))]
        )?,
        401
    );
    // Another tenant's credentials on this account's stream: as if it did not exist.
    assert_eq!(
        status(
            &events(ACCOUNT_SID),
            &[("Authorization", &basic(OTHER_SID, OTHER_TOKEN))]
        )?,
        404
    );

    let url = mint(
        &node,
        ACCOUNT_SID,
        AUTH_TOKEN,
        &[("Types", "call.*"), ("Ttl", "60")],
    )?;
    assert_eq!(status(&url, &[])?, 200);
    // Tampered: a widened type list, or a pushed expiry.
    assert_eq!(status(&url.replace("call.*", "*"), &[])?, 403);
    let pushed = regex_replace_expires(&url, 4_000_000_000);
    assert_eq!(status(&pushed, &[])?, 403);
    // A URL of one account used on another's path.
    let foreign = url.replace(ACCOUNT_SID, OTHER_SID);
    assert_eq!(status(&foreign, &[])?, 403);
    // Signed by the other account's key for this account's path.
    let theirs = mint(&node, OTHER_SID, OTHER_TOKEN, &[("Ttl", "60")])?;
    assert_eq!(status(&theirs.replace(OTHER_SID, ACCOUNT_SID), &[])?, 403);
    // Expired before the stream starts.
    let short = mint(&node, ACCOUNT_SID, AUTH_TOKEN, &[("Ttl", "1")])?;
    std::thread::sleep(Duration::from_millis(2_100));
    assert_eq!(status(&short, &[])?, 401);
    // A running stream is closed at its expiry.
    let brief = mint(&node, ACCOUNT_SID, AUTH_TOKEN, &[("Ttl", "3")])?;
    let mut stream =
        EventStream::open(&brief, &[])?.map_err(|r| anyhow::anyhow!("{}", r.status))?;
    let last = stream
        .next(Duration::from_secs(6))
        .context("a closing event")?;
    assert_eq!(last.event, "stream.closed");
    assert_eq!(last.json()["reason"], "expired");
    assert!(
        stream.ends_within(Duration::from_secs(2)),
        "the stream stays open after expiry"
    );
    // A malformed resume point is a 400, not a silent start from now.
    let bad = format!(
        "{}&last_event_id=yesterday",
        mint(&node, ACCOUNT_SID, AUTH_TOKEN, &[])?
    );
    assert_eq!(status(&bad, &[])?, 400);
    Ok(())
}

fn regex_replace_expires(url: &str, to: u64) -> String {
    let start = url.find("expires=").expect("expires") + "expires=".len();
    let end = url[start..].find('&').map_or(url.len(), |i| start + i);
    format!("{}{to}{}", &url[..start], &url[end..])
}

/// Acceptance 3.
pub fn replay_after_a_disconnect(extra_toml: &str) -> Result<()> {
    let (_hook, node) = node_with_two_accounts(extra_toml)?;
    let mut witness = open_sse(&node, ACCOUNT_SID, "")?;
    let mut flaky = open_sse(&node, ACCOUNT_SID, "")?;
    let sipp = SippCommand::new("uac_gather.xml")?
        .target(&node.sip_target())
        .args(&["-m", "1", "-s", NUMBER])
        .timeout(Duration::from_secs(60))
        .spawn()?;
    // Two events, then the subscriber drops.
    let first = flaky.until(Duration::from_secs(10), |e| e.event == "call.answered");
    assert_eq!(
        types(&first).last().map(String::as_str),
        Some("call.answered")
    );
    let resume = first.last().unwrap().id.clone().unwrap();
    drop(flaky);
    let out = sipp.wait()?;
    assert!(out.success(), "sipp failed: {out}");
    let everything = witness.until(Duration::from_secs(20), is_completed);
    let after: Vec<Option<String>> = everything
        .iter()
        .skip_while(|e| e.id.as_deref() != Some(resume.as_str()))
        .skip(1)
        .map(|e| e.id.clone())
        .collect();
    assert!(after.len() >= 4, "missed events: {after:?}");

    // Reconnect with Last-Event-ID: exactly the missed ones, in order, then live.
    let url = node.http_url(&format!("/v1/Accounts/{ACCOUNT_SID}/Events"));
    let auth = basic(ACCOUNT_SID, AUTH_TOKEN);
    let mut again = EventStream::open(
        &url,
        &[("Authorization", &auth), ("Last-Event-ID", &resume)],
    )?
    .map_err(|r| anyhow::anyhow!("{}", r.status))?;
    let replayed = again.until(Duration::from_secs(10), is_completed);
    let ids: Vec<Option<String>> = replayed.iter().map(|e| e.id.clone()).collect();
    assert_eq!(ids, after, "replay differs from what the witness saw");
    // Live after replay: the next call's first event arrives once.
    let (out, _) = call_with_capture(&node, "uac_gather.xml", &[])?;
    assert!(out.success(), "sipp failed: {out}");
    let live = again.until(Duration::from_secs(20), is_completed);
    let witness_live = witness.until(Duration::from_secs(20), is_completed);
    assert_eq!(
        live.iter().map(|e| e.id.clone()).collect::<Vec<_>>(),
        witness_live
            .iter()
            .map(|e| e.id.clone())
            .collect::<Vec<_>>()
    );

    // The same through the query parameter a page can set.
    let q = format!("?last_event_id={resume}");
    let mut by_query = open_sse(&node, ACCOUNT_SID, &q)?;
    let replayed = by_query.until(Duration::from_secs(10), is_completed);
    assert_eq!(
        replayed.iter().map(|e| e.id.clone()).collect::<Vec<_>>(),
        after
    );
    Ok(())
}

#[test]
fn a_reconnecting_subscriber_gets_exactly_what_it_missed() -> Result<()> {
    replay_after_a_disconnect("")
}

/// Acceptance 3, beyond retention.
pub fn gap_beyond_retention(extra_toml: &str) -> Result<()> {
    let (_hook, node) = node_with_two_accounts(extra_toml)?;
    let mut s = open_sse(&node, ACCOUNT_SID, "")?;
    let (out, _) = call_with_capture(&node, "uac_gather.xml", &[])?;
    assert!(out.success(), "sipp failed: {out}");
    let first_call = s.until(Duration::from_secs(20), is_completed);
    let oldest = first_call[0].id.clone().context("id")?;
    let (out, _) = call_with_capture(&node, "uac_gather.xml", &[])?;
    assert!(out.success(), "sipp failed: {out}");
    s.until(Duration::from_secs(20), is_completed);
    // Retention is 6 events: resuming after the first call's first event misses some.
    let mut again = open_sse(&node, ACCOUNT_SID, &format!("?last_event_id={oldest}"))?;
    let gap = again.next(Duration::from_secs(5)).context("a gap event")?;
    assert_eq!(gap.event, "stream.gap", "{gap:?}");
    assert_eq!(gap.json()["data"]["from"], oldest.as_str());
    assert_eq!(gap.json()["data"]["reason"], "retention");
    let rest = again.until(Duration::from_secs(5), is_completed);
    assert!(!rest.is_empty() && rest.len() <= 6, "{rest:?}");
    Ok(())
}

#[test]
fn resuming_beyond_retention_gets_the_gap_event() -> Result<()> {
    gap_beyond_retention("[events]\nretention_events = 6\n")
}

/// Acceptance 1 (webhook sink): signed POSTs, retried, each event's id as its key.
pub fn webhook_sink_receives_the_call(extra_toml: &str) -> Result<()> {
    let (hook, node) = node_with_two_accounts(extra_toml)?;
    let r = request(
        "POST",
        &node.http_url(&format!("/v1/Accounts/{ACCOUNT_SID}/Subscriptions")),
    )
    .basic_auth(ACCOUNT_SID, AUTH_TOKEN)
    .send_form(&[
        ("Types", "call.*"),
        ("SinkUrl", &format!("{}/sink-flaky", hook.base_url())),
    ])?;
    assert_eq!(r.status, 201, "{}", r.text());
    let (out, _) = call_with_capture(&node, "uac_gather.xml", &[])?;
    assert!(out.success(), "sipp failed: {out}");
    let delivered = eventually(Duration::from_secs(15), || {
        let ok: Vec<_> = hook
            .requests_to("/sink-flaky")?
            .into_iter()
            .filter(|r| r.status == 200)
            .collect();
        Ok((ok.len() >= CALL_LIFECYCLE.len()).then_some(ok))
    })?;
    let all = hook.requests_to("/sink-flaky")?;
    let kinds: Vec<String> = delivered
        .iter()
        .map(|r| {
            serde_json::from_str::<serde_json::Value>(r.body.as_deref().unwrap_or("{}")).unwrap()
                ["type"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    assert_eq!(kinds, CALL_LIFECYCLE);
    for r in &delivered {
        let body: serde_json::Value = serde_json::from_str(r.body.as_deref().unwrap())?;
        assert_eq!(r.idempotency_key.as_deref(), body["id"].as_str());
        assert!(
            r.signature_valid,
            "RequestValidator rejected the sink POST {r:?}"
        );
        assert_eq!(r.switchyard_signature_valid, Some(true), "{r:?}");
        // Each was refused once first: delivered on the retry, under the same key.
        let attempts = all
            .iter()
            .filter(|a| a.idempotency_key == r.idempotency_key)
            .count();
        assert_eq!(attempts, 2, "{:?}", r.idempotency_key);
    }
    Ok(())
}

#[test]
fn a_webhook_sink_gets_signed_retried_posts() -> Result<()> {
    webhook_sink_receives_the_call("")
}

/// A caller that only listens (the app's Gather waits), and a capture of what it hears.
pub fn listening_caller(node: &Node) -> Result<(SippProcess, Capture)> {
    let cmd = SippCommand::new("uac_wait_bye.xml")?
        .target(&node.sip_target())
        .args(&["-m", "1", "-s", NUMBER])
        .timeout(Duration::from_secs(60));
    let cap = Capture::start(cmd.media_port())?;
    Ok((cmd.spawn()?, cap))
}

/// After the client event `promo` (`{"code":"7"}`) was published during the Gather:
/// the call ends well, the app got the event as its next request (returned), and the
/// caller heard the tone the app then chose.
pub fn check_steered(hook: &Webhook, sipp: SippProcess, cap: Capture) -> Result<WebhookRequest> {
    let out = sipp.wait()?;
    assert!(out.success(), "sipp failed: {out}");
    std::thread::sleep(Duration::from_millis(200));
    let packets = cap.stop()?;
    let voice = hook.requests_to("/voice")?;
    let steered = voice
        .into_iter()
        .find(|r| r.param("EventName") == Some("promo"))
        .context("no request with the event")?;
    assert_eq!(steered.param("EventData"), Some(r#"{"code":"7"}"#));
    assert!(
        tone_packets(&packets) >= 40,
        "the tone was not heard: {} tone packets",
        tone_packets(&packets)
    );
    Ok(steered)
}

/// The event types of a steered call: the client event, then the Gather's early end,
/// then the app's Play.
pub fn check_steered_order(t: &[String]) {
    let pos = |name: &str| t.iter().position(|x| x == name);
    assert!(
        pos("client.event") < pos("gather.ended") && pos("gather.ended") < pos("play.started"),
        "{t:?}"
    );
}

/// Acceptance 5: a client event during the Gather changes what the caller hears.
pub fn client_event_steers_the_call(extra_toml: &str) -> Result<()> {
    let (hook, node) = node_with_two_accounts(extra_toml)?;
    let mut s = open_sse(&node, ACCOUNT_SID, "")?;
    let (sipp, cap) = listening_caller(&node)?;
    let started = s.until(Duration::from_secs(10), |e| e.event == "gather.started");
    let call_sid = started.last().context("gather.started")?.json()["call_sid"]
        .as_str()
        .context("sid")?
        .to_owned();
    let events = node.http_url(&format!(
        "/v1/Accounts/{ACCOUNT_SID}/Calls/{call_sid}/Events"
    ));
    let r = request("POST", &events)
        .basic_auth(ACCOUNT_SID, AUTH_TOKEN)
        .send_form(&[("Name", "promo"), ("Data", r#"{"code":"7"}"#)])?;
    assert_eq!(r.status, 202, "{}", r.text());
    let steered = check_steered(&hook, sipp, cap)?;
    assert!(steered.signature_valid);
    // The Gather ended early, by the client event.
    let rest = s.until(Duration::from_secs(10), is_completed);
    check_steered_order(&types(&rest));
    let ended = rest
        .iter()
        .find(|e| e.event == "gather.ended")
        .unwrap()
        .json();
    assert_eq!(ended["data"]["Interrupted"], "client-event");
    // A call that is over takes no events (409: the call's state forbids it).
    let r = request("POST", &events)
        .basic_auth(ACCOUNT_SID, AUTH_TOKEN)
        .send_form(&[("Name", "late")])?;
    assert_eq!(r.status, 409, "{}", r.text());
    Ok(())
}

#[test]
fn a_client_event_during_a_gather_changes_what_the_caller_hears() -> Result<()> {
    client_event_steers_the_call("")
}

/// A primary webhook answering 500 is a `webhook.failed` event (and a notification),
/// then the fallback's verbs follow in the same stream.
#[test]
fn a_failing_webhook_is_an_event_before_the_fallback_answers() -> Result<()> {
    let hook = Webhook::start(Scenario::Error500, AUTH_TOKEN, &[])?;
    let node = Node::start(NodeConfig::new().with_webhook(&hook.base_url()))?;
    let mut s = open_sse(
        &node,
        ACCOUNT_SID,
        "?types=webhook.failed,notification,say.*,call.completed",
    )?;
    let out = SippCommand::new("uac_wait_bye.xml")?
        .target(&node.sip_target())
        .args(&["-m", "1", "-s", NUMBER])
        .timeout(Duration::from_secs(60))
        .run()?;
    assert!(out.success(), "sipp failed: {out}");
    let seen = s.until(Duration::from_secs(20), is_completed);
    let t = types(&seen);
    assert_eq!(
        t,
        [
            "webhook.failed",
            "notification",
            "say.started",
            "say.ended",
            "call.completed"
        ],
        "{seen:?}"
    );
    let failed = seen[0].json();
    assert_eq!(failed["data"]["ErrorCode"], "11200");
    assert_eq!(failed["data"]["Url"], format!("{}/voice", hook.base_url()));
    Ok(())
}

/// DESIGN §7: URL userinfo never leaves the request that uses it. A Voice URL and a
/// fallback URL with `user:pass@` both fail: the fallback request's `ErrorUrl`, the
/// node's log (at debug), the notifications and the events (`webhook.failed`,
/// `notification`, `app.error`) all name the URLs without the credentials.
#[test]
fn credentials_in_failing_app_urls_reach_no_log_notification_or_event() -> Result<()> {
    let hook = Webhook::start(Scenario::Error500, AUTH_TOKEN, &[])?;
    let secret_base = hook.base_url().replace("http://", "http://user:pass@");
    let mut number = NumberConfig::webhook(NUMBER, ACCOUNT_SID, &secret_base);
    // Served by no route of the hook: the fallback fails too, so the call ends in app.error.
    number.voice_fallback_url = Some(format!("{secret_base}/no-such-fallback"));
    let mut config = NodeConfig::new();
    config.numbers.push(number);
    config.env.push(("RUST_LOG".into(), "debug".into()));
    let node = Node::start(config)?;
    let mut s = open_sse(&node, ACCOUNT_SID, "")?;
    let out = SippCommand::new("uac_wait_bye.xml")?
        .target(&node.sip_target())
        .args(&["-m", "1", "-s", NUMBER])
        .timeout(Duration::from_secs(60))
        .run()?;
    assert!(out.success(), "sipp failed: {out}");
    let seen = s.until(Duration::from_secs(20), is_completed);
    let t = types(&seen);
    for kind in ["webhook.failed", "notification", "app.error"] {
        assert!(t.iter().any(|k| k == kind), "no {kind} in {t:?}");
    }
    for e in &seen {
        assert!(!e.data.contains("user:pass"), "event leaks: {}", e.data);
    }
    let failed = seen
        .iter()
        .find(|e| e.event == "webhook.failed")
        .context("webhook.failed")?
        .json();
    assert_eq!(failed["data"]["Url"], hook.url("/voice"), "{failed}");

    let fallback = hook.requests_to("/no-such-fallback")?;
    assert_eq!(fallback.len(), 1, "{fallback:?}");
    assert_eq!(
        fallback[0].param("ErrorUrl"),
        Some(hook.url("/voice").as_str())
    );

    let notes = super::notifications(&node)?;
    assert!(notes.len() >= 2, "{notes:?}");
    for n in &notes {
        assert!(
            !n.to_string().contains("user:pass"),
            "notification leaks: {n}"
        );
    }
    let log = node.stderr();
    assert!(log.contains("/voice"), "the log names no URL");
    assert!(!log.contains("user:pass"), "the log leaks credentials");
    Ok(())
}

/// A sink slower than the events: its bounded queue overflows, the account is told so
/// (notification 64001), and the sink catches up from the replay log without losing or
/// repeating an event.
#[test]
fn an_overflowing_sink_is_notified_and_catches_up_from_the_log() -> Result<()> {
    let (hook, node) = node_with_two_accounts("[events]\nsubscriber_queue = 2\n")?;
    let r = request(
        "POST",
        &node.http_url(&format!("/v1/Accounts/{ACCOUNT_SID}/Subscriptions")),
    )
    .basic_auth(ACCOUNT_SID, AUTH_TOKEN)
    .send_form(&[("SinkUrl", &format!("{}/sink-slow", hook.base_url()))])?;
    assert_eq!(r.status, 201, "{}", r.text());
    // The witness shares the small queue: it takes the call's lifecycle and verbs, not
    // the module events, so that it keeps up where the slow sink cannot.
    let mut witness = open_sse(
        &node,
        ACCOUNT_SID,
        "?types=call.initiated,call.ringing,call.answered,call.completed,gather.*,play.*,hangup.*",
    )?;
    let (out, _) = call_with_capture(&node, "uac_gather.xml", &[])?;
    assert!(out.success(), "sipp failed: {out}");
    let call_events: Vec<String> = witness
        .until(Duration::from_secs(20), is_completed)
        .into_iter()
        .filter_map(|e| e.id)
        .collect();
    let overflow = eventually(Duration::from_secs(20), || {
        Ok(super::notifications(&node)?
            .into_iter()
            .find(|n| n["error_code"] == "64001"))
    })?;
    assert!(
        overflow["message_text"]
            .as_str()
            .is_some_and(|m| m.contains("/sink-slow")),
        "{overflow}"
    );
    // Every call event reaches the sink exactly once, in order.
    let keys = eventually(Duration::from_secs(30), || {
        let keys: Vec<String> = hook
            .requests_to("/sink-slow")?
            .into_iter()
            .filter_map(|r| r.idempotency_key)
            .collect();
        Ok(call_events
            .iter()
            .all(|id| keys.contains(id))
            .then_some(keys))
    })?;
    let of_call: Vec<&String> = keys.iter().filter(|k| call_events.contains(k)).collect();
    assert_eq!(
        of_call,
        call_events.iter().collect::<Vec<_>>(),
        "order or repeats"
    );
    Ok(())
}
