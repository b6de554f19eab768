//! Inbound trust through a real node: `[sip] inbound = "trunks"` refuses INVITEs from
//! outside every trunk's addresses, a SIP domain's users authenticate with a digest
//! (407) and their calls run the domain's voice URL, a phone registered from an address
//! may call from it, and a source that fails 20 digests is blocked with a notification.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use serde_json::Value;
use switchyard_e2e::http::request;
use switchyard_e2e::{
    CalleeOptions, Node, NodeConfig, Phone, PhoneOptions, PhoneOutcome, Registration, Scenario,
    Webhook, ACCOUNT_SID, AUTH_TOKEN, NUMBER,
};
use switchyard_sip::digest::{authorization, Challenge};

use super::raw_ua::{final_response, offer, tag_of, RawUa, Response};

const DOMAIN: &str = "office.example.com";
const PASSWORD: &str = "IWasAtSignal2018";

/// A node that trusts only the trunk whose calls come from `trunk_range`.
fn trunks_only(hook: &Webhook, trunk_range: &str) -> Result<Node> {
    let mut config = NodeConfig::new().with_webhook(&hook.base_url());
    config.sip_inbound = Some("trunks".into());
    config.extra_toml = format!(
        "[[trunks]]\nname = \"carrier\"\naddress = \"192.0.2.10:5060\"\n\
         inbound_addresses = [\"{trunk_range}\"]\n"
    );
    Node::start(config)
}

fn api(node: &Node, method: &str, path: &str, form: &[(&str, &str)]) -> Result<Value> {
    let url = node.http_url(&format!("/2010-04-01/Accounts/{ACCOUNT_SID}{path}"));
    let r = request(method, &url)
        .basic_auth(ACCOUNT_SID, AUTH_TOKEN)
        .send_form(form)?;
    ensure!(r.status == 201, "POST {path}: {} {}", r.status, r.text());
    r.json()
}

/// The domain (created with `domain`'s fields) with a credential list holding `alice`,
/// mapped to it for `mapping` (`Calls` or `Registrations`).
fn domain_with_alice_for(node: &Node, domain: &[(&str, &str)], mapping: &str) -> Result<()> {
    let mut form = vec![("DomainName", DOMAIN)];
    form.extend_from_slice(domain);
    let d = api(node, "POST", "/SIP/Domains.json", &form)?;
    let cl = api(
        node,
        "POST",
        "/SIP/CredentialLists.json",
        &[("FriendlyName", "staff")],
    )?;
    let cl_sid = cl["sid"].as_str().context("list sid")?;
    api(
        node,
        "POST",
        &format!("/SIP/CredentialLists/{cl_sid}/Credentials.json"),
        &[("Username", "alice"), ("Password", PASSWORD)],
    )?;
    let d_sid = d["sid"].as_str().context("domain sid")?;
    api(
        node,
        "POST",
        &format!("/SIP/Domains/{d_sid}/Auth/{mapping}/CredentialListMappings.json"),
        &[("CredentialListSid", cl_sid)],
    )?;
    Ok(())
}

/// The domain, answered by the webhook's `/voice`, with `alice` allowed to place calls.
fn domain_with_alice(node: &Node, hook: &Webhook) -> Result<()> {
    domain_with_alice_for(node, &[("VoiceUrl", &hook.url("/voice"))], "Calls")
}

/// An INVITE as the raw UA writes it, from `from` (a SIP URI), with extra headers.
fn invite(ua: &RawUa, uri: &str, id: &str, cseq: u32, from: &str, extra: &[String]) -> String {
    let body = offer(ua.port + 2, "0", "a=rtpmap:0 PCMU/8000\r\n");
    let branch = format!("{id}-{cseq}");
    let msg = ua.request(
        "INVITE",
        uri,
        id,
        &branch,
        cseq,
        None,
        Some("application/sdp"),
        &body,
    );
    let port = ua.port;
    let mut msg = msg.replace(
        &format!("From: <sip:+15557770000@127.0.0.1:{port}>"),
        &format!("From: <{from}>"),
    );
    for h in extra {
        msg = msg.replacen(
            "Max-Forwards: 70\r\n",
            &format!("Max-Forwards: 70\r\n{h}\r\n"),
            1,
        );
    }
    msg
}

