use super::*;
use crate::{parse_message, Message};

const T0: Duration = Duration::from_secs(1_800_000_000);
const SRC: &str = "203.0.113.7:40123";

fn aor(identity: &str) -> Aor {
    Aor {
        account: "AC00000000000000000000000000000001".into(),
        identity: identity.into(),
    }
}

/// A REGISTER with `extra` header lines (Contact, Expires, …).
fn register(call_id: &str, cseq: u32, extra: &[&str]) -> Request {
    let mut text = format!(
        "REGISTER sip:acme.example.com SIP/2.0\r\n\
         Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK{call_id}{cseq}\r\n\
         From: <sip:alice@acme.example.com>;tag=f1\r\n\
         To: <sip:alice@acme.example.com>\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: {cseq} REGISTER\r\n\
         User-Agent: TestPhone/1.0\r\n"
    );
    for line in extra {
        text.push_str(line);
        text.push_str("\r\n");
    }
    text.push_str("Content-Length: 0\r\n\r\n");
    match parse_message(text.as_bytes()).unwrap() {
        Message::Request(r) => r,
        Message::Response(_) => unreachable!(),
    }
}

fn reg(r: &mut Registrar, req: &Request, now: Duration) -> Result<Change, RegisterError> {
    r.register(aor("alice"), req, SRC.parse().unwrap(), Transport::Udp, now)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn binds_with_the_header_or_contact_interval_and_lists_bindings_in_the_200() {
    let mut r = Registrar::new(RegistrarConfig::default());
    let req = register(
        "c1",
        1,
        &[
            "Contact: <sip:alice@10.0.0.2:5060>, <sip:alice@10.0.0.2:5070>;expires=120",
            "Expires: 600",
        ],
    );
    let change = reg(&mut r, &req, T0).unwrap();
    assert_eq!(change.kind, Some(PresenceChange::Registered));
    assert_eq!(change.user_agent.as_deref(), Some("TestPhone/1.0"));
    assert_eq!(r.len(), 2);
    let b = r.contacts(&aor("alice"), T0);
    assert_eq!(b[0].expires_in(T0), 600);
    assert_eq!(b[1].expires_in(T0), 120);
    // The binding keeps where the request came from (NAT), not the Contact host.
    assert_eq!(b[0].source, SRC.parse().unwrap());
    assert_eq!(b[0].transport, Transport::Udp);
    let ok = Registrar::ok(&req, &change, T0 + secs(10));
    assert_eq!(ok.status, 200);
    let contacts: Vec<&str> = ok.headers.get_lines("Contact").collect();
    assert_eq!(
        contacts,
        [
            "<sip:alice@10.0.0.2:5060>;expires=590",
            "<sip:alice@10.0.0.2:5070>;expires=110"
        ]
    );
    assert!(ok.headers.get("To").unwrap().contains("tag="));
}

#[test]
fn a_default_interval_applies_and_long_ones_are_shortened() {
    let config = RegistrarConfig {
        min_expires: 60,
        max_expires: 1800,
        default_expires: 900,
    };
    let mut r = Registrar::new(config);
    let req = register("c1", 1, &["Contact: <sip:alice@10.0.0.2>"]);
    reg(&mut r, &req, T0).unwrap();
    assert_eq!(r.contacts(&aor("alice"), T0)[0].expires_in(T0), 900);
    let req = register(
        "c1",
        2,
        &["Contact: <sip:alice@10.0.0.2>", "Expires: 86400"],
    );
    assert_eq!(
        reg(&mut r, &req, T0).unwrap().kind,
        Some(PresenceChange::Refreshed)
    );
    assert_eq!(r.contacts(&aor("alice"), T0)[0].expires_in(T0), 1800);
}

#[test]
fn too_brief_an_interval_gets_423_with_min_expires_and_changes_nothing() {
    let mut r = Registrar::new(RegistrarConfig::default());
    let req = register(
        "c1",
        1,
        &["Contact: <sip:alice@10.0.0.2:5060>, <sip:alice@10.0.0.2:5070>;expires=30"],
    );
    let err = reg(&mut r, &req, T0).unwrap_err();
    assert_eq!(err, RegisterError::IntervalTooBrief(60));
    let resp = err.response(&req);
    assert_eq!(resp.status, 423);
    assert_eq!(resp.headers.get("Min-Expires"), Some("60"));
    assert!(
        r.is_empty(),
        "the first contact was valid but nothing is bound"
    );
}

#[test]
fn several_contacts_refresh_and_unregister_one_by_one() {
    let mut r = Registrar::new(RegistrarConfig::default());
    let a = register(
        "c1",
        1,
        &["Contact: <sip:alice@10.0.0.2:5060>", "Expires: 300"],
    );
    reg(&mut r, &a, T0).unwrap();
    // A second phone for the same identity.
    let b = register(
        "c2",
        1,
        &["Contact: <sip:alice@10.0.0.3:5060>", "Expires: 300"],
    );
    let change = reg(&mut r, &b, T0).unwrap();
    assert_eq!(change.kind, Some(PresenceChange::Registered));
    assert_eq!(change.bindings.len(), 2);
    // Refresh the first: same contact, higher CSeq.
    let a2 = register(
        "c1",
        2,
        &["Contact: <sip:alice@10.0.0.2:5060>", "Expires: 300"],
    );
    let change = reg(&mut r, &a2, T0 + secs(100)).unwrap();
    assert_eq!(change.kind, Some(PresenceChange::Refreshed));
    assert_eq!(r.len(), 2);
    // Unregister the second with Contact expires=0.
    let b2 = register("c2", 2, &["Contact: <sip:alice@10.0.0.3:5060>;expires=0"]);
    let change = reg(&mut r, &b2, T0 + secs(100)).unwrap();
    assert_eq!(change.kind, Some(PresenceChange::Unregistered));
    assert_eq!(change.bindings.len(), 1);
    assert_eq!(change.bindings[0].contact, "sip:alice@10.0.0.2:5060");
}

#[test]
fn star_removes_every_binding_only_with_expires_zero_alone() {
    let mut r = Registrar::new(RegistrarConfig::default());
    reg(
        &mut r,
        &register("c1", 1, &["Contact: <sip:a@h1>, <sip:a@h2>"]),
        T0,
    )
    .unwrap();
    let no_zero = register("c1", 2, &["Contact: *"]);
    assert_eq!(
        reg(&mut r, &no_zero, T0),
        Err(RegisterError::StarWithoutZeroExpires)
    );
    let with_others = register("c1", 2, &["Contact: *, <sip:a@h3>", "Expires: 0"]);
    assert_eq!(
        reg(&mut r, &with_others, T0),
        Err(RegisterError::StarWithOthers)
    );
    assert_eq!(RegisterError::StarWithOthers.status(), 400);
    assert_eq!(r.len(), 2);
    let star = register("c1", 3, &["Contact: *", "Expires: 0"]);
    let change = reg(&mut r, &star, T0).unwrap();
    assert_eq!(change.kind, Some(PresenceChange::Unregistered));
    assert!(change.bindings.is_empty());
    assert!(r.is_empty());
    assert!(r.identities(&aor("alice").account, T0).is_empty());
}

#[test]
fn an_old_cseq_on_the_same_call_id_is_refused() {
    let mut r = Registrar::new(RegistrarConfig::default());
    reg(&mut r, &register("c1", 5, &["Contact: <sip:a@h1>"]), T0).unwrap();
    let stale = register("c1", 5, &["Contact: <sip:a@h1>;expires=0"]);
    let err = reg(&mut r, &stale, T0).unwrap_err();
    assert_eq!(err, RegisterError::OutOfOrder);
    assert_eq!(err.status(), 500);
    let star = register("c1", 4, &["Contact: *", "Expires: 0"]);
    assert_eq!(reg(&mut r, &star, T0), Err(RegisterError::OutOfOrder));
    assert_eq!(r.len(), 1);
    // Another Call-ID (the phone restarted) may replace it whatever its CSeq.
    let fresh = register("c9", 1, &["Contact: <sip:a@h1>", "Expires: 600"]);
    assert_eq!(
        reg(&mut r, &fresh, T0).unwrap().kind,
        Some(PresenceChange::Refreshed)
    );
}

#[test]
fn a_register_without_contact_only_lists() {
    let mut r = Registrar::new(RegistrarConfig::default());
    reg(&mut r, &register("c1", 1, &["Contact: <sip:a@h1>"]), T0).unwrap();
    let query = register("c1", 2, &[]);
    let change = reg(&mut r, &query, T0).unwrap();
    assert_eq!(change.kind, None);
    assert_eq!(change.bindings.len(), 1);
}

#[test]
fn path_and_tcp_source_are_kept() {
    let mut r = Registrar::new(RegistrarConfig::default());
    let req = register(
        "c1",
        1,
        &[
            "Contact: <sip:a@h1;transport=tcp>",
            "Path: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>",
        ],
    );
    r.register(
        aor("alice"),
        &req,
        "198.51.100.1:5555".parse().unwrap(),
        Transport::Tcp,
        T0,
    )
    .unwrap();
    let b = &r.contacts(&aor("alice"), T0)[0];
    assert_eq!(b.transport, Transport::Tcp);
    assert_eq!(
        b.path,
        ["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"]
    );
}

#[test]
fn bindings_lapse_at_their_deadline_in_virtual_time() {
    let mut r = Registrar::new(RegistrarConfig::default());
    reg(
        &mut r,
        &register(
            "c1",
            1,
            &["Contact: <sip:a@h1>;expires=60, <sip:a@h2>;expires=120"],
        ),
        T0,
    )
    .unwrap();
    assert_eq!(r.poll_timeout(), Some(T0.as_secs() + 60));
    assert!(r.handle_timeout(T0 + secs(59)).is_empty());
    // A binding is not offered once its time is up, even before the timer runs.
    assert_eq!(r.contacts(&aor("alice"), T0 + secs(60)).len(), 1);
    let changes = r.handle_timeout(T0 + secs(60));
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].kind, Some(PresenceChange::Expired));
    assert_eq!(changes[0].bindings.len(), 1);
    assert_eq!(r.len(), 1);
    assert_eq!(r.poll_timeout(), Some(T0.as_secs() + 120));
    let changes = r.handle_timeout(T0 + secs(120));
    assert_eq!(changes[0].bindings.len(), 0);
    assert!(r.is_empty());
    assert_eq!(r.poll_timeout(), None);
}

