//! Presence: phones register (digest, or an access token as Bearer), `<Dial><Client>`
//! rings their contacts, and every change is an event and a resource.
//!
//! The SIP domain, its credential list, the credential and the registration mapping
//! are created with Twilio's helper library (`tests/peers/twilio_sip.py --provision`);
//! the API keys are written into the node's store directly (one of them belongs to
//! another account, whose key the helper cannot create with this account's token).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use switchyard_e2e::phone::ToneReport;
use switchyard_e2e::{
    CalleeOptions, Node, NodeConfig, Phone, PhoneOptions, Registration, RtpPacket, SippOutcome,
    Webhook, ACCOUNT_SID, NUMBER,
};

use super::dial::{dial_app_with, heard, one_request};
use super::events::{open_sse, OTHER_SID};
use super::raw_ua::RawUa;
use super::sip_resources::twilio_sip;
use super::{call_with_capture, decode, eventually, tone_scenario};

const DOMAIN: &str = "acme.sip.localhost";
const PASSWORD: &str = "CorrectHorse7Battery";
const KEY_SID: &str = "SK00000000000000000000000000000001";
const OTHER_KEY_SID: &str = "SK00000000000000000000000000000002";
const KEY_SECRET: &str = "a-secret-of-thirty-two-characters";
const AFTER: &str = "<Response><Hangup/></Response>";

/// A domain taking registrations for alice (with the helper library), and API keys
/// (one of this account, one of another).
fn provision(node: &Node) -> Result<()> {
    let (code, sids) = twilio_sip(
        node,
        &[
            "--provision",
            DOMAIN,
            "--username",
            "alice",
            "--password",
            PASSWORD,
        ],
    )?;
    ensure!(code == Some(0), "provisioning failed: {sids:#}");
    // A registration mapping's sid is its credential list's.
    ensure!(
        sids["mapping_sid"] == sids["credential_list_sid"],
        "mapping: {sids:#}"
    );
    let db = rusqlite::Connection::open(node.data_dir().join("switchyard.db"))?;
    db.busy_timeout(Duration::from_secs(5))?;
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
    client_app_with(identities, NodeConfig::new())
}