/// Send the INVITE `message` (CSeq `cseq`) and return its final response; a failure is
/// ACKed (RFC 3261 §17.1.1.3: same branch, the response's To tag) so it is not resent.
fn final_of(
    ua: &RawUa,
    node: &Node,
    message: &str,
    uri: &str,
    id: &str,
    cseq: u32,
) -> Result<Response> {
    let responses = ua.exchange(node, message, id)?;
    let last = responses.into_iter().last().context("no response")?;
    ensure!(last.status >= 200, "no final response to {id}: {last:?}");
    if last.status >= 300 {
        let tag = last.header("To").and_then(tag_of);
        let ack = ua.request("ACK", uri, id, &format!("{id}-{cseq}"), cseq, tag, None, "");
        ua.sock.send_to(ack.as_bytes(), node.sip_target())?;
    }
    Ok(last)
}

/// The `Proxy-Authorization` answering `r`'s challenge for `user`/`password`.
fn answer(r: &Response, user: &str, password: &str, uri: &str) -> Result<String> {
    let value = r
        .header("Proxy-Authenticate")
        .with_context(|| format!("407 without a challenge: {}", r.text))?;
    let challenge = Challenge::parse(value)?;
    let auth = authorization(&challenge, user, password, "INVITE", uri, "0a4f113b", 1);
    Ok(format!("Proxy-Authorization: {auth}"))
}

/// The webhook's `/voice` requests, once there is one (5 s at most).
fn voice_requests(hook: &Webhook) -> Result<Vec<switchyard_e2e::WebhookRequest>> {
    let is_voice = |r: &switchyard_e2e::WebhookRequest| r.path == "/voice";
    let all = hook.wait_for(Duration::from_secs(5), |rs| rs.iter().any(is_voice))?;
    let voice: Vec<_> = all.into_iter().filter(is_voice).collect();
    ensure!(!voice.is_empty(), "the app's /voice was never requested");
    Ok(voice)
}

#[test]
fn trunks_mode_refuses_an_invite_from_outside_every_acl_and_runs_no_app() -> Result<()> {
    let hook = Webhook::start(Scenario::SayHangup, AUTH_TOKEN, &[])?;
    let node = trunks_only(&hook, "192.0.2.0/24")?;
    let ua = RawUa::new()?;
    let uri = format!("sip:{NUMBER}@127.0.0.1:{}", node.sip_port());
    let from = format!("sip:+15557770000@127.0.0.1:{}", ua.port);
    let r = final_of(
        &ua,
        &node,
        &invite(&ua, &uri, "untrusted", 1, &from, &[]),
        &uri,
        "untrusted",
        1,
    )?;
    assert_eq!(r.status, 403, "{}", r.text);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        hook.requests()?.is_empty(),
        "an app ran for a refused call: {:?}",
        hook.requests()?
    );
    drop(node);

    // The same INVITE from inside a trunk's range runs the number's app.
    let node = trunks_only(&hook, "127.0.0.0/8")?;
    let uri = format!("sip:{NUMBER}@127.0.0.1:{}", node.sip_port());
    let responses = ua.exchange(
        &node,
        &invite(&ua, &uri, "trusted", 1, &from, &[]),
        "trusted",
    )?;
    assert_eq!(final_response(&responses).status, 200, "{responses:?}");
    voice_requests(&hook)?;
    Ok(())
}

