//! Transaction-layer behaviour under a virtual clock and a simulated lossy
//! network between a test UAC and the Endpoint.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use switchyard_sip::{
    parse_message, Dialog, Endpoint, EndpointConfig, Event, Message, Method, Request, Response,
    ServerTxId, Transmit, Transport,
};

const T1: Duration = Duration::from_millis(500);
const T2: Duration = Duration::from_secs(4);
const T4: Duration = Duration::from_secs(5);

fn uac_addr() -> SocketAddr {
    "192.0.2.10:5062".parse().unwrap()
}

fn endpoint() -> Endpoint {
    Endpoint::new(EndpointConfig::new(
        "127.0.0.1:5060".parse().unwrap(),
        "switchyard-test",
    ))
}

fn invite_bytes(branch: &str, call_id: &str, cseq: u32) -> Vec<u8> {
    format!(
        "INVITE sip:+15550001111@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.0.2.10:5062;branch={branch};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@example.com>;tag=uac1\r\n\
         To: <sip:+15550001111@127.0.0.1>\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: {cseq} INVITE\r\n\
         Contact: <sip:alice@192.0.2.10:5062>\r\n\
         Content-Type: application/sdp\r\n\
         Content-Length: 4\r\n\r\nv=0\n"
    )
    .into_bytes()
}

