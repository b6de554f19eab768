//! The user agent client half of the endpoint: INVITE client transactions,
//! CANCEL, and requests sent without a transaction (the ACK for a 2xx).

use std::net::SocketAddr;
use std::time::Instant;

use super::{Endpoint, Slot};
use crate::events::{ClientTxId, Event, Transmit, Transport};
use crate::transaction::invite_client::{CancelPlan, InviteClientTx, InviteState, InviteTimer};
use crate::{Error, Method, Request, Response};

impl Endpoint {
    /// Sends an INVITE as a client transaction (RFC 3261 §17.1.1): adds the
    /// top Via with a fresh `z9hG4bK` branch and `rport`; over UDP Timer A
    /// retransmits it (T1, doubling) until a response arrives; Timer B
    /// (64*T1) without any response gives [`Event::Timeout`].
    ///
    /// Every response arrives as [`Event::Response`]: 1xx, the first
    /// 3xx-6xx (which the transaction ACKs itself, absorbing its
    /// retransmissions for Timer D), and each 2xx for 64*T1 after the first
    /// (retransmissions and other forks), which the TU must ACK with
    /// [`Endpoint::send_stateless`]. A request that is not an INVITE is
    /// sent as [`Endpoint::send_request`] would.
    pub fn send_invite(
        &mut self,
        now: Instant,
        mut request: Request,
        destination: SocketAddr,
        transport: Transport,
    ) -> ClientTxId {
        if request.method != Method::Invite {
            return self.send_request(now, request, destination, transport);
        }
        let branch = self.stamp_request(&mut request, transport);
        let bytes = request.to_bytes();
        self.transmits.push_back(Transmit {
            transport,
            destination,
            payload: bytes.clone(),
        });
        let id = self.alloc_id();
        let tx = InviteClientTx::new(
            now,
            branch.clone(),
            request,
            bytes,
            transport,
            destination,
            &self.config,
        );
        self.invites.insert(id, tx);
        self.client_index.insert((branch, Method::Invite), id);
        self.touched.push(Slot::Invite(id));
        self.schedule_touched();
        ClientTxId(id)
    }

    /// Cancels a pending INVITE (RFC 3261 §9.1).
    ///
    /// Returns the id of the CANCEL's own client transaction, whose 200 (or
    /// Timeout) arrives as events on that id. If no provisional response has
    /// arrived yet the CANCEL is held and sent when the first one does; if
    /// the INVITE gets a final response (or times out) first, the held
    /// CANCEL is dropped without an event, since the INVITE's outcome
    /// already tells the TU everything. The INVITE's own answer (usually
    /// 487, ACKed by the transaction) arrives as a normal final response.
    /// Returns `Ok(None)` when a CANCEL was already requested for this
    /// INVITE: nothing new is sent.
    ///
    /// Errors: [`Error::CancelTooLate`] once the INVITE has a final
    /// response; [`Error::UnknownTransaction`] if `invite` names no live
    /// INVITE client transaction.
    pub fn cancel(
        &mut self,
        now: Instant,
        invite: ClientTxId,
    ) -> Result<Option<ClientTxId>, Error> {
        let tx = self
            .invites
            .get(&invite.0)
            .ok_or(Error::UnknownTransaction)?;
        // RFC 3261 §9.1: "If the original request has generated a final
        // response, the CANCEL SHOULD NOT be sent, as it is an effective
        // no-op, since CANCEL has no effect on requests that have already
        // generated a final response."
        if !tx.pending() {
            return Err(Error::CancelTooLate);
        }
        if tx.cancel.is_some() {
            return Ok(None);
        }
        let proceeding = tx.state == InviteState::Proceeding;
        let id = self.alloc_id();
        if proceeding {
            self.send_cancel(now, invite.0, id);
        } else if let Some(tx) = self.invites.get_mut(&invite.0) {
            // "If no provisional response has been received, the CANCEL
            // request MUST NOT be sent; rather, the client MUST wait for the
            // arrival of a provisional response before sending the request."
            tx.cancel = Some(CancelPlan::Held(id));
        }
        self.touched.push(Slot::Invite(invite.0));
        self.schedule_touched();
        Ok(Some(ClientTxId(id)))
    }

    /// Sends a request without a transaction: a fresh top Via (new branch,
    /// `rport`), Max-Forwards and User-Agent if absent, one transmission,
    /// no retransmission. For the ACK to a 2xx (RFC 3261 §13.2.2.4: "the
    /// request is passed to the transport layer directly for transmission,
    /// rather than a client transaction"); the TU resends it for each 2xx
    /// retransmission it is given.
    pub fn send_stateless(
        &mut self,
        mut request: Request,
        destination: SocketAddr,
        transport: Transport,
    ) {
        self.stamp_request(&mut request, transport);
        self.transmits.push_back(Transmit {
            transport,
            destination,
            payload: request.to_bytes(),
        });
    }

    /// Sends the CANCEL for INVITE `invite_id` as client transaction
    /// `cancel_id`, on the INVITE's branch, destination and transport.
    fn send_cancel(&mut self, now: Instant, invite_id: u64, cancel_id: u64) {
        let Some(tx) = self.invites.get_mut(&invite_id) else {
            return;
        };
        let request = tx.build_cancel();
        let (branch, destination, transport) = (tx.branch.clone(), tx.destination, tx.transport);
        tx.cancel_sent(now, cancel_id, &self.config);
        self.touched.push(Slot::Invite(invite_id));
        self.start_client(now, cancel_id, branch, &request, destination, transport);
    }

    /// A response matched INVITE client transaction `id`.
    pub(super) fn on_invite_response(&mut self, now: Instant, id: u64, resp: Response) {
        let Some(tx) = self.invites.get_mut(&id) else {
            return;
        };
        self.touched.push(Slot::Invite(id));
        let reaction = tx.on_response(now, &resp, &self.config);
        if reaction.ack {
            if let Some(ack) = tx.ack.clone() {
                self.transmits.push_back(Transmit {
                    transport: tx.transport,
                    destination: tx.destination,
                    payload: ack,
                });
            }
        }
        let held = match tx.cancel {
            Some(CancelPlan::Held(c)) if reaction.first_provisional => Some(c),
            _ => None,
        };
        if reaction.deliver {
            self.events.push_back(Event::Response {
                tx: ClientTxId(id),
                response: resp,
            });
        }
        if let Some(cancel_id) = held {
            self.send_cancel(now, id, cancel_id);
        }
        if reaction.over {
            self.remove_invite(id);
        }
    }

    /// Runs the due timers of INVITE client transaction `id`.
    pub(super) fn invite_timers(&mut self, now: Instant, id: u64) {
        while let Some(tx) = self.invites.get_mut(&id) {
            match tx.on_timer(now) {
                InviteTimer::Idle => break,
                InviteTimer::Retransmit => {
                    let t = Transmit {
                        transport: tx.transport,
                        destination: tx.destination,
                        payload: tx.bytes.clone(),
                    };
                    self.transmits.push_back(t);
                }
                InviteTimer::Timeout => {
                    self.events.push_back(Event::Timeout { tx: ClientTxId(id) });
                    self.remove_invite(id);
                    break;
                }
                InviteTimer::Terminate => {
                    self.remove_invite(id);
                    break;
                }
            }
        }
    }

    fn remove_invite(&mut self, id: u64) {
        if let Some(tx) = self.invites.remove(&id) {
            self.client_index.remove(&(tx.branch, Method::Invite));
        }
    }
}
