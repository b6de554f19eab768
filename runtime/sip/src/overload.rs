//! Admission of new INVITEs: a UAS past its capacity refuses new calls at once with
//! `503 Service Unavailable` and `Retry-After`, so the calls it already holds keep
//! their quality and the callers it cannot serve learn so early.
//!
//! RFC 3261 §21.5.4: "The server is temporarily unable to process the request due to a
//! temporary overloading or maintenance of the server. The server MAY indicate when the
//! client should retry the request in a Retry-After header field."
//!
//! Sans-IO: the node measures (the scheduling delay of a probe task on its runtime, the
//! calls admitted but not yet answered, the media ports left) and asks for a [`Verdict`]
//! per new INVITE. The decision has hysteresis: shedding starts when a measurement passes
//! its limit and stops only once every measurement is back under half its limit (ports:
//! twice the reserve) and `hold` has passed, so the node does not flap between the two
//! at the edge of its capacity.

use std::time::{Duration, Instant};

/// The limits of [`Admission`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OverloadConfig {
    /// Off: every INVITE is admitted.
    pub enabled: bool,
    /// Shed while the runtime's scheduling delay (smoothed) is above this.
    pub max_lag: Duration,
    /// Shed while more calls than this are admitted and not yet answered.
    pub max_setups: usize,
    /// Shed while fewer media port pairs (RTP and RTCP, one per call) than this are
    /// free: an admitted call that finds none is refused anyway, after a session was
    /// spent on it.
    pub min_free_ports: usize,
    /// How often the node's probe samples the delay; a probe overdue by more than its
    /// period is itself a delay (the runtime is too busy to run it).
    pub probe_period: Duration,
    /// Shedding lasts at least this long once started.
    pub hold: Duration,
    /// Seconds put in `Retry-After` (RFC 3261 §20.33: "a non-negative integer").
    pub retry_after_secs: u32,
}

impl Default for OverloadConfig {
    fn default() -> Self {
        OverloadConfig {
            enabled: true,
            max_lag: Duration::from_millis(30),
            max_setups: 2_000,
            min_free_ports: 1,
            probe_period: Duration::from_millis(10),
            hold: Duration::from_millis(100),
            retry_after_secs: 1,
        }
    }
}

/// What to do with a new INVITE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Spend a session on it.
    Admit,
    /// Answer `503 Service Unavailable` with `Retry-After: retry_after_secs`.
    Reject {
        /// The `Retry-After` value, in seconds.
        retry_after_secs: u32,
    },
}

/// Why the node sheds (for logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pressure {
    /// The runtime's scheduling delay passed `max_lag`.
    Lag,
    /// Calls awaiting their answer passed `max_setups`.
    Setups,
    /// Fewer than `min_free_ports` media ports are left.
    Ports,
}

/// What the node measured when a new INVITE arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Load {
    /// Admitted calls that await their final answer.
    pub setups: usize,
    /// Media port pairs free for new calls.
    pub free_ports: usize,
}

/// The admission decision for new INVITEs (see the module documentation).
#[derive(Debug)]
pub struct Admission {
    config: OverloadConfig,
    /// Smoothed scheduling delay of the probe.
    lag: Duration,
    /// When the probe last reported.
    last_probe: Option<Instant>,
    /// Since when the node sheds, and why it started.
    shedding: Option<(Instant, Pressure)>,
    rejections: u64,
}

/// Weight of a new lag sample in the moving average (1/4: a sustained delay shows
/// within a few probe periods, a single late wake-up moves the average by a quarter).
const LAG_WEIGHT: u32 = 4;

impl Admission {
    /// A node that has measured nothing yet admits.
    pub fn new(config: OverloadConfig) -> Self {
        Admission {
            config,
            lag: Duration::ZERO,
            last_probe: None,
            shedding: None,
            rejections: 0,
        }
    }

    /// The limits.
    pub fn config(&self) -> &OverloadConfig {
        &self.config
    }

