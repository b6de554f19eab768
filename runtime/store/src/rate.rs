//! The per-account notification rate limit: a token bucket per account, with the time
//! passed in. Notifications over the limit are not written; they are counted, and the
//! count comes back as a summary with the account's next notification that is.
//!
//! Every notification reaches the store through [`crate::Store::put_notification`], so
//! this one limit bounds what any source (a guest's log, a failing webhook, an event
//! sink) can make an account's notification table grow by.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use switchyard_types::AccountSid;

/// How fast an account's notifications may be written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NotificationRate {
    /// Notifications written in a burst (the bucket's size).
    pub burst: u32,
    /// Sustained notifications per second (the bucket's refill).
    pub per_second: f64,
    /// Shortest time between two summaries of dropped notifications of one account.
    pub summary_every: Duration,
}

impl Default for NotificationRate {
    /// A burst of 200, then 10 per second; at most one summary every 10 s.
    fn default() -> Self {
        NotificationRate {
            burst: 200,
            per_second: 10.0,
            summary_every: Duration::from_secs(10),
        }
    }
}

/// What to do with one notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Write it; first write the summary of the account's notifications dropped since
    /// the last summary, if there is one.
    Write(Option<Dropped>),
    /// Over the limit: not written, counted. `first` marks the first drop since the
    /// account's last summary (the moment to say so in the node's log).
    Drop { first: bool },
}

/// Notifications of one account dropped over the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dropped {
    pub(crate) count: u64,
    /// When the first of them was dropped.
    pub(crate) since: Instant,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    /// When `tokens` was last brought up to date.
    at: Instant,
    dropped: u64,
    dropped_since: Option<Instant>,
    last_summary: Option<Instant>,
}

/// Buckets kept before the full, quiet ones are forgotten (a full bucket with nothing
/// dropped is what an account without one gets).
const PRUNE_ABOVE: usize = 1024;

/// The token buckets of every account that wrote notifications lately.
#[derive(Debug)]
pub(crate) struct NotificationLimiter {
    rate: NotificationRate,
    buckets: HashMap<AccountSid, Bucket>,
}

impl NotificationLimiter {
    pub(crate) fn new(rate: NotificationRate) -> Self {
        NotificationLimiter {
            rate,
            buckets: HashMap::new(),
        }
    }

    pub(crate) fn rate(&self) -> NotificationRate {
        self.rate
    }

    /// Decides on one notification of `account` at `now`.
    pub(crate) fn admit(&mut self, account: AccountSid, now: Instant) -> Admission {
        if self.buckets.len() > PRUNE_ABOVE {
            self.prune(now);
        }
        let rate = self.rate;
        let bucket = self.buckets.entry(account).or_insert(Bucket {
            tokens: f64::from(rate.burst),
            at: now,
            dropped: 0,
            dropped_since: None,
            last_summary: None,
        });
        bucket.refill(&rate, now);
        if bucket.tokens < 1.0 {
            bucket.dropped += 1;
            let first = bucket.dropped_since.is_none();
            bucket.dropped_since.get_or_insert(now);
            return Admission::Drop { first };
        }
        bucket.tokens -= 1.0;
        let summary_due = bucket
            .last_summary
            .is_none_or(|last| now.saturating_duration_since(last) >= rate.summary_every);
        let summary = match bucket.dropped_since {
            Some(since) if summary_due => {
                let count = std::mem::take(&mut bucket.dropped);
                bucket.dropped_since = None;
                bucket.last_summary = Some(now);
                Some(Dropped { count, since })
            }
            _ => None,
        };
        Admission::Write(summary)
    }

    fn prune(&mut self, now: Instant) {
        let rate = self.rate;
        self.buckets.retain(|_, b| {
            b.refill(&rate, now);
            b.dropped > 0 || b.tokens < f64::from(rate.burst)
        });
    }
}

impl Bucket {
    fn refill(&mut self, rate: &NotificationRate, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate.per_second).min(f64::from(rate.burst));
        self.at = self.at.max(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate() -> NotificationRate {
        NotificationRate {
            burst: 5,
            per_second: 2.0,
            summary_every: Duration::from_secs(10),
        }
    }

    fn writes(
        limiter: &mut NotificationLimiter,
        account: AccountSid,
        n: usize,
        at: Instant,
    ) -> usize {
        (0..n)
            .filter(|_| matches!(limiter.admit(account, at), Admission::Write(_)))
            .count()
    }

    #[test]
    fn a_burst_is_written_then_the_rest_dropped_until_the_bucket_refills() {
        let t0 = Instant::now();
        let mut limiter = NotificationLimiter::new(rate());
        let account = AccountSid::random();
        assert_eq!(writes(&mut limiter, account, 5, t0), 5);
        assert_eq!(limiter.admit(account, t0), Admission::Drop { first: true });
        assert_eq!(limiter.admit(account, t0), Admission::Drop { first: false });
        // 2 per second: half a second later, one token.
        let t1 = t0 + Duration::from_millis(500);
        assert_eq!(
            limiter.admit(account, t1),
            Admission::Write(Some(Dropped {
                count: 2,
                since: t0
            }))
        );
        assert_eq!(limiter.admit(account, t1), Admission::Drop { first: true });
        // A long quiet time refills the bucket only up to its burst.
        let t2 = t1 + Duration::from_secs(3600);
        assert_eq!(writes(&mut limiter, account, 10, t2), 5);
    }

    #[test]
    fn accounts_have_their_own_buckets() {
        let t0 = Instant::now();
        let mut limiter = NotificationLimiter::new(rate());
        let (noisy, quiet) = (AccountSid::random(), AccountSid::random());
        assert_eq!(writes(&mut limiter, noisy, 50, t0), 5);
        assert_eq!(writes(&mut limiter, quiet, 5, t0), 5);
    }

    #[test]
    fn under_a_steady_flood_summaries_come_at_most_once_per_interval() {
        let t0 = Instant::now();
        let mut limiter = NotificationLimiter::new(rate());
        let account = AccountSid::random();
        let (mut written, mut summaries, mut summarised) = (0, 0, 0);
        // 100 notifications a second for 60 s.
        for i in 0..6000u64 {
            match limiter.admit(account, t0 + Duration::from_millis(i * 10)) {
                Admission::Write(summary) => {
                    written += 1;
                    if let Some(d) = summary {
                        summaries += 1;
                        summarised += d.count;
                    }
                }
                Admission::Drop { .. } => {}
            }
        }
        // The burst, then 2 a second for the remaining 59.99 s.
        assert_eq!(written, 5 + 119);
        // The first drop's summary at the first refill, then one every 10 s.
        assert_eq!(summaries, 6);
        // Every dropped one is either summarised or still counted for the next summary.
        let pending = limiter.buckets[&account].dropped;
        assert_eq!(written + summarised + pending, 6000);
    }

    #[test]
    fn quiet_full_buckets_are_forgotten_and_pending_drops_kept() {
        let t0 = Instant::now();
        let mut limiter = NotificationLimiter::new(rate());
        let noisy = AccountSid::random();
        writes(&mut limiter, noisy, 6, t0);
        for _ in 0..PRUNE_ABOVE {
            limiter.admit(AccountSid::random(), t0);
        }
        let later = t0 + Duration::from_secs(60);
        limiter.admit(AccountSid::random(), later);
        // Only the noisy account (one drop pending) and the newest remain.
        assert_eq!(limiter.buckets.len(), 2);
        assert!(matches!(
            limiter.admit(noisy, later),
            Admission::Write(Some(Dropped { count: 1, .. }))
        ));
    }
}
