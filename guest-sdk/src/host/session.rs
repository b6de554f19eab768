//! Conversation state: a key-value store scoped to the account and the call's
//! `(From, To)` pair, kept across calls and node restarts. Natively (in unit tests) it
//! is a per-thread map with the node's default caps and quotas.
//!
//! ```
//! use switchyard_sdk::session;
//! let visits: u32 = session::get("visits").and_then(|v| v.parse().ok()).unwrap_or(0);
//! session::set("visits", &(visits + 1).to_string()).expect("within quota");
//! assert_eq!(session::get("visits").as_deref(), Some("1"));
//! session::delete("visits");
//! assert_eq!(session::get("visits"), None);
//! ```
//!
//! A conversation is state, not a blob store: the node keeps keys of up to
//! [`MAX_KEY_BYTES`], values of up to [`MAX_VALUE_BYTES`], and by default up to
//! [`DEFAULT_MAX_KEYS`] keys and [`DEFAULT_MAX_BYTES`] of keys and values per
//! conversation. [`set`] past any of them fails with a [`SessionError`] naming which,
//! and stores nothing:
//!
//! ```
//! use switchyard_sdk::session::{self, SessionErrorKind};
//! let big = "x".repeat(session::MAX_VALUE_BYTES + 1);
//! let err = session::set("blob", &big).unwrap_err();
//! assert_eq!(err.kind, SessionErrorKind::ValueTooLarge);
//! assert_eq!(session::get("blob"), None);
//! ```

/// Longest key the node keeps, in bytes.
pub const MAX_KEY_BYTES: usize = 256;
/// Largest value the node keeps under one key, in bytes.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;
/// Keys one conversation may hold (the node's default quota).
pub const DEFAULT_MAX_KEYS: usize = 100;
/// Bytes of keys and values one conversation may hold (the node's default quota).
pub const DEFAULT_MAX_BYTES: usize = 256 * 1024;

/// Which rule a refused [`set`] broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionErrorKind {
    /// The key is longer than [`MAX_KEY_BYTES`].
    KeyTooLong,
    /// The value is larger than [`MAX_VALUE_BYTES`].
    ValueTooLarge,
    /// The conversation would hold more keys or bytes than its quota.
    QuotaExceeded,
    /// The node could not save it (or said something this SDK does not know).
    Unavailable,
}

impl SessionErrorKind {
    /// The name the node's error starts with (`quota-exceeded: …`).
    pub fn name(self) -> &'static str {
        match self {
            SessionErrorKind::KeyTooLong => "key-too-long",
            SessionErrorKind::ValueTooLarge => "value-too-large",
            SessionErrorKind::QuotaExceeded => "quota-exceeded",
            SessionErrorKind::Unavailable => "unavailable",
        }
    }
}

/// Why [`set`] stored nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SessionError {
    /// Which rule it broke.
    pub kind: SessionErrorKind,
    /// The node's words, starting with the kind's name, e.g.
    /// `quota-exceeded: the conversation would hold 101 keys …`.
    pub message: String,
}

impl SessionError {
    /// The error the node's `message` describes (the WIT `session.set` error).
    pub fn parse(message: String) -> Self {
        let name = message.split(':').next().unwrap_or_default();
        let kind = [
            SessionErrorKind::KeyTooLong,
            SessionErrorKind::ValueTooLarge,
            SessionErrorKind::QuotaExceeded,
        ]
        .into_iter()
        .find(|k| k.name() == name)
        .unwrap_or(SessionErrorKind::Unavailable);
        SessionError { kind, message }
    }
}

/// So code written when [`set`] failed with a `String` still compiles with `?`.
impl From<SessionError> for String {
    fn from(e: SessionError) -> String {
        e.message
    }
}

/// The value stored under `key`, if any.
pub fn get(key: &str) -> Option<String> {
    imp::get(key)
}

/// Stores `value` under `key`; fails, storing nothing, when the key or the value is too
/// large or the conversation's quota would be exceeded.
pub fn set(key: &str, value: &str) -> Result<(), SessionError> {
    imp::set(key, value).map_err(SessionError::parse)
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

    use super::{DEFAULT_MAX_BYTES, DEFAULT_MAX_KEYS, MAX_KEY_BYTES, MAX_VALUE_BYTES};

    thread_local! {
        // Per thread, so parallel unit tests do not see each other's conversations.
        static STORE: RefCell<BTreeMap<String, String>> = const { RefCell::new(BTreeMap::new()) };
    }

    pub fn get(key: &str) -> Option<String> {
        STORE.with(|s| s.borrow().get(key).cloned())
    }

    /// The node's checks with its default quota, in its words.
    pub fn set(key: &str, value: &str) -> Result<(), String> {
        if key.len() > MAX_KEY_BYTES {
            return Err(format!(
                "key-too-long: the key is {} bytes; at most {MAX_KEY_BYTES} are kept",
                key.len()
            ));
        }
        if value.len() > MAX_VALUE_BYTES {
            return Err(format!(
                "value-too-large: the value is {} bytes; at most {MAX_VALUE_BYTES} are kept per key",
                value.len()
            ));
        }
        STORE.with(|s| {
            let mut s = s.borrow_mut();
            let others = s.iter().filter(|(k, _)| k.as_str() != key);
            let (keys, bytes) = others.fold((1, key.len() + value.len()), |(n, b), (k, v)| {
                (n + 1, b + k.len() + v.len())
            });
            if keys > DEFAULT_MAX_KEYS || bytes > DEFAULT_MAX_BYTES {
                return Err(format!(
                    "quota-exceeded: the conversation would hold {keys} keys of {bytes} bytes; \
                     its quota is {DEFAULT_MAX_KEYS} keys and {DEFAULT_MAX_BYTES} bytes"
                ));
            }
            s.insert(key.to_owned(), value.to_owned());
            Ok(())
        })
    }

    pub fn delete(key: &str) {
        STORE.with(|s| s.borrow_mut().remove(key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nodes_errors_parse_into_their_kinds() {
        let err = SessionError::parse("quota-exceeded: 101 keys".into());
        assert_eq!(err.kind, SessionErrorKind::QuotaExceeded);
        assert_eq!(err.to_string(), "quota-exceeded: 101 keys");
        assert_eq!(
            SessionError::parse("key-too-long: 300 bytes".into()).kind,
            SessionErrorKind::KeyTooLong
        );
        assert_eq!(
            SessionError::parse("disk on fire".into()).kind,
            SessionErrorKind::Unavailable
        );
    }

    #[test]
    fn filling_a_conversation_stops_at_the_byte_quota_and_stores_nothing_more() {
        let value = "v".repeat(MAX_VALUE_BYTES - 4);
        let mut stored = 0;
        let err = loop {
            match set(&format!("k{stored:03}"), &value) {
                Ok(()) => stored += 1,
                Err(e) => break e,
            }
        };
        assert_eq!(err.kind, SessionErrorKind::QuotaExceeded, "{err}");
        // 4 entries of 64 KiB - 4 + 4 bytes: exactly the quota.
        assert_eq!(stored, DEFAULT_MAX_BYTES / MAX_VALUE_BYTES);
        assert_eq!(get(&format!("k{stored:03}")), None);
    }
}
