//! Every account's calls up at once, whichever way they came: inbound calls, outbound
//! calls started from the [`crate::OutboundQueue`], callers waiting in a queue (a queued
//! caller is a live call). The account's `max_concurrent` cap is checked here for calls
//! that cannot wait (an inbound INVITE is refused, not queued).

use std::collections::HashMap;

use switchyard_types::AccountSid;

/// An inbound call refused: the account already has `active` calls, its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("account {account} has {active} calls up, its cap of {cap}")]
pub struct AtCap {
    pub account: AccountSid,
    pub active: u32,
    pub cap: u32,
}

/// Calls up per account.
#[derive(Debug, Default)]
pub struct ActiveCalls {
    by_account: HashMap<AccountSid, u32>,
}

impl ActiveCalls {
    /// Count a new call of `account` if it has fewer than `cap` up.
    pub fn admit(&mut self, account: AccountSid, cap: u32) -> Result<(), AtCap> {
        let active = self.active(account);
        if active >= cap {
            return Err(AtCap {
                account,
                active,
                cap,
            });
        }
        self.add(account);
        Ok(())
    }

    /// Count a call the cap was already checked for (the outbound queue's).
    pub fn add(&mut self, account: AccountSid) {
        *self.by_account.entry(account).or_default() += 1;
    }

    /// One of `account`'s calls ended.
    pub fn finished(&mut self, account: AccountSid) {
        if let Some(n) = self.by_account.get_mut(&account) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.by_account.remove(&account);
            }
        }
    }

    /// How many of `account`'s calls are up.
    pub fn active(&self, account: AccountSid) -> u32 {
        self.by_account.get(&account).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_counts_every_call_of_the_account_and_frees_on_end() {
        let (a, b) = (AccountSid::random(), AccountSid::random());
        let mut calls = ActiveCalls::default();
        calls.add(a); // an outbound call
        calls.admit(a, 2).unwrap(); // an inbound one
        assert_eq!(
            calls.admit(a, 2),
            Err(AtCap {
                account: a,
                active: 2,
                cap: 2
            })
        );
        // Another account's calls are its own.
        calls.admit(b, 1).unwrap();
        calls.finished(a);
        calls.admit(a, 2).unwrap();
        assert_eq!(calls.active(a), 2);
        calls.finished(a);
        calls.finished(a);
        calls.finished(a); // one too many is harmless
        assert_eq!(calls.active(a), 0);
        assert!(calls.admit(a, 0).is_err(), "a cap of 0 takes no call");
    }
}
