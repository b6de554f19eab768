//! INVITE client transactions (RFC 3261 §17.1.1, with the "Accepted" state
//! RFC 6026 §8.4 adds so that every 2xx reaches the TU).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::timers::Backoff;
use crate::{EndpointConfig, Method, Request, Response, Transport};

/// Where an INVITE client transaction is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InviteState {
    /// INVITE sent, nothing heard yet (Timers A and B run).
    Calling,
    /// A provisional response arrived; the INVITE may ring for minutes.
    Proceeding,
    /// A 3xx-6xx arrived and was ACKed; absorbing its retransmissions
    /// (Timer D).
    Completed,
    /// A 2xx arrived; later 2xx (retransmissions, other forks) still go to
    /// the TU so it can ACK them (Timer M).
    Accepted,
}

/// The CANCEL the TU asked for (RFC 3261 §9.1), named by the id the TU got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CancelPlan {
    /// Waiting for the first provisional response before it may be sent.
    Held(u64),
    /// Sent as its own non-INVITE client transaction.
    Sent(u64),
}

/// What the endpoint must do with a response the transaction matched.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Reaction {
    /// Pass the response to the TU as [`crate::Event::Response`].
    pub deliver: bool,
    /// Send the (re)built ACK for a non-2xx final.
    pub ack: bool,
    /// This was the first provisional response: a held CANCEL may go now.
    pub first_provisional: bool,
    /// The transaction is over (Timer D of zero on a reliable transport).
    pub over: bool,
}

/// What the endpoint must do after an INVITE client timer ran.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum InviteTimer {
    Idle,
    /// Timer A: send the INVITE again.
    Retransmit,
    /// Timer B, or no final response 64*T1 after a CANCEL: tell the TU.
    Timeout,
    /// Timer D or Timer M: done, silently.
    Terminate,
}

/// One INVITE client transaction.
#[derive(Debug)]
pub(crate) struct InviteClientTx {
    pub state: InviteState,
    pub branch: String,
    /// The INVITE exactly as sent (with our Via), for the ACK and CANCEL.
    pub request: Request,
    pub bytes: Vec<u8>,
    pub transport: Transport,
    pub destination: SocketAddr,
    pub retransmit: Option<Backoff>,
    pub deadline: Option<Instant>,
    /// The ACK for the non-2xx final, resent for each retransmission of it.
    pub ack: Option<Vec<u8>>,
    pub cancel: Option<CancelPlan>,
}

impl InviteClientTx {
    pub fn new(
        now: Instant,
        branch: String,
        request: Request,
        bytes: Vec<u8>,
        transport: Transport,
        destination: SocketAddr,
        cfg: &EndpointConfig,
    ) -> Self {
        InviteClientTx {
            state: InviteState::Calling,
            branch,
            request,
            bytes,
            transport,
            destination,
            // RFC 3261 §17.1.1.2: "If an unreliable transport is being used,
            // the client transaction MUST start timer A with a value of T1."
            retransmit: (transport == Transport::Udp).then(|| Backoff::start(now, cfg.t1)),
            // "For any transport, the client transaction MUST start timer B
            // with a value of 64*T1 seconds".
            deadline: Some(now + cfg.t1 * 64),
            ack: None,
            cancel: None,
        }
    }

    /// True while a CANCEL still makes sense (no final response yet).
    pub fn pending(&self) -> bool {
        matches!(self.state, InviteState::Calling | InviteState::Proceeding)
    }

