//! The `applications` table: voice URL bundles that numbers can share.

use rusqlite::{params, Connection, OptionalExtension, Row};
use switchyard_types::AccountSid;

use crate::query::{parsed, Listing};
use crate::records::Application;
use crate::repository::Page;
use crate::Error;

pub(crate) const SELECT: &str = "SELECT sid, account_sid, friendly_name, voice_url, \
     voice_method, voice_fallback_url, voice_fallback_method, status_callback, \
     status_callback_method, date_created, date_updated FROM applications";

/// Insert or replace an application of its account.
pub(crate) fn put(conn: &Connection, a: &Application) -> Result<usize, Error> {
    let account = a.account_sid.to_string();
    let sid = a.sid.to_string();
    let owner: Option<String> = conn
        .prepare_cached("SELECT account_sid FROM applications WHERE sid = ?1")?
        .query_row([&sid], |r| r.get(0))
        .optional()?;
    if owner.is_some_and(|o| o != account) {
        return Err(Error::Conflict {
            what: "application sid",
            value: sid,
        });
    }
    Ok(conn
        .prepare_cached(
            "INSERT OR REPLACE INTO applications (sid, account_sid, friendly_name, voice_url, \
             voice_method, voice_fallback_url, voice_fallback_method, status_callback, \
             status_callback_method, date_created, date_updated) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?
        .execute(params![
            sid,
            account,
            a.friendly_name,
            a.voice_url,
            a.voice_method,
            a.voice_fallback_url,
            a.voice_fallback_method,
            a.status_callback,
            a.status_callback_method,
            a.date_created,
            a.date_updated,
        ])?)
}

pub(crate) fn delete(conn: &Connection, account: AccountSid, sid: &str) -> Result<usize, Error> {
    Ok(conn
        .prepare_cached("DELETE FROM applications WHERE account_sid = ?1 AND sid = ?2")?
        .execute(params![account.to_string(), sid])?)
}

pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<Application> {
    Ok(Application {
        sid: parsed(row, 0)?,
        account_sid: parsed(row, 1)?,
        friendly_name: row.get(2)?,
        voice_url: row.get(3)?,
        voice_method: row.get(4)?,
        voice_fallback_url: row.get(5)?,
        voice_fallback_method: row.get(6)?,
        status_callback: row.get(7)?,
        status_callback_method: row.get(8)?,
        date_created: row.get(9)?,
        date_updated: row.get(10)?,
    })
}

/// One page of an account's applications, newest first.
pub(crate) fn listing(account: AccountSid, page: &Page) -> Listing {
    Listing::new(SELECT, "account_sid = ?", account.to_string()).newest_first(page)
}
