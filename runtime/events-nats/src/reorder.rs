//! Live messages back in stream order.
//!
//! The server republishes stored messages to the live subject, but messages stored from
//! different connections can reach a subscriber out of sequence (seen: 9, 11, 12, 13,
//! 10). Subscribers' cursors drop any id at or below the last one they sent, so an event
//! delivered late would be lost to them: the live path must deliver in sequence order.
//! Sans-IO: time comes in as an argument.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How long a missing sequence number is waited for before it is read from the stream
/// (a message the server never republished to this node: a reconnect, a slow
/// subscription); one the stream no longer has is skipped, and subscribers can resume
/// past it with replay.
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
    next: u64,
    held: BTreeMap<u64, T>,
    /// When the oldest held message arrived.
    since: Option<Instant>,
}

impl<T> Reorder<T> {
    /// A buffer whose first message is `next`: what a node connecting to a stream whose
    /// last sequence is `next - 1` receives first. A start taken from the first message
    /// to arrive would make late a predecessor it overtook.
    pub fn starting_at(next: u64) -> Self {
        Self {
            next,
            held: BTreeMap::new(),
            since: None,
        }
    }

    /// Take message `seq`.
    pub fn push(&mut self, seq: u64, item: T, now: Instant) -> Pushed<T> {
        if seq < self.next {
            return Pushed::Behind(item);
        }
        self.held.insert(seq, item);
        self.since.get_or_insert(now);
        Pushed::Ready(self.drain(now))
    }

    /// Start over at `seq` (the stream was made anew), dropping what was held.
    pub fn restart(&mut self, seq: u64) {
        *self = Self::starting_at(seq);
    }

    /// When [`Reorder::expire`] must be called (something is held).
    pub fn deadline(&self) -> Option<Instant> {
        self.since.map(|t| t + WAIT)
    }

    /// The numbers waited for: from the next expected one up to the oldest held one
    /// (empty when nothing is held).
    pub fn missing(&self) -> std::ops::Range<u64> {
        match self.held.first_key_value() {
            Some((&first, _)) => self.next..first,
            None => 0..0,
        }
    }

    /// The wait for a missing number is over: skip to the oldest held one and release
    /// what follows it in order.
    pub fn expire(&mut self, now: Instant) -> Vec<T> {
        if self.deadline().is_none_or(|d| now < d) {
            return Vec::new();
        }
        if let Some((&first, _)) = self.held.first_key_value() {
            self.next = first;
        }
        self.drain(now)
    }

