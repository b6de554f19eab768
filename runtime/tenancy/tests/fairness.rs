//! The acceptance scenario and the fairness promises, in virtual time.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use switchyard_tenancy::{Limits, OutboundQueue};
use switchyard_types::AccountSid;

const MS: Duration = Duration::from_millis(1);

fn sid(n: u8) -> AccountSid {
    AccountSid::from_bytes([n; 16])
}

/// One start the simulated node performed.
#[derive(Debug, Clone, Copy)]
struct Start {
    at: Duration,
    account: AccountSid,
}

/// A node driving the queue on a virtual clock: calls last `call_length`, ended calls
/// are reported before polling, and every poll drains what may start at that instant.
struct Sim {
    queue: OutboundQueue<u32>,
    t0: Instant,
    now: Instant,
    call_length: Duration,
    running: Vec<(Instant, AccountSid)>,
    starts: Vec<Start>,
    /// The test's own model of each account's last start, to judge eligibility.
    last_start: HashMap<AccountSid, Instant>,
}

impl Sim {
    fn new(default_limits: Limits, call_length: Duration) -> Self {
        let t0 = Instant::now();
        Self {
            queue: OutboundQueue::new(default_limits).unwrap(),
            t0,
            now: t0,
            call_length,
            running: Vec::new(),
            starts: Vec::new(),
            last_start: HashMap::new(),
        }
    }

    fn push(&mut self, account: AccountSid, count: u32) {
        for n in 0..count {
            self.queue.push(self.now, account, n);
        }
    }

    /// Whether, by the rules, `account` could start a call right now.
    fn eligible(&self, account: AccountSid) -> bool {
        let limits = self.queue.limits(account);
        let interval = Duration::from_secs_f64(1.0 / limits.calls_per_second);
        self.queue.queued(account) > 0
            && self.queue.active(account) < limits.max_concurrent
            && self
                .last_start
                .get(&account)
                .is_none_or(|last| self.now >= *last + interval)
    }

    /// Reports ended calls, then starts everything the queue allows at `now`, checking
    /// the cap and the interleaving on every start.
    fn tick(&mut self, accounts: &[AccountSid]) {
        let now = self.now;
        let queue = &mut self.queue;
        self.running.retain(|&(end, account)| {
            if end <= now {
                queue.finished(account).unwrap();
            }
            end > now
        });
        while let Some(started) = self.queue.poll(now) {
            let account = started.account;
            let cap = self.queue.limits(account).max_concurrent;
            assert!(self.queue.active(account) <= cap, "cap exceeded");
            if let Some(prev) = self.starts.last() {
                if prev.account == account {
                    for &other in accounts.iter().filter(|&&a| a != account) {
                        assert!(
                            !self.eligible(other),
                            "{account} started twice in a row at {:?} while {other} could start",
                            now - self.t0
                        );
                    }
                }
            }
            self.last_start.insert(account, now);
            self.running.push((now + self.call_length, account));
            self.starts.push(Start {
                at: now - self.t0,
                account,
            });
        }
        // Nothing more may start now: the queue's own deadline must be in the future.
        if let Some(at) = self.queue.poll_timeout(now) {
            assert!(at > now, "poll returned None but poll_timeout says now");
        }
    }

    fn busy(&self, accounts: &[AccountSid]) -> bool {
        !self.running.is_empty() || accounts.iter().any(|&a| self.queue.queued(a) > 0)
    }

    /// Advances in fixed steps until everything queued has started and ended.
    fn run_stepped(&mut self, accounts: &[AccountSid], step: Duration) {
        while self.busy(accounts) {
            self.tick(accounts);
            self.now += step;
        }
    }

    /// Advances straight to the next thing that can happen: a throttle refill the queue
    /// announces or the end of a running call.
    fn run_event_driven(&mut self, accounts: &[AccountSid]) {
        self.tick(accounts);
        while self.busy(accounts) {
            let next_end = self.running.iter().map(|&(end, _)| end).min();
            let next = match (self.queue.poll_timeout(self.now), next_end) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => a.or(b).expect("busy, so something is pending"),
            };
            assert!(next > self.now);
            self.now = next;
            self.tick(accounts);
        }
    }

    fn starts_of(&self, account: AccountSid) -> Vec<Duration> {
        self.starts
            .iter()
            .filter(|s| s.account == account)
            .map(|s| s.at)
            .collect()
    }
}

