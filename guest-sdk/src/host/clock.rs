//! The wall clock.

/// Unix time in milliseconds.
///
/// ```
/// assert!(switchyard_sdk::clock::now_ms() > 1_600_000_000_000);
/// ```
pub fn now_ms() -> u64 {
    imp::now_ms()
}

#[cfg(target_arch = "wasm32")]
mod imp {
    pub fn now_ms() -> u64 {
        crate::bindings::switchyard::telephony::clock::now()
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use std::time::{SystemTime, UNIX_EPOCH};

    pub fn now_ms() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }
}