    /// A response with our branch and CSeq method INVITE arrived.
    pub fn on_response(&mut self, now: Instant, resp: &Response, cfg: &EndpointConfig) -> Reaction {
        let mut r = Reaction {
            deliver: false,
            ack: false,
            first_provisional: false,
            over: false,
        };
        let status = resp.status;
        match self.state {
            InviteState::Calling | InviteState::Proceeding if status < 200 => {
                // RFC 3261 §17.1.1.2: "If the client transaction receives a
                // provisional response while in the "Calling" state, it
                // transitions to the "Proceeding" state. In the "Proceeding"
                // state, the client transaction SHOULD NOT retransmit the
                // request any longer." Timer B only guards "Calling".
                if self.state == InviteState::Calling {
                    self.state = InviteState::Proceeding;
                    self.retransmit = None;
                    self.deadline = None;
                    r.first_provisional = true;
                }
                // "Furthermore, the provisional response MUST be passed to
                // the TU. Any further provisional responses MUST be passed up
                // to the TU while in the "Proceeding" state."
                r.deliver = true;
            }
            InviteState::Calling | InviteState::Proceeding if status < 300 => {
                // RFC 6026 §8.4: "If a 2xx response is received while the
                // client INVITE state machine is in the "Calling" or
                // "Proceeding" states, it MUST transition to the "Accepted"
                // state, pass the 2xx response to the TU, and set Timer M to
                // 64*T1."
                self.state = InviteState::Accepted;
                self.retransmit = None;
                self.deadline = Some(now + cfg.t1 * 64);
                r.deliver = true;
            }
            InviteState::Calling | InviteState::Proceeding => {
                // RFC 3261 §17.1.1.2: "When in either the "Calling" or
                // "Proceeding" states, reception of a response with status
                // code from 300-699 MUST cause the client transaction to
                // transition to "Completed". The client transaction MUST pass
                // the received response up to the TU, and the client
                // transaction MUST generate an ACK request". "The client
                // transaction SHOULD start timer D when it enters the
                // "Completed" state, with a value of at least 32 seconds for
                // unreliable transports, and a value of zero seconds for
                // reliable transports."
                self.state = InviteState::Completed;
                self.retransmit = None;
                self.ack = Some(build_ack(&self.request, resp).to_bytes());
                r.deliver = true;
                r.ack = true;
                if self.transport == Transport::Udp {
                    self.deadline = Some(now + Duration::from_secs(32).max(cfg.t1 * 64));
                } else {
                    r.over = true;
                }
            }
            // "Any retransmissions of the final response that are received
            // while in the "Completed" state MUST cause the ACK to be
            // re-passed to the transport layer for retransmission, but the
            // newly received response MUST NOT be passed up to the TU."
            InviteState::Completed => r.ack = status >= 300,
            // RFC 6026 §8.4: "Any 2xx responses that match this client
            // transaction and that are received while in the "Accepted"
            // state MUST be passed up to the TU. The client transaction MUST
            // NOT generate an ACK to the 2xx response."
            InviteState::Accepted => r.deliver = (200..300).contains(&status),
        }
        r
    }

    /// Runs the timers due at `now`.
    pub fn on_timer(&mut self, now: Instant) -> InviteTimer {
        if self.deadline.is_some_and(|d| d <= now) {
            return match self.state {
                // RFC 3261 §17.1.1.2: "If the client transaction is still in
                // the "Calling" state when timer B fires, the client
                // transaction SHOULD inform the TU that a timeout has
                // occurred." In "Proceeding" the only deadline is the one a
                // CANCEL set (§9.1).
                InviteState::Calling | InviteState::Proceeding => InviteTimer::Timeout,
                InviteState::Completed | InviteState::Accepted => InviteTimer::Terminate,
            };
        }
        if let Some(b) = &mut self.retransmit {
            if b.next <= now {
                // RFC 3261 §17.1.1.2: "When timer A fires, the client
                // transaction MUST retransmit the request by passing it to
                // the transport layer, and MUST reset the timer with a value
                // of 2*T1." The interval keeps doubling with no cap; Timer B
                // ends the series.
                b.advance(Duration::MAX);
                return InviteTimer::Retransmit;
            }
        }
        InviteTimer::Idle
    }

    /// Records that the CANCEL went out at `now`. RFC 3261 §9.1: "If there
    /// is no final response for the original request in 64*T1 seconds ...
    /// the client SHOULD then consider the original transaction cancelled
    /// and SHOULD destroy the client transaction handling the original
    /// request."
    pub fn cancel_sent(&mut self, now: Instant, id: u64, cfg: &EndpointConfig) {
        self.cancel = Some(CancelPlan::Sent(id));
        self.deadline = Some(now + cfg.t1 * 64);
    }

