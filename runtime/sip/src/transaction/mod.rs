//! Transaction state machines (RFC 3261 §17) and how requests find them.

pub(crate) mod client;
pub(crate) mod invite_client;
pub(crate) mod server;

use crate::{Method, Request, Via, MAGIC_COOKIE};

/// What identifies a server transaction (RFC 3261 §17.2.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum TxKey {
    /// RFC 3261 rule: "the branch parameter in the request is equal to the
    /// one in the top Via header field of the request that created the
    /// transaction, the sent-by value in the top Via of the request is equal
    /// to the one in the request that created the transaction, and the
    /// method of the request matches the one that created the transaction,
    /// except for ACK, where the method of the request that created the
    /// transaction is INVITE."
    Branch {
        branch: String,
        sent_by: String,
        method: Method,
    },
    /// RFC 2543 fallback for branches without the magic cookie: "the
    /// Request-URI, To tag, From tag, Call-ID, CSeq, and top Via header
    /// field match". The To tag is compared separately because the ACK
    /// carries the tag the server added.
    Legacy {
        request_uri: String,
        from_tag: String,
        call_id: String,
        cseq: u32,
        top_via: String,
        method: Method,
    },
}

/// Identifies the dialog-level ACK for a 2xx, which is a new transaction
/// and so carries a new branch: Call-ID, CSeq number, From tag, To tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct AckKey {
    pub call_id: String,
    pub cseq: u32,
    pub from_tag: String,
    pub to_tag: String,
}

/// True when the branch is an RFC 3261 one. A branch that is nothing but
/// the cookie carries no unique part, so it is treated as RFC 2543
/// (RFC 4475 §3.2.1 badbranch).
pub(crate) fn is_rfc3261_branch(branch: &str) -> bool {
    branch.len() > MAGIC_COOKIE.len() && branch.starts_with(MAGIC_COOKIE)
}

/// Builds the key of `req` (ACK and CANCEL map to `as_method` when given).
pub(crate) fn key_for(req: &Request, top: &Via, as_method: Option<Method>) -> Option<TxKey> {
    let method = as_method.unwrap_or_else(|| match req.method {
        Method::Ack => Method::Invite,
        ref m => m.clone(),
    });
    match top.branch() {
        Some(b) if is_rfc3261_branch(b) => Some(TxKey::Branch {
            branch: b.to_string(),
            sent_by: format!(
                "{}:{}",
                top.host.to_ascii_lowercase(),
                top.port.map(|p| p.to_string()).unwrap_or_default()
            ),
            method,
        }),
        _ => {
            let from = req.from_hdr().ok()?;
            let cseq = req.cseq().ok()?;
            let mut via = top.clone();
            via.host.make_ascii_lowercase();
            Some(TxKey::Legacy {
                request_uri: req.uri.clone(),
                from_tag: from.tag().unwrap_or("").to_string(),
                call_id: req.call_id()?.to_string(),
                cseq: cseq.seq,
                top_via: via.to_string(),
                method,
            })
        }
    }
}

impl AckKey {
    /// The dialog the ACK belongs to (its CSeq left out).
    pub fn dialog(&self) -> DialogKey {
        DialogKey {
            call_id: self.call_id.clone(),
            from_tag: self.from_tag.clone(),
            to_tag: self.to_tag.clone(),
        }
    }
}

/// Identifies a dialog from the UAS side: Call-ID, the remote (From) tag and our (To)
/// tag, as any in-dialog request from the caller carries them (RFC 3261 §12.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct DialogKey {
    pub call_id: String,
    pub from_tag: String,
    pub to_tag: String,
}

/// The key the ACK for a 2xx carries (None if a part is missing).
pub(crate) fn ack_key_for(req: &Request) -> Option<AckKey> {
    Some(AckKey {
        call_id: req.call_id()?.to_string(),
        cseq: req.cseq().ok()?.seq,
        from_tag: req.from_hdr().ok()?.tag().unwrap_or("").to_string(),
        to_tag: req.to_hdr().ok()?.tag()?.to_string(),
    })
}