/// ACK or CANCEL sharing the INVITE's branch (non-2xx ACK, CANCEL) or with
/// a new branch (2xx ACK).
fn follow_up(
    method: &str,
    branch: &str,
    call_id: &str,
    cseq: u32,
    to_tag: Option<&str>,
) -> Vec<u8> {
    let tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
    format!(
        "{method} sip:+15550001111@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.0.2.10:5062;branch={branch};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@example.com>;tag=uac1\r\n\
         To: <sip:+15550001111@127.0.0.1>{tag}\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: {cseq} {method}\r\n\
         Content-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

fn response_of(t: &Transmit) -> Response {
    match parse_message(&t.payload) {
        Ok(Message::Response(r)) => r,
        other => panic!("expected a response, got {other:?}"),
    }
}

fn drain(ep: &mut Endpoint) -> Vec<Transmit> {
    std::iter::from_fn(|| ep.poll_transmit()).collect()
}

fn events(ep: &mut Endpoint) -> Vec<Event> {
    std::iter::from_fn(|| ep.poll_event()).collect()
}

/// Receives an INVITE and returns its transaction and request.
fn start_call(
    ep: &mut Endpoint,
    now: Instant,
    branch: &str,
    call_id: &str,
) -> (ServerTxId, Request) {
    ep.handle_input(
        now,
        Transport::Udp,
        uac_addr(),
        &invite_bytes(branch, call_id, 1),
    );
    let sent = drain(ep);
    assert_eq!(sent.len(), 1);
    let trying = response_of(&sent[0]);
    assert_eq!(trying.status, 100);
    // rport filled with the source port, response sent to source ip:port.
    assert_eq!(trying.vias().unwrap()[0].rport(), Some(Some(5062)));
    assert_eq!(sent[0].destination, uac_addr());
    match events(ep).as_slice() {
        [Event::Request {
            tx,
            request,
            source,
            transport,
        }] => {
            assert_eq!((*source, *transport), (uac_addr(), Transport::Udp));
            (*tx, request.clone())
        }
        other => panic!("expected one Request event, got {other:?}"),
    }
}

/// Steps the virtual clock from deadline to deadline until `until`,
/// returning the instants at which something was transmitted.
fn run_until(ep: &mut Endpoint, start: Instant, until: Instant) -> Vec<(Duration, Transmit)> {
    let mut out = Vec::new();
    while let Some(t) = ep.poll_timeout() {
        if t > until {
            break;
        }
        ep.handle_timeout(t);
        for tx in drain(ep) {
            out.push((t - start, tx));
        }
    }
    out
}

#[test]
fn invite_retransmissions_are_absorbed() {
    let mut ep = endpoint();
    let now = Instant::now();
    let (tx, req) = start_call(&mut ep, now, "z9hG4bKinv1", "call-1");
    // A retransmitted INVITE resends the 100 and raises no new event.
    ep.handle_input(
        now,
        Transport::Udp,
        uac_addr(),
        &invite_bytes("z9hG4bKinv1", "call-1", 1),
    );
    let sent = drain(&mut ep);
    assert_eq!(sent.len(), 1);
    assert_eq!(response_of(&sent[0]).status, 100);
    assert!(events(&mut ep).is_empty());
    // After a 180, the retransmission gets the 180.
    let dialog = Dialog::new_uas(&req, "uas1", "<sip:127.0.0.1:5060>").unwrap();
    ep.respond(now, tx, dialog.response(&req, 180, "Ringing", None))
        .unwrap();
    assert_eq!(response_of(&drain(&mut ep)[0]).status, 180);
    ep.handle_input(
        now,
        Transport::Udp,
        uac_addr(),
        &invite_bytes("z9hG4bKinv1", "call-1", 1),
    );
    let again = drain(&mut ep);
    assert_eq!(again.len(), 1);
    assert_eq!(response_of(&again[0]).status, 180);
    assert!(events(&mut ep).is_empty());
    assert_eq!(ep.transaction_count(), 1);
}

#[test]
fn ok_is_retransmitted_with_backoff_until_ack() {
    let mut ep = endpoint();
    let t0 = Instant::now();
    let (tx, req) = start_call(&mut ep, t0, "z9hG4bKinv2", "call-2");
    let dialog = Dialog::new_uas(&req, "uas2", "<sip:127.0.0.1:5060>").unwrap();
    let ok = dialog.response(
        &req,
        200,
        "OK",
        Some(("application/sdp", b"v=0\r\n".to_vec())),
    );
    ep.respond(t0, tx, ok).unwrap();
    let first = drain(&mut ep);
    assert_eq!(response_of(&first[0]).status, 200);
    assert_eq!(response_of(&first[0]).to_hdr().unwrap().tag(), Some("uas2"));

    // Retransmissions at T1, 3T1, 7T1, then every T2: intervals T1, 2T1,
    // 4T1, 8T1 capped at T2 = 8T1.
    let sent = run_until(&mut ep, t0, t0 + Duration::from_millis(16_000));
    let times: Vec<Duration> = sent.iter().map(|(t, _)| *t).collect();
    let ms = Duration::from_millis;
    assert_eq!(
        times,
        [ms(500), ms(1500), ms(3500), ms(7500), ms(11500), ms(15500)]
    );
    for (_, t) in &sent {
        assert_eq!(response_of(t).status, 200);
        assert_eq!(t.destination, uac_addr());
    }
    // The ACK (new branch, our To tag) stops them and reaches the TU.
    let ack = follow_up("ACK", "z9hG4bKack2", "call-2", 1, Some("uas2"));
    ep.handle_input(t0 + ms(16_000), Transport::Udp, uac_addr(), &ack);
    let evs = events(&mut ep);
    assert!(matches!(evs.as_slice(), [Event::Ack { request, .. }] if dialog.ack_matches(request)));
    // A retransmitted ACK is not reported twice.
    ep.handle_input(t0 + ms(16_100), Transport::Udp, uac_addr(), &ack);
    assert!(events(&mut ep).is_empty());
    let later = run_until(&mut ep, t0, t0 + Duration::from_secs(100));
    assert!(later.is_empty(), "retransmitted after ACK: {later:?}");
    assert!(events(&mut ep).is_empty(), "no AckTimeout after an ACK");
    assert_eq!(ep.transaction_count(), 0);
    assert_eq!(ep.poll_timeout(), None);
}

#[test]
fn missing_ack_raises_ack_timeout_after_64_t1() {
    let mut ep = endpoint();
    let t0 = Instant::now();
    let (tx, req) = start_call(&mut ep, t0, "z9hG4bKinv3", "call-3");
    let dialog = Dialog::new_uas(&req, "uas3", "<sip:127.0.0.1:5060>").unwrap();
    ep.respond(t0, tx, dialog.response(&req, 200, "OK", None))
        .unwrap();
    drain(&mut ep);
    let sent = run_until(&mut ep, t0, t0 + Duration::from_secs(60));
    // 0.5, 1.5, 3.5, 7.5, 11.5, …, 31.5 s: ten retransmissions before 32 s.
    assert_eq!(sent.len(), 10);
    assert!(sent.iter().all(|(t, _)| *t < T1 * 64));
    assert_eq!(events(&mut ep), vec![Event::AckTimeout { invite: tx }]);
    assert_eq!(ep.transaction_count(), 0);
}

#[test]
fn bye_uses_timer_e_then_times_out_with_timer_f() {
    let mut ep = endpoint();
    let t0 = Instant::now();
    let mut bye = Request::new(Method::Bye, "sip:alice@192.0.2.10:5062");
    bye.headers
        .push("From", "<sip:+15550001111@127.0.0.1>;tag=uas4");
    bye.headers.push("To", "<sip:alice@example.com>;tag=uac1");
    bye.headers.push("Call-ID", "call-4");
    bye.headers.push("CSeq", "1 BYE");
    let tx = ep.send_request(t0, bye, uac_addr(), Transport::Udp);
    let first = drain(&mut ep);
    let Ok(Message::Request(sent)) = parse_message(&first[0].payload) else {
        panic!("not a request")
    };
    let via = &sent.vias().unwrap()[0];
    assert!(via.branch().unwrap().starts_with("z9hG4bK") && via.branch().unwrap().len() > 7);
    assert_eq!(via.rport(), Some(None));
    assert_eq!(sent.max_forwards(), Some(Ok(70)));

    let retrans = run_until(&mut ep, t0, t0 + Duration::from_secs(60));
    let times: Vec<Duration> = retrans.iter().map(|(t, _)| *t).collect();
    let ms = Duration::from_millis;
    assert_eq!(
        &times[..5],
        [ms(500), ms(1500), ms(3500), ms(7500), ms(11500)]
    );
    assert!(times.windows(2).all(|w| w[1] - w[0] <= T2));
    assert!(times.iter().all(|t| *t < T1 * 64));
    assert!(retrans.iter().all(|(_, t)| t.payload == first[0].payload));
    assert_eq!(events(&mut ep), vec![Event::Timeout { tx }]);
    assert_eq!(ep.transaction_count(), 0);
}

#[test]
fn bye_provisional_switches_timer_e_to_t2_and_final_completes() {
    let mut ep = endpoint();
    let t0 = Instant::now();
    let mut bye = Request::new(Method::Bye, "sip:alice@192.0.2.10:5062");
    for (n, v) in [
        ("From", "<sip:b@h>;tag=x"),
        ("To", "<sip:a@h>;tag=y"),
        ("Call-ID", "c5"),
        ("CSeq", "2 BYE"),
    ] {
        bye.headers.push(n, v);
    }
    let tx = ep.send_request(t0, bye, uac_addr(), Transport::Udp);
    let Ok(Message::Request(sent)) = parse_message(&drain(&mut ep)[0].payload) else {
        panic!()
    };
    let reply = |status: u16| Response::to_request(&sent, status, "x").to_bytes();
    ep.handle_input(
        t0 + Duration::from_millis(100),
        Transport::Udp,
        uac_addr(),
        &reply(100),
    );
    assert!(
        matches!(events(&mut ep).as_slice(), [Event::Response { response, .. }] if response.status == 100)
    );
    let times: Vec<Duration> = run_until(&mut ep, t0, t0 + Duration::from_secs(10))
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    // First Timer E (armed at T1 in Trying) fires at 0.5 s, then every T2.
    assert_eq!(
        times,
        [
            Duration::from_millis(500),
            Duration::from_millis(4500),
            Duration::from_millis(8500)
        ]
    );
    let at = t0 + Duration::from_secs(10);
    ep.handle_input(at, Transport::Udp, uac_addr(), &reply(200));
    assert_eq!(
        events(&mut ep),
        vec![Event::Response {
            tx,
            response: parse_response(&reply(200))
        }]
    );
    // A retransmitted final is absorbed; Timer K (T4) ends the transaction.
    ep.handle_input(at, Transport::Udp, uac_addr(), &reply(200));
    assert!(events(&mut ep).is_empty());
    assert!(run_until(&mut ep, t0, at + T4).is_empty());
    assert_eq!(ep.transaction_count(), 0);
}

fn parse_response(b: &[u8]) -> Response {
    match parse_message(b) {
        Ok(Message::Response(r)) => r,
        _ => panic!(),
    }
}

#[test]
fn cancel_gets_200_and_cancelled_then_487_ack_is_absorbed() {
    let mut ep = endpoint();
    let t0 = Instant::now();
    let (tx, req) = start_call(&mut ep, t0, "z9hG4bKinv6", "call-6");
    ep.handle_input(
        t0,
        Transport::Udp,
        uac_addr(),
        &follow_up("CANCEL", "z9hG4bKinv6", "call-6", 1, None),
    );
    let sent = drain(&mut ep);
    assert_eq!(sent.len(), 1);
    let ok = response_of(&sent[0]);
    assert_eq!(
        (ok.status, ok.cseq().unwrap().method),
        (200, Method::Cancel)
    );
    assert_eq!(events(&mut ep), vec![Event::Cancelled { invite: tx }]);

    let dialog = Dialog::new_uas(&req, "uas6", "<sip:127.0.0.1:5060>").unwrap();
    ep.respond(
        t0,
        tx,
        dialog.response(&req, 487, "Request Terminated", None),
    )
    .unwrap();
    assert_eq!(response_of(&drain(&mut ep)[0]).status, 487);
    // Timer G retransmits the 487 until the ACK.
    let g = run_until(&mut ep, t0, t0 + Duration::from_millis(2000));
    assert_eq!(g.len(), 2);
    assert!(g.iter().all(|(_, t)| response_of(t).status == 487));
    let ack = follow_up("ACK", "z9hG4bKinv6", "call-6", 1, Some("uas6"));
    ep.handle_input(
        t0 + Duration::from_millis(2000),
        Transport::Udp,
        uac_addr(),
        &ack,
    );
    assert!(
        events(&mut ep).is_empty(),
        "ACK for a non-2xx must be absorbed"
    );
    // Timer I absorbs ACK retransmissions, then everything expires.
    ep.handle_input(
        t0 + Duration::from_millis(2100),
        Transport::Udp,
        uac_addr(),
        &ack,
    );
    assert!(events(&mut ep).is_empty());
    assert!(run_until(&mut ep, t0, t0 + Duration::from_secs(60)).is_empty());
    assert_eq!(ep.transaction_count(), 0);
}

#[test]
fn cancel_without_invite_is_481_and_respond_twice_fails() {
    let mut ep = endpoint();
    let t0 = Instant::now();
    ep.handle_input(
        t0,
        Transport::Udp,
        uac_addr(),
        &follow_up("CANCEL", "z9hG4bKnone", "call-7", 1, None),
    );
    assert_eq!(response_of(&drain(&mut ep)[0]).status, 481);
    assert!(events(&mut ep).is_empty());

    let (tx, req) = start_call(&mut ep, t0, "z9hG4bKinv7", "call-7b");
    ep.respond(t0, tx, Response::to_request(&req, 486, "Busy Here"))
        .unwrap();
    assert_eq!(
        ep.respond(t0, tx, Response::to_request(&req, 200, "OK")),
        Err(switchyard_sip::Error::AlreadyAnswered)
    );
    // The non-2xx ACK, then Timer I: nothing reaches the TU.
    ep.handle_input(
        t0,
        Transport::Udp,
        uac_addr(),
        &follow_up("ACK", "z9hG4bKinv7", "call-7b", 1, None),
    );
    assert!(events(&mut ep).is_empty());
}

#[test]
fn tcp_responses_go_back_to_the_source_without_retransmission() {
    let mut ep = endpoint();
    let t0 = Instant::now();
    let src: SocketAddr = "192.0.2.30:40111".parse().unwrap();
    let opts = b"OPTIONS sip:127.0.0.1 SIP/2.0\r\n\
        Via: SIP/2.0/TCP 192.0.2.30:5060;branch=z9hG4bKopt\r\n\
        From: <sip:a@b>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: o1\r\nCSeq: 1 OPTIONS\r\n\
        Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
    ep.handle_input(t0, Transport::Tcp, src, opts);
    let sent = drain(&mut ep);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].transport, sent[0].destination),
        (Transport::Tcp, src)
    );
    let r = response_of(&sent[0]);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.headers.get("Allow"),
        Some("INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REGISTER")
    );
    assert_eq!(
        r.headers.get("Accept"),
        Some("application/sdp, application/dtmf-relay")
    );
    // Timer J is zero on a reliable transport.
    assert_eq!(ep.transaction_count(), 0);
}

