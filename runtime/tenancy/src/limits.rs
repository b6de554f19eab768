use std::time::Duration;

use crate::Error;

/// How fast one account may start outbound calls, and how many it may have up at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// The throttle: calls started per second, over any window (no bursts above it).
    /// Must be positive and finite; fractions are allowed (`0.5` is one call every 2 s).
    pub calls_per_second: f64,
    /// The cap: calls started and not yet finished. `0` pauses the account: its calls
    /// stay queued until the cap is raised.
    pub max_concurrent: u32,
}

impl Limits {
    /// Twilio's default outbound throttle is 1 call per second per account; we keep it so
    /// that an application tuned for Twilio sees the same pacing here.
    pub const DEFAULT_CALLS_PER_SECOND: f64 = 1.0;

    /// Twilio sets no concurrency limit by default and lets the throttle pace accounts;
    /// a node, though, has finite media resources, so we cap each account. At the
    /// default throttle, 100 slots only bind once calls last longer than 100 s.
    pub const DEFAULT_MAX_CONCURRENT: u32 = 100;

    /// Limits with the given throttle and cap, checked.
    pub fn new(calls_per_second: f64, max_concurrent: u32) -> Result<Self, Error> {
        let limits = Self {
            calls_per_second,
            max_concurrent,
        };
        limits.validate()?;
        Ok(limits)
    }

    /// Whether these limits can be enforced: the rate is positive, finite, and its
    /// interval between two starts fits in a `Duration`.
    pub fn validate(&self) -> Result<(), Error> {
        self.interval().map(|_| ())
    }

    /// The shortest time between two starts of the same account: `1 / calls_per_second`,
    /// rounded to the nanosecond.
    pub(crate) fn interval(&self) -> Result<Duration, Error> {
        let rate = self.calls_per_second;
        // `is_finite` also rules out NaN, for which `<= 0.0` would answer false.
        if !rate.is_finite() || rate <= 0.0 {
            return Err(Error::InvalidRate(rate));
        }
        Duration::try_from_secs_f64(1.0 / rate).map_err(|_| Error::InvalidRate(rate))
    }
}

impl Default for Limits {
    /// [`DEFAULT_CALLS_PER_SECOND`](Self::DEFAULT_CALLS_PER_SECOND) and
    /// [`DEFAULT_MAX_CONCURRENT`](Self::DEFAULT_MAX_CONCURRENT).
    fn default() -> Self {
        Self {
            calls_per_second: Self::DEFAULT_CALLS_PER_SECOND,
            max_concurrent: Self::DEFAULT_MAX_CONCURRENT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_is_the_inverse_of_the_rate() {
        assert_eq!(
            Limits::new(10.0, 1).unwrap().interval().unwrap(),
            Duration::from_millis(100)
        );
        assert_eq!(
            Limits::new(0.5, 1).unwrap().interval().unwrap(),
            Duration::from_secs(2)
        );
        assert_eq!(
            Limits::default().interval().unwrap(),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn refuses_rates_that_cannot_be_enforced() {
        for rate in [
            0.0,
            -1.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e-300,
        ] {
            let err = Limits::new(rate, 1).unwrap_err();
            match err {
                Error::InvalidRate(got) => assert!(got.is_nan() || got == rate),
                other => panic!("unexpected error {other:?}"),
            }
        }
    }

    #[test]
    fn a_zero_cap_is_valid() {
        assert_eq!(Limits::new(1.0, 0).unwrap().max_concurrent, 0);
    }
}
