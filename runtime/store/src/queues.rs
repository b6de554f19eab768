//! The `queues` table: each account's call queues as resources (name, size limit). The
//! callers waiting in them live with the calls, not here.

use rusqlite::{params, Connection, Row};
use switchyard_types::{AccountSid, QueueSid};

use crate::query::parsed;

/// One queue's definition. Times are Unix milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRecord {
    pub sid: QueueSid,
    pub account_sid: AccountSid,
    pub friendly_name: String,
    pub max_size: u32,
    pub date_created: i64,
    pub date_updated: i64,
}

/// A background change of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueWrite {
    Put(QueueRecord),
    Delete(QueueSid),
}

pub(crate) const SELECT: &str = "SELECT sid, account_sid, friendly_name, max_size, \
     date_created, date_updated FROM queues";

pub(crate) fn write(conn: &Connection, w: &QueueWrite) -> rusqlite::Result<usize> {
    match w {
        QueueWrite::Put(q) => conn
            .prepare_cached(
                "INSERT OR REPLACE INTO queues (sid, account_sid, friendly_name, max_size, \
                 date_created, date_updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                q.sid.to_string(),
                q.account_sid.to_string(),
                q.friendly_name,
                q.max_size,
                q.date_created,
                q.date_updated,
            ]),
        QueueWrite::Delete(sid) => conn
            .prepare_cached("DELETE FROM queues WHERE sid = ?1")?
            .execute([sid.to_string()]),
    }
}

pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<QueueRecord> {
    Ok(QueueRecord {
        sid: parsed(row, 0)?,
        account_sid: parsed(row, 1)?,
        friendly_name: row.get(2)?,
        max_size: row.get(3)?,
        date_created: row.get(4)?,
        date_updated: row.get(5)?,
    })
}
