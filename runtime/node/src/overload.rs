//! Overload control's moving parts: the `[overload]` config section and the probe task
//! that measures the runtime's scheduling delay. The decision itself is
//! [`switchyard_sip::Admission`]'s; the SIP task asks it about each new INVITE.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;
use switchyard_sip::{Admission, OverloadConfig};

/// `[overload]`: when new calls are refused with 503 and `Retry-After`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OverloadSection {
    /// `false`: admit every call whatever the load.
    pub enabled: bool,
    /// Refuse new calls while the runtime's scheduling delay (smoothed) is above this.
    pub max_lag_ms: u64,
    /// Refuse new calls while more than this many admitted calls await their answer.
    pub max_setups: usize,
    /// Refuse new calls while fewer media port pairs than this are free.
    pub min_free_ports: usize,
    /// Refusing lasts at least this long once started.
    pub hold_ms: u64,
    /// The `Retry-After` of the 503, in seconds.
    pub retry_after_secs: u32,
}

impl Default for OverloadSection {
    fn default() -> Self {
        let d = OverloadConfig::default();
        Self {
            enabled: d.enabled,
            max_lag_ms: d.max_lag.as_millis() as u64,
            max_setups: d.max_setups,
            min_free_ports: d.min_free_ports,
            hold_ms: d.hold.as_millis() as u64,
            retry_after_secs: d.retry_after_secs,
        }
    }
}

impl OverloadSection {
    /// The core's limits.
    pub fn to_core(&self) -> OverloadConfig {
        OverloadConfig {
            enabled: self.enabled,
            max_lag: Duration::from_millis(self.max_lag_ms),
            max_setups: self.max_setups,
            min_free_ports: self.min_free_ports,
            hold: Duration::from_millis(self.hold_ms),
            retry_after_secs: self.retry_after_secs,
            ..OverloadConfig::default()
        }
    }
}

/// Wakes every probe period on the node's runtime and reports how late it woke.
pub fn spawn_probe(admission: Arc<Mutex<Admission>>) {
    let period = lock(&admission).config().probe_period;
    tokio::spawn(async move {
        let mut asked = Instant::now() + period;
        loop {
            tokio::time::sleep_until(asked.into()).await;
            let now = Instant::now();
            lock(&admission).probe(now, now.saturating_duration_since(asked));
            asked = now + period;
        }
    });
}

/// The admission state; a panic elsewhere while holding it leaves plain numbers, still
/// good to use.
pub fn lock(admission: &Mutex<Admission>) -> std::sync::MutexGuard<'_, Admission> {
    admission.lock().unwrap_or_else(|e| e.into_inner())
}