/// A tiny deterministic PRNG for the lossy network (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn lost(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// The test UAC: sends an INVITE with Timer A, ACKs every 2xx it sees,
/// answers BYE with 200.
struct Uac {
    invite: Vec<u8>,
    next_invite: Option<Instant>,
    interval: Duration,
    got_ok: bool,
    bye_seen: usize,
}

impl Uac {
    fn on_message(&mut self, data: &[u8], out: &mut Vec<Vec<u8>>) {
        match parse_message(data).expect("endpoint sent garbage") {
            Message::Response(r) => {
                // Any response stops Timer A (RFC 3261 §17.1.1.2).
                self.next_invite = None;
                if r.status == 200 {
                    self.got_ok = true;
                    let tag = r.to_hdr().unwrap().tag().unwrap().to_string();
                    out.push(follow_up("ACK", "z9hG4bKlossyack", "lossy", 1, Some(&tag)));
                }
            }
            Message::Request(req) => {
                assert_eq!(req.method, Method::Bye);
                self.bye_seen += 1;
                out.push(Response::to_request(&req, 200, "OK").to_bytes());
            }
        }
    }
}

/// Runs one call; returns how many messages the network dropped.
fn lossy_call(seed: u64) -> usize {
    let mut rng = Rng(seed);
    let mut dropped = 0;
    let mut ep = endpoint();
    let t0 = Instant::now();
    let mut now = t0;
    let mut uac = Uac {
        invite: invite_bytes("z9hG4bKlossy", "lossy", 1),
        next_invite: Some(t0),
        interval: T1,
        got_ok: false,
        bye_seen: 0,
    };
    let (mut invite_tx, mut got_ack, mut bye_ok, mut bye_tx) = (None, false, false, None);
    let end = t0 + Duration::from_secs(120);
    while now < end {
        let mut to_endpoint: Vec<Vec<u8>> = Vec::new();
        if uac.next_invite.is_some_and(|t| t <= now) {
            to_endpoint.push(uac.invite.clone());
            uac.next_invite = Some(now + uac.interval);
            uac.interval *= 2;
        }
        ep.handle_timeout(now);
        for _ in 0..4 {
            for bytes in to_endpoint.drain(..) {
                if rng.lost(10) {
                    dropped += 1;
                } else {
                    ep.handle_input(now, Transport::Udp, uac_addr(), &bytes);
                }
            }
            while let Some(ev) = ep.poll_event() {
                match ev {
                    Event::Request { tx, request, .. } => {
                        assert!(invite_tx.is_none(), "INVITE reported twice");
                        invite_tx = Some(tx);
                        let dialog =
                            Dialog::new_uas(&request, "lossyuas", "<sip:127.0.0.1:5060>").unwrap();
                        ep.respond(now, tx, dialog.response(&request, 200, "OK", None))
                            .unwrap();
                        let mut d = dialog.clone();
                        // Hang up right away once the ACK comes; prepare BYE now.
                        bye_tx = Some(d.request(Method::Bye));
                    }
                    Event::Ack { .. } => {
                        assert!(!got_ack, "ACK reported twice");
                        got_ack = true;
                        let bye = bye_tx.take().expect("BYE prepared");
                        ep.send_request(now, bye, uac_addr(), Transport::Udp);
                    }
                    Event::Response { response, .. } => {
                        assert_eq!(response.status, 200);
                        bye_ok = true;
                    }
                    other => panic!("seed {seed}: unexpected {other:?}"),
                }
            }
            while let Some(t) = ep.poll_transmit() {
                if rng.lost(10) {
                    dropped += 1;
                } else {
                    uac.on_message(&t.payload, &mut to_endpoint);
                }
            }
        }
        now += Duration::from_millis(50);
    }
    assert!(uac.got_ok, "seed {seed}: UAC never got the 200");
    assert!(got_ack, "seed {seed}: endpoint never got the ACK");
    assert!(uac.bye_seen >= 1, "seed {seed}: BYE never arrived");
    assert!(bye_ok, "seed {seed}: BYE never completed");
    assert!(invite_tx.is_some());
    assert_eq!(
        ep.transaction_count(),
        0,
        "seed {seed}: transactions leaked"
    );
    dropped
}