#[test]
fn twenty_wrong_digests_block_the_source_and_raise_a_notification() -> Result<()> {
    let hook = Webhook::start(Scenario::SayHangup, AUTH_TOKEN, &[])?;
    let node = trunks_only(&hook, "192.0.2.0/24")?;
    domain_with_alice(&node, &hook)?;
    let ua = RawUa::new()?;
    let uri = format!("sip:bob@{DOMAIN}");
    let from = format!("sip:alice@{DOMAIN}");

    // Known and unknown usernames: the same challenge, then the same refusal.
    let mut refusals = Vec::new();
    for (i, user) in ["alice", "mallory"]
        .into_iter()
        .chain(["alice"; 18])
        .enumerate()
    {
        let id = format!("guess{i}");
        let challenge = final_of(
            &ua,
            &node,
            &invite(&ua, &uri, &id, 1, &from, &[]),
            &uri,
            &id,
            1,
        )?;
        assert_eq!(challenge.status, 407, "{}", challenge.text);
        let wrong = answer(&challenge, user, "WrongPassword123", &uri)?;
        let r = final_of(
            &ua,
            &node,
            &invite(&ua, &uri, &id, 2, &from, &[wrong]),
            &uri,
            &id,
            2,
        )?;
        refusals.push((
            r.status,
            r.text.lines().next().unwrap_or_default().to_owned(),
        ));
    }
    assert!(
        refusals
            .iter()
            .all(|r| r == &(403, "SIP/2.0 403 Forbidden".to_owned())),
        "{refusals:?}"
    );

    // Blocked now: even the right password gets 403, without a challenge.
    let id = "blocked";
    let r = final_of(
        &ua,
        &node,
        &invite(&ua, &uri, id, 1, &from, &[]),
        &uri,
        id,
        1,
    )?;
    assert_eq!(r.status, 403, "a blocked source was challenged: {}", r.text);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        hook.requests()?.is_empty(),
        "an app ran: {:?}",
        hook.requests()?
    );

    let url = node.http_url(&format!(
        "/2010-04-01/Accounts/{ACCOUNT_SID}/Notifications.json"
    ));
    let list: Value = request("GET", &url)
        .basic_auth(ACCOUNT_SID, AUTH_TOKEN)
        .call()?
        .json()?;
    let blocks: Vec<&Value> = list["notifications"]
        .as_array()
        .context("no notifications")?
        .iter()
        .filter(|n| n["error_code"] == "32202")
        .collect();
    assert_eq!(blocks.len(), 1, "{list:#}");
    let text = blocks[0]["message_text"].as_str().unwrap_or_default();
    assert!(
        text.contains("127.0.0.1") && text.contains(DOMAIN),
        "{text}"
    );
    Ok(())
}

#[test]
fn a_domain_users_call_runs_the_domain_voice_url_with_sip_from_and_to() -> Result<()> {
    let hook = Webhook::start(Scenario::SayHangup, AUTH_TOKEN, &[])?;
    let node = trunks_only(&hook, "192.0.2.0/24")?;
    domain_with_alice(&node, &hook)?;
    let ua = RawUa::new()?;
    let uri = format!("sip:bob@{DOMAIN}");
    let from = format!("sip:alice@{DOMAIN}");
    let challenge = final_of(
        &ua,
        &node,
        &invite(&ua, &uri, "alice", 1, &from, &[]),
        &uri,
        "alice",
        1,
    )?;
    assert_eq!(challenge.status, 407, "{}", challenge.text);
    let proof = answer(&challenge, "alice", PASSWORD, &uri)?;
    let responses = ua.exchange(
        &node,
        &invite(&ua, &uri, "alice", 2, &from, &[proof]),
        "alice",
    )?;
    // The TwiML (Say, Hangup) runs: the call is answered.
    assert_eq!(final_response(&responses).status, 200, "{responses:?}");
    let voice = voice_requests(&hook)?;
    let req = &voice[0];
    assert_eq!(
        req.param("From"),
        Some("sip:alice@office.example.com"),
        "{req:?}"
    );
    assert_eq!(
        req.param("To"),
        Some("sip:bob@office.example.com"),
        "{req:?}"
    );
    assert_eq!(req.param("AccountSid"), Some(ACCOUNT_SID), "{req:?}");
    assert!(
        req.signature_valid,
        "X-Twilio-Signature did not verify: {req:?}"
    );
    Ok(())
}

/// The domain taking registrations, `alice` allowed to register.
fn domain_taking_alices_registrations(node: &Node) -> Result<()> {
    domain_with_alice_for(node, &[("SipRegistration", "true")], "Registrations")
}