    fn drain(&mut self, now: Instant) -> Vec<T> {
        let mut out = Vec::new();
        while let Some(item) = self.held.remove(&self.next) {
            out.push(item);
            self.next += 1;
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

/// Fill the hole from another source (the stream itself): `read` each missing number
/// in order, at most `max`, and `deliver` what each releases; stops at the first the
/// source does not have (then `expire` skips it). Returns how many were read.
pub async fn fill<T, F, R>(
    order: &mut Reorder<T>,
    now: Instant,
    max: u64,
    mut read: R,
    mut deliver: impl FnMut(T),
) -> u64
where
    R: FnMut(u64) -> F,
    F: std::future::Future<Output = Option<T>>,
{
    let missing = order.missing();
    let mut filled = 0;
    for seq in missing.start..missing.end.min(missing.start.saturating_add(max)) {
        let Some(item) = read(seq).await else { break };
        filled += 1;
        if let Pushed::Ready(ready) = order.push(seq, item, now) {
            ready.into_iter().for_each(&mut deliver);
        }
    }
    filled
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
        let mut r = Reorder::starting_at(9);
        assert_eq!(ready(r.push(9, 9, t0)), vec![9]);
        assert!(ready(r.push(11, 11, t0)).is_empty());
        assert!(ready(r.push(12, 12, t0)).is_empty());
        assert_eq!(r.deadline(), Some(t0 + WAIT));
        assert_eq!(ready(r.push(10, 10, t0)), vec![10, 11, 12]);
        assert_eq!(r.deadline(), None);
        assert_eq!(ready(r.push(13, 13, t0)), vec![13]);
    }

    #[test]
    fn a_message_overtaken_at_the_start_still_goes_out_first() {
        let t0 = Instant::now();
        let mut r = Reorder::starting_at(1);
        assert!(ready(r.push(2, 2, t0)).is_empty());
        assert_eq!(r.missing(), 1..2);
        assert_eq!(ready(r.push(1, 1, t0)), vec![1, 2]);
        // Stored before the node connected: not this node's to deliver live.
        let mut r = Reorder::starting_at(8);
        assert_eq!(r.push(7, 7, t0), Pushed::Behind(7));
        assert_eq!(ready(r.push(8, 8, t0)), vec![8]);
    }

    #[test]
    fn the_missing_numbers_are_those_before_the_oldest_held() {
        let t0 = Instant::now();
        let mut r = Reorder::starting_at(5);
        assert!(r.missing().is_empty());
        ready(r.push(5, 5, t0));
        assert!(r.missing().is_empty());
        assert!(ready(r.push(9, 9, t0)).is_empty());
        assert!(ready(r.push(8, 8, t0)).is_empty());
        assert_eq!(r.missing(), 6..8);
        // Filled from the stream, they release what was held after them.
        assert_eq!(ready(r.push(6, 6, t0)), vec![6]);
        assert_eq!(r.missing(), 7..8);
        assert_eq!(ready(r.push(7, 7, t0)), vec![7, 8, 9]);
        assert!(r.missing().is_empty());
        assert_eq!(r.deadline(), None);
    }

    fn stream(have: &[u64]) -> impl FnMut(u64) -> std::future::Ready<Option<u64>> + '_ {
        move |seq| std::future::ready(have.contains(&seq).then_some(seq))
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut f = std::pin::pin!(f);
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("the test source never waits"),
        }
    }

    #[test]
    fn a_hole_is_filled_from_the_stream_in_order_before_what_follows_it() {
        let t0 = Instant::now();
        let mut r = Reorder::starting_at(1);
        ready(r.push(1, 1, t0));
        assert!(ready(r.push(5, 5, t0)).is_empty());
        let mut out = Vec::new();
        let n = block_on(fill(&mut r, t0, 100, stream(&[2, 3, 4]), |x| out.push(x)));
        assert_eq!((n, out), (3, vec![2, 3, 4, 5]));
        assert_eq!(r.deadline(), None);
        // A late live copy of a filled one is not delivered twice.
        assert_eq!(r.push(3, 3, t0), Pushed::Behind(3));
    }

    #[test]
    fn filling_stops_where_the_stream_has_nothing_and_at_its_bound() {
        let t0 = Instant::now();
        let mut r = Reorder::starting_at(1);
        ready(r.push(1, 1, t0));
        assert!(ready(r.push(6, 6, t0)).is_empty());
        let mut out = Vec::new();
        // 3 is past retention: 2 goes out and filling stops there; `expire` then skips
        // 3 to 5.
        let n = block_on(fill(&mut r, t0, 100, stream(&[2, 4, 5]), |x| out.push(x)));
        assert_eq!((n, &out[..]), (1, &[2][..]));
        assert_eq!(r.expire(t0 + WAIT), vec![6]);
        let mut r = Reorder::starting_at(1);
        ready(r.push(1, 1, t0));
        assert!(ready(r.push(10, 10, t0)).is_empty());
        let mut out = Vec::new();
        let n = block_on(fill(
            &mut r,
            t0,
            3,
            stream(&[2, 3, 4, 5, 6, 7, 8, 9]),
            |x| out.push(x),
        ));
        assert_eq!((n, out), (3, vec![2, 3, 4]));
        assert_eq!(r.missing(), 5..10);
    }

    #[test]
    fn a_number_that_never_comes_is_skipped_after_the_wait() {
        let t0 = Instant::now();
        let mut r = Reorder::starting_at(1);
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
