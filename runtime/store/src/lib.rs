//! The embedded store: SQLite in WAL mode under the node's data directory, behind the
//! [`Repository`] trait so a server database can follow.
//!
//! Every write goes through one writer thread: writes from the call path return at once
//! (the media and SIP tasks never wait for the disk), API writes wait for their commit.
//! Readers use their own connections, which WAL lets run beside the writer. Schema changes
//! are versioned migrations applied at open.

mod accounts;
mod applications;
mod bindings;
mod calls;
mod error;
mod migrations;
mod modules;
mod notifications;
mod numbers;
mod query;
mod queues;
mod rate;
mod recordings;
mod records;
mod repository;
mod sessions;
mod sip;
mod sip_records;
mod sip_repository;
mod sqlite;
mod subscriptions;
mod wasm_apps;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use rusqlite::Connection;

pub use bindings::{BindingRecord, BindingSet};
pub use error::Error;
pub use modules::{CallSums, CallUsage, ModuleSpanRecord, ModuleUsage, SpanMeter};
pub use queues::{QueueRecord, QueueWrite};
pub use rate::NotificationRate;
use rate::{Admission, Dropped, NotificationLimiter};
pub use recordings::{RecordingFilter, RecordingRecord};
pub use records::*;
pub use repository::*;
pub use sessions::SessionQuota;
pub use sip_records::*;
pub use sip_repository::SipResources;
use writer::Write;

/// The node's store: one SQLite file, one writer thread, a few reader connections.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    /// `None` only while dropping, to let the writer drain and stop.
    writes: Option<mpsc::Sender<Write>>,
    writer: Option<JoinHandle<()>>,
    /// Idle reader connections; a read takes one (or opens one) and puts it back.
    readers: Mutex<Vec<Connection>>,
    /// Each account's notification token bucket.
    notification_limit: Mutex<NotificationLimiter>,
    /// Notifications not written over their account's rate limit, since open.
    notifications_dropped: AtomicU64,
    /// What one conversation's session state may hold.
    session_quota: SessionQuota,
}

/// Twilio's "Too Many Requests": the code of the summary of notifications dropped over
/// an account's rate limit.
pub const NOTIFICATIONS_DROPPED: u32 = 20429;

/// The writer connection's page cache, in KiB.
const WRITER_CACHE_KIB: i64 = 64 * 1024;

/// Readers kept open between reads; more may be open at once under load.
const IDLE_READERS: usize = 4;

impl Store {
    /// Open (creating and migrating as needed) `dir/switchyard.db`.
    pub fn open(dir: &Path) -> Result<Self, Error> {
        std::fs::create_dir_all(dir).map_err(|e| Error::Io(e.to_string()))?;
        let path = dir.join("switchyard.db");
        let mut conn = Connection::open(&path)?;
        configure(&conn)?;
        // The writer touches every index of every table it writes; a cache that holds
        // their upper levels and recent leaves keeps bulk call writes off the file
        // (SQLite's default is 2 MiB).
        conn.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
        migrations::apply(&mut conn)?;
        let (writes, writer) = writer::spawn(conn);
        Ok(Self {
            path,
            writes: Some(writes),
            writer: Some(writer),
            readers: Mutex::new(Vec::new()),
            notification_limit: Mutex::new(NotificationLimiter::new(NotificationRate::default())),
            notifications_dropped: AtomicU64::new(0),
            session_quota: SessionQuota::default(),
        })
    }

    /// The same store with another notification rate limit than the default.
    pub fn with_notification_rate(mut self, rate: NotificationRate) -> Self {
        self.notification_limit = Mutex::new(NotificationLimiter::new(rate));
        self
    }

    /// The same store with another session quota than the default.
    pub fn with_session_quota(mut self, session_quota: SessionQuota) -> Self {
        self.session_quota = session_quota;
        self
    }

    /// What one conversation's session state may hold.
    pub fn session_quota(&self) -> SessionQuota {
        self.session_quota
    }

    /// Notifications not written since open because their account was over its rate
    /// limit (each also counted in a summary notification of that account).
    pub fn notifications_dropped(&self) -> u64 {
        self.notifications_dropped.load(Ordering::Relaxed)
    }

    /// Record a call's current state (insert or replace). Returns at once.
    pub fn put_call(&self, record: CallRecord) {
        self.send(Write::Call(Box::new(record)));
    }

    /// Record a recording's current state (insert or replace). Returns at once.
    pub fn put_recording(&self, record: RecordingRecord) {
        self.send(Write::Recording(Box::new(record)));
    }

