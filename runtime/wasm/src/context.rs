//! What the node lends a step: its session store, its log, its HTTP client.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

/// The conversation a session belongs to: the account and the call's (from, to).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionScope {
    /// `AC…`
    pub account: String,
    /// The caller.
    pub from: String,
    /// The number called.
    pub to: String,
}

impl From<(String, String, String)> for SessionScope {
    fn from((account, from, to): (String, String, String)) -> Self {
        SessionScope { account, from, to }
    }
}

/// Why a session value was not kept. The guest reads it as the error of the WIT
/// `session.set`: a string starting with the error's name (`key-too-long`,
/// `value-too-large`, `quota-exceeded`, `unavailable`), a colon and the details.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// The key is longer than the host keeps.
    #[error("key-too-long: the key is {len} bytes; at most {max} are kept")]
    KeyTooLong { len: usize, max: usize },
    /// The value is larger than the host keeps per key.
    #[error("value-too-large: the value is {len} bytes; at most {max} are kept per key")]
    ValueTooLarge { len: usize, max: usize },
    /// The conversation would hold more keys or bytes than its quota; nothing was
    /// written.
    #[error(
        "quota-exceeded: the conversation would hold {keys} keys of {bytes} bytes; its quota \
         is {max_keys} keys and {max_bytes} bytes"
    )]
    QuotaExceeded {
        keys: u64,
        bytes: u64,
        max_keys: u64,
        max_bytes: u64,
    },
    /// The store could not save it (e.g. the disk failed).
    #[error("unavailable: {0}")]
    Unavailable(String),
}

/// Persistent key-value state per conversation; the node implements it over SQLite.
///
/// The host caps value and key sizes before calling [`SessionStore::set`]; quotas
/// that need to see the whole scope (keys and bytes per conversation) are the store's
/// to enforce, in the same transaction as the write.
pub trait SessionStore: Send + Sync {
    /// The value under `key`, if any.
    fn get(&self, scope: &SessionScope, key: &str) -> Option<String>;
    /// Stores `value`, or says why not.
    fn set(&self, scope: &SessionScope, key: &str, value: &str) -> Result<(), SessionError>;
    /// Removes `key` (absent keys are fine).
    fn delete(&self, scope: &SessionScope, key: &str);
}

/// An in-memory [`SessionStore`] with a quota of keys and bytes per scope, for tests
/// and single-process use.
#[derive(Debug)]
pub struct MemorySessionStore {
    max_keys: usize,
    max_bytes: usize,
    scopes: Mutex<HashMap<SessionScope, HashMap<String, String>>>,
}

impl MemorySessionStore {
    /// A store allowing `max_keys` keys per scope (and any number of bytes).
    pub fn new(max_keys: usize) -> Self {
        MemorySessionStore {
            max_keys,
            max_bytes: usize::MAX,
            scopes: Mutex::new(HashMap::new()),
        }
    }

    /// The same store allowing at most `max_bytes` of keys and values per scope.
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// Keys and bytes of keys and values held for `scope`.
    pub fn usage(&self, scope: &SessionScope) -> (usize, usize) {
        self.scopes().get(scope).map_or((0, 0), |entries| {
            (
                entries.len(),
                entries.iter().map(|(k, v)| k.len() + v.len()).sum(),
            )
        })
    }

    fn scopes(&self) -> std::sync::MutexGuard<'_, HashMap<SessionScope, HashMap<String, String>>> {
        // A panic elsewhere while holding the lock leaves the map consistent (every
        // mutation is a single insert or remove), so poisoning is not fatal.
        self.scopes.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Default for MemorySessionStore {
    fn default() -> Self {
        MemorySessionStore::new(100)
    }
}

impl SessionStore for MemorySessionStore {
    fn get(&self, scope: &SessionScope, key: &str) -> Option<String> {
        self.scopes().get(scope)?.get(key).cloned()
    }

