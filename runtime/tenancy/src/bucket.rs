//! The per-account throttle.
//!
//! It is a token bucket of capacity 1, refilled continuously at `calls_per_second`. A
//! capacity of 1 means an account that stayed idle does not bank starts: the issue
//! promises "calls started per second", and with a deeper bucket an account idle for a
//! while could start several calls in the same instant, breaking the rate over a short
//! window. With capacity 1 the bucket is full exactly one interval after the last start,
//! so it is kept as that last start instead of a fractional token count: readiness is
//! an exact `Instant` comparison, and `poll_timeout` can name the exact instant.

use std::time::{Duration, Instant};

/// One account's throttle.
#[derive(Debug, Clone)]
pub(crate) struct Throttle {
    interval: Duration,
    last_start: Option<Instant>,
}

impl Throttle {
    /// A full bucket that refills one token per `interval`.
    pub(crate) fn new(interval: Duration) -> Self {
        Self {
            interval,
            last_start: None,
        }
    }

    /// Changes the refill rate. It applies to the token being refilled now as well:
    /// the bucket is full one *new* interval after the last start, so raising the rate
    /// takes effect at once instead of after the old, longer wait.
    pub(crate) fn set_interval(&mut self, interval: Duration) {
        self.interval = interval;
    }

    /// The earliest instant, not before `now`, at which a call may start; `None` if the
    /// bucket would refill beyond what `Instant` can represent (a practically endless
    /// interval).
    pub(crate) fn earliest_start(&self, now: Instant) -> Option<Instant> {
        match self.last_start {
            None => Some(now),
            Some(last) => last.checked_add(self.interval).map(|full| full.max(now)),
        }
    }

    /// Whether the bucket holds a token at `now`.
    pub(crate) fn is_ready(&self, now: Instant) -> bool {
        self.earliest_start(now).is_some_and(|at| at <= now)
    }

    /// Takes the token: a call starts at `now`. The caller checked [`Self::is_ready`].
    pub(crate) fn take(&mut self, now: Instant) {
        debug_assert!(self.is_ready(now));
        self.last_start = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_fresh_bucket_is_full() {
        let now = Instant::now();
        let bucket = Throttle::new(100 * MS);
        assert!(bucket.is_ready(now));
        assert_eq!(bucket.earliest_start(now), Some(now));
    }

    #[test]
    fn refills_one_interval_after_the_last_start() {
        let t0 = Instant::now();
        let mut bucket = Throttle::new(100 * MS);
        bucket.take(t0);
        assert!(!bucket.is_ready(t0));
        assert!(!bucket.is_ready(t0 + 100 * MS - Duration::from_nanos(1)));
        assert!(bucket.is_ready(t0 + 100 * MS));
        assert_eq!(bucket.earliest_start(t0 + 10 * MS), Some(t0 + 100 * MS));
    }

    #[test]
    fn idle_time_does_not_bank_tokens() {
        let t0 = Instant::now();
        let mut bucket = Throttle::new(100 * MS);
        bucket.take(t0);
        // Idle for ten intervals, then one start: the next still waits a full interval.
        let late = t0 + 1000 * MS;
        bucket.take(late);
        assert!(!bucket.is_ready(late + 99 * MS));
        assert!(bucket.is_ready(late + 100 * MS));
    }

    #[test]
    fn a_new_rate_applies_to_the_token_being_refilled() {
        let t0 = Instant::now();
        let mut bucket = Throttle::new(1000 * MS);
        bucket.take(t0);
        bucket.set_interval(200 * MS);
        assert_eq!(bucket.earliest_start(t0), Some(t0 + 200 * MS));
    }

    #[test]
    fn an_unrepresentable_refill_is_never() {
        let t0 = Instant::now();
        let mut bucket = Throttle::new(Duration::MAX);
        bucket.take(t0);
        assert_eq!(bucket.earliest_start(t0), None);
        assert!(!bucket.is_ready(t0));
    }
}
