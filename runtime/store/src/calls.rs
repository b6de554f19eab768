//! The `calls` table: upsert, row mapping and the filtered listing.

use rusqlite::{params, Connection, Row};
use switchyard_types::{AccountSid, CallStatus};

use crate::query::{invalid, parsed, parsed_opt, Listing};
use crate::records::CallRecord;
use crate::repository::{CallFilter, Page};

pub(crate) const SELECT: &str = "SELECT sid, account_sid, from_number, to_number, status, \
     direction, date_created, start_time, end_time, duration, date_updated, \
     parent_call_sid, phone_number_sid FROM calls";

/// Insert the call or replace every field of the stored one.
pub(crate) fn upsert(conn: &Connection, c: &CallRecord) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO calls (sid, account_sid, from_number, to_number, status, \
         direction, date_created, start_time, end_time, duration, date_updated, \
         parent_call_sid, phone_number_sid) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        c.sid.to_string(),
        c.account_sid.to_string(),
        c.from,
        c.to,
        c.status.as_str(),
        c.direction,
        c.date_created,
        c.start_time,
        c.end_time,
        c.duration,
        c.date_updated,
        c.parent_call_sid.map(|s| s.to_string()),
        c.phone_number_sid.map(|s| s.to_string()),
    ])
}

/// Mark every live call failed, ended at `now`.
pub(crate) fn fail_interrupted(conn: &Connection, now: i64) -> rusqlite::Result<usize> {
    // Spelled out (not bound) so the planner matches the partial index `calls_live`.
    conn.prepare_cached(
        "UPDATE calls SET status = 'failed', end_time = ?1, date_updated = ?1 \
         WHERE status IN ('queued', 'ringing', 'in-progress')",
    )?
    .execute([now])
}

pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<CallRecord> {
    Ok(CallRecord {
        sid: parsed(row, 0)?,
        account_sid: parsed(row, 1)?,
        from: row.get(2)?,
        to: row.get(3)?,
        status: status(row, 4)?,
        direction: row.get(5)?,
        date_created: row.get(6)?,
        start_time: row.get(7)?,
        end_time: row.get(8)?,
        duration: row.get(9)?,
        date_updated: row.get(10)?,
        parent_call_sid: parsed_opt(row, 11)?,
        phone_number_sid: parsed_opt(row, 12)?,
    })
}

fn status(row: &Row<'_>, i: usize) -> rusqlite::Result<CallStatus> {
    use CallStatus::*;
    let text: String = row.get(i)?;
    [
        Queued, Ringing, InProgress, Completed, Busy, Failed, NoAnswer, Canceled,
    ]
    .into_iter()
    .find(|s| s.as_str() == text)
    .ok_or_else(|| invalid(i, &text))
}

/// One page of an account's calls, newest first. Each equality filter has an index
/// `(account_sid, column, date_created DESC, sid DESC)`, so the page is a range scan.
pub(crate) fn listing(account: AccountSid, filter: &CallFilter, page: &Page) -> Listing {
    let mut q = Listing::new(SELECT, "account_sid = ?", account.to_string());
    if let Some(to) = &filter.to {
        q.and("to_number = ?", to.clone());
    }
    if let Some(from) = &filter.from {
        q.and("from_number = ?", from.clone());
    }
    if let Some(status) = filter.status {
        q.and("status = ?", status.as_str().to_owned());
    }
    if let Some(parent) = filter.parent {
        q.and("parent_call_sid = ?", parent.to_string());
    }
    if let Some(t) = filter.started_after {
        q.and("start_time >= ?", t);
    }
    if let Some(t) = filter.started_before {
        q.and("start_time < ?", t);
    }
    q.newest_first(page)
}
