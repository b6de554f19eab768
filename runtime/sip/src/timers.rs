//! Retransmission back-off shared by Timers A/E/G and 2xx retransmission.

use std::time::{Duration, Instant};

/// A retransmission schedule: fires at `next`, then doubles its interval up
/// to a cap (RFC 3261 §17.1.2.2, §17.2.1, §13.3.1.4).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    pub next: Instant,
    pub interval: Duration,
}

impl Backoff {
    /// First retransmission one `t1` after `now`.
    pub fn start(now: Instant, t1: Duration) -> Self {
        Backoff {
            next: now + t1,
            interval: t1,
        }
    }

    /// Advances past a firing: the next interval is `min(2 * interval, cap)`.
    /// Scheduling from `next` rather than from the wall time keeps the
    /// series exact even if the caller wakes late.
    pub fn advance(&mut self, cap: Duration) {
        self.interval = (self.interval * 2).min(cap);
        self.next += self.interval;
    }

    /// Switches to a fixed interval (Timer E in Proceeding uses T2).
    pub fn fixed(&mut self, now: Instant, interval: Duration) {
        self.interval = interval;
        self.next = now + interval;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_cap() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut b = Backoff::start(t0, ms(500));
        let mut fires = vec![b.next - t0];
        for _ in 0..5 {
            b.advance(ms(4000));
            fires.push(b.next - t0);
        }
        assert_eq!(
            fires,
            [ms(500), ms(1500), ms(3500), ms(7500), ms(11500), ms(15500)]
        );
    }
}
