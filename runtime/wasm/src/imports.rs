//! The small imports: `log`, `session`, `clock` (and the type-only `types`).

use std::time::{SystemTime, UNIX_EPOCH};

use crate::bindings::switchyard::telephony::{clock, log, session, types};
use crate::context::{Level, SessionError};
use crate::state::{Caller, StoreState};

/// Longest log line kept; longer ones are cut (on a char boundary) and marked.
pub(crate) const MAX_LOG_LINE: usize = 4 * 1024;
/// Longest session key.
pub(crate) const MAX_SESSION_KEY: usize = 256;
/// Largest session value: conversation state, not a blob store.
pub(crate) const MAX_SESSION_VALUE: usize = 64 * 1024;

impl<C: Caller> types::Host for StoreState<C> {}

impl<C: Caller> log::Host for StoreState<C> {
    fn log(&mut self, level: log::Level, message: String) {
        let level = match level {
            log::Level::Debug => Level::Debug,
            log::Level::Info => Level::Info,
            log::Level::Warn => Level::Warn,
            log::Level::Error => Level::Error,
        };
        self.emit(level, &message);
    }
}

impl<C: Caller> StoreState<C> {
    /// One line the guest logged: to the node's log while the step's log budget
    /// lasts, counted as dropped after.
    fn emit(&mut self, level: Level, message: &str) {
        if self.log_budget.admit(message.len().min(MAX_LOG_LINE)) {
            self.send_line(level, message);
        }
    }

    /// Sends one line to the node's log, truncated to [`MAX_LOG_LINE`].
    pub(crate) fn send_line(&self, level: Level, message: &str) {
        if message.len() <= MAX_LOG_LINE {
            self.ctx.log(level, message);
        } else {
            let mut end = MAX_LOG_LINE;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            let cut = format!("{}… [truncated]", &message[..end]);
            self.ctx.log(level, &cut);
        }
    }
}

impl session::Host for StoreState {
    fn get(&mut self, key: String) -> Option<String> {
        self.ctx.session.get(&self.ctx.session_scope, &key)
    }

    fn set(&mut self, key: String, value: String) -> Result<(), String> {
        check_entry(&key, &value)
            .and_then(|()| self.ctx.session.set(&self.ctx.session_scope, &key, &value))
            .map_err(|e| e.to_string())
    }

    fn delete(&mut self, key: String) {
        self.ctx.session.delete(&self.ctx.session_scope, &key)
    }
}

/// The per-key caps, checked before the store sees the value.
fn check_entry(key: &str, value: &str) -> Result<(), SessionError> {
    if key.len() > MAX_SESSION_KEY {
        return Err(SessionError::KeyTooLong {
            len: key.len(),
            max: MAX_SESSION_KEY,
        });
    }
    if value.len() > MAX_SESSION_VALUE {
        return Err(SessionError::ValueTooLarge {
            len: value.len(),
            max: MAX_SESSION_VALUE,
        });
    }
    Ok(())
}

impl<C: Caller> clock::Host for StoreState<C> {
    fn now(&mut self) -> u64 {
        // A clock before 1970 is a misconfigured host; 0 is as good an answer as any.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_values_past_their_caps_are_refused_by_name() {
        let at_cap = "v".repeat(MAX_SESSION_VALUE);
        assert_eq!(check_entry("k", &at_cap), Ok(()));
        let err = check_entry("k", &format!("{at_cap}v")).unwrap_err();
        assert_eq!(
            err,
            SessionError::ValueTooLarge {
                len: MAX_SESSION_VALUE + 1,
                max: MAX_SESSION_VALUE
            }
        );
        assert!(err.to_string().starts_with("value-too-large: "), "{err}");
        let long_key = "k".repeat(MAX_SESSION_KEY + 1);
        assert!(matches!(
            check_entry(&long_key, "v"),
            Err(SessionError::KeyTooLong { .. })
        ));
    }
}
