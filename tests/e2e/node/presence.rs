//! Presence: phones register (digest, or an access token as Bearer), `<Dial><Client>`
//! rings their contacts, and every change is an event and a resource.
//!
//! The SIP domain, its credential list and the API key are written into the node's
//! store directly (the rows the SIP resources API writes), so these tests stand on the
//! registrar alone.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use switchyard_e2e::{
    CalleeOptions, Node, Phone, PhoneOptions, Registration, Webhook, ACCOUNT_SID, NUMBER,
};
use switchyard_sip::digest::{ha1, Algorithm};

use super::dial::{dial_app, heard, one_request};
use super::events::{open_sse, OTHER_SID};
use super::eventually;
use super::raw_ua::RawUa;

const DOMAIN: &str = "acme.sip.localhost";
/// The node-wide digest realm every credential is hashed under.
const REALM: &str = "sip.switchyard";
const PASSWORD: &str = "correct horse 7";
const KEY_SID: &str = "SK00000000000000000000000000000001";
const OTHER_KEY_SID: &str = "SK00000000000000000000000000000002";
const KEY_SECRET: &str = "a-secret-of-thirty-two-characters";
const AFTER: &str = "<Response><Hangup/></Response>";

/// The node's store: a domain taking registrations for alice, and API keys (one of
/// this account, one of another).
fn provision(node: &Node) -> Result<()> {
    let db = rusqlite::Connection::open(node.data_dir().join("switchyard.db"))?;
    db.busy_timeout(Duration::from_secs(5))?;
    let domain = "SD00000000000000000000000000000001";
    let list = "CL00000000000000000000000000000001";
    db.execute(
        "INSERT INTO sip_domains (sid, account_sid, domain_name, friendly_name, voice_url, \
         voice_method, voice_fallback_url, voice_fallback_method, voice_status_callback_url, \
         voice_status_callback_method, sip_registration, date_created, date_updated) \
         VALUES (?1, ?2, ?3, 'acme', NULL, 'POST', NULL, 'POST', NULL, 'POST', 1, 0, 0)",
        (domain, ACCOUNT_SID, DOMAIN),
    )?;
    db.execute(
        "INSERT INTO sip_credential_lists (sid, account_sid, friendly_name, date_created, \
         date_updated) VALUES (?1, ?2, 'agents', 0, 0)",
        (list, ACCOUNT_SID),
    )?;
    db.execute(
        "INSERT INTO sip_credentials (sid, account_sid, credential_list_sid, username, realm, \
         ha1_md5, ha1_sha256, date_created, date_updated) \
         VALUES ('CR00000000000000000000000000000001', ?1, ?2, 'alice', ?3, ?4, ?5, 0, 0)",
        (
            ACCOUNT_SID,
            list,
            REALM,
            ha1(Algorithm::Md5, "alice", REALM, PASSWORD),
            ha1(Algorithm::Sha256, "alice", REALM, PASSWORD),
        ),
    )?;
    db.execute(
        "INSERT INTO sip_domain_mappings (account_sid, domain_sid, kind, sid, date_created) \
         VALUES (?1, ?2, 'registration-credentials', ?3, 0)",
        (ACCOUNT_SID, domain, list),
    )?;
    for (sid, account) in [(KEY_SID, ACCOUNT_SID), (OTHER_KEY_SID, OTHER_SID)] {
        db.execute(
            "INSERT INTO api_keys (sid, account_sid, friendly_name, secret, date_created, \
             date_updated) VALUES (?1, ?2, 'phones', ?3, 0, 0)",
            (sid, account, KEY_SECRET),
        )?;
    }
    Ok(())
}