/// Checks one account's start times against a throttle of `rate` calls per second:
/// over the whole run and over every 1 s window after the first second, the rate is
/// within 10 %; and no two starts are closer than one interval.
fn assert_rate(starts: &[Duration], rate: f64) {
    let first = starts[0];
    let last = *starts.last().unwrap();
    let overall = (starts.len() - 1) as f64 / (last - first).as_secs_f64();
    assert!(
        (overall - rate).abs() <= rate * 0.1,
        "overall rate {overall} not within 10 % of {rate}"
    );
    let interval = Duration::from_secs_f64(1.0 / rate);
    for pair in starts.windows(2) {
        assert!(
            pair[1] - pair[0] >= interval,
            "two starts within {interval:?}"
        );
    }
    let second = Duration::from_secs(1);
    let mut windows = 0;
    for &from in starts.iter().filter(|&&at| at >= first + second) {
        if from + second > last {
            break;
        }
        let count = starts
            .iter()
            .filter(|&&at| at >= from && at < from + second)
            .count() as f64;
        assert!(
            (count - rate).abs() <= rate * 0.1,
            "{count} starts in the 1 s window from {from:?}, not within 10 % of {rate}"
        );
        windows += 1;
    }
    assert!(windows > 0, "the run was too short to measure any window");
}

fn assert_interleaved(sim: &Sim, a: AccountSid, b: AccountSid) {
    // While both have calls queued, their starts alternate.
    let order: Vec<AccountSid> = sim.starts.iter().map(|s| s.account).collect();
    let both = 2 * order
        .iter()
        .filter(|&&x| x == a)
        .count()
        .min(order.iter().filter(|&&x| x == b).count());
    for pair in order[..both].windows(2) {
        assert_ne!(pair[0], pair[1], "starts do not alternate: {order:?}");
    }
}

/// The acceptance scenario: two accounts each submit 100 calls at once with a throttle
/// of 10/s, cap 5, calls lasting 300 ms, on a clock stepping 1 ms.
#[test]
fn two_bursts_interleave_at_their_rate_under_the_cap() {
    let (a, b) = (sid(1), sid(2));
    let mut sim = Sim::new(Limits::new(10.0, 5).unwrap(), 300 * MS);
    sim.push(a, 100);
    sim.push(b, 100);
    assert_eq!(sim.queue.queued(a), 100);
    sim.run_stepped(&[a, b], MS);

    assert_eq!(sim.starts.len(), 200);
    assert_interleaved(&sim, a, b);
    for account in [a, b] {
        let starts = sim.starts_of(account);
        assert_eq!(starts.len(), 100);
        assert_rate(&starts, 10.0);
        assert_eq!(sim.queue.active(account), 0);
    }
}

/// The same scenario driven by `poll_timeout` instead of a fixed step: the rate is then
/// exact, since every start happens the instant the throttle allows it.
#[test]
fn two_bursts_driven_by_poll_timeout_run_at_exactly_the_rate() {
    let (a, b) = (sid(1), sid(2));
    let mut sim = Sim::new(Limits::new(10.0, 5).unwrap(), 300 * MS);
    sim.push(a, 100);
    sim.push(b, 100);
    sim.run_event_driven(&[a, b]);

    assert_interleaved(&sim, a, b);
    for account in [a, b] {
        let starts = sim.starts_of(account);
        assert_eq!(starts.len(), 100);
        assert_eq!(*starts.last().unwrap() - starts[0], 99 * 100 * MS);
        assert_rate(&starts, 10.0);
    }
}

