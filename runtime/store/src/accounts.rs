//! The `accounts` table: accounts and subaccounts with their credentials and limits.

use rusqlite::{params, Connection, OptionalExtension, Row};
use switchyard_types::AccountSid;

use crate::query::{invalid, parsed, parsed_opt, Listing};
use crate::records::{Account, AccountStatus};
use crate::repository::Page;
use crate::Error;

pub(crate) const SELECT: &str = "SELECT sid, owner_account_sid, friendly_name, status, \
     auth_token, secondary_auth_token, signing_key, calls_per_second, max_concurrent_calls, \
     date_created, date_updated FROM accounts";

/// Insert a new account; its SID must be new.
pub(crate) fn insert(conn: &Connection, a: &Account) -> Result<usize, Error> {
    let exists = conn
        .prepare_cached("SELECT 1 FROM accounts WHERE sid = ?1")?
        .query_row([a.sid.to_string()], |_| Ok(()))
        .optional()?
        .is_some();
    if exists {
        return Err(Error::Conflict {
            what: "account",
            value: a.sid.to_string(),
        });
    }
    Ok(conn
        .prepare_cached(
            "INSERT INTO accounts (sid, owner_account_sid, friendly_name, status, auth_token, \
             secondary_auth_token, signing_key, calls_per_second, max_concurrent_calls, \
             date_created, date_updated) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?
        .execute(params![
            a.sid.to_string(),
            a.owner_account_sid.map(|s| s.to_string()),
            a.friendly_name,
            a.status.as_str(),
            a.auth_token,
            a.secondary_auth_token,
            a.signing_key,
            a.calls_per_second,
            a.max_concurrent_calls,
            a.date_created,
            a.date_updated,
        ])?)
}

/// Replace every mutable field of an existing account. The owner and creation date are
/// fixed at creation: moving a subaccount between owners is not an update Twilio offers.
pub(crate) fn update(conn: &Connection, a: &Account) -> Result<usize, Error> {
    let changed = conn
        .prepare_cached(
            "UPDATE accounts SET friendly_name = ?2, status = ?3, auth_token = ?4, \
             secondary_auth_token = ?5, signing_key = ?6, calls_per_second = ?7, \
             max_concurrent_calls = ?8, date_updated = ?9 WHERE sid = ?1",
        )?
        .execute(params![
            a.sid.to_string(),
            a.friendly_name,
            a.status.as_str(),
            a.auth_token,
            a.secondary_auth_token,
            a.signing_key,
            a.calls_per_second,
            a.max_concurrent_calls,
            a.date_updated,
        ])?;
    if changed == 0 {
        return Err(Error::NotFound {
            what: "account",
            sid: a.sid.to_string(),
        });
    }
    Ok(changed)
}

pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<Account> {
    let status: String = row.get(3)?;
    Ok(Account {
        sid: parsed(row, 0)?,
        owner_account_sid: parsed_opt(row, 1)?,
        friendly_name: row.get(2)?,
        status: AccountStatus::parse(&status).ok_or_else(|| invalid(3, &status))?,
        auth_token: row.get(4)?,
        secondary_auth_token: row.get(5)?,
        signing_key: row.get(6)?,
        calls_per_second: row.get(7)?,
        max_concurrent_calls: row.get(8)?,
        date_created: row.get(9)?,
        date_updated: row.get(10)?,
    })
}

/// The account itself and its subaccounts, oldest first (the parent, created first,
/// leads the first page).
pub(crate) fn listing(parent: AccountSid, page: &Page) -> Listing {
    // One parameter used twice: a later bare `?` takes the next number, ?2.
    Listing::new(
        SELECT,
        "(sid = ?1 OR owner_account_sid = ?1)",
        parent.to_string(),
    )
    .oldest_first(page)
}