    /// The probe woke at `now`, `lag` after it asked to.
    pub fn probe(&mut self, now: Instant, lag: Duration) {
        self.lag = (self.lag * (LAG_WEIGHT - 1) + lag) / LAG_WEIGHT;
        self.last_probe = Some(now);
    }

    /// The scheduling delay as known at `now`: the smoothed samples, or how overdue
    /// the probe is if that is more.
    pub fn lag(&self, now: Instant) -> Duration {
        let overdue = self.last_probe.map_or(Duration::ZERO, |at| {
            now.saturating_duration_since(at)
                .saturating_sub(self.config.probe_period)
        });
        self.lag.max(overdue)
    }

    /// The verdict on a new INVITE arriving at `now` under `load`. A rejection is
    /// counted.
    pub fn verdict(&mut self, now: Instant, load: Load) -> Verdict {
        if !self.config.enabled {
            return Verdict::Admit;
        }
        let Load { setups, free_ports } = load;
        let lag = self.lag(now);
        let pressure = if lag > self.config.max_lag {
            Some(Pressure::Lag)
        } else if setups > self.config.max_setups {
            Some(Pressure::Setups)
        } else if free_ports < self.config.min_free_ports {
            Some(Pressure::Ports)
        } else {
            None
        };
        self.shedding = match (self.shedding, pressure) {
            // Each new overload signal restarts the hold.
            (_, Some(p)) => Some((now, p)),
            (Some((since, p)), None) => {
                let relieved = lag <= self.config.max_lag / 2
                    && setups <= self.config.max_setups / 2
                    && free_ports >= self.config.min_free_ports * 2;
                let held = now.saturating_duration_since(since) >= self.config.hold;
                (!(relieved && held)).then_some((since, p))
            }
            (None, None) => None,
        };
        if self.shedding.is_some() {
            self.rejections += 1;
            Verdict::Reject {
                retry_after_secs: self.config.retry_after_secs,
            }
        } else {
            Verdict::Admit
        }
    }

    /// Why the node sheds now, if it does.
    pub fn pressure(&self) -> Option<Pressure> {
        self.shedding.map(|(_, p)| p)
    }