    /// The earliest instant any timer of this transaction fires.
    pub fn next_timer(&self) -> Option<Instant> {
        match (self.retransmit.map(|b| b.next), self.deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The CANCEL for this INVITE (RFC 3261 §9.1).
    pub fn build_cancel(&self) -> Request {
        // "The Request-URI, Call-ID, To, the numeric part of CSeq, and From
        // header fields in the CANCEL request MUST be identical to those
        // fields in the request being cancelled, including tags. A CANCEL
        // constructed by a client MUST have only a single Via header field
        // value matching the top Via value in the request being cancelled."
        let mut cancel = Request::new(Method::Cancel, self.request.uri.clone());
        copy_common(&self.request, &mut cancel, self.request.headers.get("To"));
        cancel
    }
}

/// The ACK a client transaction sends for a 3xx-6xx (RFC 3261 §17.1.1.3).
pub(crate) fn build_ack(invite: &Request, resp: &Response) -> Request {
    // "The ACK request constructed by the client transaction MUST contain
    // values for the Call-ID, From, and Request-URI that are equal to the
    // values of those header fields in the request passed to the transport
    // by the client transaction". "The To header field in the ACK MUST equal
    // the To header field in the response being acknowledged". "The ACK MUST
    // contain a single Via header field, and this MUST be equal to the top
    // Via header field of the original request." "The CSeq header field in
    // the ACK MUST contain the same value for the sequence number as was
    // present in the original request, but the method parameter MUST be
    // equal to "ACK"."
    let mut ack = Request::new(Method::Ack, invite.uri.clone());
    let to = resp.headers.get("To").or(invite.headers.get("To"));
    copy_common(invite, &mut ack, to);
    ack
}

/// Copies what ACK (for a non-2xx) and CANCEL share with their INVITE: the
/// top Via, From, the given To, Call-ID, the CSeq number with the new
/// method, Max-Forwards and Route.
fn copy_common(invite: &Request, out: &mut Request, to: Option<&str>) {
    if let Ok(vias) = invite.vias() {
        out.headers.push("Via", vias[0].to_string());
    }
    for name in ["From", "Call-ID"] {
        if let Some(v) = invite.headers.get(name) {
            out.headers.push(name, v);
        }
    }
    if let Some(to) = to {
        out.headers.push("To", to);
    }
    if let Ok(cseq) = invite.cseq() {
        out.headers
            .push("CSeq", format!("{} {}", cseq.seq, out.method));
    }
    out.headers.push(
        "Max-Forwards",
        invite.headers.get("Max-Forwards").unwrap_or("70"),
    );
    // RFC 3261 §17.1.1.3: "If the INVITE request whose response is being
    // acknowledged had Route header fields, those header fields MUST appear
    // in the ACK." §9.1: "If the request being cancelled contains a Route
    // header field, the CANCEL request MUST include that Route header
    // field's values."
    for route in invite.headers.get_lines("Route") {
        out.headers.push("Route", route);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> EndpointConfig {
        EndpointConfig::new("127.0.0.1:5060".parse().unwrap(), "t")
    }

    fn invite() -> Request {
        let mut r = Request::new(Method::Invite, "sip:bob@192.0.2.20");
        r.headers
            .push("Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKab;rport");
        r.headers.push("Route", "<sip:p1.example.com;lr>");
        r.headers.push("From", "<sip:n@127.0.0.1>;tag=f1");
        r.headers.push("To", "<sip:bob@example.com>");
        r.headers.push("Call-ID", "c1");
        r.headers.push("CSeq", "7 INVITE");
        r.headers.push("Max-Forwards", "70");
        r
    }

    fn tx(transport: Transport, now: Instant) -> InviteClientTx {
        let req = invite();
        let bytes = req.to_bytes();
        let dest = "192.0.2.20:5060".parse().unwrap();
        InviteClientTx::new(now, "z9hG4bKab".into(), req, bytes, transport, dest, &cfg())
    }

    fn resp(status: u16) -> Response {
        let mut r = Response::to_request(&invite(), status, "x");
        r.headers.set("To", "<sip:bob@example.com>;tag=b9");
        r
    }

    #[test]
    fn timer_a_doubles_without_cap_until_timer_b() {
        let t0 = Instant::now();
        let mut t = tx(Transport::Udp, t0);
        let mut fired = Vec::new();
        while let Some(at) = t.next_timer() {
            match t.on_timer(at) {
                InviteTimer::Retransmit => fired.push((at - t0).as_millis()),
                InviteTimer::Timeout => break,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(fired, [500, 1500, 3500, 7500, 15500, 31500]);
        assert_eq!(t.next_timer(), Some(t0 + Duration::from_secs(32)));
    }

    #[test]
    fn non_2xx_acked_and_absorbed() {
        let t0 = Instant::now();
        let mut t = tx(Transport::Udp, t0);
        let first = t.on_response(t0, &resp(486), &cfg());
        assert!(first.deliver && first.ack && !first.over);
        let again = t.on_response(t0, &resp(486), &cfg());
        assert!(!again.deliver && again.ack);
        assert_eq!(
            t.on_timer(t0 + Duration::from_secs(32)),
            InviteTimer::Terminate
        );
        let mut tcp = tx(Transport::Tcp, t0);
        assert!(tcp.on_response(t0, &resp(603), &cfg()).over);
    }

    #[test]
    fn ack_and_cancel_copy_the_invite() {
        let ack = build_ack(&invite(), &resp(486));
        assert_eq!(ack.uri, "sip:bob@192.0.2.20");
        assert_eq!(ack.headers.count("Via"), 1);
        assert_eq!(ack.vias().unwrap()[0].branch(), Some("z9hG4bKab"));
        assert_eq!(ack.to_hdr().unwrap().tag(), Some("b9"));
        assert_eq!(ack.headers.get("CSeq"), Some("7 ACK"));
        assert_eq!(ack.headers.get("Route"), Some("<sip:p1.example.com;lr>"));
        let cancel = tx(Transport::Udp, Instant::now()).build_cancel();
        assert_eq!(cancel.headers.get("CSeq"), Some("7 CANCEL"));
        assert_eq!(cancel.to_hdr().unwrap().tag(), None);
        assert_eq!(cancel.from_hdr().unwrap().tag(), Some("f1"));
        assert_eq!(cancel.vias().unwrap()[0].branch(), Some("z9hG4bKab"));
    }
}
