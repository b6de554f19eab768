//! The WebSocket and QUIC publication channels: the same events as SSE, each
//! subscriber with its own filter; the control channel inside them (subscribe,
//! unsubscribe, publish to a live call); the same refusals as SSE.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::{json, Value};
use switchyard_e2e::{
    free_port, Node, QuicChannel, QuicRefusal, WsChannel, ACCOUNT_SID, AUTH_TOKEN, NUMBER,
};

use super::call_with_capture;
use super::events::{
    check_steered, check_steered_order, listening_caller, mint, node_with_two_accounts, open_sse,
    CALL_TYPES, OTHER_SID, OTHER_TOKEN,
};

/// `extra_toml` with the QUIC channel on `port` (in its `[events]` table if it has one).
fn with_quic(extra_toml: &str, port: u16) -> String {
    let line = format!("quic_listen = \"127.0.0.1:{port}\"");
    match extra_toml.find("[events]") {
        Some(at) => {
            let end = at + "[events]".len();
            format!("{}\n{line}{}", &extra_toml[..end], &extra_toml[end..])
        }
        None => format!("{extra_toml}\n[events]\n{line}\n"),
    }
}

/// A node with two accounts and the QUIC channel; returns its QUIC address.
fn node_with_quic(extra_toml: &str) -> Result<(switchyard_e2e::Webhook, Node, SocketAddr)> {
    let port = free_port()?;
    let (hook, node) = node_with_two_accounts(&with_quic(extra_toml, port))?;
    Ok((hook, node, SocketAddr::from(([127, 0, 0, 1], port))))
}

