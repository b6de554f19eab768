//! The fair outbound call queue.
//!
//! Fairness is a round robin over the accounts that have waiting calls, kept as a ring
//! (`rotation`) whose front is the cursor. `poll` looks at the front account: if it may
//! start a call, the call starts and the account moves to the back; if not, the account
//! moves to the back and the next one is tried. Moving a skipped account to the back
//! keeps the ring's circular order, so this is exactly a cursor walking a circle, and an
//! account that just started a call is tried last next time.
//!
//! An account that had nothing waiting joins at the end of the current round: just
//! before the account served last, which sits at the back. So it waits at most one turn
//! of the others, newcomers keep their arrival order, and the rule holds without
//! exception: no account starts two calls in a row while another could start one,
//! because every other account in the ring is looked at before the last one served.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use switchyard_types::AccountSid;

use crate::account::Account;
use crate::{Error, Limits, Ticket};

/// A call that [`OutboundQueue::poll`] allows to start now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started<T> {
    /// The ticket [`OutboundQueue::push`] returned for it; it is now spent.
    pub ticket: Ticket,
    /// The account it counts against until [`OutboundQueue::finished`].
    pub account: AccountSid,
    /// What was pushed.
    pub item: T,
}

/// Index of an account in [`OutboundQueue::accounts`]; accounts are never removed, so
/// indexes stay valid.
type Slot = usize;

/// Outbound calls waiting for their account's throttle and cap, served fairly across
/// accounts. `T` is whatever the node needs to place the call.
///
/// Per-account state (limits, throttle, counters) is kept once an account is seen, even
/// when it has nothing queued: forgetting it would refill its throttle early.
#[derive(Debug)]
pub struct OutboundQueue<T> {
    default_limits: Limits,
    default_interval: Duration,
    accounts: Vec<Account<T>>,
    slots: HashMap<AccountSid, Slot>,
    /// Where each waiting call is; a ticket leaves when its call starts or is canceled.
    tickets: HashMap<Ticket, Slot>,
    /// The accounts with at least one waiting call, front = next to try.
    rotation: VecDeque<Slot>,
    /// The account `poll` returned a call for last; while it is in the ring, it is at
    /// the back.
    last_served: Option<Slot>,
    next_ticket: u64,
}

impl<T> OutboundQueue<T> {
    /// An empty queue; accounts without [`Self::set_limits`] get `default_limits`.
    pub fn new(default_limits: Limits) -> Result<Self, Error> {
        Ok(Self {
            default_interval: default_limits.interval()?,
            default_limits,
            accounts: Vec::new(),
            slots: HashMap::new(),
            tickets: HashMap::new(),
            rotation: VecDeque::new(),
            last_served: None,
            next_ticket: 0,
        })
    }

    fn slot(&mut self, account: AccountSid) -> Slot {
        if let Some(&slot) = self.slots.get(&account) {
            return slot;
        }
        let slot = self.accounts.len();
        self.accounts.push(Account::new(
            account,
            self.default_limits,
            self.default_interval,
        ));
        self.slots.insert(account, slot);
        slot
    }

    fn get(&self, account: AccountSid) -> Option<&Account<T>> {
        self.slots.get(&account).map(|&slot| &self.accounts[slot])
    }

    /// Sets one account's throttle and cap. They apply at once: to the call now waiting
    /// on the throttle, and a lowered cap holds new starts until enough calls finish.
    pub fn set_limits(&mut self, account: AccountSid, limits: Limits) -> Result<(), Error> {
        // Checked before `slot` so refused limits leave no trace of the account.
        limits.validate()?;
        let slot = self.slot(account);
        self.accounts[slot].set_limits(limits)
    }

    /// The limits that apply to `account`.
    pub fn limits(&self, account: AccountSid) -> Limits {
        self.get(account)
            .map_or(self.default_limits, |acct| acct.limits())
    }

