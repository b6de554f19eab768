//! Server transactions: INVITE (RFC 3261 §17.2.1, with the 2xx
//! retransmission of §13.3.1.4) and non-INVITE (§17.2.2).

use std::net::SocketAddr;
use std::time::Instant;

use super::{AckKey, TxKey};
use crate::timers::Backoff;
use crate::{EndpointConfig, Transport};

/// Where a server transaction is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ServerState {
    /// Non-INVITE: request received, nothing sent yet.
    Trying,
    /// A provisional response has been sent.
    Proceeding,
    /// A final response has been sent (3xx-6xx for INVITE); waiting for ACK
    /// (INVITE, Timer G/H) or absorbing retransmissions (non-INVITE, Timer J).
    Completed,
    /// INVITE: the ACK for the non-2xx arrived; absorbing ACKs (Timer I).
    Confirmed,
    /// INVITE: a 2xx was sent; retransmitting it until the ACK arrives.
    Accepted { acked: bool },
}

/// What the endpoint must do after a server transaction timer ran.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TimerOutcome {
    /// Nothing yet.
    Idle,
    /// Send the last response again.
    Retransmit,
    /// The transaction is over.
    Terminate,
    /// No ACK came for the 2xx: tell the TU, then terminate.
    AckTimeout,
}

/// One server transaction.
#[derive(Debug)]
pub(crate) struct ServerTx {
    pub invite: bool,
    pub state: ServerState,
    pub key: TxKey,
    pub ack_key: Option<AckKey>,
    pub transport: Transport,
    pub destination: SocketAddr,
    /// The request's top Via with `received`/`rport` filled in; it replaces
    /// the top Via of every response (RFC 3261 §18.2.2, RFC 3581).
    pub top_via: String,
    /// The To tag of our responses, so a CANCEL's 200 can reuse it.
    pub to_tag: Option<String>,
    pub last_response: Option<Vec<u8>>,
    pub retransmit: Option<Backoff>,
    pub deadline: Option<Instant>,
}

impl ServerTx {
    pub fn new(
        invite: bool,
        key: TxKey,
        transport: Transport,
        destination: SocketAddr,
        top_via: String,
    ) -> Self {
        ServerTx {
            invite,
            state: if invite {
                ServerState::Proceeding
            } else {
                ServerState::Trying
            },
            key,
            ack_key: None,
            transport,
            destination,
            top_via,
            to_tag: None,
            last_response: None,
            retransmit: None,
            deadline: None,
        }
    }

    /// Bounds how long a non-INVITE request may wait for the TU: after
    /// 64*T1 the client's Timer F has fired (RFC 3261 §17.1.2.2), so no
    /// answer can matter any more and keeping the transaction would leak it.
    /// INVITEs may ring for minutes and get no such bound.
    pub fn limit_tu_wait(&mut self, now: Instant, cfg: &EndpointConfig) {
        if !self.invite {
            self.deadline = Some(now + cfg.t1 * 64);
        }
    }

    /// True once a final response went out.
    pub fn answered(&self) -> bool {
        !matches!(self.state, ServerState::Trying | ServerState::Proceeding)
    }

    fn unreliable(&self) -> bool {
        self.transport == Transport::Udp
    }

    /// Records that `status` was sent at `now` and arms the timers.
    /// Returns true when the transaction is already over (reliable
    /// transport with a zero Timer J).
    pub fn on_sent(&mut self, now: Instant, status: u16, cfg: &EndpointConfig) -> bool {
        let t64 = cfg.t1 * 64;
        if status < 200 {
            self.state = ServerState::Proceeding;
            return false;
        }
        if !self.invite {
            // RFC 3261 §17.2.2: "When the server transaction enters the
            // "Completed" state, it MUST set Timer J to fire in 64*T1
            // seconds for unreliable transports, and zero seconds for
            // reliable transports."
            self.state = ServerState::Completed;
            if !self.unreliable() {
                return true;
            }
            self.deadline = Some(now + t64);
            return false;
        }
        if status < 300 {
            // RFC 3261 §13.3.1.4: "The 2xx response is passed to the
            // transport with an interval that starts at T1 seconds and
            // doubles for each retransmission until it reaches T2 seconds.
            // ... If the server retransmits the 2xx response for 64*T1
            // seconds without receiving an ACK, the dialog is confirmed, but
            // the session SHOULD be terminated."
            self.state = ServerState::Accepted { acked: false };
            self.retransmit = self.unreliable().then(|| Backoff::start(now, cfg.t1));
        } else {
            // RFC 3261 §17.2.1: "For unreliable transports, timer G is set
            // to fire in T1 seconds ... timer H MUST be set to fire in 64*T1
            // seconds for all transports."
            self.state = ServerState::Completed;
            self.retransmit = self.unreliable().then(|| Backoff::start(now, cfg.t1));
        }
        self.deadline = Some(now + t64);
        false
    }

    /// An ACK matched this transaction. Returns true if the TU should see it
    /// (the first ACK for a 2xx) and whether the transaction is now over.
    pub fn on_ack(&mut self, now: Instant, cfg: &EndpointConfig) -> (bool, bool) {
        match self.state {
            ServerState::Completed if self.invite => {
                // RFC 3261 §17.2.1: "If an ACK is received while the server
                // transaction is in the "Completed" state, the server
                // transaction MUST transition to the "Confirmed" state. As
                // Timer G is ignored in this state, any retransmissions of
                // the response will cease." Timer I is T4 for unreliable
                // transports, zero for reliable ones.
                self.state = ServerState::Confirmed;
                self.retransmit = None;
                if !self.unreliable() {
                    return (false, true);
                }
                self.deadline = Some(now + cfg.t4);
                (false, false)
            }
            ServerState::Accepted { acked: false } => {
                // The ACK stops 2xx retransmission; the transaction stays
                // until 64*T1 to absorb late INVITE retransmissions (as
                // RFC 6026's Accepted state does).
                self.state = ServerState::Accepted { acked: true };
                self.retransmit = None;
                (true, false)
            }
            _ => (false, false),
        }
    }

    /// The caller ended the dialog (a BYE) before its ACK came: the 2xx has nothing
    /// left to establish, so its retransmissions stop and no ACK timeout follows. The
    /// transaction stays until 64*T1 to absorb INVITE retransmissions.
    pub fn on_dialog_ended(&mut self) {
        if self.state == (ServerState::Accepted { acked: false }) {
            self.state = ServerState::Accepted { acked: true };
            self.retransmit = None;
        }
    }

    /// Runs the timers due at `now`.
    pub fn on_timer(&mut self, now: Instant, cfg: &EndpointConfig) -> TimerOutcome {
        if self.deadline.is_some_and(|d| d <= now) {
            return match self.state {
                ServerState::Accepted { acked: false } => TimerOutcome::AckTimeout,
                _ => TimerOutcome::Terminate,
            };
        }
        if let Some(b) = &mut self.retransmit {
            if b.next <= now {
                b.advance(cfg.t2);
                return TimerOutcome::Retransmit;
            }
        }
        TimerOutcome::Idle
    }

    /// The earliest instant any timer of this transaction fires.
    pub fn next_timer(&self) -> Option<Instant> {
        match (self.retransmit.map(|b| b.next), self.deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}