/// `<Dial><Client>` of `identities` (answered: `action` hangs up).
fn client_app(identities: &[&str]) -> Result<(tempfile::TempDir, Webhook, Node)> {
    let nouns: String = identities
        .iter()
        .map(|i| format!("<Client>{i}</Client>"))
        .collect();
    let voice = format!("<Response><Dial action=\"/dialed\">{nouns}</Dial></Response>");
    let (dir, hook, node) = dial_app(&[("voice", voice), ("dialed", AFTER.into())], "")?;
    provision(&node)?;
    Ok((dir, hook, node))
}

fn registration(node: &Node, password: &str) -> Registration {
    Registration {
        registrar: format!("sip:{DOMAIN}"),
        proxy: format!("sip:{};lr", node.sip_target()),
        password: password.into(),
    }
}

/// A pjsua2 phone registered as alice, answering after `answer_after`.
fn alice(node: &Node, answer_after: Duration, tone: Option<f64>) -> Result<switchyard_e2e::Callee> {
    Phone::listen(&CalleeOptions {
        user: "alice".into(),
        answer_after,
        tone,
        codecs: vec!["PCMU".into()],
        register: Some(registration(node, PASSWORD)),
        timeout: Duration::from_secs(40),
        ..Default::default()
    })
}

fn presence(node: &Node, identity: &str) -> Result<serde_json::Value> {
    node.get_json(&format!("/v1/Accounts/{ACCOUNT_SID}/Presence/{identity}"))
}

fn contact_count(node: &Node, identity: &str) -> Result<u64> {
    Ok(presence(node, identity)?["contact_count"]
        .as_u64()
        .unwrap_or(0))
}

/// Waits until `identity` has `n` live contacts.
fn until_contacts(node: &Node, identity: &str, n: u64) -> Result<()> {
    eventually(Duration::from_secs(10), || {
        Ok((contact_count(node, identity)? == n).then_some(()))
    })
    .with_context(|| format!("{identity} never had {n} contacts"))
}

/// Acceptance 1: pjsua2 registers with the domain's credentials (a wrong password gets
/// 401 and no binding); `<Dial><Client>alice</Client>` rings it, it answers, and each
/// side hears the other's tone.
#[test]
fn a_registered_phone_is_rung_by_dial_client_and_both_sides_hear_each_other() -> Result<()> {
    let (_docs, hook, node) = client_app(&["alice"])?;
    let wrong = Phone::listen(&CalleeOptions {
        user: "alice".into(),
        register: Some(registration(&node, "guess")),
        ..Default::default()
    });
    let log = format!("{:?}", wrong.expect_err("a wrong password registered"));
    assert!(log.contains("phone.py: registered 401"), "{log}");
    let p = presence(&node, "alice")?;
    assert_eq!(p["reachable"], false, "{p}");

    let dir = tempfile::tempdir()?;
    let (caller_wav, callee_wav) = (dir.path().join("caller.wav"), dir.path().join("callee.wav"));
    let callee = Phone::listen(&CalleeOptions {
        user: "alice".into(),
        answer_after: Duration::from_secs(1),
        tone: Some(1000.0),
        record: Some(callee_wav.clone()),
        codecs: vec!["PCMU".into()],
        register: Some(registration(&node, PASSWORD)),
        ..Default::default()
    })?;
    let p = presence(&node, "alice")?;
    assert_eq!(p["reachable"], true, "{p}");
    assert_eq!(p["contact_count"], 1, "{p}");
    let caller = Phone::call(
        &node.sip_uri(NUMBER),
        "",
        Some(&caller_wav),
        &PhoneOptions {
            tone: Some(600.0),
            codecs: vec!["PCMA".into()],
            hangup_after: Some(Duration::from_secs(6)),
            ..Default::default()
        },
    )?;
    let callee = callee.wait()?;
    assert!(caller.completed(), "caller: {caller:?}");
    assert!(callee.completed(), "callee: {callee:?}");
    let invite = callee
        .summary
        .as_ref()
        .and_then(|s| s.invite.clone())
        .unwrap_or_default();
    assert!(
        invite.starts_with("INVITE sip:alice@127.0.0.1:"),
        "{invite}"
    );
    for (from, to) in [(2.0, 3.2), (4.0, 5.0)] {
        let (theirs, own) = heard(&caller_wav, 1000.0, 600.0, from, to)?;
        assert!(
            theirs.share > 0.8 && theirs.rms > 1000.0,
            "caller: {theirs:?}"
        );
        assert!(
            own.level < theirs.level / 10.0,
            "caller hears itself: {own:?}"
        );
    }
    for (from, to) in [(0.5, 2.0), (2.5, 4.0)] {
        let (theirs, own) = heard(&callee_wav, 600.0, 1000.0, from, to)?;
        assert!(
            theirs.share > 0.8 && theirs.rms > 1000.0,
            "callee: {theirs:?}"
        );
        assert!(
            own.level < theirs.level / 10.0,
            "callee hears itself: {own:?}"
        );
    }
    let dialed = one_request(&hook, "/dialed")?;
    assert_eq!(
        dialed.param("DialCallStatus"),
        Some("completed"),
        "{dialed:?}"
    );
    Ok(())
}