    fn set(&self, scope: &SessionScope, key: &str, value: &str) -> Result<(), SessionError> {
        let mut scopes = self.scopes();
        let entries = scopes.entry(scope.clone()).or_default();
        let others = entries.iter().filter(|(k, _)| k.as_str() != key);
        let (keys, bytes) = others.fold((1, key.len() + value.len()), |(n, b), (k, v)| {
            (n + 1, b + k.len() + v.len())
        });
        if keys > self.max_keys || bytes > self.max_bytes {
            return Err(SessionError::QuotaExceeded {
                keys: keys as u64,
                bytes: bytes as u64,
                max_keys: self.max_keys as u64,
                max_bytes: self.max_bytes as u64,
            });
        }
        entries.insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    fn delete(&self, scope: &SessionScope, key: &str) {
        if let Some(entries) = self.scopes().get_mut(scope) {
            entries.remove(key);
        }
    }
}

/// Severity of a guest's log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Developer detail.
    Debug,
    /// Normal operation.
    Info,
    /// Something the account should see in its notifications.
    Warn,
    /// A failure the account should see in its notifications.
    Error,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        })
    }
}

/// Where guest log lines (and captured stdout/stderr) go, with the app and call named.
pub trait LogSink: Send + Sync {
    /// One line from `app` during `call`.
    fn log(&self, app: &str, call: &str, level: Level, message: &str);
}

/// Everything one step may touch besides its request.
#[derive(Clone)]
pub struct StepContext {
    /// The app's name, for logs.
    pub app_name: String,
    /// `CA…`, for logs.
    pub call_sid: String,
    /// `AC…`, for logs.
    pub account_sid: String,
    /// The conversation state store.
    pub session: Arc<dyn SessionStore>,
    /// Which conversation this call belongs to.
    pub session_scope: SessionScope,
    /// The log.
    pub log: Arc<dyn LogSink>,
    /// The node's shared HTTP client (connection pool) for the `http` import.
    pub http: reqwest::Client,
}

impl fmt::Debug for StepContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StepContext")
            .field("app_name", &self.app_name)
            .field("call_sid", &self.call_sid)
            .field("account_sid", &self.account_sid)
            .field("session_scope", &self.session_scope)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(from: &str) -> SessionScope {
        ("AC1".to_owned(), from.to_owned(), "+1555".to_owned()).into()
    }

    #[test]
    fn memory_store_separates_scopes_and_enforces_key_quota() {
        let store = MemorySessionStore::new(2);
        store.set(&scope("a"), "k1", "v1").unwrap();
        store.set(&scope("a"), "k2", "v2").unwrap();
        assert_eq!(store.get(&scope("b"), "k1"), None);
        let err = store.set(&scope("a"), "k3", "v3").unwrap_err();
        assert!(
            matches!(
                err,
                SessionError::QuotaExceeded {
                    keys: 3,
                    max_keys: 2,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().starts_with("quota-exceeded: "), "{err}");
        // Overwriting an existing key is not a new key.
        store.set(&scope("a"), "k1", "v1b").unwrap();
        assert_eq!(store.get(&scope("a"), "k1").as_deref(), Some("v1b"));
        store.delete(&scope("a"), "k2");
        store.set(&scope("a"), "k3", "v3").unwrap();
        assert_eq!(store.get(&scope("a"), "k2"), None);
    }

    #[test]
    fn memory_store_enforces_the_byte_quota_counting_a_replaced_value_once() {
        let store = MemorySessionStore::new(10).with_max_bytes(10);
        store.set(&scope("a"), "k", "123456789").unwrap();
        assert_eq!(store.usage(&scope("a")), (1, 10));
        // Replacing it with a value of the same size fits; one byte more does not.
        store.set(&scope("a"), "k", "abcdefghi").unwrap();
        let err = store.set(&scope("a"), "k", "abcdefghij").unwrap_err();
        assert!(
            matches!(
                err,
                SessionError::QuotaExceeded {
                    keys: 1,
                    bytes: 11,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(store.get(&scope("a"), "k").as_deref(), Some("abcdefghi"));
    }
}