/// A pjsua2 call of the number from 127.0.0.1 (outside every trunk's range).
fn call_from_loopback(node: &Node) -> Result<PhoneOutcome> {
    Phone::call(
        &node.sip_uri(NUMBER),
        "",
        None,
        &PhoneOptions {
            timeout: Duration::from_secs(15),
            ..Default::default()
        },
    )
}

/// Under `inbound = "trunks"` a registered phone's address is trusted: a call from
/// 127.0.0.1 is refused (403, no app) while no phone is registered from there, admitted
/// (the number's app runs) while pjsua2 is registered as alice from there, and refused
/// again once that phone has unregistered.
#[test]
fn a_phone_registered_from_an_address_may_call_from_it() -> Result<()> {
    let hook = Webhook::start(Scenario::SayHangup, AUTH_TOKEN, &[])?;
    let node = trunks_only(&hook, "192.0.2.0/24")?;
    domain_taking_alices_registrations(&node)?;
    let refused = call_from_loopback(&node)?;
    let summary = refused.summary.context("refused caller's summary")?;
    assert!(!summary.connected, "{summary:?}");
    assert_eq!(summary.last_status, Some(403), "{summary:?}");
    assert!(hook.requests()?.is_empty(), "{:?}", hook.requests()?);

    let phone = Phone::listen(&CalleeOptions {
        user: "alice".into(),
        register: Some(Registration {
            registrar: format!("sip:{DOMAIN}"),
            proxy: format!("sip:{};lr", node.sip_target()),
            password: PASSWORD.into(),
        }),
        timeout: Duration::from_secs(40),
        ..Default::default()
    })?;
    let admitted = call_from_loopback(&node)?;
    assert!(admitted.success(), "registered address: {admitted:?}");
    voice_requests(&hook)?;

    let left = phone.stop()?;
    assert!(!left.summary.context("phone summary")?.connected);
    let before = hook.requests()?.len();
    let refused = call_from_loopback(&node)?;
    let summary = refused.summary.context("caller's summary")?;
    assert_eq!(
        summary.last_status,
        Some(403),
        "after unregistering: {summary:?}"
    );
    assert_eq!(
        hook.requests()?.len(),
        before,
        "an app ran for a refused call"
    );
    Ok(())
}

