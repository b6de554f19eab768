//! Overhead of the fair outbound queue (`switchyard_tenancy::OutboundQueue`) next to a
//! plain `VecDeque` holding the same items, timed in the same run.
//!
//! Every account gets limits so loose that `poll` always yields: the figure is the cost
//! of the bookkeeping (tickets, per-account queues, the round-robin ring), not waiting.

use crate::stats::percentile;
use std::collections::VecDeque;
use std::hint::black_box;
use std::time::{Duration, Instant};
use switchyard_tenancy::{Limits, OutboundQueue};
use switchyard_types::AccountSid;

/// Figures of one queue run, nanoseconds per item.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueRun {
    /// Accounts the items were spread over (round robin).
    pub accounts: usize,
    /// Items pushed and dequeued.
    pub items: usize,
    /// `OutboundQueue::push`, p50 and p99 of the per-batch mean.
    pub push_ns: [f64; 2],
    /// `OutboundQueue::poll`, the same.
    pub poll_ns: [f64; 2],
    /// `VecDeque::push_back`, the same.
    pub ref_push_ns: [f64; 2],
    /// `VecDeque::pop_front`, the same.
    pub ref_pop_ns: [f64; 2],
}

/// The `n`-th account of the run: `AC` and 32 hex digits.
fn account(n: usize) -> AccountSid {
    format!("AC{n:032x}")
        .parse()
        .expect("AC + 32 hex digits is an account SID")
}

/// Mean nanoseconds per item of each batch, then p50 and p99 over the batches.
fn batch_percentiles(mut per_item_ns: Vec<f64>) -> [f64; 2] {
    per_item_ns.sort_unstable_by(f64::total_cmp);
    [
        percentile(&per_item_ns, 50.0).unwrap_or(f64::NAN),
        percentile(&per_item_ns, 99.0).unwrap_or(f64::NAN),
    ]
}

/// Pushes `items` items spread over `accounts` accounts, then dequeues them all, timing
/// batches of `batch`; then the same with a `VecDeque`. Returns `None` if the queue
/// did not hand every item back exactly once in per-account order (a broken run).
pub fn run(accounts: usize, items: usize, batch: usize) -> Option<QueueRun> {
    // One start per nanosecond and no practical cap: `poll` never says "wait".
    let loose = Limits::new(1e9, u32::MAX).ok()?;
    let mut q: OutboundQueue<u64> = OutboundQueue::new(loose).ok()?;
    let sids: Vec<AccountSid> = (0..accounts).map(account).collect();
    for &sid in &sids {
        q.set_limits(sid, loose).ok()?;
    }
    // Virtual time, one nanosecond per operation, so the 1 ns throttle is always full.
    let mut now = Instant::now();
    let tick = Duration::from_nanos(1);
    let batch = batch.max(1);

    let mut push = Vec::with_capacity(items / batch + 1);
    let mut i = 0usize;
    while i < items {
        let end = (i + batch).min(items);
        let t = Instant::now();
        for n in i..end {
            now += tick;
            black_box(q.push(now, sids[n % accounts], n as u64));
        }
        push.push(t.elapsed().as_nanos() as f64 / (end - i) as f64);
        i = end;
    }

    let mut poll = Vec::with_capacity(items / batch + 1);
    let mut last_per_account = vec![None::<u64>; accounts];
    let mut got = 0usize;
    while got < items {
        let want = batch.min(items - got);
        let mut out = Vec::with_capacity(want);
        let t = Instant::now();
        for _ in 0..want {
            now += tick;
            match q.poll(now) {
                Some(s) => out.push(s.item),
                None => break,
            }
        }
        poll.push(t.elapsed().as_nanos() as f64 / want as f64);
        if out.len() < want {
            return None;
        }
        // Outside the timed part: each account's items come back in push order.
        for item in out {
            let acct = item as usize % accounts;
            if last_per_account[acct].is_some_and(|prev| prev >= item) {
                return None;
            }
            last_per_account[acct] = Some(item);
        }
        got += want;
    }
    if q.poll(now).is_some() {
        return None;
    }

    let (ref_push, ref_pop) = reference(items, batch);
    Some(QueueRun {
        accounts,
        items,
        push_ns: batch_percentiles(push),
        poll_ns: batch_percentiles(poll),
        ref_push_ns: batch_percentiles(ref_push),
        ref_pop_ns: batch_percentiles(ref_pop),
    })
}

/// The same batches through `VecDeque::push_back` / `pop_front`.
fn reference(items: usize, batch: usize) -> (Vec<f64>, Vec<f64>) {
    let mut d: VecDeque<u64> = VecDeque::new();
    let mut push = Vec::with_capacity(items / batch + 1);
    let mut pop = Vec::with_capacity(items / batch + 1);
    let mut i = 0usize;
    while i < items {
        let end = (i + batch).min(items);
        let t = Instant::now();
        for n in i..end {
            d.push_back(black_box(n as u64));
        }
        push.push(t.elapsed().as_nanos() as f64 / (end - i) as f64);
        i = end;
    }
    while !d.is_empty() {
        let want = batch.min(d.len());
        let t = Instant::now();
        for _ in 0..want {
            black_box(d.pop_front());
        }
        pop.push(t.elapsed().as_nanos() as f64 / want as f64);
    }
    (push, pop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_comes_back_across_many_accounts() {
        let r = run(7, 10_000, 100).expect("a clean run");
        assert_eq!((r.accounts, r.items), (7, 10_000));
        for [p50, p99] in [r.push_ns, r.poll_ns, r.ref_push_ns, r.ref_pop_ns] {
            assert!(p50 > 0.0 && p50 <= p99, "{p50} {p99}");
        }
    }

    #[test]
    fn a_short_last_batch_is_timed_too() {
        assert!(run(1, 1_050, 100).is_some());
    }

    #[test]
    fn batch_percentiles_are_over_batches() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(batch_percentiles(v), [50.0, 99.0]);
    }
}
