//! The per-account concurrent-call cap (`max_concurrent_calls`) for every call, not only
//! the outbound calls the outbound queue holds back: an inbound call past the cap is
//! refused with 503 and `Retry-After` (it cannot wait), and a notification says why.
//! Callers waiting in a queue are live calls and count like any other.

use std::sync::{Arc, Mutex};

use switchyard_sip::{Request, Response};
use switchyard_store::Repository;
use switchyard_tenancy::ActiveCalls;
use switchyard_types::AccountSid;

use crate::shared::Shared;

/// Twilio's "Too Many Requests": the account is past one of its limits.
const AT_CAP: u32 = 20429;

/// How long a caller refused at the cap is asked to wait before trying again.
const RETRY_AFTER_SECS: u32 = 5;

/// The account's count of calls up.
pub type AccountCalls = Arc<Mutex<ActiveCalls>>;

fn lock(calls: &AccountCalls) -> std::sync::MutexGuard<'_, ActiveCalls> {
    calls.lock().unwrap_or_else(|e| e.into_inner())
}

/// One call counted against its account's cap until dropped.
#[derive(Debug)]
pub struct CallSlot {
    calls: AccountCalls,
    account: AccountSid,
}

impl Drop for CallSlot {
    fn drop(&mut self) {
        lock(&self.calls).finished(self.account);
    }
}

/// Count an outbound call (the outbound queue already kept it under the cap).
pub fn outbound(shared: &Shared, account: AccountSid) -> CallSlot {
    lock(&shared.account_calls).add(account);
    CallSlot {
        calls: shared.account_calls.clone(),
        account,
    }
}

/// Admit an inbound call of `account`, or the 503 that refuses it (with a notification).
pub fn inbound(
    shared: &Shared,
    account: AccountSid,
    invite: &Request,
) -> Result<CallSlot, Response> {
    let cap = match shared.store.account(account) {
        Ok(Some(a)) => a.max_concurrent_calls,
        _ => u32::MAX,
    };
    let admitted = lock(&shared.account_calls).admit(account, cap);
    match admitted {
        Ok(()) => Ok(CallSlot {
            calls: shared.account_calls.clone(),
            account,
        }),
        Err(at_cap) => {
            shared.metrics.rejected(crate::metrics::reason::ACCOUNT_CAP);
            shared.notify(
                account,
                None,
                AT_CAP,
                false,
                format!("inbound call refused with 503: {at_cap} (max_concurrent_calls)"),
                None,
            );
            // RFC 3261 §21.5.4: 503 "The server MAY indicate when the client should
            // retry the request in a Retry-After header field."
            let mut response = Response::to_request(invite, 503, "Service Unavailable");
            response
                .headers
                .push("Retry-After", RETRY_AFTER_SECS.to_string());
            Err(response)
        }
    }
}
