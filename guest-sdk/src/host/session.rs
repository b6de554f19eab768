//! Conversation state: a key-value store scoped to the account and the call's
//! `(From, To)` pair, kept across calls and node restarts. Natively (in unit tests) it
//! is a per-thread map.
//!
//! ```
//! use switchyard_sdk::session;
//! let visits: u32 = session::get("visits").and_then(|v| v.parse().ok()).unwrap_or(0);
//! session::set("visits", &(visits + 1).to_string()).expect("within quota");
//! assert_eq!(session::get("visits").as_deref(), Some("1"));
//! session::delete("visits");
//! assert_eq!(session::get("visits"), None);
//! ```

/// The value stored under `key`, if any.
pub fn get(key: &str) -> Option<String> {
    imp::get(key)
}

/// Stores `value` under `key`; fails when the value is too large or the app's quota is
/// used up.
pub fn set(key: &str, value: &str) -> Result<(), String> {
    imp::set(key, value)
}

/// Removes `key` (nothing happens if it is absent).
pub fn delete(key: &str) {
    imp::delete(key);
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use crate::bindings::switchyard::telephony::session as wit;

    pub fn get(key: &str) -> Option<String> {
        wit::get(key)
    }

    pub fn set(key: &str, value: &str) -> Result<(), String> {
        wit::set(key, value)
    }

    pub fn delete(key: &str) {
        wit::delete(key);
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    thread_local! {
        // Per thread, so parallel unit tests do not see each other's conversations.
        static STORE: RefCell<BTreeMap<String, String>> = const { RefCell::new(BTreeMap::new()) };
    }

    pub fn get(key: &str) -> Option<String> {
        STORE.with(|s| s.borrow().get(key).cloned())
    }

    pub fn set(key: &str, value: &str) -> Result<(), String> {
        STORE.with(|s| s.borrow_mut().insert(key.to_owned(), value.to_owned()));
        Ok(())
    }

    pub fn delete(key: &str) {
        STORE.with(|s| s.borrow_mut().remove(key));
    }
}
