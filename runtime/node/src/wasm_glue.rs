//! What the Wasm host needs from the node: session state in the store, and guest log
//! lines in the log and (from `warn` up) in the account's notifications.

use std::sync::Arc;

use switchyard_store::{NotificationRecord, Repository, SessionScope as StoreScope, Store};
use switchyard_types::{AccountSid, CallSid, NotificationSid};
use switchyard_wasm::{Level, LogSink, SessionError, SessionScope, SessionStore};

/// Session state in the store, so it outlives calls and node restarts, within the
/// store's quota per conversation (the host caps each key and value before).
#[derive(Debug)]
pub struct StoreSessions(pub Arc<Store>);

fn scope(s: &SessionScope) -> Option<StoreScope> {
    Some(StoreScope {
        account_sid: s.account.parse().ok()?,
        from: s.from.clone(),
        to: s.to.clone(),
    })
}

impl SessionStore for StoreSessions {
    fn get(&self, s: &SessionScope, key: &str) -> Option<String> {
        self.0.session_get(&scope(s)?, key).ok().flatten()
    }

    fn set(&self, s: &SessionScope, key: &str, value: &str) -> Result<(), SessionError> {
        let scope =
            scope(s).ok_or_else(|| SessionError::Unavailable("invalid session scope".into()))?;
        self.0.session_set(&scope, key, value).map_err(|e| match e {
            switchyard_store::Error::SessionQuota {
                keys,
                bytes,
                max_keys,
                max_bytes,
            } => SessionError::QuotaExceeded {
                keys,
                bytes,
                max_keys,
                max_bytes,
            },
            other => SessionError::Unavailable(format!("session state not saved: {other}")),
        })
    }

    fn delete(&self, s: &SessionScope, key: &str) {
        if let Some(scope) = scope(s) {
            let _ = self.0.session_delete(&scope, key);
        }
    }
}

/// Twilio's code for a line an app logged itself (its debugger's "Function log").
const APP_LOG: u32 = 82002;

/// Guest log lines: every line to the node's log; warnings and errors also become
/// notifications of the account, naming the app and the call.
#[derive(Debug)]
pub struct NotifyingLog {
    pub store: Arc<Store>,
    pub account: AccountSid,
}

impl LogSink for NotifyingLog {
    fn log(&self, app: &str, call: &str, level: Level, message: &str) {
        match level {
            Level::Debug => tracing::debug!(app, call, "{message}"),
            Level::Info => tracing::info!(app, call, "{message}"),
            Level::Warn => tracing::warn!(app, call, "{message}"),
            Level::Error => tracing::error!(app, call, "{message}"),
        }
        if level < Level::Warn {
            return;
        }
        self.store.put_notification(NotificationRecord {
            sid: NotificationSid::random(),
            account_sid: self.account,
            call_sid: call.parse::<CallSid>().ok(),
            error_code: APP_LOG,
            log: u8::from(level == Level::Warn),
            message_text: format!("app {app}: {message}"),
            request_url: Some(format!("app:{app}")),
            date_created: crate::shared::now_ms(),
        });
    }
}
