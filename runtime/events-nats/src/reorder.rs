//! Live messages back in stream order.
//!
//! The server republishes stored messages to the live subject, but messages stored from
//! different connections can reach a subscriber out of sequence (seen: 9, 11, 12, 13,
//! 10). Subscribers' cursors drop any id at or below the last one they sent, so an event
//! delivered late would be lost to them: the live path must deliver in sequence order.
//! Sans-IO: time comes in as an argument.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How long a missing sequence number is waited for before the ones after it go out
/// (a message the server never republishes, e.g. to a slow subscription; subscribers
/// can resume past it with replay).
pub const WAIT: Duration = Duration::from_millis(50);

/// What `push` made of a message.
#[derive(Debug, PartialEq, Eq)]
pub enum Pushed<T> {
    /// In order: these go out now (the message and any held ones after it).
    Ready(Vec<T>),
    /// A sequence number lower than the next expected one: late past its wait, or the
    /// stream was made anew (sequence 1 again).
    Behind(T),
}

/// The reordering buffer of one live subscription.
#[derive(Debug)]
pub struct Reorder<T> {
    next: Option<u64>,
    held: BTreeMap<u64, T>,
    /// When the oldest held message arrived.
    since: Option<Instant>,
}

impl<T> Default for Reorder<T> {
    fn default() -> Self {
        Self {
            next: None,
            held: BTreeMap::new(),
            since: None,
        }
    }
}

impl<T> Reorder<T> {
    /// Take message `seq`.
    pub fn push(&mut self, seq: u64, item: T, now: Instant) -> Pushed<T> {
        let next = *self.next.get_or_insert(seq);
        if seq < next {
            return Pushed::Behind(item);
        }
        self.held.insert(seq, item);
        self.since.get_or_insert(now);
        Pushed::Ready(self.drain(now))
    }

    /// Start over at `seq` (the stream was made anew), dropping what was held.
    pub fn restart(&mut self, seq: u64) {
        self.held.clear();
        self.since = None;
        self.next = Some(seq);
    }

    /// When [`Reorder::expire`] must be called (something is held).
    pub fn deadline(&self) -> Option<Instant> {
        self.since.map(|t| t + WAIT)
    }

    /// The wait for a missing number is over: skip to the oldest held one and release
    /// what follows it in order.
    pub fn expire(&mut self, now: Instant) -> Vec<T> {
        if self.deadline().is_none_or(|d| now < d) {
            return Vec::new();
        }
        if let Some((&first, _)) = self.held.first_key_value() {
            self.next = Some(first);
        }
        self.drain(now)
    }

    fn drain(&mut self, now: Instant) -> Vec<T> {
        let mut out = Vec::new();
        while let Some(next) = self.next {
            let Some(item) = self.held.remove(&next) else {
                break;
            };
            out.push(item);
            self.next = Some(next + 1);
        }
        // The wait restarts for whatever is still held once something went out.
        if self.held.is_empty() {
            self.since = None;
        } else if !out.is_empty() {
            self.since = Some(now);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready<T>(p: Pushed<T>) -> Vec<T> {
        match p {
            Pushed::Ready(v) => v,
            Pushed::Behind(_) => panic!("behind"),
        }
    }

    #[test]
    fn out_of_order_messages_go_out_in_sequence() {
        let t0 = Instant::now();
        let mut r = Reorder::default();
        assert_eq!(ready(r.push(9, 9, t0)), vec![9]);
        assert!(ready(r.push(11, 11, t0)).is_empty());
        assert!(ready(r.push(12, 12, t0)).is_empty());
        assert_eq!(r.deadline(), Some(t0 + WAIT));
        assert_eq!(ready(r.push(10, 10, t0)), vec![10, 11, 12]);
        assert_eq!(r.deadline(), None);
        assert_eq!(ready(r.push(13, 13, t0)), vec![13]);
    }

    #[test]
    fn a_number_that_never_comes_is_skipped_after_the_wait() {
        let t0 = Instant::now();
        let mut r = Reorder::default();
        ready(r.push(1, 1, t0));
        assert!(ready(r.push(3, 3, t0)).is_empty());
        assert!(r.expire(t0 + WAIT / 2).is_empty());
        assert_eq!(r.expire(t0 + WAIT), vec![3]);
        // Late now: it cannot go out without breaking the order.
        assert_eq!(r.push(2, 2, t0 + WAIT), Pushed::Behind(2));
        r.restart(1);
        assert_eq!(ready(r.push(1, 1, t0 + WAIT)), vec![1]);
    }
}