#[test]
fn a_refreshed_binding_does_not_lapse_at_its_old_deadline() {
    let mut r = Registrar::new(RegistrarConfig::default());
    reg(
        &mut r,
        &register("c1", 1, &["Contact: <sip:a@h1>;expires=60"]),
        T0,
    )
    .unwrap();
    reg(
        &mut r,
        &register("c1", 2, &["Contact: <sip:a@h1>;expires=60"]),
        T0 + secs(50),
    )
    .unwrap();
    assert!(r.handle_timeout(T0 + secs(60)).is_empty());
    assert_eq!(r.len(), 1);
    assert_eq!(r.handle_timeout(T0 + secs(110)).len(), 1);
}

#[test]
fn restored_bindings_are_listed_by_account_and_lapse() {
    let mut r = Registrar::new(RegistrarConfig::default());
    let b = Binding {
        contact: "sip:bob@10.0.0.9".into(),
        source: SRC.parse().unwrap(),
        transport: Transport::Tcp,
        expires_at: T0.as_secs() + 30,
        call_id: "x".into(),
        cseq: 3,
        path: vec![],
        user_agent: None,
    };
    r.restore(aor("bob"), b.clone());
    let mut other = aor("bob");
    other.account = "AC00000000000000000000000000000002".into();
    r.restore(other, b);
    let ids = r.identities(&aor("bob").account, T0);
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0].0, "bob");
    assert_eq!(r.handle_timeout(T0 + secs(30)).len(), 2);
    assert!(r.is_empty());
}