#[test]
fn whole_call_completes_with_ten_percent_loss() {
    let dropped: usize = (1..=40u64)
        .map(|seed| lossy_call(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
        .sum();
    // The network really lost messages, so retransmission did the work.
    assert!(dropped >= 20, "only {dropped} messages dropped");
}

#[test]
fn rfc2543_requests_match_without_magic_cookie() {
    let mut ep = endpoint();
    let t0 = Instant::now();
    let invite = b"INVITE sip:UserB@example.com SIP/2.0\r\n\
        Via: SIP/2.0/UDP 192.0.2.10:5062\r\n\
        From: <sip:+13035551111@ift.client.example.net;user=phone>\r\n\
        To: sip:+16505552222@ss1.example.net;user=phone\r\n\
        Call-ID: legacy-1\r\nCSeq: 56 INVITE\r\n\r\n";
    ep.handle_input(t0, Transport::Udp, uac_addr(), invite);
    assert_eq!(response_of(&drain(&mut ep)[0]).status, 100);
    let Some(Event::Request { tx, request, .. }) = ep.poll_event() else {
        panic!("no request")
    };
    // The retransmission matches by Request-URI, tags, Call-ID, CSeq, Via.
    ep.handle_input(t0, Transport::Udp, uac_addr(), invite);
    assert_eq!(drain(&mut ep).len(), 1);
    assert!(events(&mut ep).is_empty());
    ep.respond(t0, tx, Response::to_request(&request, 486, "Busy Here"))
        .unwrap();
    let busy = response_of(&drain(&mut ep)[0]);
    let tag = busy.to_hdr().unwrap().tag().unwrap().to_string();
    let ack = format!(
        "ACK sip:UserB@example.com SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.0.2.10:5062\r\n\
         From: <sip:+13035551111@ift.client.example.net;user=phone>\r\n\
         To: sip:+16505552222@ss1.example.net;user=phone;tag={tag}\r\n\
         Call-ID: legacy-1\r\nCSeq: 56 ACK\r\n\r\n"
    );
    ep.handle_input(t0, Transport::Udp, uac_addr(), ack.as_bytes());
    assert!(events(&mut ep).is_empty(), "legacy ACK must be absorbed");
    assert!(run_until(&mut ep, t0, t0 + Duration::from_secs(60)).is_empty());
    assert_eq!(ep.transaction_count(), 0);

    // A branch that is only the cookie is matched the RFC 2543 way too.
    let badbranch = b"OPTIONS sip:user@example.com SIP/2.0\r\n\
        To: sip:user@example.com\r\nFrom: sip:caller@example.org;tag=33242\r\n\
        Max-Forwards: 3\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK\r\n\
        Call-ID: bb\r\nCSeq: 8 OPTIONS\r\nl: 0\r\n\r\n";
    ep.handle_input(t0, Transport::Udp, uac_addr(), badbranch);
    let first = drain(&mut ep);
    ep.handle_input(t0, Transport::Udp, uac_addr(), badbranch);
    let second = drain(&mut ep);
    assert_eq!(first[0].payload, second[0].payload);
    assert_eq!(ep.transaction_count(), 1);
}

#[test]
fn unparseable_request_gets_400_naming_the_fault() {
    let mut ep = endpoint();
    let bad = b"INVITE sip:a@example.com SIP/2.0\r\n\
        Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKbad;rport\r\n\
        From: <sip:a@b>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: bad-1\r\n\
        CSeq: 1 INVITE\r\nMax-Forwards: 300\r\nContent-Length: 0\r\n\r\n";
    ep.handle_input(Instant::now(), Transport::Udp, uac_addr(), bad);
    let sent = drain(&mut ep);
    let r = response_of(&sent[0]);
    assert_eq!(r.status, 400);
    assert_eq!(r.reason, "Bad Request (malformed Max-Forwards)");
    assert_eq!(sent[0].destination, uac_addr());
    assert!(r.to_hdr().unwrap().tag().is_some());
    assert_eq!(ep.transaction_count(), 0);
    // A garbage response is dropped silently.
    ep.handle_input(
        Instant::now(),
        Transport::Udp,
        uac_addr(),
        b"SIP/2.0 999 x\r\n\r\n",
    );
    assert!(ep.poll_transmit().is_none());
}

#[test]
fn unanswered_non_invite_is_dropped_after_64_t1() {
    let mut ep = endpoint();
    let t0 = Instant::now();
    let info = b"INFO sip:127.0.0.1 SIP/2.0\r\n\
        Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKinfo\r\n\
        From: <sip:a@b>;tag=1\r\nTo: <sip:127.0.0.1>;tag=2\r\nCall-ID: i1\r\nCSeq: 5 INFO\r\n\
        Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
    ep.handle_input(t0, Transport::Udp, uac_addr(), info);
    let Some(Event::Request { tx, .. }) = ep.poll_event() else {
        panic!("no INFO event")
    };
    assert!(drain(&mut ep).is_empty(), "no automatic 100 for non-INVITE");
    assert_eq!(ep.poll_timeout(), Some(t0 + T1 * 64));
    ep.handle_timeout(t0 + T1 * 64);
    assert_eq!(ep.transaction_count(), 0);
    let late = Response::new(200, "OK");
    assert_eq!(
        ep.respond(t0 + T1 * 64, tx, late),
        Err(switchyard_sip::Error::UnknownTransaction)
    );
}

/// A BYE (new branch, our To tag) from the caller in `call_id`'s dialog.
fn bye_bytes(call_id: &str, to_tag: &str) -> Vec<u8> {
    follow_up("BYE", "z9hG4bKbye9", call_id, 2, Some(to_tag))
}

#[test]
fn bye_crossing_the_2xx_ends_its_retransmission() {
    let mut ep = endpoint();
    let t0 = Instant::now();
    let ms = Duration::from_millis;
    let (tx, req) = start_call(&mut ep, t0, "z9hG4bKinv9", "call-9");
    let dialog = Dialog::new_uas(&req, "uas9", "<sip:127.0.0.1:5060>").unwrap();
    ep.respond(t0, tx, dialog.response(&req, 200, "OK", None))
        .unwrap();
    drain(&mut ep);
    // The first retransmission at T1: the ACK was lost.
    let early = run_until(&mut ep, t0, t0 + ms(600));
    assert_eq!(early.len(), 1);
    // The caller gives up and sends BYE; the TU sees it as usual.
    ep.handle_input(
        t0 + ms(700),
        Transport::Udp,
        uac_addr(),
        &bye_bytes("call-9", "uas9"),
    );
    assert!(matches!(
        events(&mut ep).as_slice(),
        [Event::Request { request, .. }] if request.method == Method::Bye
    ));
    // No 2xx after the BYE, and no ACK timeout: the dialog is over, not broken.
    let later = run_until(&mut ep, t0, t0 + Duration::from_secs(60));
    assert!(
        later.iter().all(|(_, t)| response_of(t).status != 200),
        "2xx retransmitted after the BYE: {later:?}"
    );
    assert!(events(&mut ep).is_empty(), "no AckTimeout after a BYE");
    // A late INVITE retransmission is still absorbed until 64*T1 had it come earlier.
    assert_eq!(ep.poll_timeout(), None);
}

#[test]
fn bye_of_another_dialog_leaves_the_2xx_retransmission_alone() {
    let mut ep = endpoint();
    let t0 = Instant::now();
    let (tx, req) = start_call(&mut ep, t0, "z9hG4bKinv10", "call-10");
    let dialog = Dialog::new_uas(&req, "uas10", "<sip:127.0.0.1:5060>").unwrap();
    ep.respond(t0, tx, dialog.response(&req, 200, "OK", None))
        .unwrap();
    drain(&mut ep);
    // Same Call-ID, another To tag: not this dialog.
    ep.handle_input(
        t0,
        Transport::Udp,
        uac_addr(),
        &bye_bytes("call-10", "other"),
    );
    events(&mut ep);
    drain(&mut ep);
    let sent = run_until(&mut ep, t0, t0 + Duration::from_secs(60));
    let oks = sent
        .iter()
        .filter(|(_, t)| response_of(t).status == 200)
        .count();
    assert_eq!(oks, 10, "{sent:?}");
    assert_eq!(events(&mut ep), vec![Event::AckTimeout { invite: tx }]);
}

#[test]
fn service_unavailable_keeps_timer_g_capped_at_t2_and_ends_at_timer_h() {
    // A 503 refusing a call under load must not itself become a storm: Timer G
    // doubles from T1 to T2, Timer H ends it at 64*T1 (RFC 3261 §17.2.1), and the
    // caller's ACK stops it at once.
    let ms = Duration::from_millis;
    let mut ep = endpoint();
    let t0 = Instant::now();
    let (tx, req) = start_call(&mut ep, t0, "z9hG4bKinv11", "call-11");
    let mut busy = Response::to_request(&req, 503, "Service Unavailable");
    busy.headers.push("Retry-After", "1");
    ep.respond(t0, tx, busy).unwrap();
    let first = drain(&mut ep);
    assert_eq!(response_of(&first[0]).status, 503);
    assert_eq!(response_of(&first[0]).headers.get("Retry-After"), Some("1"));
    let sent = run_until(&mut ep, t0, t0 + Duration::from_secs(60));
    let times: Vec<Duration> = sent.iter().map(|(t, _)| *t).collect();
    let expected: Vec<Duration> = [
        500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500,
    ]
    .map(ms)
    .to_vec();
    assert_eq!(times, expected);
    assert_eq!(ep.transaction_count(), 0, "Timer H ended it at 64*T1");

    let (tx, req) = start_call(&mut ep, t0, "z9hG4bKinv12", "call-12");
    let busy = Response::to_request(&req, 503, "Service Unavailable");
    ep.respond(t0, tx, busy).unwrap();
    let tag = response_of(&drain(&mut ep)[0])
        .to_hdr()
        .unwrap()
        .tag()
        .map(str::to_owned);
    let ack = follow_up("ACK", "z9hG4bKinv12", "call-12", 1, tag.as_deref());
    ep.handle_input(t0 + ms(100), Transport::Udp, uac_addr(), &ack);
    let after_ack = run_until(&mut ep, t0, t0 + Duration::from_secs(60));
    assert!(
        after_ack.is_empty(),
        "retransmitted after ACK: {after_ack:?}"
    );
    assert_eq!(ep.transaction_count(), 0, "Timer I ended it");
}
