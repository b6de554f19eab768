//! The digest guard: a source that fails too many digests in a short time is blocked for
//! a while, so a scanner cannot guess passwords at line rate. Sans-IO: the caller passes
//! the time.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// How many failures block a source, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuardConfig {
    /// Failures within `window` that block the source.
    pub max_failures: usize,
    /// The sliding window failures are counted in.
    pub window: Duration,
    /// How long a blocked source stays blocked.
    pub block_for: Duration,
    /// The most sources whose recent failures are remembered (a flood of spoofed
    /// sources cannot grow the table past it).
    pub max_sources: usize,
}

impl Default for GuardConfig {
    /// 20 failures in a minute block the source for ten minutes.
    fn default() -> Self {
        GuardConfig {
            max_failures: 20,
            window: Duration::from_secs(60),
            block_for: Duration::from_secs(600),
            max_sources: 100_000,
        }
    }
}

/// What a failure changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardEvent {
    /// The source is now blocked until `until` (raise a notification).
    Blocked {
        /// The source address blocked.
        source: IpAddr,
        /// When the block lapses.
        until: Instant,
    },
}

/// Recent digest failures per source and the sources blocked.
#[derive(Debug)]
pub struct DigestGuard {
    config: GuardConfig,
    failures: HashMap<IpAddr, VecDeque<Instant>>,
    blocked: HashMap<IpAddr, Instant>,
}

impl DigestGuard {
    /// A guard that has seen no failure.
    pub fn new(config: GuardConfig) -> Self {
        DigestGuard {
            config,
            failures: HashMap::new(),
            blocked: HashMap::new(),
        }
    }

    /// Its settings.
    pub fn config(&self) -> &GuardConfig {
        &self.config
    }

    /// Whether `source` is blocked at `now` (an expired block is forgotten).
    pub fn is_blocked(&mut self, source: IpAddr, now: Instant) -> bool {
        match self.blocked.get(&source) {
            Some(until) if now < *until => true,
            Some(_) => {
                self.blocked.remove(&source);
                false
            }
            None => false,
        }
    }

    /// Count a failed digest from `source`; returns the block it caused, if any.
    pub fn failed(&mut self, source: IpAddr, now: Instant) -> Option<GuardEvent> {
        if self.is_blocked(source, now) {
            return None;
        }
        let window = self.config.window;
        if !self.failures.contains_key(&source) && self.failures.len() >= self.config.max_sources {
            self.forget_quiet(now);
            if self.failures.len() >= self.config.max_sources {
                self.evict_oldest();
            }
        }
        let times = self.failures.entry(source).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            times.pop_front();
        }
        times.push_back(now);
        if times.len() < self.config.max_failures {
            return None;
        }
        self.failures.remove(&source);
        let until = now + self.config.block_for;
        self.blocked.insert(source, until);
        if self.blocked.len() > self.config.max_sources {
            self.blocked.retain(|_, u| now < *u);
        }
        Some(GuardEvent::Blocked { source, until })
    }

    /// Sources whose failures all left the window.
    fn forget_quiet(&mut self, now: Instant) {
        let window = self.config.window;
        self.failures.retain(|_, times| {
            times
                .back()
                .is_some_and(|t| now.duration_since(*t) < window)
        });
    }

    fn evict_oldest(&mut self) {
        let oldest = self
            .failures
            .iter()
            .min_by_key(|(_, times)| times.back().copied())
            .map(|(ip, _)| *ip);
        if let Some(ip) = oldest {
            self.failures.remove(&ip);
        }
    }

    /// Sources with failures remembered (for tests and metrics).
    pub fn tracked_sources(&self) -> usize {
        self.failures.len()
    }
}
