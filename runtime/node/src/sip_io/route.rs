//! Which call session each dialog and transaction belongs to.

use std::collections::HashMap;

use switchyard_sip::{ClientTxId, ServerTxId};

use crate::session::SessionInput;

use super::CallRoutes;

#[derive(Debug, Default)]
pub(super) struct Routes {
    /// Call-ID → the session's input queue.
    pub calls: CallRoutes,
    /// The INVITE server transaction of each call (for CANCEL and ACK timeouts).
    pub invites: HashMap<ServerTxId, String>,
    /// Client transactions (our BYEs) → Call-ID; removed when their final outcome
    /// (a final response or Timer F) arrives, which the endpoint always produces.
    pub client: HashMap<ClientTxId, String>,
    /// Call-ID → its INVITE transaction, so forgetting a call costs no scan.
    pub invite_of: HashMap<String, ServerTxId>,
    /// Our outbound INVITEs: transaction → Call-ID and back.
    pub outbound: HashMap<ClientTxId, String>,
    pub outbound_of: HashMap<String, ClientTxId>,
}

impl Routes {
    pub fn send(&mut self, call_id: &str, input: SessionInput) {
        if let Some(tx) = self.calls.get(call_id) {
            if tx.send(input).is_err() {
                // The session has ended between its last command and now.
                self.calls.remove(call_id);
            }
        }
    }

    pub fn add_call(
        &mut self,
        call_id: String,
        invite: ServerTxId,
        session: tokio::sync::mpsc::UnboundedSender<SessionInput>,
    ) {
        self.calls.insert(call_id.clone(), session);
        self.invites.insert(invite, call_id.clone());
        self.invite_of.insert(call_id, invite);
    }

    pub fn add_outbound(
        &mut self,
        call_id: String,
        invite: ClientTxId,
        session: tokio::sync::mpsc::UnboundedSender<SessionInput>,
    ) {
        self.calls.insert(call_id.clone(), session);
        self.outbound.insert(invite, call_id.clone());
        self.outbound_of.insert(call_id, invite);
    }

    pub fn outbound_invite(&self, call_id: &str) -> Option<ClientTxId> {
        self.outbound_of.get(call_id).copied()
    }

    /// The call whose outbound INVITE is `tx`.
    pub fn invite_call(&self, tx: ClientTxId) -> Option<String> {
        self.outbound.get(&tx).cloned()
    }

    pub fn forget(&mut self, call_id: &str) {
        self.calls.remove(call_id);
        if let Some(tx) = self.invite_of.remove(call_id) {
            self.invites.remove(&tx);
        }
        if let Some(tx) = self.outbound_of.remove(call_id) {
            self.outbound.remove(&tx);
        }
    }
}