    /// Record a notification, within its account's rate limit. Returns at once.
    ///
    /// Over the limit the notification is not written but counted: the account's next
    /// notification that is written comes after a summary saying how many were not (at
    /// most one summary per [`NotificationRate::summary_every`]).
    pub fn put_notification(&self, record: NotificationRecord) {
        let (admission, rate) = {
            let mut limit = self
                .notification_limit
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            (
                limit.admit(record.account_sid, Instant::now()),
                limit.rate(),
            )
        };
        match admission {
            Admission::Write(summary) => {
                if let Some(dropped) = summary {
                    let summary = dropped_summary(&record, dropped, rate);
                    self.send(Write::Notification(Box::new(summary)));
                }
                self.send(Write::Notification(Box::new(record)));
            }
            Admission::Drop { first } => {
                self.notifications_dropped.fetch_add(1, Ordering::Relaxed);
                if first {
                    tracing::warn!(
                        account = %record.account_sid,
                        burst = rate.burst,
                        per_second = rate.per_second,
                        "notifications over the account's rate limit are dropped and counted"
                    );
                }
            }
        }
    }

    /// Wait until every write sent before this call is committed.
    pub fn flush(&self) {
        let (tx, rx) = mpsc::channel();
        self.send(Write::Flush(tx));
        let _ = rx.recv();
    }

    /// One call of one account.
    pub fn call(
        &self,
        account: switchyard_types::AccountSid,
        sid: switchyard_types::CallSid,
    ) -> Result<Option<CallRecord>, Error> {
        self.one(
            &format!("{} WHERE account_sid = ?1 AND sid = ?2", calls::SELECT),
            &[account.to_string(), sid.to_string()],
            calls::from_row,
        )
    }

    fn send(&self, w: Write) {
        if let Some(tx) = &self.writes {
            // The writer only stops when the store is dropped.
            let _ = tx.send(w);
        }
    }

    /// Run `job` on the writer thread and wait until its transaction has committed.
    fn write(
        &self,
        job: impl FnOnce(&Connection) -> Result<usize, Error> + Send + 'static,
    ) -> Result<usize, Error> {
        let (tx, rx) = mpsc::channel();
        self.send(Write::Job(Box::new(job), tx));
        rx.recv()
            .map_err(|_| Error::Writer("the writer thread is gone".into()))?
    }

    /// Run `read` on a reader connection.
    fn read<T>(&self, read: impl FnOnce(&Connection) -> Result<T, Error>) -> Result<T, Error> {
        let idle = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match idle {
            Some(c) => c,
            None => {
                let c = Connection::open(&self.path)?;
                configure(&c)?;
                c.set_prepared_statement_cache_capacity(64);
                c
            }
        };
        let out = read(&conn);
        let mut idle = self.readers.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < IDLE_READERS {
            idle.push(conn);
        }
        out
    }

    /// At most one row of `sql` with text parameters.
    fn one<T>(
        &self,
        sql: &str,
        args: &[String],
        map: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>, Error> {
        use rusqlite::OptionalExtension;
        self.read(|conn| {
            Ok(conn
                .prepare_cached(sql)?
                .query_row(rusqlite::params_from_iter(args), map)
                .optional()?)
        })
    }
}

impl Drop for Store {
    /// Let the writer commit what it was sent, so a clean shutdown loses nothing.
    fn drop(&mut self) {
        self.writes = None;
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// The notification written before `next` saying how many of its account's were not.
fn dropped_summary(
    next: &NotificationRecord,
    dropped: Dropped,
    rate: NotificationRate,
) -> NotificationRecord {
    let seconds = dropped.since.elapsed().as_secs_f64();
    NotificationRecord {
        sid: switchyard_types::NotificationSid::random(),
        account_sid: next.account_sid,
        call_sid: None,
        error_code: NOTIFICATIONS_DROPPED,
        log: 1,
        message_text: format!(
            "{} notifications dropped in the last {seconds:.1} s: over the account's rate limit \
             of {} per second (bursts of {})",
            dropped.count, rate.per_second, rate.burst
        ),
        request_url: None,
        // Just before the notification it precedes, so listings keep the order.
        date_created: next.date_created - 1,
    }
}

fn configure(conn: &Connection) -> Result<(), Error> {
    // WAL: readers never block the writer. NORMAL sync: a commit is in the WAL file (the
    // OS has it) when it returns, so a killed process loses nothing committed; only a power
    // loss can drop the last commits, which FULL would prevent at an fsync per commit.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(())
}

#[cfg(test)]
mod tests;
