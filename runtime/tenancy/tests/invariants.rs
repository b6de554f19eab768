//! A randomized run against a simple model: whatever the mix of pushes, cancels, limits
//! and call lengths, the cap and throttle hold, nobody is skipped, positions match, and
//! every call is started or canceled exactly once.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use switchyard_tenancy::{Limits, OutboundQueue, Ticket};
use switchyard_types::AccountSid;

/// A small deterministic generator (xorshift64*), so failures replay.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Model {
    limits: Limits,
    interval: Duration,
    waiting: VecDeque<Ticket>,
    active: u32,
    last_start: Option<Instant>,
}

impl Model {
    fn eligible(&self, now: Instant) -> bool {
        !self.waiting.is_empty()
            && self.active < self.limits.max_concurrent
            && self.last_start.is_none_or(|t| now >= t + self.interval)
    }
}

fn run(seed: u64) {
    let mut rng = Rng(seed);
    let t0 = Instant::now();
    let mut now = t0;
    let accounts: Vec<AccountSid> = (1..=5).map(|n| AccountSid::from_bytes([n; 16])).collect();
    let mut queue = OutboundQueue::new(Limits::default()).unwrap();
    let mut models: HashMap<AccountSid, Model> = HashMap::new();
    for (i, &account) in accounts.iter().enumerate() {
        let limits = Limits::new([0.5, 2.0, 5.0, 10.0, 40.0][i], [1, 2, 3, 8, 1000][i]).unwrap();
        queue.set_limits(account, limits).unwrap();
        models.insert(
            account,
            Model {
                limits,
                interval: Duration::from_secs_f64(1.0 / limits.calls_per_second),
                waiting: VecDeque::new(),
                active: 0,
                last_start: None,
            },
        );
    }
    let mut running: Vec<(Instant, AccountSid)> = Vec::new();
    let mut outcome: HashMap<Ticket, &'static str> = HashMap::new();
    let mut last_account = None;

    for _ in 0..20_000 {
        // Some random traffic: pushes, cancels, nothing.
        match rng.below(10) {
            0..=2 => {
                let account = accounts[rng.below(5) as usize];
                let ticket = queue.push(now, account, ());
                models.get_mut(&account).unwrap().waiting.push_back(ticket);
                outcome.insert(ticket, "queued");
            }
            3 => {
                let account = accounts[rng.below(5) as usize];
                let model = models.get_mut(&account).unwrap();
                if !model.waiting.is_empty() {
                    let at = rng.below(model.waiting.len() as u64) as usize;
                    let ticket = model.waiting.remove(at).unwrap();
                    assert_eq!(queue.cancel(ticket), Some(()));
                    assert_eq!(outcome.insert(ticket, "canceled"), Some("queued"));
                }
            }
            _ => {}
        }
        // Calls that ended.
        running.retain(|&(end, account)| {
            if end <= now {
                queue.finished(account).unwrap();
                models.get_mut(&account).unwrap().active -= 1;
            }
            end > now
        });
        // Everything that may start now.
        while let Some(started) = queue.poll(now) {
            let account = started.account;
            if last_account == Some(account) {
                for other in accounts.iter().filter(|&&a| a != account) {
                    assert!(!models[other].eligible(now), "{other} was skipped");
                }
            }
            let model = models.get_mut(&account).unwrap();
            assert!(model.eligible(now), "{account} started beyond its limits");
            assert_eq!(model.waiting.pop_front(), Some(started.ticket), "order");
            model.active += 1;
            model.last_start = Some(now);
            assert!(queue.active(account) <= model.limits.max_concurrent);
            assert_eq!(outcome.insert(started.ticket, "started"), Some("queued"));
            last_account = Some(account);
            let length = Duration::from_millis(1 + rng.below(3000));
            running.push((now + length, account));
        }
        // Drained: nobody the model calls eligible was left behind, and the deadline
        // is the model's earliest refill among accounts with work and room.
        let mut expected_deadline: Option<Instant> = None;
        for account in &accounts {
            let model = &models[account];
            assert!(!model.eligible(now), "{account} left behind");
            assert_eq!(queue.queued(*account), model.waiting.len());
            assert_eq!(queue.active(*account), model.active);
            // Positions of a few tickets (all of them would make the run quadratic).
            let len = model.waiting.len();
            for at in [0, len / 3, len / 2, len.saturating_sub(1)]
                .into_iter()
                .filter(|&at| at < len)
            {
                assert_eq!(queue.position(model.waiting[at]), Some(at));
            }
            if !model.waiting.is_empty() && model.active < model.limits.max_concurrent {
                let due = model.last_start.expect("not eligible yet has room") + model.interval;
                expected_deadline = Some(expected_deadline.map_or(due, |d| d.min(due)));
            }
        }
        assert_eq!(queue.poll_timeout(now), expected_deadline);
        now += Duration::from_millis(1 + rng.below(20));
    }
    let started = outcome.values().filter(|&&o| o == "started").count();
    assert!(
        started > 1000,
        "the run exercised too little: {started} starts"
    );
}

#[test]
fn random_traffic_respects_every_rule() {
    for seed in [1, 0x5eed, 0xdead_beef, 42_424_242] {
        run(seed);
    }
}