fn basic(sid: &str, token: &str) -> String {
    use base64::Engine as _;
    let raw = format!("{sid}:{token}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// A WebSocket channel of `account` with Basic credentials `(sid, token)`.
fn open_ws(
    node: &Node,
    account: &str,
    creds: (&str, &str),
    query: &str,
    headers: &[(&str, &str)],
) -> Result<WsChannel> {
    let url = node.http_url(&format!("/v1/Accounts/{account}/Events/ws{query}"));
    let auth = basic(creds.0, creds.1);
    let mut all = vec![("Authorization", auth.as_str())];
    all.extend_from_slice(headers);
    WsChannel::open(&url, &all)?
        .map_err(|r| anyhow::anyhow!("WebSocket refused: {} {}", r.status, r.text()))
}

/// A signed URL's path and query (what `AUTH` carries).
fn path_of(node: &Node, url: &str) -> String {
    url.strip_prefix(&node.http_url(""))
        .unwrap_or(url)
        .to_owned()
}

fn open_quic(node: &Node, addr: SocketAddr, auth: &str) -> Result<QuicChannel> {
    QuicChannel::connect(addr, &node.data_dir(), auth)?
        .map_err(|r| anyhow::anyhow!("QUIC refused: {} {}", r.status, r.message))
}

fn kind(e: &Value) -> String {
    e["type"].as_str().unwrap_or("").to_owned()
}

fn kinds(events: &[Value]) -> Vec<String> {
    events.iter().map(kind).collect()
}

fn ids(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["id"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn seq(id: &str) -> u64 {
    id.rsplit(':')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn is_completed(e: &Value) -> bool {
    kind(e) == "call.completed"
}

/// The events of `events` whose type is one of the documented call's, in order.
fn documented(events: &[Value]) -> Vec<String> {
    kinds(events)
        .into_iter()
        .filter(|t| CALL_TYPES.contains(&t.as_str()))
        .collect()
}

/// One call seen by an SSE, a WebSocket and a QUIC subscriber at once, each with its
/// own filter; another account's WebSocket sees nothing; WebSocket and QUIC resume
/// after an id as SSE does.
pub fn all_channels_see_the_call(extra_toml: &str) -> Result<()> {
    let (_hook, node, quic_addr) = node_with_quic(extra_toml)?;
    let me = (ACCOUNT_SID, AUTH_TOKEN);
    let mut sse = open_sse(&node, ACCOUNT_SID, "")?;
    let mut ws = open_ws(&node, ACCOUNT_SID, me, "?types=call.*", &[])?;
    let mut other = open_ws(&node, OTHER_SID, (OTHER_SID, OTHER_TOKEN), "", &[])?;
    let signed = mint(&node, ACCOUNT_SID, AUTH_TOKEN, &[("Ttl", "120")])?;
    let mut quic = open_quic(
        &node,
        quic_addr,
        &format!("AUTH {}", path_of(&node, &signed)),
    )?;

    let (out, _) = call_with_capture(&node, "uac_gather.xml", &[])?;
    assert!(out.success(), "sipp failed: {out}");

    let seen = sse.until(Duration::from_secs(20), |e| e.event == "call.completed");
    let sse_ids: Vec<(String, String)> = seen
        .iter()
        .map(|e| (e.event.clone(), e.id.clone().unwrap_or_default()))
        .collect();
    let wanted: Vec<String> = CALL_TYPES.iter().map(|s| s.to_string()).collect();

    let q = quic.until(Duration::from_secs(20), is_completed);
    assert_eq!(documented(&q), wanted, "QUIC: {:?}", kinds(&q));
    let s: Vec<u64> = ids(&q).iter().map(|i| seq(i)).collect();
    assert!(
        s.windows(2).all(|w| w[1] > w[0]),
        "QUIC ids increase: {s:?}"
    );
    // The same events as SSE, under the same ids.
    let quic_ids: Vec<(String, String)> = kinds(&q).into_iter().zip(ids(&q)).collect();
    assert_eq!(quic_ids, sse_ids);
    let call_sid = q[0]["call_sid"].as_str().context("call_sid")?.to_owned();
    for e in &q {
        assert_eq!(e["account_sid"], ACCOUNT_SID);
        assert_eq!(e["call_sid"], call_sid.as_str());
        assert_eq!(e["data"]["To"], NUMBER, "{e}");
    }

    let w = ws.until(Duration::from_secs(20), is_completed);
    assert_eq!(kinds(&w), super::events::CALL_LIFECYCLE);
    let s: Vec<u64> = ids(&w).iter().map(|i| seq(i)).collect();
    assert!(
        s.windows(2).all(|w| w[1] > w[0]),
        "WebSocket ids increase: {s:?}"
    );
    for (t, id) in kinds(&w).into_iter().zip(ids(&w)) {
        assert!(sse_ids.contains(&(t.clone(), id.clone())), "{t} {id}");
    }
    assert_eq!(
        other.next(Duration::from_secs(1)),
        None,
        "another account saw an event"
    );

    // Resuming after the answer: the rest of the call, as the witness saw it.
    let answered = &sse_ids
        .iter()
        .find(|(t, _)| t == "call.answered")
        .context("call.answered")?
        .1;
    let rest: Vec<String> = sse_ids
        .iter()
        .skip_while(|(_, id)| id != answered)
        .skip(1)
        .map(|(_, id)| id.clone())
        .collect();
    let mut ws_again = open_ws(&node, ACCOUNT_SID, me, "", &[("Last-Event-ID", answered)])?;
    let replayed = ws_again.until(Duration::from_secs(10), is_completed);
    assert_eq!(ids(&replayed), rest, "WebSocket replay");
    let resume = format!("{signed}&last_event_id={answered}");
    let mut quic_again = open_quic(
        &node,
        quic_addr,
        &format!("AUTH {}", path_of(&node, &resume)),
    )?;
    let replayed = quic_again.until(Duration::from_secs(10), is_completed);
    assert_eq!(ids(&replayed), rest, "QUIC replay");
    Ok(())
}

#[test]
fn websocket_and_quic_subscribers_see_the_call_beside_sse() -> Result<()> {
    all_channels_see_the_call("")
}

fn ack(answer: &Value, op: &str) {
    assert_eq!(answer["type"], "ack", "{answer}");
    assert_eq!(answer["op"], op, "{answer}");
    assert_eq!(answer["ok"], true, "{answer}");
}

fn refused(answer: &Value, op: &str) {
    assert_eq!(answer["type"], "error", "{answer}");
    assert_eq!(answer["op"], op, "{answer}");
    assert!(answer["message"].as_str().is_some_and(|m| !m.is_empty()));
}

/// Subscribe and unsubscribe change what arrives on an open WebSocket.
#[test]
fn control_operations_change_what_a_websocket_carries() -> Result<()> {
    let (_hook, node) = node_with_two_accounts("")?;
    let mut ws = open_ws(
        &node,
        ACCOUNT_SID,
        (ACCOUNT_SID, AUTH_TOKEN),
        "?types=call.completed",
        &[],
    )?;
    ack(
        &ws.op(&json!({"op": "subscribe", "key": "g", "types": ["gather.*"]}))?,
        "subscribe",
    );
    // Refusals name the operation and leave the stream as it was.
    refused(
        &ws.op(&json!({"op": "subscribe", "key": "x", "types": ["nope.*"]}))?,
        "subscribe",
    );
    refused(
        &ws.op(&json!({"op": "subscribe", "key": "x", "filters": ["no operator"]}))?,
        "subscribe",
    );
    refused(
        &ws.op(&json!({"op": "unsubscribe", "key": "missing"}))?,
        "unsubscribe",
    );
    refused(&ws.op(&json!({"op": "dance"}))?, "dance");
    refused(
        &ws.op(&json!({"op": "publish", "call_sid": "CA00000000000000000000000000000009", "name": "x"}))?,
        "publish",
    );

    let (out, _) = call_with_capture(&node, "uac_gather.xml", &[])?;
    assert!(out.success(), "sipp failed: {out}");
    let first = ws.until(Duration::from_secs(20), is_completed);
    assert_eq!(
        kinds(&first),
        ["gather.started", "gather.ended", "call.completed"]
    );

    ack(
        &ws.op(&json!({"op": "unsubscribe", "key": "g"}))?,
        "unsubscribe",
    );
    ack(
        &ws.op(&json!({"op": "unsubscribe", "key": "inline"}))?,
        "unsubscribe",
    );
    ack(
        &ws.op(&json!({"op": "subscribe", "key": "a", "types": ["call.answered", "hangup.started"], "filters": [format!("To={NUMBER}")], "wasm_filter": null}))?,
        "subscribe",
    );
    // A filter that matches nothing of this call: it must not add events.
    ack(
        &ws.op(&json!({"op": "subscribe", "key": "b", "types": ["call.*"], "filters": ["From^=+1999"]}))?,
        "subscribe",
    );
    let (out, _) = call_with_capture(&node, "uac_gather.xml", &[])?;
    assert!(out.success(), "sipp failed: {out}");
    let second = ws.until(Duration::from_secs(20), |e| kind(e) == "hangup.started");
    assert_eq!(kinds(&second), ["call.answered", "hangup.started"]);
    assert_eq!(ws.next(Duration::from_secs(1)), None, "call.completed came");
    Ok(())
}

/// The channel a test publishes over.
#[derive(Debug)]
enum Channel {
    WebSocket(WsChannel),
    Quic(QuicChannel),
}

impl Channel {
    fn until(&mut self, last: impl Fn(&Value) -> bool) -> Vec<Value> {
        match self {
            Self::WebSocket(w) => w.until(Duration::from_secs(20), last),
            Self::Quic(q) => q.until(Duration::from_secs(20), last),
        }
    }

    fn op(&mut self, op: &Value) -> Result<Value> {
        match self {
            Self::WebSocket(w) => w.op(op),
            Self::Quic(q) => q.op(op),
        }
    }
}

/// A client event published over the channel during the Gather changes what the
/// caller hears, as `POST …/Calls/{CallSid}/Events` does.
fn publish_steers_the_call(quic: bool) -> Result<()> {
    let (hook, node, quic_addr) = node_with_quic("")?;
    let mut channel = if quic {
        let path = format!("/v1/Accounts/{ACCOUNT_SID}/Events");
        let auth = format!("AUTH-BASIC {ACCOUNT_SID} {AUTH_TOKEN} {path}");
        Channel::Quic(open_quic(&node, quic_addr, &auth)?)
    } else {
        let me = (ACCOUNT_SID, AUTH_TOKEN);
        Channel::WebSocket(open_ws(&node, ACCOUNT_SID, me, "", &[])?)
    };
    let (sipp, cap) = listening_caller(&node)?;
    let started = channel.until(|e| kind(e) == "gather.started");
    let call_sid = started.last().context("gather.started")?["call_sid"]
        .as_str()
        .context("sid")?
        .to_owned();
    let publish =
        json!({"op": "publish", "call_sid": call_sid, "name": "promo", "data": {"code": "7"}});
    ack(&channel.op(&publish)?, "publish");
    check_steered(&hook, sipp, cap)?;
    check_steered_order(&kinds(&channel.until(is_completed)));
    // Over: the call takes no more events.
    let late = json!({"op": "publish", "call_sid": call_sid, "name": "late"});
    refused(&channel.op(&late)?, "publish");
    Ok(())
}

#[test]
fn a_client_event_published_over_a_websocket_steers_the_call() -> Result<()> {
    publish_steers_the_call(false)
}

#[test]
fn a_client_event_published_over_quic_steers_the_call() -> Result<()> {
    publish_steers_the_call(true)
}

fn ws_status(url: &str, headers: &[(&str, &str)]) -> Result<u16> {
    Ok(match WsChannel::open(url, headers)? {
        Ok(_) => 101,
        Err(r) => {
            assert!(
                r.json().is_ok_and(|j| j["message"].is_string()),
                "a JSON error body: {}",
                r.text()
            );
            r.status
        }
    })
}

fn quic_status(node: &Node, addr: SocketAddr, auth: &str) -> Result<u16> {
    Ok(match QuicChannel::connect(addr, &node.data_dir(), auth)? {
        Ok(_) => 200,
        Err(QuicRefusal { status, message }) => {
            assert!(!message.is_empty(), "ERR {status} without a message");
            status
        }
    })
}

fn replace_expires(url: &str, to: u64) -> String {
    let start = url.find("expires=").expect("expires") + "expires=".len();
    let end = url[start..].find('&').map_or(url.len(), |i| start + i);
    format!("{}{to}{}", &url[..start], &url[end..])
}

/// Unsigned, tampered, expired and foreign requests are refused on both channels
/// with SSE's statuses, and an open channel is closed at its URL's expiry.
#[test]
fn websocket_and_quic_refuse_as_sse_does() -> Result<()> {
    let (_hook, mut node, quic_addr) = node_with_quic("")?;
    let ws_url = |account: &str| node.http_url(&format!("/v1/Accounts/{account}/Events/ws"));
    let path = format!("/v1/Accounts/{ACCOUNT_SID}/Events");
    let signed = mint(
        &node,
        ACCOUNT_SID,
        AUTH_TOKEN,
        &[("Types", "call.*"), ("Ttl", "60")],
    )?;
    let query = &signed[signed.find('?').context("query")?..];
    let ws_signed = format!("{}{query}", ws_url(ACCOUNT_SID));
    let quic_auth = |url: &str| format!("AUTH {}", path_of(&node, url));

    // Unsigned, without credentials.
    assert_eq!(ws_status(&ws_url(ACCOUNT_SID), &[])?, 401);
    assert_eq!(quic_status(&node, quic_addr, &format!("AUTH {path}"))?, 401);
    // Signed and intact.
    assert_eq!(ws_status(&ws_signed, &[])?, 101);
    assert_eq!(quic_status(&node, quic_addr, &quic_auth(&signed))?, 200);
    // Tampered: a widened type list, a pushed expiry.
    assert_eq!(ws_status(&ws_signed.replace("call.*", "*"), &[])?, 403);
    assert_eq!(
        quic_status(&node, quic_addr, &quic_auth(&signed.replace("call.*", "*")))?,
        403
    );
    let pushed = replace_expires(&signed, 4_000_000_000);
    assert_eq!(
        ws_status(&replace_expires(&ws_signed, 4_000_000_000), &[])?,
        403
    );
    assert_eq!(quic_status(&node, quic_addr, &quic_auth(&pushed))?, 403);
    // Another account's path with this account's signature.
    assert_eq!(
        ws_status(&ws_signed.replace(ACCOUNT_SID, OTHER_SID), &[])?,
        403
    );
    // Another tenant's credentials on this account's stream: as if it did not exist.
    let theirs = basic(OTHER_SID, OTHER_TOKEN);
    assert_eq!(
        ws_status(&ws_url(ACCOUNT_SID), &[("Authorization", &theirs)])?,
        404
    );
    assert_eq!(
        quic_status(
            &node,
            quic_addr,
            &format!("AUTH-BASIC {OTHER_SID} {OTHER_TOKEN} {path}")
        )?,
        404
    );
    assert_eq!(
        quic_status(
            &node,
            quic_addr,
            &format!("AUTH-BASIC {ACCOUNT_SID} nope {path}")
        )?,
        401
    );
    assert_eq!(
        quic_status(
            &node,
            quic_addr,
            &format!("AUTH-BASIC {ACCOUNT_SID} {AUTH_TOKEN} {path}")
        )?,
        200
    );
    // Not an AUTH line.
    assert_eq!(quic_status(&node, quic_addr, "HELLO")?, 400);

    // Expired before the channel opens.
    let short = mint(&node, ACCOUNT_SID, AUTH_TOKEN, &[("Ttl", "1")])?;
    std::thread::sleep(Duration::from_millis(2_100));
    let short_query = &short[short.find('?').context("query")?..];
    assert_eq!(
        ws_status(&format!("{}{short_query}", ws_url(ACCOUNT_SID)), &[])?,
        401
    );
    assert_eq!(quic_status(&node, quic_addr, &quic_auth(&short))?, 401);

    // An open channel is closed at its expiry, with a last word.
    let brief = mint(&node, ACCOUNT_SID, AUTH_TOKEN, &[("Ttl", "3")])?;
    let brief_query = &brief[brief.find('?').context("query")?..];
    let mut ws = WsChannel::open(&format!("{}{brief_query}", ws_url(ACCOUNT_SID)), &[])?
        .map_err(|r| anyhow::anyhow!("{}", r.status))?;
    let mut quic = open_quic(&node, quic_addr, &quic_auth(&brief))?;
    for last in [
        ws.next(Duration::from_secs(6)),
        quic.next(Duration::from_secs(6)),
    ] {
        let last = last.context("a closing message")?;
        assert_eq!(last["type"], "stream.closed", "{last}");
        assert_eq!(last["reason"], "expired", "{last}");
    }
    assert!(
        ws.ends_within(Duration::from_secs(3)),
        "the WebSocket stays open"
    );
    assert!(
        quic.ends_within(Duration::from_secs(3)),
        "the QUIC connection stays open"
    );

    // The certificate is the node's for good: a restart keeps it, so pins hold.
    let cert = node.data_dir().join(switchyard_e2e::quic::CERT_FILE);
    let before = std::fs::read(&cert)?;
    node.kill9()?;
    node.restart_same_data()?;
    assert_eq!(
        std::fs::read(&cert)?,
        before,
        "a new certificate after restart"
    );
    let basic_auth = format!("AUTH-BASIC {ACCOUNT_SID} {AUTH_TOKEN} {path}");
    assert_eq!(quic_status(&node, quic_addr, &basic_auth)?, 200);
    Ok(())
}

/// A signed URL shows events; it steers calls only when minted with `Publish=true`.
#[test]
fn a_signed_url_publishes_only_when_minted_to() -> Result<()> {
    let (_hook, node) = node_with_two_accounts("")?;
    let fake =
        json!({"op": "publish", "call_sid": "CA00000000000000000000000000000009", "name": "x"});
    let ws_of = |url: &str| -> Result<WsChannel> {
        let ws_url = url.replacen("/Events?", "/Events/ws?", 1);
        WsChannel::open(&ws_url, &[])?.map_err(|r| anyhow::anyhow!("{} {}", r.status, r.text()))
    };
    let read_only = mint(&node, ACCOUNT_SID, AUTH_TOKEN, &[("Ttl", "60")])?;
    let mut ws = ws_of(&read_only)?;
    let answer = ws.op(&fake)?;
    refused(&answer, "publish");
    assert!(
        answer["message"]
            .as_str()
            .unwrap_or_default()
            .contains("may not publish"),
        "{answer}"
    );

    let steering = mint(
        &node,
        ACCOUNT_SID,
        AUTH_TOKEN,
        &[("Ttl", "60"), ("Publish", "true")],
    )?;
    assert!(steering.contains("publish=true"), "{steering}");
    let mut ws = ws_of(&steering)?;
    let answer = ws.op(&fake)?;
    refused(&answer, "publish");
    // Past the permission check: refused only because no such call exists.
    assert!(
        answer["message"]
            .as_str()
            .unwrap_or_default()
            .contains("was not found"),
        "{answer}"
    );
    // The flag is signed: adding it to a read-only URL is tampering.
    let forged = format!("{read_only}&publish=true").replacen("/Events?", "/Events/ws?", 1);
    let refusal = WsChannel::open(&forged, &[])?
        .err()
        .context("a forged URL opened")?;
    assert_eq!(refusal.status, 403);
    Ok(())
}