/// Runs `sipvicious_svwar` with `args` against the node; returns its output (both streams).
fn svwar(node: &Node, dictionary: &std::path::Path, args: &[&str]) -> Result<String> {
    let out = std::process::Command::new("timeout")
        .args(["--signal=KILL", "60", "sipvicious_svwar", "-v"])
        .args(["-p", &node.sip_port().to_string()])
        .arg("-d")
        .arg(dictionary)
        .args(["--maximumtime", "3"])
        .args(args)
        .arg("127.0.0.1")
        .output()
        .context("running sipvicious_svwar (scripts/install-deps --test installs it)")?;
    Ok(format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

#[test]
fn svwar_lists_no_extension_on_a_trunks_node() -> Result<()> {
    let hook = Webhook::start(Scenario::SayHangup, AUTH_TOKEN, &[])?;
    let node = trunks_only(&hook, "192.0.2.0/24")?;
    domain_with_alice(&node, &hook)?;
    let dir = tempfile::tempdir()?;
    let dictionary = dir.path().join("users.txt");
    // The domain's real user and the node's real number among guesses.
    std::fs::write(
        &dictionary,
        "alice\nbob\nadmin\n100\n1000\n+15550001111\n15550001111\n",
    )?;
    for args in [
        &["-m", "INVITE", "--force"][..],
        &["-m", "REGISTER", "--force"][..],
        &["-m", "INVITE", "--force", "--domain", DOMAIN][..],
        &["-m", "REGISTER", "--force", "--domain", DOMAIN][..],
    ] {
        let out = svwar(&node, &dictionary, args)?;
        // `--force`: svwar stops at once when an unknown extension is refused or
        // challenged, which proves nothing; forced, it scans every name. The scan really
        // ran (a dead target also "finds nothing").
        assert!(out.contains("Ok SIP device found"), "{args:?}: {out}");
        assert!(
            out.contains("found nothing"),
            "{args:?} listed extensions: {out}"
        );
        assert!(!out.contains("Extension"), "{args:?}: {out}");
    }
    assert!(
        hook.requests()?.is_empty(),
        "an app ran: {:?}",
        hook.requests()?
    );
    Ok(())
}

/// Passwords cannot be guessed through the registrar either: 20 REGISTERs with a wrong
/// digest from one source block it like 20 INVITEs would, its next REGISTER (and INVITE)
/// gets 403 without a challenge, and the domain's account is notified.
#[test]
fn twenty_wrong_register_digests_block_the_source_too() -> Result<()> {
    let hook = Webhook::start(Scenario::SayHangup, AUTH_TOKEN, &[])?;
    let node = trunks_only(&hook, "192.0.2.0/24")?;
    domain_taking_alices_registrations(&node)?;
    let ua = RawUa::new()?;
    let uri = format!("sip:{DOMAIN}");
    let aor = format!("sip:alice@{DOMAIN}");
    let register = |id: &str, cseq: u32, auth: Option<&str>| {
        let port = ua.port;
        let mut msg = ua
            .request(
                "REGISTER",
                &uri,
                id,
                &format!("{id}-{cseq}"),
                cseq,
                None,
                None,
                "",
            )
            .replace(&format!("To: <{uri}>"), &format!("To: <{aor}>"))
            .replace(
                &format!("From: <sip:+15557770000@127.0.0.1:{port}>"),
                &format!("From: <{aor}>"),
            );
        if let Some(h) = auth {
            msg = msg.replacen(
                "Max-Forwards: 70\r\n",
                &format!("Max-Forwards: 70\r\n{h}\r\n"),
                1,
            );
        }
        msg
    };
    let last = |msg: &str, id: &str| -> Result<Response> {
        ua.exchange(&node, msg, id)?
            .into_iter()
            .last()
            .with_context(|| format!("no answer to {id}"))
    };
    for i in 0..20 {
        let id = format!("reg{i}");
        let challenge = last(&register(&id, 1, None), &id)?;
        assert_eq!(challenge.status, 401, "{}", challenge.text);
        let value = challenge
            .header("WWW-Authenticate")
            .context("401 without a challenge")?;
        let auth = authorization(
            &Challenge::parse(value)?,
            "alice",
            "WrongPassword123",
            "REGISTER",
            &uri,
            "0a4f113b",
            1,
        );
        let refused = last(
            &register(&id, 2, Some(&format!("Authorization: {auth}"))),
            &id,
        )?;
        assert_eq!(refused.status, 401, "wrong digest {i}: {}", refused.text);
    }
    // Blocked: no challenge any more, for REGISTER or INVITE.
    let r = last(&register("after", 1, None), "after")?;
    assert_eq!(r.status, 403, "a blocked source was challenged: {}", r.text);
    let invite_uri = format!("sip:bob@{DOMAIN}");
    let r = final_of(
        &ua,
        &node,
        &invite(&ua, &invite_uri, "after-invite", 1, &aor, &[]),
        &invite_uri,
        "after-invite",
        1,
    )?;
    assert_eq!(r.status, 403, "{}", r.text);
    // The notification is written in the background.
    let blocks = super::eventually(Duration::from_secs(5), || {
        let notes: Value = request(
            "GET",
            &node.http_url(&format!(
                "/2010-04-01/Accounts/{ACCOUNT_SID}/Notifications.json"
            )),
        )
        .basic_auth(ACCOUNT_SID, AUTH_TOKEN)
        .call()?
        .json()?;
        let blocks: Vec<Value> = notes["notifications"]
            .as_array()
            .context("no notifications")?
            .iter()
            .filter(|n| n["error_code"] == "32202")
            .cloned()
            .collect();
        Ok((!blocks.is_empty()).then_some(blocks))
    })?;
    assert_eq!(blocks.len(), 1, "{blocks:#?}");
    Ok(())
}