#[test]
fn malformed_values_are_400() {
    let mut r = Registrar::new(RegistrarConfig::default());
    let bad = register("c1", 1, &["Contact: <sip:a@h1>", "Expires: soon"]);
    assert_eq!(
        reg(&mut r, &bad, T0),
        Err(RegisterError::Malformed("Expires"))
    );
    let bad = register("c1", 1, &["Contact: <sip:a@h1>;expires=-1"]);
    assert_eq!(reg(&mut r, &bad, T0).unwrap_err().status(), 400);
}

#[test]
fn the_source_addresses_of_bindings_are_known_until_they_go() {
    let mut r = Registrar::new(RegistrarConfig::default());
    let ip: std::net::IpAddr = "203.0.113.7".parse().unwrap();
    assert!(!r.registered_from(ip));
    let req = register(
        "c1",
        1,
        &["Contact: <sip:alice@10.0.0.2:5060>", "Expires: 600"],
    );
    reg(&mut r, &req, T0).unwrap();
    assert!(r.registered_from(ip));
    assert!(!r.registered_from("203.0.113.8".parse().unwrap()));
    // Unregistered: the address is no longer a registered phone's.
    let bye = register("c1", 2, &["Contact: *", "Expires: 0"]);
    reg(&mut r, &bye, T0 + secs(1)).unwrap();
    assert!(!r.registered_from(ip));
    // Lapsed: likewise.
    reg(
        &mut r,
        &register(
            "c2",
            1,
            &["Contact: <sip:alice@10.0.0.2:5060>", "Expires: 60"],
        ),
        T0,
    )
    .unwrap();
    assert!(r.registered_from(ip));
    r.handle_timeout(T0 + secs(61));
    assert!(!r.registered_from(ip));
}