    /// Queues a call for `account`; it has status `queued` until [`Self::poll`] returns
    /// it. `now` is accepted for symmetry with the other calls and future accounting;
    /// the call's place depends only on arrival order.
    pub fn push(&mut self, _now: Instant, account: AccountSid, item: T) -> Ticket {
        let ticket = Ticket(self.next_ticket);
        self.next_ticket += 1;
        let slot = self.slot(account);
        let acct = &mut self.accounts[slot];
        if !acct.has_waiting() {
            // A newcomer goes ahead of the account served last (see the module comment).
            match self.rotation.back() {
                Some(&back) if Some(back) == self.last_served => {
                    self.rotation.insert(self.rotation.len() - 1, slot);
                }
                _ => self.rotation.push_back(slot),
            }
        }
        acct.push(ticket, item);
        self.tickets.insert(ticket, slot);
        ticket
    }

    /// Removes a call that is still queued (the API canceled it) and returns it; `None`
    /// if the ticket already started or was canceled.
    pub fn cancel(&mut self, ticket: Ticket) -> Option<T> {
        let slot = self.tickets.remove(&ticket)?;
        let acct = &mut self.accounts[slot];
        let item = acct.cancel(ticket);
        debug_assert!(item.is_some(), "a ticket in the index is in its account");
        if !acct.has_waiting() {
            // An account with nothing waiting leaves the ring so `poll` never visits it.
            self.rotation.retain(|&s| s != slot);
        }
        item
    }

    /// The next call allowed to start at `now`, if any: the first account in turn that
    /// has a waiting call, room under its cap and a token in its throttle. The caller
    /// starts it and later reports its end with [`Self::finished`]. Call again until
    /// `None` to drain everything that may start at `now`.
    ///
    /// Cost: O(1) when the account in turn may start, at worst one look at each account
    /// with waiting calls.
    pub fn poll(&mut self, now: Instant) -> Option<Started<T>> {
        for _ in 0..self.rotation.len() {
            let slot = *self.rotation.front()?;
            let acct = &mut self.accounts[slot];
            if let Some((ticket, item)) = acct.start(now) {
                self.rotation.pop_front();
                if acct.has_waiting() {
                    self.rotation.push_back(slot);
                }
                self.tickets.remove(&ticket);
                self.last_served = Some(slot);
                return Some(Started {
                    ticket,
                    account: acct.sid,
                    item,
                });
            }
            // Not this account's moment: the cursor moves on, the ring keeps its order.
            self.rotation.rotate_left(1);
        }
        None
    }

    /// A call that [`Self::poll`] started for `account` ended, freeing one slot of its
    /// cap. Refused if the account has no call running.
    pub fn finished(&mut self, account: AccountSid) -> Result<(), Error> {
        match self.slots.get(&account) {
            Some(&slot) => self.accounts[slot].finished(),
            None => Err(Error::NoActiveCall(account)),
        }
    }

    /// When [`Self::poll`] may next return a call without any [`Self::finished`]: the
    /// earliest throttle refill among accounts with waiting calls and room under their
    /// cap, never earlier than `now` (`now` itself means "poll now"). `None` if nothing is
    /// queued or every waiting account is at its cap.
    pub fn poll_timeout(&self, now: Instant) -> Option<Instant> {
        let mut earliest: Option<Instant> = None;
        for &slot in &self.rotation {
            if let Some(at) = self.accounts[slot].earliest_start(now) {
                if at <= now {
                    return Some(now);
                }
                earliest = Some(earliest.map_or(at, |e| e.min(at)));
            }
        }
        earliest
    }

    /// How many of `account`'s calls are queued.
    pub fn queued(&self, account: AccountSid) -> usize {
        self.get(account).map_or(0, Account::queued)
    }

    /// How many of `account`'s calls started and have not finished.
    pub fn active(&self, account: AccountSid) -> u32 {
        self.get(account).map_or(0, Account::active)
    }

    /// How many calls of the same account are queued ahead of `ticket` (0: it is next
    /// for its account); `None` if it is no longer queued.
    pub fn position(&self, ticket: Ticket) -> Option<usize> {
        let &slot = self.tickets.get(&ticket)?;
        self.accounts[slot].position(ticket)
    }
}
