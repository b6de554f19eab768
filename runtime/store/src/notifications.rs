//! The `notifications` table: insert, row mapping and the listing.

use rusqlite::{params, Connection, Row};
use switchyard_types::AccountSid;

use crate::query::{parsed, parsed_opt, Listing};
use crate::records::NotificationRecord;
use crate::repository::Page;

pub(crate) const SELECT: &str = "SELECT sid, account_sid, call_sid, error_code, log, \
     message_text, request_url, date_created FROM notifications";

/// Insert a notification; the same SID written twice keeps the latest.
pub(crate) fn upsert(conn: &Connection, n: &NotificationRecord) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO notifications (sid, account_sid, call_sid, error_code, log, \
         message_text, request_url, date_created) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        n.sid.to_string(),
        n.account_sid.to_string(),
        n.call_sid.map(|c| c.to_string()),
        n.error_code,
        n.log,
        n.message_text,
        n.request_url,
        n.date_created,
    ])
}

pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<NotificationRecord> {
    Ok(NotificationRecord {
        sid: parsed(row, 0)?,
        account_sid: parsed(row, 1)?,
        call_sid: parsed_opt(row, 2)?,
        error_code: row.get(3)?,
        log: row.get(4)?,
        message_text: row.get(5)?,
        request_url: row.get(6)?,
        date_created: row.get(7)?,
    })
}

/// One page of an account's notifications, newest first.
pub(crate) fn listing(account: AccountSid, page: &Page) -> Listing {
    Listing::new(SELECT, "account_sid = ?", account.to_string()).newest_first(page)
}