/// [`client_app`] on a node configured as `config`.
fn client_app_with(
    identities: &[&str],
    config: NodeConfig,
) -> Result<(tempfile::TempDir, Webhook, Node)> {
    let nouns: String = identities
        .iter()
        .map(|i| format!("<Client>{i}</Client>"))
        .collect();
    let voice = format!("<Response><Dial action=\"/dialed\">{nouns}</Dial></Response>");
    let (dir, hook, node) = dial_app_with(&[("voice", voice), ("dialed", AFTER.into())], config)?;
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

/// A sipp caller of the number that streams a `freq` Hz PCMU tone from its answer on
/// and hangs up after `call`; its outcome and the RTP the node sent it.
fn sipp_tone_caller(
    node: &Node,
    freq: f64,
    call: Duration,
) -> Result<(SippOutcome, Vec<RtpPacket>)> {
    let dir = tempfile::tempdir()?;
    let scenario = tone_scenario(dir.path(), freq, call.as_secs_f64() + 1.0)?;
    let millis = call.as_millis().to_string();
    call_with_capture(node, &scenario, &["-d", &millis])
}

/// What the packets between `from` and `to` seconds before the last one sound like at
/// `freq` Hz.
fn packets_heard(packets: &[RtpPacket], freq: f64, from: f64, to: f64) -> ToneReport {
    let end = packets.last().map_or(0.0, |p| p.time);
    let window: Vec<RtpPacket> = packets
        .iter()
        .filter(|p| p.time >= end - from && p.time < end - to)
        .cloned()
        .collect();
    ToneReport::of(&decode(&window), 8000, freq)
}

/// Acceptance 1: the helper library provisions the domain, the credential list with
/// alice's credential and the registration mapping; pjsua2 registers with those
/// credentials (a wrong password gets 401 and no binding); `<Dial><Client>alice</Client>`
/// from a sipp caller rings it, it answers, and each side hears the other's tone.
#[test]
fn a_registered_phone_is_rung_by_dial_client_and_both_sides_hear_each_other() -> Result<()> {
    let (_docs, hook, node) = client_app(&["alice"])?;
    let wrong = Phone::listen(&CalleeOptions {
        user: "alice".into(),
        register: Some(registration(&node, "WrongHorse7Battery")),
        ..Default::default()
    });
    let log = format!("{:?}", wrong.expect_err("a wrong password registered"));
    assert!(log.contains("phone.py: registered 401"), "{log}");
    let p = presence(&node, "alice")?;
    assert_eq!(p["reachable"], false, "{p}");
    assert_eq!(contact_count(&node, "alice")?, 0);

    let dir = tempfile::tempdir()?;
    let callee_wav = dir.path().join("callee.wav");
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
    let (caller, packets) = sipp_tone_caller(&node, 600.0, Duration::from_secs(7))?;
    assert!(caller.success(), "caller: {caller}");
    let callee = callee.wait()?;
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
    // What sipp received in the last 4.5 s before its BYE (the bridge stood well before):
    // the phone's 1 kHz tone, not its own 600 Hz.
    for (from, to) in [(4.5, 2.5), (2.5, 0.5)] {
        let theirs = packets_heard(&packets, 1000.0, from, to);
        let own = packets_heard(&packets, 600.0, from, to);
        assert!(
            theirs.share > 0.8 && theirs.rms > 1000.0 && theirs.seconds > 1.5,
            "caller: {theirs:?}"
        );
        assert!(
            own.level < theirs.level / 10.0,
            "caller hears itself: {own:?}"
        );
    }
    // What the phone recorded from its answer on: sipp's 600 Hz tone.
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

/// baresip registered as alice through the node (PCMU, silent), answering every call at
/// once; it quits (unregistering) on SIGTERM, or by itself after `lifetime`.
struct Baresip {
    child: Child,
    log: PathBuf,
    dir: tempfile::TempDir,
}

impl Baresip {
    fn register(node: &Node, lifetime: Duration) -> Result<Baresip> {
        let dir = tempfile::tempdir()?;
        let rec = dir.path().join("rec");
        std::fs::create_dir_all(&rec)?;
        let account = format!(
            "<sip:alice@{DOMAIN}>;auth_pass={PASSWORD};outbound=\"sip:{}\";\
             regint=600;answermode=auto;audio_codecs=pcmu",
            node.sip_target()
        );
        switchyard_e2e::baresip::configure(
            dir.path(),
            &rec,
            switchyard_e2e::free_udp_block(2)?,
            &["g711"],
            "aubridge,x",
            &account,
        )?;
        let log = dir.path().join("said.log");
        let out = std::fs::File::create(&log)?;
        // Line-buffered (stdbuf), so what it says is in the log as it says it.
        let child = Command::new("timeout")
            .args([
                &lifetime.as_secs().to_string(),
                "stdbuf",
                "-oL",
                "baresip",
                "-f",
            ])
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .context("running baresip (scripts/install-deps --test installs it)")?;
        Ok(Baresip { child, log, dir })
    }

    /// The UDP port baresip listens on for SIP (its `sip_listen`).
    fn sip_port(&self) -> Result<u16> {
        let config = std::fs::read_to_string(self.dir.path().join("config"))?;
        config
            .lines()
            .find_map(|l| l.strip_prefix("sip_listen 127.0.0.1:"))
            .and_then(|p| p.trim().parse().ok())
            .context("no sip_listen in baresip's config")
    }

    fn said(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until baresip says `what`.
    fn until_said(&self, what: &str) -> Result<()> {
        eventually(Duration::from_secs(15), || {
            Ok(self.said().contains(what).then_some(()))
        })
        .with_context(|| format!("baresip never said {what:?}:\n{}", self.said()))
    }

    /// SIGTERM (`timeout` passes it on): baresip unregisters and quits.
    fn quit(mut self) -> Result<String> {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status()?;
        self.child.wait()?;
        Ok(self.said())
    }
}

impl Drop for Baresip {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A caller of the number that hangs up after `after`; it must have completed.
fn call_alice(node: &Node, after: Duration) -> Result<()> {
    let caller = Phone::call(
        &node.sip_uri(NUMBER),
        "",
        None,
        &PhoneOptions {
            hangup_after: Some(after),
            ..Default::default()
        },
    )?;
    ensure!(caller.completed(), "caller: {caller:?}");
    Ok(())
}

/// Acceptance 2: pjsua2 and baresip registered as alice both ring, the first to answer
/// (baresip, at once) wins and the other (pjsua2, which would answer after 30 s) is
/// cancelled; after one unregisters only the other rings; after a node restart the
/// remaining binding still rings.
#[test]
fn every_contact_of_an_identity_rings_and_bindings_survive_a_restart() -> Result<()> {
    // baresip 1.0 (libre 1.1) gives up on a challenge whose first algorithm is not MD5
    // instead of answering the MD5 one after it: the registrar offers MD5 alone, as
    // `[sip] digest_algorithms` lets an operator with such phones configure.
    let mut config = NodeConfig::new();
    config.sip_digest_algorithms = vec!["MD5".into()];
    let (_docs, hook, mut node) = client_app_with(&["alice"], config)?;
    let slow = alice(&node, Duration::from_secs(30), None)?;
    let bare = Baresip::register(&node, Duration::from_secs(90))?;
    until_contacts(&node, "alice", 2).with_context(|| bare.said())?;
    call_alice(&node, Duration::from_secs(2))?;
    let slow = slow.wait()?;
    let slow_summary = slow.summary.context("slow summary")?;
    assert!(!slow_summary.connected, "{slow_summary:?}");
    // It rang, then was cancelled: PJSIP ends a cancelled INVITE with 487.
    assert_eq!(slow_summary.last_status, Some(487), "{slow_summary:?}");
    bare.until_said("Call established")?;
    let dialed = one_request(&hook, "/dialed")?;
    assert_eq!(dialed.param("DialCallStatus"), Some("completed"));
    until_contacts(&node, "alice", 1)?;

    // One of two unregisters (baresip quits): only the other (pjsua2) rings.
    let stays = alice(&node, Duration::from_millis(500), None)?;
    until_contacts(&node, "alice", 2)?;
    let gone_port = bare.sip_port()?;
    let said = bare.quit()?;
    until_contacts(&node, "alice", 1)?;
    // Whatever the node sent to baresip's old address would land here.
    let gone = std::net::UdpSocket::bind(("127.0.0.1", gone_port))?;
    gone.set_nonblocking(true)?;
    call_alice(&node, Duration::from_secs(1))?;
    assert!(stays.wait()?.completed());
    let mut buf = [0u8; 2048];
    let stray = gone.recv_from(&mut buf);
    assert!(
        stray.is_err(),
        "the unregistered contact was rung: {}",
        String::from_utf8_lossy(&buf[..stray.map_or(0, |(n, _)| n)])
    );
    assert_eq!(
        said.matches("Call established").count(),
        1,
        "baresip answered after it left:\n{said}"
    );
    until_contacts(&node, "alice", 0)?;

    // A binding (baresip's) outlives a restart of the node.
    let kept = Baresip::register(&node, Duration::from_secs(90))?;
    until_contacts(&node, "alice", 1)?;
    node.kill9()?;
    node.restart_same_data()?;
    assert_eq!(contact_count(&node, "alice")?, 1);
    call_alice(&node, Duration::from_secs(1))?;
    kept.until_said("Call established")?;
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
