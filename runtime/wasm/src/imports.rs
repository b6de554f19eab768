//! The small imports: `log`, `session`, `clock` (and the type-only `types`).

use std::time::{SystemTime, UNIX_EPOCH};

use crate::bindings::switchyard::telephony::{clock, log, session, types};
use crate::context::Level;
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
    /// Sends one line to the node's log, truncated to [`MAX_LOG_LINE`].
    pub(crate) fn emit(&self, level: Level, message: &str) {
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
        if key.len() > MAX_SESSION_KEY {
            return Err(format!(
                "session key is {} bytes; the limit is {MAX_SESSION_KEY}",
                key.len()
            ));
        }
        if value.len() > MAX_SESSION_VALUE {
            return Err(format!(
                "session value is {} bytes; the limit is {MAX_SESSION_VALUE}",
                value.len()
            ));
        }
        self.ctx.session.set(&self.ctx.session_scope, &key, &value)
    }

    fn delete(&mut self, key: String) {
        self.ctx.session.delete(&self.ctx.session_scope, &key)
    }
}

impl<C: Caller> clock::Host for StoreState<C> {
    fn now(&mut self) -> u64 {
        // A clock before 1970 is a misconfigured host; 0 is as good an answer as any.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}