/// Acceptance 2: two phones registered as alice both ring, the first to answer wins and
/// the other is cancelled; after one unregisters only the other rings; after a node
/// restart the remaining binding still rings.
#[test]
fn every_contact_of_an_identity_rings_and_bindings_survive_a_restart() -> Result<()> {
    let (_docs, hook, mut node) = client_app(&["alice"])?;
    let fast = alice(&node, Duration::from_secs(1), None)?;
    let slow = alice(&node, Duration::from_secs(30), None)?;
    until_contacts(&node, "alice", 2)?;
    let caller = Phone::call(
        &node.sip_uri(NUMBER),
        "",
        None,
        &PhoneOptions {
            hangup_after: Some(Duration::from_secs(2)),
            ..Default::default()
        },
    )?;
    assert!(caller.completed(), "caller: {caller:?}");
    let fast = fast.wait()?;
    let slow = slow.wait()?;
    assert!(fast.completed(), "the first to answer: {fast:?}");
    let slow_summary = slow.summary.context("slow summary")?;
    assert!(!slow_summary.connected, "{slow_summary:?}");
    // It rang, then was cancelled: PJSIP ends a cancelled INVITE with 487.
    assert_eq!(slow_summary.last_status, Some(487), "{slow_summary:?}");
    let dialed = one_request(&hook, "/dialed")?;
    assert_eq!(dialed.param("DialCallStatus"), Some("completed"));
    // Both phones unregistered as they exited.
    until_contacts(&node, "alice", 0)?;

    // One of two unregisters: only the other rings.
    let stays = alice(&node, Duration::from_millis(500), None)?;
    let leaves = alice(&node, Duration::from_millis(500), None)?;
    until_contacts(&node, "alice", 2)?;
    let left = leaves.stop()?;
    assert!(!left.summary.context("leaver")?.connected);
    until_contacts(&node, "alice", 1)?;
    let caller = Phone::call(
        &node.sip_uri(NUMBER),
        "",
        None,
        &PhoneOptions {
            hangup_after: Some(Duration::from_secs(1)),
            ..Default::default()
        },
    )?;
    assert!(caller.completed(), "caller: {caller:?}");
    assert!(stays.wait()?.completed());
    until_contacts(&node, "alice", 0)?;

    // A binding outlives a restart of the node.
    let kept = alice(&node, Duration::from_millis(500), None)?;
    until_contacts(&node, "alice", 1)?;
    node.kill9()?;
    node.restart_same_data()?;
    assert_eq!(contact_count(&node, "alice")?, 1);
    let caller = Phone::call(
        &node.sip_uri(NUMBER),
        "",
        None,
        &PhoneOptions {
            hangup_after: Some(Duration::from_secs(1)),
            ..Default::default()
        },
    )?;
    assert!(caller.completed(), "caller after the restart: {caller:?}");
    assert!(kept.wait()?.completed());
    Ok(())
}

