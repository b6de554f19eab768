//! Non-INVITE client transactions (RFC 3261 §17.1.2).

use std::net::SocketAddr;
use std::time::Instant;

use crate::timers::Backoff;
use crate::{EndpointConfig, Method, Transport};

/// Where a client transaction is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientState {
    /// Request sent, no response yet.
    Trying,
    /// A provisional response arrived.
    Proceeding,
    /// A final response arrived; absorbing its retransmissions (Timer K).
    Completed,
}

/// What the endpoint must do after a client transaction timer ran.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ClientTimer {
    Idle,
    Retransmit,
    /// Timer F: no final response; tell the TU.
    Timeout,
    /// Timer K: done.
    Terminate,
}

/// One client transaction.
#[derive(Debug)]
pub(crate) struct ClientTx {
    pub state: ClientState,
    pub branch: String,
    pub method: Method,
    pub request: Vec<u8>,
    pub transport: Transport,
    pub destination: SocketAddr,
    pub retransmit: Option<Backoff>,
    pub deadline: Instant,
}

impl ClientTx {
    pub fn new(
        now: Instant,
        branch: String,
        method: Method,
        request: Vec<u8>,
        transport: Transport,
        destination: SocketAddr,
        cfg: &EndpointConfig,
    ) -> Self {
        ClientTx {
            state: ClientState::Trying,
            branch,
            method,
            request,
            transport,
            destination,
            // RFC 3261 §17.1.2.2: "If an unreliable transport is in use, the
            // client transaction MUST set timer E to fire in T1 seconds."
            retransmit: (transport == Transport::Udp).then(|| Backoff::start(now, cfg.t1)),
            // "Timer F MUST be set to fire in 64*T1 seconds."
            deadline: now + cfg.t1 * 64,
        }
    }

    /// A response arrived. Returns (deliver to TU, transaction over).
    pub fn on_response(&mut self, now: Instant, status: u16, cfg: &EndpointConfig) -> (bool, bool) {
        match self.state {
            ClientState::Completed => (false, false),
            _ if status < 200 => {
                self.state = ClientState::Proceeding;
                (true, false)
            }
            _ => {
                // RFC 3261 §17.1.2.2: "Once the client transaction enters
                // the "Completed" state, it MUST set Timer K to fire in T4
                // seconds for unreliable transports, and zero seconds for
                // reliable transports."
                self.state = ClientState::Completed;
                self.retransmit = None;
                self.deadline = now + cfg.t4;
                (true, self.transport != Transport::Udp)
            }
        }
    }

    /// Runs the timers due at `now`.
    pub fn on_timer(&mut self, now: Instant, cfg: &EndpointConfig) -> ClientTimer {
        if self.deadline <= now {
            return match self.state {
                ClientState::Completed => ClientTimer::Terminate,
                // RFC 3261 §17.1.2.2: "If Timer F fires while the client
                // transaction is still in the "Trying" state, the client
                // transaction SHOULD inform the TU about the timeout".
                _ => ClientTimer::Timeout,
            };
        }
        let proceeding = self.state == ClientState::Proceeding;
        if let Some(b) = &mut self.retransmit {
            if b.next <= now {
                // "If Timer E fires while in the Proceeding state, the
                // request MUST be passed to the transport layer for
                // retransmission, and Timer E MUST be reset with a value of
                // T2 seconds."
                if proceeding {
                    b.fixed(now, cfg.t2);
                } else {
                    b.advance(cfg.t2);
                }
                return ClientTimer::Retransmit;
            }
        }
        ClientTimer::Idle
    }

    /// The earliest instant any timer of this transaction fires.
    pub fn next_timer(&self) -> Instant {
        self.retransmit
            .map(|b| b.next.min(self.deadline))
            .unwrap_or(self.deadline)
    }
}