    /// INVITEs refused since the start.
    pub fn rejections(&self) -> u64 {
        self.rejections
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn cfg() -> OverloadConfig {
        OverloadConfig {
            enabled: true,
            max_lag: ms(20),
            max_setups: 100,
            min_free_ports: 10,
            probe_period: ms(10),
            hold: ms(100),
            retry_after_secs: 2,
        }
    }

    /// Feeds a probe sample every 10 ms from `from` for `n` samples.
    fn probes(a: &mut Admission, from: Instant, n: u64, lag: Duration) -> Instant {
        let mut t = from;
        for _ in 0..n {
            t += ms(10) + lag;
            a.probe(t, lag);
        }
        t
    }

    /// `setups` calls awaiting their answer, plenty of ports.
    fn load(setups: usize) -> Load {
        Load {
            setups,
            free_ports: 1_000,
        }
    }

    const REJECT: Verdict = Verdict::Reject {
        retry_after_secs: 2,
    };

    #[test]
    fn a_quiet_node_admits() {
        let t0 = Instant::now();
        let mut a = Admission::new(cfg());
        assert_eq!(a.verdict(t0, load(0)), Verdict::Admit);
        let t = probes(&mut a, t0, 20, ms(1));
        assert_eq!(a.verdict(t, load(99)), Verdict::Admit);
        assert_eq!(a.rejections(), 0);
    }

    #[test]
    fn sustained_lag_sheds_with_retry_after_and_counts() {
        let t0 = Instant::now();
        let mut a = Admission::new(cfg());
        let t = probes(&mut a, t0, 20, ms(40));
        assert!(a.lag(t) > ms(20), "{:?}", a.lag(t));
        assert_eq!(a.verdict(t, load(0)), REJECT);
        assert_eq!(a.verdict(t, load(0)), REJECT);
        assert_eq!(a.pressure(), Some(Pressure::Lag));
        assert_eq!(a.rejections(), 2);
    }

    #[test]
    fn one_late_wakeup_does_not_shed() {
        let t0 = Instant::now();
        let mut a = Admission::new(cfg());
        let t = probes(&mut a, t0, 10, ms(1));
        let t = probes(&mut a, t, 1, ms(60));
        assert_eq!(a.verdict(t, load(0)), Verdict::Admit, "lag {:?}", a.lag(t));
    }

    #[test]
    fn an_overdue_probe_counts_as_lag() {
        // The runtime is too busy to run the probe at all: its last report is stale.
        let t0 = Instant::now();
        let mut a = Admission::new(cfg());
        let t = probes(&mut a, t0, 10, ms(1));
        assert_eq!(a.verdict(t + ms(25), load(0)), Verdict::Admit);
        assert_eq!(a.lag(t + ms(45)), ms(35));
        assert_eq!(a.verdict(t + ms(45), load(0)), REJECT);
    }

    #[test]
    fn too_many_setups_shed_until_half_drained_and_held() {
        let t0 = Instant::now();
        let mut a = Admission::new(cfg());
        assert_eq!(a.verdict(t0, load(100)), Verdict::Admit);
        assert_eq!(a.verdict(t0, load(101)), REJECT);
        assert_eq!(a.pressure(), Some(Pressure::Setups));
        // Under the limit but above half of it: still shedding (hysteresis).
        assert_eq!(a.verdict(t0 + ms(500), load(80)), REJECT);
        // Half drained, but the hold has not passed since the last signal.
        assert_eq!(a.verdict(t0 + ms(550), load(101)), REJECT);
        assert_eq!(a.verdict(t0 + ms(600), load(50)), REJECT);
        // Half drained and held.
        assert_eq!(a.verdict(t0 + ms(650), load(50)), Verdict::Admit);
        assert_eq!(a.pressure(), None);
        assert_eq!(a.rejections(), 4);
    }

    #[test]
    fn shedding_ends_when_the_lag_falls_under_half_the_limit() {
        let t0 = Instant::now();
        let mut a = Admission::new(cfg());
        let t = probes(&mut a, t0, 20, ms(40));
        assert_eq!(a.verdict(t, load(0)), REJECT);
        // Recovering: the average passes under the limit before under half of it.
        let mut t = t;
        let mut verdicts = Vec::new();
        for _ in 0..40 {
            t = probes(&mut a, t, 1, ms(0));
            verdicts.push((a.lag(t), a.verdict(t, load(0))));
        }
        let first_admit = verdicts
            .iter()
            .position(|(_, v)| *v == Verdict::Admit)
            .expect("admits again once the lag is gone");
        let (lag_then, _) = verdicts[first_admit];
        assert!(lag_then <= ms(10), "admitted at {lag_then:?}");
        assert!(
            verdicts[..first_admit].iter().any(|(l, _)| *l <= ms(20)),
            "some rejections came under the limit, above half of it"
        );
        assert!(verdicts[first_admit..]
            .iter()
            .all(|(_, v)| *v == Verdict::Admit));
    }

    #[test]
    fn running_out_of_media_ports_sheds_until_twice_the_reserve_is_free() {
        let t0 = Instant::now();
        let mut a = Admission::new(cfg());
        let ports = |free_ports| Load {
            setups: 0,
            free_ports,
        };
        assert_eq!(a.verdict(t0, ports(10)), Verdict::Admit);
        assert_eq!(a.verdict(t0, ports(9)), REJECT);
        assert_eq!(a.pressure(), Some(Pressure::Ports));
        assert_eq!(a.verdict(t0 + ms(200), ports(19)), REJECT);
        assert_eq!(a.verdict(t0 + ms(200), ports(20)), Verdict::Admit);
    }

    #[test]
    fn disabled_admits_everything() {
        let t0 = Instant::now();
        let mut a = Admission::new(OverloadConfig {
            enabled: false,
            ..cfg()
        });
        let t = probes(&mut a, t0, 20, ms(100));
        assert_eq!(a.verdict(t, load(10_000)), Verdict::Admit);
        assert_eq!(a.rejections(), 0);
    }
}