/// An access token minted by twilio-python's `AccessToken` with a `VoiceGrant`
/// (incoming allowed) for `identity`, signed with `secret` under `key`; valid for `ttl`
/// seconds (negative: already expired).
fn mint(account: &str, key: &str, secret: &str, identity: &str, ttl: i64) -> Result<String> {
    let script = "import sys\n\
        from twilio.jwt.access_token import AccessToken\n\
        from twilio.jwt.access_token.grants import VoiceGrant\n\
        a, k, s, i, ttl = sys.argv[1:]\n\
        t = AccessToken(a, k, s, identity=i, ttl=int(ttl))\n\
        t.add_grant(VoiceGrant(incoming_allow=True))\n\
        print(t.to_jwt())\n";
    let out = Command::new("python3")
        .args(["-W", "ignore", "-c", script, account, key, secret, identity])
        .arg(ttl.to_string())
        .output()
        .context("python3 with twilio (scripts/install-deps --test)")?;
    anyhow::ensure!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8(out.stdout)?.trim().to_owned())
}

/// A REGISTER for bob from `ua` with `authorization`; its final response.
fn register(
    ua: &RawUa,
    node: &Node,
    cseq: u32,
    authorization: &str,
    expires: u32,
) -> Result<super::raw_ua::Response> {
    let port = ua.port;
    let call_id = "bob-registration";
    let message = format!(
        "REGISTER sip:{DOMAIN} SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKreg{cseq};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:bob@{DOMAIN}>;tag=reg{port}\r\n\
         To: <sip:bob@{DOMAIN}>\r\n\
         Call-ID: {call_id}@127.0.0.1\r\n\
         CSeq: {cseq} REGISTER\r\n\
         Contact: <sip:bob@127.0.0.1:{port}>\r\n\
         Expires: {expires}\r\n\
         User-Agent: TokenPhone/2\r\n\
         Authorization: {authorization}\r\n\
         Content-Length: 0\r\n\r\n"
    );
    let responses = ua.exchange(node, &message, call_id)?;
    responses
        .into_iter()
        .find(|r| r.status >= 200)
        .context("no final response to REGISTER")
}

