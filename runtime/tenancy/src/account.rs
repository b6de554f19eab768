//! One account's side of the queue: its limits, throttle, running calls and waiting calls.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use switchyard_types::AccountSid;

use crate::bucket::Throttle;
use crate::{Error, Limits, Ticket};

/// One account's state in the queue.
#[derive(Debug)]
pub(crate) struct Account<T> {
    pub(crate) sid: AccountSid,
    limits: Limits,
    throttle: Throttle,
    active: u32,
    /// Waiting calls, oldest first. Tickets only grow, so this is sorted by ticket and a
    /// ticket is found by binary search.
    waiting: VecDeque<(Ticket, T)>,
}

impl<T> Account<T> {
    /// An account with no calls; `interval` is `limits`' interval, computed once by the
    /// caller when it validated them.
    pub(crate) fn new(sid: AccountSid, limits: Limits, interval: Duration) -> Self {
        Self {
            sid,
            limits,
            throttle: Throttle::new(interval),
            active: 0,
            waiting: VecDeque::new(),
        }
    }

    pub(crate) fn limits(&self) -> Limits {
        self.limits
    }

    /// Replaces the limits; they hold from now on, including for the call waiting on the
    /// throttle right now.
    pub(crate) fn set_limits(&mut self, limits: Limits) -> Result<(), Error> {
        self.throttle.set_interval(limits.interval()?);
        self.limits = limits;
        Ok(())
    }

    pub(crate) fn active(&self) -> u32 {
        self.active
    }

    pub(crate) fn queued(&self) -> usize {
        self.waiting.len()
    }

    pub(crate) fn has_waiting(&self) -> bool {
        !self.waiting.is_empty()
    }

    fn has_room(&self) -> bool {
        self.active < self.limits.max_concurrent
    }

    /// Queues a call behind the account's other waiting calls.
    pub(crate) fn push(&mut self, ticket: Ticket, item: T) {
        debug_assert!(self.waiting.back().is_none_or(|(last, _)| *last < ticket));
        self.waiting.push_back((ticket, item));
    }

    /// Starts the oldest waiting call if the cap and the throttle both allow it at `now`.
    pub(crate) fn start(&mut self, now: Instant) -> Option<(Ticket, T)> {
        if !self.has_room() || !self.throttle.is_ready(now) {
            return None;
        }
        let started = self.waiting.pop_front()?;
        self.throttle.take(now);
        self.active += 1;
        Some(started)
    }

    /// The earliest instant, not before `now`, at which [`Self::start`] can succeed
    /// without anything else happening; `None` if there is nothing to start or the cap
    /// is full (only a finished call can change that, and the node knows when it does).
    pub(crate) fn earliest_start(&self, now: Instant) -> Option<Instant> {
        if !self.has_waiting() || !self.has_room() {
            return None;
        }
        self.throttle.earliest_start(now)
    }

    /// A started call ended and frees its slot.
    pub(crate) fn finished(&mut self) -> Result<(), Error> {
        self.active = self
            .active
            .checked_sub(1)
            .ok_or(Error::NoActiveCall(self.sid))?;
        Ok(())
    }

    fn index_of(&self, ticket: Ticket) -> Option<usize> {
        self.waiting.binary_search_by_key(&ticket, |(t, _)| *t).ok()
    }

    /// How many of this account's calls wait ahead of `ticket`.
    pub(crate) fn position(&self, ticket: Ticket) -> Option<usize> {
        self.index_of(ticket)
    }

    /// Removes a waiting call.
    pub(crate) fn cancel(&mut self, ticket: Ticket) -> Option<T> {
        let index = self.index_of(ticket)?;
        self.waiting.remove(index).map(|(_, item)| item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(rate: f64, cap: u32) -> Account<&'static str> {
        let limits = Limits::new(rate, cap).unwrap();
        Account::new(
            AccountSid::from_bytes([1; 16]),
            limits,
            limits.interval().unwrap(),
        )
    }

    #[test]
    fn starts_in_arrival_order_within_limits() {
        let t0 = Instant::now();
        let mut acct = account(10.0, 2);
        for (n, name) in ["a", "b", "c"].into_iter().enumerate() {
            acct.push(Ticket(n as u64), name);
        }
        assert_eq!(acct.start(t0), Some((Ticket(0), "a")));
        // The throttle holds the next one for 100 ms ...
        assert_eq!(acct.start(t0 + Duration::from_millis(99)), None);
        assert_eq!(
            acct.earliest_start(t0),
            Some(t0 + Duration::from_millis(100))
        );
        let t1 = t0 + Duration::from_millis(100);
        assert_eq!(acct.start(t1), Some((Ticket(1), "b")));
        // ... and the cap of 2 holds the third until a call finishes.
        let t2 = t0 + Duration::from_secs(5);
        assert_eq!(acct.start(t2), None);
        assert_eq!(acct.earliest_start(t2), None);
        acct.finished().unwrap();
        assert_eq!(acct.earliest_start(t2), Some(t2));
        assert_eq!(acct.start(t2), Some((Ticket(2), "c")));
        assert_eq!(acct.active(), 2);
    }

    #[test]
    fn finishing_more_calls_than_started_is_refused() {
        let mut acct = account(1.0, 1);
        assert_eq!(acct.finished(), Err(Error::NoActiveCall(acct.sid)));
        assert_eq!(acct.active(), 0);
    }

    #[test]
    fn cancel_and_position_find_tickets_among_gaps() {
        let mut acct = account(1.0, 1);
        for n in [3, 5, 8, 13] {
            acct.push(Ticket(n), "x");
        }
        assert_eq!(acct.position(Ticket(8)), Some(2));
        assert_eq!(acct.cancel(Ticket(5)), Some("x"));
        assert_eq!(acct.position(Ticket(8)), Some(1));
        assert_eq!(acct.position(Ticket(5)), None);
        assert_eq!(acct.cancel(Ticket(4)), None);
        assert_eq!(acct.queued(), 3);
    }
}
