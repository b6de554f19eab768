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
    /// Client transactions (our BYEs) → Call-ID.
    pub client: HashMap<ClientTxId, String>,
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

    pub fn forget(&mut self, call_id: &str) {
        self.calls.remove(call_id);
        self.invites.retain(|_, c| c != call_id);
        self.client.retain(|_, c| c != call_id);
    }
}