/// Acceptance 4: an access token for bob registers him (Bearer); expired, tampered and
/// other-account tokens get 401; presence events for bob reach an SSE subscriber and
/// `GET …/Presence/bob` shows him reachable, then not once he unregisters.
#[test]
fn an_access_token_registers_its_identity_and_presence_follows() -> Result<()> {
    let (_docs, _hook, node) = client_app(&["bob"])?;
    let mut events = open_sse(&node, ACCOUNT_SID, "?types=presence.*")?;
    let ua = RawUa::new()?;

    let expired = mint(ACCOUNT_SID, KEY_SID, KEY_SECRET, "bob", -60)?;
    let good = mint(ACCOUNT_SID, KEY_SID, KEY_SECRET, "bob", 600)?;
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    // Tampered: another signature (flip the first character).
    parts[2] = format!(
        "{}{}",
        if parts[2].starts_with('A') { 'B' } else { 'A' },
        &parts[2][1..]
    );
    let tampered = parts.join(".");
    // Signed with a key of another account, claiming this one.
    let other = mint(ACCOUNT_SID, OTHER_KEY_SID, KEY_SECRET, "bob", 600)?;
    for (name, token) in [
        ("expired", &expired),
        ("tampered", &tampered),
        ("other-account", &other),
    ] {
        let r = register(&ua, &node, 1, &format!("Bearer {token}"), 600)?;
        assert_eq!(r.status, 401, "{name}: {}", r.text);
        let challenge = r.header("WWW-Authenticate").unwrap_or_default();
        assert!(challenge.starts_with("Bearer"), "{name}: {challenge}");
    }
    assert_eq!(presence(&node, "bob")?["reachable"], false);

    let r = register(&ua, &node, 2, &format!("Bearer {good}"), 600)?;
    assert_eq!(r.status, 200, "{}", r.text);
    let contact = r.header("Contact").unwrap_or_default();
    assert!(
        contact.starts_with(&format!("<sip:bob@127.0.0.1:{}>;expires=", ua.port)),
        "{contact}"
    );
    let registered = events
        .next(Duration::from_secs(5))
        .context("no presence event")?;
    assert_eq!(registered.event, "presence.registered", "{registered:?}");
    let data = &registered.json()["data"];
    assert_eq!(data["Identity"], "bob", "{registered:?}");
    assert_eq!(data["ContactCount"], "1", "{registered:?}");
    assert_eq!(data["UserAgent"], "TokenPhone/2", "{registered:?}");
    let p = presence(&node, "bob")?;
    assert_eq!(p["reachable"], true, "{p}");
    let list = node.get_json(&format!("/v1/Accounts/{ACCOUNT_SID}/Presence"))?;
    assert!(
        list["presence"]
            .as_array()
            .is_some_and(|l| l.iter().any(|e| e["identity"] == "bob")),
        "{list}"
    );
    // Another account's credentials do not reach this account's presence.
    let other_view = switchyard_e2e::http::request(
        "GET",
        &node.http_url(&format!("/v1/Accounts/{ACCOUNT_SID}/Presence/bob")),
    )
    .basic_auth(OTHER_SID, super::events::OTHER_TOKEN)
    .call()?;
    assert_ne!(other_view.status, 200, "{}", other_view.text());

    let r = register(&ua, &node, 3, &format!("Bearer {good}"), 0)?;
    assert_eq!(r.status, 200, "{}", r.text);
    let gone = events
        .next(Duration::from_secs(5))
        .context("no unregistration event")?;
    assert_eq!(gone.event, "presence.unregistered", "{gone:?}");
    assert_eq!(gone.json()["data"]["ContactCount"], "0", "{gone:?}");
    assert_eq!(presence(&node, "bob")?["reachable"], false);
    Ok(())
}

/// Acceptance 6: `<Dial><Client>nobody</Client>` ends with no-answer in under a second.
#[test]
fn an_offline_client_is_no_answer_in_under_a_second() -> Result<()> {
    let (_docs, hook, node) = client_app(&["nobody"])?;
    let started = Instant::now();
    let caller = Phone::spawn_call(&node.sip_uri(NUMBER), "", None, &PhoneOptions::default())?;
    let voice = one_request(&hook, "/voice")?;
    let dialed = one_request(&hook, "/dialed")?;
    let took = started.elapsed();
    assert_eq!(
        dialed.param("DialCallStatus"),
        Some("no-answer"),
        "{dialed:?}"
    );
    assert!(voice.param("CallSid").is_some());
    assert!(took < Duration::from_secs(1), "no-answer after {took:?}");
    let caller = caller.wait()?;
    assert!(caller.completed(), "{caller:?}");
    Ok(())
}

/// RFC 5626 keep-alives: a CRLF CRLF ping on a TCP connection gets a CRLF pong, and an
/// OPTIONS gets 200.
#[test]
fn keep_alives_are_answered() -> Result<()> {
    let node = Node::start(switchyard_e2e::NodeConfig::new())?;
    let mut tcp = TcpStream::connect(node.sip_target())?;
    tcp.set_read_timeout(Some(Duration::from_secs(2)))?;
    tcp.write_all(b"\r\n\r\n")?;
    let mut pong = [0u8; 2];
    tcp.read_exact(&mut pong)?;
    assert_eq!(&pong, b"\r\n");

    let ua = RawUa::new()?;
    let uri = format!("sip:{}", node.sip_target());
    let options = ua.request("OPTIONS", &uri, "ka", "ka1", 1, None, None, "");
    let responses = ua.exchange(&node, &options, "ka")?;
    assert_eq!(super::raw_ua::final_response(&responses).status, 200);
    Ok(())
}
