//! The embedded store: SQLite in WAL mode under the node's data directory.
//!
//! Writes on the call path go through one writer thread, so the media and SIP tasks never
//! wait for the disk; readers use their own connection (WAL lets them run beside the
//! writer). Schema changes are versioned migrations applied at open.

mod error;
mod migrations;
mod records;
mod writer;

use std::path::Path;
use std::sync::{mpsc, Mutex};

use rusqlite::{params, Connection, OptionalExtension};
use switchyard_types::{AccountSid, CallSid};

pub use error::Error;
pub use records::{CallRecord, NotificationRecord};
use writer::Write;

/// The node's store.
#[derive(Debug)]
pub struct Store {
    writes: Mutex<mpsc::Sender<Write>>,
    reader: Mutex<Connection>,
}

impl Store {
    /// Open (creating and migrating as needed) `dir/switchyard.db`.
    pub fn open(dir: &Path) -> Result<Self, Error> {
        std::fs::create_dir_all(dir).map_err(|e| Error::Io(e.to_string()))?;
        let path = dir.join("switchyard.db");
        let mut conn = Connection::open(&path)?;
        configure(&conn)?;
        migrations::apply(&mut conn)?;
        let reader = Connection::open(&path)?;
        configure(&reader)?;
        Ok(Self {
            writes: Mutex::new(writer::spawn(conn)),
            reader: Mutex::new(reader),
        })
    }

    /// Record a call's current state (insert or replace). Returns at once.
    pub fn put_call(&self, record: CallRecord) {
        self.send(Write::Call(record));
    }

    /// Record a notification. Returns at once.
    pub fn put_notification(&self, record: NotificationRecord) {
        self.send(Write::Notification(record));
    }

    /// Wait until every write sent before this call is on disk.
    pub fn flush(&self) {
        let (tx, rx) = mpsc::channel();
        self.send(Write::Flush(tx));
        let _ = rx.recv();
    }

    fn send(&self, w: Write) {
        let tx = self.writes.lock().unwrap_or_else(|e| e.into_inner());
        // The writer only stops when the store is dropped.
        let _ = tx.send(w);
    }

    /// One call of one account.
    pub fn call(&self, account: AccountSid, sid: CallSid) -> Result<Option<CallRecord>, Error> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        Ok(conn
            .query_row(
                &format!(
                    "{} WHERE account_sid = ?1 AND sid = ?2",
                    records::CALL_SELECT
                ),
                params![account.to_string(), sid.to_string()],
                records::call_from_row,
            )
            .optional()?)
    }

    /// An account's calls, newest first.
    pub fn calls(
        &self,
        account: AccountSid,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<CallRecord>, Error> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let mut stmt = conn.prepare_cached(&format!(
            "{} WHERE account_sid = ?1 ORDER BY date_created DESC, sid LIMIT ?2 OFFSET ?3",
            records::CALL_SELECT
        ))?;
        let rows = stmt.query_map(
            params![account.to_string(), limit, offset],
            records::call_from_row,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// An account's notifications, newest first.
    pub fn notifications(
        &self,
        account: AccountSid,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<NotificationRecord>, Error> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let mut stmt = conn.prepare_cached(&format!(
            "{} WHERE account_sid = ?1 ORDER BY date_created DESC, sid LIMIT ?2 OFFSET ?3",
            records::NOTIFICATION_SELECT
        ))?;
        let rows = stmt.query_map(
            params![account.to_string(), limit, offset],
            records::notification_from_row,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn configure(conn: &Connection) -> Result<(), Error> {
    // WAL: readers never block the writer; NORMAL sync is durable across process crashes
    // (the WAL is fsynced at checkpoints; a killed process loses nothing committed).
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(())
}

#[cfg(test)]
mod tests;
