//! The SIP side of a leg in virtual time, with no socket: requests go through a real
//! sans-IO endpoint (for transaction ids) into the leg, and its outputs are checked:
//! ringing and answer with SDP, CANCEL, re-INVITE hold and unhold, INFO digits, BYE
//! from either side, the ACK timeout, and refusals.

use std::net::SocketAddr;
use std::time::Instant;

use switchyard_call::leg::{LegOutput, Phase, SipLeg, CODECS};
use switchyard_rtp::LocalMedia;
use switchyard_sip::{Endpoint, EndpointConfig, Event, Method, Request, ServerTxId, Transport};
use switchyard_types::CallStatus;

const PEER: &str = "192.0.2.10:5062";

fn sdp(direction: &str, version: u32) -> String {
    format!(
        "v=0\r\no=alice 1 {version} IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n\
         m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n\
         a={direction}\r\n"
    )
}

fn request(method: &str, cseq: u32, to_tag: Option<&str>, ctype: &str, body: &str) -> Vec<u8> {
    let tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
    let ctype = if body.is_empty() {
        String::new()
    } else {
        format!("Content-Type: {ctype}\r\n")
    };
    format!(
        "{method} sip:+15550001111@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP {PEER};branch=z9hG4bK-{method}-{cseq};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@example.com>;tag=uac1\r\n\
         To: <sip:+15550001111@127.0.0.1>{tag}\r\n\
         Call-ID: leg-test\r\n\
         CSeq: {cseq} {method}\r\n\
         Contact: <sip:alice@{PEER}>\r\n\
         {ctype}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The endpoint that gives requests their transactions.
struct Net {
    endpoint: Endpoint,
    now: Instant,
}

impl Net {
    fn new() -> Net {
        Net {
            endpoint: Endpoint::new(EndpointConfig::new(
                "127.0.0.1:5060".parse().unwrap(),
                "switchyard-test",
            )),
            now: Instant::now(),
        }
    }

    fn deliver(&mut self, bytes: &[u8]) -> Option<(ServerTxId, Request)> {
        let src: SocketAddr = PEER.parse().unwrap();
        self.endpoint
            .handle_input(self.now, Transport::Udp, src, bytes);
        while let Some(ev) = self.endpoint.poll_event() {
            if let Event::Request { tx, request, .. } = ev {
                return Some((tx, request));
            }
        }
        None
    }
}

fn local() -> LocalMedia {
    LocalMedia {
        address: "127.0.0.1".parse().unwrap(),
        port: 20000,
        session_id: 7,
        session_version: 1,
        codecs: CODECS.to_vec(),
        srtp: switchyard_rtp::SrtpPolicy::Off,
    }
}

fn outputs(leg: &mut SipLeg) -> Vec<LegOutput> {
    std::iter::from_fn(|| leg.poll_output()).collect()
}

fn statuses(out: &[LegOutput]) -> Vec<u16> {
    out.iter()
        .filter_map(|o| match o {
            LegOutput::Respond { response, .. } => Some(response.status),
            _ => None,
        })
        .collect()
}

fn warnings(out: &[LegOutput]) -> Vec<String> {
    out.iter()
        .filter_map(|o| match o {
            LegOutput::Respond { response, .. } => response.headers.get("Warning"),
            _ => None,
        })
        .map(str::to_owned)
        .collect()
}

fn sending(out: &[LegOutput]) -> Option<bool> {
    out.iter().rev().find_map(|o| match o {
        LegOutput::Media { sending, .. } => Some(*sending),
        _ => None,
    })
}

/// A leg answered (180, then 200 with SDP), with the peer's To tag for in-dialog requests.
fn answered(net: &mut Net) -> (SipLeg, String) {
    let (tx, invite) = net
        .deliver(&request(
            "INVITE",
            1,
            None,
            "application/sdp",
            &sdp("sendrecv", 1),
        ))
        .unwrap();
    let mut leg = SipLeg::inbound(tx, invite);
    leg.ring(local(), "ourtag", "<sip:+15550001111@127.0.0.1:5060>");
    let out = outputs(&mut leg);
    assert_eq!(statuses(&out), [180]);
    assert_eq!(sending(&out), Some(false), "no media before the answer");
    leg.answer(net.now);
    let out = outputs(&mut leg);
    let LegOutput::Respond { response, .. } = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(response.status, 200);
    assert!(String::from_utf8_lossy(&response.body).contains("m=audio 20000"));
    assert_eq!(sending(&out), Some(true));
    assert!(out.contains(&LegOutput::Answered));
    assert_eq!(leg.phase(), Phase::Answered);
    assert_eq!(leg.status(), CallStatus::InProgress);
    // A second answer (the executor asking again) changes nothing.
    leg.answer(net.now);
    assert!(outputs(&mut leg).is_empty());
    (leg, "ourtag".into())
}

#[test]
fn progress_sends_183_with_our_answer_and_starts_our_stream() {
    let mut net = Net::new();
    let (tx, invite) = net
        .deliver(&request(
            "INVITE",
            1,
            None,
            "application/sdp",
            &sdp("sendrecv", 1),
        ))
        .unwrap();
    let mut leg = SipLeg::inbound(tx, invite);
    leg.ring(local(), "t", "<sip:x@127.0.0.1>");
    let _ = outputs(&mut leg);
    leg.progress();
    let out = outputs(&mut leg);
    let LegOutput::Respond { response, .. } = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(response.status, 183);
    assert!(String::from_utf8_lossy(&response.body).contains("m=audio 20000"));
    assert_eq!(sending(&out), Some(true));
    assert_eq!(leg.phase(), Phase::Early, "183 is not an answer");
}

#[test]
fn cancel_before_the_answer_is_487_and_canceled() {
    let mut net = Net::new();
    let (tx, invite) = net
        .deliver(&request(
            "INVITE",
            1,
            None,
            "application/sdp",
            &sdp("sendrecv", 1),
        ))
        .unwrap();
    let mut leg = SipLeg::inbound(tx, invite);
    leg.ring(local(), "t", "<sip:x@127.0.0.1>");
    let _ = outputs(&mut leg);
    leg.cancelled();
    let out = outputs(&mut leg);
    assert_eq!(out[0], LegOutput::PeerEnded);
    assert_eq!(statuses(&out), [487]);
    assert_eq!(
        (leg.phase(), leg.status()),
        (Phase::Over, CallStatus::Canceled)
    );
    // After the answer, CANCEL is too late (RFC 3261 §9.2) and changes nothing.
    let (mut leg, _) = answered(&mut Net::new());
    leg.cancelled();
    assert!(outputs(&mut leg).is_empty());
    assert_eq!(leg.phase(), Phase::Answered);
}

#[test]
fn reinvite_hold_and_unhold_switch_our_sending_and_answer_with_a_new_version() {
    let mut net = Net::new();
    let (mut leg, tag) = answered(&mut net);
    let (tx, hold) = net
        .deliver(&request(
            "INVITE",
            2,
            Some(&tag),
            "application/sdp",
            &sdp("sendonly", 2),
        ))
        .unwrap();
    leg.request(tx, hold);
    let out = outputs(&mut leg);
    let LegOutput::Respond { response, .. } = &out[0] else {
        panic!("{out:?}")
    };
    let body = String::from_utf8_lossy(&response.body).to_string();
    // RFC 3264 §8.4: the answer to sendonly is recvonly; our o= version goes up by one.
    assert!(body.contains("a=recvonly"), "{body}");
    assert!(body.contains("o=switchyard 7 2 "), "{body}");
    assert_eq!(sending(&out), Some(false), "we send nothing to a holder");
    let (tx, unhold) = net
        .deliver(&request(
            "INVITE",
            3,
            Some(&tag),
            "application/sdp",
            &sdp("sendrecv", 3),
        ))
        .unwrap();
    leg.request(tx, unhold);
    let out = outputs(&mut leg);
    assert_eq!(sending(&out), Some(true));
    // A re-offer we cannot accept leaves the session as it was (RFC 3264 §6).
    let bad = sdp("sendrecv", 4).replace("RTP/AVP 0 101", "RTP/AVP 18");
    let (tx, req) = net
        .deliver(&request("INVITE", 4, Some(&tag), "application/sdp", &bad))
        .unwrap();
    leg.request(tx, req);
    let out = outputs(&mut leg);
    assert_eq!(statuses(&out), [488]);
    // RFC 3261 §21.4.26 with §20.43's 305: the refusal says why.
    assert_eq!(
        warnings(&out),
        ["305 switchyard \"Incompatible media format\""]
    );
    assert_eq!(sending(&out), None, "media untouched");
}

#[test]
fn info_digits_are_digits_and_other_bodies_are_refused() {
    let mut net = Net::new();
    let (mut leg, tag) = answered(&mut net);
    let (tx, info) = net
        .deliver(&request(
            "INFO",
            2,
            Some(&tag),
            "application/dtmf-relay",
            "Signal=5\r\nDuration=160\r\n",
        ))
        .unwrap();
    leg.request(tx, info);
    let out = outputs(&mut leg);
    assert_eq!(statuses(&out), [200]);
    assert!(out.contains(&LegOutput::Digit('5')));
    let (tx, info) = net
        .deliver(&request("INFO", 3, Some(&tag), "application/dtmf", "#"))
        .unwrap();
    leg.request(tx, info);
    assert!(outputs(&mut leg).contains(&LegOutput::Digit('#')));
    let (tx, info) = net
        .deliver(&request("INFO", 4, Some(&tag), "text/plain", "5"))
        .unwrap();
    leg.request(tx, info);
    let out = outputs(&mut leg);
    assert_eq!(statuses(&out), [415]);
    assert!(!out.iter().any(|o| matches!(o, LegOutput::Digit(_))));
}

#[test]
fn bye_from_the_peer_ends_the_call_completed() {
    let mut net = Net::new();
    let (mut leg, tag) = answered(&mut net);
    let (tx, bye) = net.deliver(&request("BYE", 2, Some(&tag), "", "")).unwrap();
    leg.request(tx, bye);
    let out = outputs(&mut leg);
    assert_eq!(statuses(&out), [200]);
    assert!(out.contains(&LegOutput::PeerEnded));
    assert_eq!(
        (leg.phase(), leg.status()),
        (Phase::Over, CallStatus::Completed)
    );
}

#[test]
fn our_bye_waits_for_its_outcome() {
    let mut net = Net::new();
    let (mut leg, _) = answered(&mut net);
    leg.ack();
    leg.hang_up();
    let out = outputs(&mut leg);
    let bye = out
        .iter()
        .find_map(|o| match o {
            LegOutput::Send(r) => Some(r),
            _ => None,
        })
        .expect("a BYE");
    assert_eq!(bye.method, Method::Bye);
    assert_eq!(
        bye.uri,
        format!("sip:alice@{PEER}"),
        "to the peer's Contact"
    );
    assert_eq!(leg.phase(), Phase::Ending);
    leg.hang_up();
    assert!(
        !outputs(&mut leg)
            .iter()
            .any(|o| matches!(o, LegOutput::Send(_))),
        "one BYE"
    );
    leg.bye_outcome();
    assert_eq!(
        (leg.phase(), leg.status()),
        (Phase::Over, CallStatus::Completed)
    );
}

/// RFC 3261 §15: "the callee's UA MUST NOT send a BYE on a confirmed dialog until it
/// has received an ACK for its 2xx response or until the server transaction times out."
#[test]
fn a_bye_right_after_our_answer_waits_for_the_ack() {
    let is_bye = |o: &LegOutput| matches!(o, LegOutput::Send(r) if r.method == Method::Bye);
    let mut net = Net::new();
    let (mut leg, _) = answered(&mut net);
    leg.hang_up();
    assert!(!outputs(&mut leg).iter().any(is_bye), "BYE before the ACK");
    assert_eq!(
        (leg.phase(), leg.status()),
        (Phase::Ending, CallStatus::Completed)
    );
    leg.ack();
    assert_eq!(outputs(&mut leg).iter().filter(|o| is_bye(o)).count(), 1);
    leg.ack();
    assert!(outputs(&mut leg).is_empty(), "one BYE");

    // No ACK at all: the BYE goes when the server transaction gives up on it.
    let mut net = Net::new();
    let (mut leg, _) = answered(&mut net);
    leg.hang_up();
    assert!(!outputs(&mut leg).iter().any(is_bye));
    leg.ack_timeout();
    assert_eq!(outputs(&mut leg).iter().filter(|o| is_bye(o)).count(), 1);
}

#[test]
fn no_ack_for_our_answer_ends_the_call_with_a_bye() {
    let mut net = Net::new();
    let (mut leg, _) = answered(&mut net);
    leg.ack_timeout();
    let out = outputs(&mut leg);
    assert_eq!(out[0], LegOutput::PeerEnded);
    assert!(out
        .iter()
        .any(|o| matches!(o, LegOutput::Send(r) if r.method == Method::Bye)));
}

#[test]
fn refusals_end_the_leg_before_it_starts() {
    // Reject busy (a busy record), reject (Twilio's no-answer), an application loop
    // (500, failed), hang up before answering (603), an INVITE without an offer (488).
    for (act, status, call_status) in [
        (486, 486, CallStatus::Busy),
        (603, 603, CallStatus::NoAnswer),
        (500, 500, CallStatus::Failed),
        (0, 603, CallStatus::Completed),
    ] {
        let mut net = Net::new();
        let (tx, invite) = net
            .deliver(&request(
                "INVITE",
                1,
                None,
                "application/sdp",
                &sdp("sendrecv", 1),
            ))
            .unwrap();
        let mut leg = SipLeg::inbound(tx, invite);
        leg.ring(local(), "t", "<sip:x@127.0.0.1>");
        let _ = outputs(&mut leg);
        if act == 0 {
            leg.hang_up();
        } else {
            leg.reject(act);
        }
        assert_eq!(statuses(&outputs(&mut leg)), [status]);
        assert_eq!((leg.phase(), leg.status()), (Phase::Over, call_status));
    }
    let mut net = Net::new();
    let (tx, invite) = net.deliver(&request("INVITE", 1, None, "", "")).unwrap();
    let mut leg = SipLeg::inbound(tx, invite);
    leg.ring(local(), "t", "<sip:x@127.0.0.1>");
    assert_eq!(statuses(&outputs(&mut leg)), [488]);
    assert_eq!(leg.status(), CallStatus::Failed);

    // An initial offer of only a codec we lack: 488 with a Warning.
    let g729 = sdp("sendrecv", 1).replace("RTP/AVP 0 101", "RTP/AVP 18");
    let mut net = Net::new();
    let (tx, invite) = net
        .deliver(&request("INVITE", 1, None, "application/sdp", &g729))
        .unwrap();
    let mut leg = SipLeg::inbound(tx, invite);
    leg.ring(local(), "t", "<sip:x@127.0.0.1>");
    let out = outputs(&mut leg);
    assert_eq!(statuses(&out), [488]);
    assert_eq!(
        warnings(&out),
        ["305 switchyard \"Incompatible media format\""]
    );
}

#[test]
fn a_leg_we_placed_cancels_before_the_answer_and_never_responds() {
    let mut leg = SipLeg::outbound();
    leg.hang_up();
    let out = outputs(&mut leg);
    assert!(out.contains(&LegOutput::CancelInvite), "{out:?}");
    assert!(statuses(&out).is_empty());
}

mod placed {
    //! A leg we place: responses to our INVITE in, the outcome and the ACK out.

    use super::*;
    use switchyard_call::leg::{CancelReason, Credentials};
    use switchyard_rtp::{offer, SessionDescription};
    use switchyard_sip::{new_invite, NameAddr, Response};

    fn placed() -> (SipLeg, SessionDescription) {
        let our_offer = offer(&local(), 101);
        let mut from = NameAddr::new("sip:+15550001111@127.0.0.1:5060");
        from.params.push(("tag".into(), Some("ours".into())));
        let invite = new_invite(
            "sip:bob@192.0.2.20:5070",
            &from,
            &NameAddr::new("sip:bob@192.0.2.20:5070"),
            "placed-test",
            1,
            "<sip:+15550001111@127.0.0.1:5060>",
            Some(our_offer.to_string().into_bytes()),
        );
        let mut leg = SipLeg::outbound();
        leg.placed(invite, local());
        (leg, our_offer)
    }

    fn response(leg: &SipLeg, status: u16, body: Option<String>) -> Response {
        let mut r = Response::to_request(leg.invite(), status, "x");
        r.headers.set("To", "<sip:bob@192.0.2.20:5070>;tag=theirs");
        r.headers.set("Contact", "<sip:bob@192.0.2.20:5070>");
        if let Some(b) = body {
            r.headers.set("Content-Type", "application/sdp");
            r.body = b.into_bytes();
        }
        r
    }

    #[test]
    fn ringing_then_answer_gives_ack_media_and_answered() {
        let (mut leg, our_offer) = placed();
        let now = Instant::now();
        assert_eq!(
            leg.invite_response(now, Some(&response(&leg, 100, None)), &our_offer, None),
            None
        );
        assert_eq!(
            leg.invite_response(now, Some(&response(&leg, 180, None)), &our_offer, None),
            None
        );
        assert_eq!(outputs(&mut leg), [LegOutput::Ringing]);
        assert_eq!(leg.status(), CallStatus::Ringing);
        let ok = response(&leg, 200, Some(sdp("sendrecv", 1)));
        assert_eq!(
            leg.invite_response(now, Some(&ok), &our_offer, None),
            Some(true)
        );
        let out = outputs(&mut leg);
        assert!(
            matches!(&out[0], LegOutput::Ack(a) if a.method == Method::Ack && a.cseq().unwrap().seq == 1),
            "{out:?}"
        );
        assert_eq!(sending(&out), Some(true));
        assert!(out.contains(&LegOutput::Answered));
        assert_eq!(
            (leg.phase(), leg.status()),
            (Phase::Answered, CallStatus::InProgress)
        );
        // A retransmitted 200 (our ACK was lost) is ACKed again, and nothing else.
        assert_eq!(leg.invite_response(now, Some(&ok), &our_offer, None), None);
        assert!(matches!(&outputs(&mut leg)[..], [LegOutput::Ack(_)]));
    }

    #[test]
    fn early_media_in_a_183_is_negotiated_before_the_answer() {
        let (mut leg, our_offer) = placed();
        let now = Instant::now();
        let progress = response(&leg, 183, Some(sdp("sendrecv", 1)));
        assert_eq!(
            leg.invite_response(now, Some(&progress), &our_offer, None),
            None
        );
        assert_eq!(
            outputs(&mut leg),
            [LegOutput::Ringing, LegOutput::EarlyMedia]
        );
        assert!(leg.negotiated().is_some());
        assert_eq!(leg.phase(), Phase::Early);
        // A second 183 does not start it again.
        leg.invite_response(now, Some(&progress), &our_offer, None);
        assert!(outputs(&mut leg).is_empty());
    }

    #[test]
    fn a_challenge_is_answered_once_with_credentials_and_the_next_cseq() {
        let (mut leg, our_offer) = placed();
        let now = Instant::now();
        let mut challenge = response(&leg, 407, None);
        challenge.headers.set(
            "Proxy-Authenticate",
            "Digest realm=\"switchyard.test\", nonce=\"abc\", qop=\"auth\", algorithm=MD5",
        );
        let creds = Credentials {
            username: "alice".into(),
            password: "s3cret".into(),
        };
        assert_eq!(
            leg.invite_response(now, Some(&challenge), &our_offer, Some(&creds)),
            None
        );
        let out = outputs(&mut leg);
        let [LegOutput::Invite(again)] = &out[..] else {
            panic!("{out:?}")
        };
        assert_eq!(again.cseq().unwrap().seq, 2);
        let auth = again.headers.get("Proxy-Authorization").unwrap();
        assert!(
            auth.contains("username=\"alice\"") && auth.contains("nonce=\"abc\""),
            "{auth}"
        );
        // A second challenge means the credentials were wrong: failed, not a loop.
        let mut again = response(&leg, 407, None);
        again.headers.set(
            "Proxy-Authenticate",
            "Digest realm=\"switchyard.test\", nonce=\"def\"",
        );
        assert_eq!(
            leg.invite_response(now, Some(&again), &our_offer, Some(&creds)),
            Some(false)
        );
        assert_eq!(leg.status(), CallStatus::Failed);
        // Without credentials a challenge fails at once.
        let (mut leg, our_offer) = placed();
        assert_eq!(
            leg.invite_response(now, Some(&challenge), &our_offer, None),
            Some(false)
        );
    }

    #[test]
    fn final_responses_and_cancel_reasons_give_twilios_statuses() {
        let now = Instant::now();
        for (status, cancel, want) in [
            (486, None, CallStatus::Busy),
            (600, None, CallStatus::Busy),
            (480, None, CallStatus::NoAnswer),
            (503, None, CallStatus::Failed),
            (487, Some(CancelReason::NoAnswer), CallStatus::NoAnswer),
            (487, Some(CancelReason::Canceled), CallStatus::Canceled),
        ] {
            let (mut leg, our_offer) = placed();
            if let Some(reason) = cancel {
                leg.cancel(reason);
                assert_eq!(outputs(&mut leg), [LegOutput::CancelInvite]);
                // One CANCEL, whatever asks again.
                leg.cancel(CancelReason::Canceled);
                leg.hang_up();
                assert!(!outputs(&mut leg).contains(&LegOutput::CancelInvite));
            }
            let r = response(&leg, status, None);
            assert_eq!(
                leg.invite_response(now, Some(&r), &our_offer, None),
                Some(false)
            );
            assert_eq!((leg.status(), leg.phase()), (want, Phase::Over), "{status}");
        }
        // Timer B: no final response at all.
        let (mut leg, our_offer) = placed();
        assert_eq!(
            leg.invite_response(now, None, &our_offer, None),
            Some(false)
        );
        assert_eq!(leg.status(), CallStatus::Failed);
    }
}

/// Hold passes through a bridge: the far end's hold is reported once per change, and
/// our own re-INVITE puts the other far end on hold (sendonly) and back.
#[test]
fn hold_is_reported_and_passed_on_by_our_reinvite() {
    let mut net = Net::new();
    let (mut leg, tag) = answered(&mut net);
    let held = |out: &[LegOutput]| {
        out.iter()
            .filter_map(|o| match o {
                LegOutput::Held(h) => Some(*h),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    for (cseq, direction, want) in [
        (2, "sendonly", vec![true]),
        (3, "inactive", vec![]),
        (4, "sendrecv", vec![false]),
    ] {
        let (tx, req) = net
            .deliver(&request(
                "INVITE",
                cseq,
                Some(&tag),
                "application/sdp",
                &sdp(direction, cseq),
            ))
            .unwrap();
        leg.request(tx, req);
        assert_eq!(held(&outputs(&mut leg)), want, "{direction}");
    }

    leg.hold(true);
    let out = outputs(&mut leg);
    let [LegOutput::Reinvite(reinvite)] = &out[..] else {
        panic!("{out:?}")
    };
    let offer = String::from_utf8_lossy(&reinvite.body).to_string();
    assert!(offer.contains("a=sendonly"), "{offer}");
    assert!(reinvite.headers.get("Contact").is_some());
    // While it is pending, another hold change waits.
    leg.hold(false);
    assert!(outputs(&mut leg).is_empty());
    let mut ok = switchyard_sip::Response::to_request(reinvite, 200, "OK");
    ok.body = sdp("recvonly", 9).into_bytes();
    ok.headers.set("Content-Type", "application/sdp");
    leg.late_response(Some(&ok));
    let out = outputs(&mut leg);
    let LegOutput::Ack(ack) = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(ack.cseq().unwrap().seq, reinvite.cseq().unwrap().seq);
    assert_eq!(
        sending(&out),
        Some(true),
        "on hold, we still send (music, the other party)"
    );
    leg.hold(false);
    let out = outputs(&mut leg);
    let [LegOutput::Reinvite(again)] = &out[..] else {
        panic!("{out:?}")
    };
    assert!(String::from_utf8_lossy(&again.body).contains("a=sendrecv"));
    assert_eq!(again.cseq().unwrap().seq, reinvite.cseq().unwrap().seq + 1);
}