/// A step that does not divide the throttle's interval makes every start a little late;
/// the rate must still hold within 10 %.
#[test]
fn a_coarse_clock_keeps_the_rate_within_ten_percent() {
    let (a, b) = (sid(1), sid(2));
    let mut sim = Sim::new(Limits::new(10.0, 5).unwrap(), 300 * MS);
    sim.push(a, 100);
    sim.push(b, 100);
    sim.run_stepped(&[a, b], 7 * MS);
    assert_interleaved(&sim, a, b);
    for account in [a, b] {
        assert_rate(&sim.starts_of(account), 10.0);
    }
}

/// When calls outlast what the cap allows, the cap is what paces the account: it is
/// reached, never exceeded, and a finished call's slot is reused at once.
#[test]
fn long_calls_fill_the_cap_and_never_exceed_it() {
    let (a, b) = (sid(1), sid(2));
    let mut sim = Sim::new(Limits::new(10.0, 5).unwrap(), 2000 * MS);
    sim.push(a, 30);
    sim.push(b, 30);
    let mut peak = 0;
    while sim.busy(&[a, b]) {
        sim.tick(&[a, b]);
        for account in [a, b] {
            let active = sim.queue.active(account);
            assert!(active <= 5, "cap exceeded: {active}");
            peak = peak.max(active);
            if sim.queue.queued(account) > 0 && active < 5 {
                // Below the cap with calls waiting: only the throttle may hold them.
                assert!(sim.queue.poll_timeout(sim.now).is_some());
            }
        }
        sim.now += MS;
    }
    assert_eq!(peak, 5);
    assert_interleaved(&sim, a, b);
    // The sixth call of each account waits for the first to end, 2 s after it started.
    for account in [a, b] {
        let starts = sim.starts_of(account);
        assert_eq!(starts[5] - starts[0], 2000 * MS);
    }
}

/// A third account arriving while two others are mid-burst gets its first call within
/// one turn: after at most one start of each of the others.
#[test]
fn a_late_account_waits_at_most_one_turn() {
    let (a, b, c) = (sid(1), sid(2), sid(3));
    let accounts = [a, b, c];
    let mut sim = Sim::new(Limits::new(10.0, 5).unwrap(), 300 * MS);
    sim.push(a, 100);
    sim.push(b, 100);
    // Up to 2 s, the instant at which a and b are both due again.
    while sim.now < sim.t0 + 2000 * MS {
        sim.tick(&accounts);
        sim.now += MS;
    }
    assert_eq!(sim.now, sim.t0 + 2000 * MS);
    let before = sim.starts.len();
    sim.push(c, 30);
    sim.tick(&accounts);
    let turn: Vec<AccountSid> = sim.starts[before..].iter().map(|s| s.account).collect();
    // c joins the round that is due now, before b (served last): one turn of a only.
    assert_eq!(turn, vec![a, c, b]);

    sim.run_stepped(&accounts, MS);
    // From then on the three take turns, and c gets its own full rate.
    assert_eq!(sim.starts_of(c).len(), 30);
    assert_rate(&sim.starts_of(c), 10.0);
}

/// One account's burst never delays another account's next call: each sporadic call of
/// a quiet account starts at the instant it is pushed, ahead of the burst's next call.
#[test]
fn a_burst_does_not_delay_a_quiet_account() {
    let (noisy, quiet) = (sid(1), sid(2));
    let mut sim = Sim::new(Limits::new(100.0, 1000).unwrap(), 300 * MS);
    sim.push(noisy, 1000);
    for round in 0..20 {
        // 10 ms per round: the noisy account's throttle is due at every push.
        for _ in 0..10 {
            sim.tick(&[noisy, quiet]);
            sim.now += MS;
        }
        let pushed_at = sim.now - sim.t0;
        let before = sim.starts.len();
        sim.push(quiet, 1);
        sim.tick(&[noisy, quiet]);
        let quiet_start = sim.starts[before..]
            .iter()
            .position(|s| s.account == quiet)
            .unwrap_or_else(|| panic!("round {round}: quiet call did not start"));
        assert_eq!(quiet_start, 0, "round {round}: burst calls went first");
        assert_eq!(sim.starts[before + quiet_start].at, pushed_at);
    }
}
