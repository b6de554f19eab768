//! The `session_values` table: per-conversation state of Wasm apps.

use rusqlite::{params, Connection};

use crate::records::SessionScope;
use crate::Error;

pub(crate) fn set(
    conn: &Connection,
    scope: &SessionScope,
    key: &str,
    value: &str,
    now: i64,
) -> Result<usize, Error> {
    Ok(conn
        .prepare_cached(
            "INSERT INTO session_values (account_sid, from_number, to_number, key, value, \
             date_updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT (account_sid, from_number, to_number, key) \
             DO UPDATE SET value = excluded.value, date_updated = excluded.date_updated",
        )?
        .execute(params![
            scope.account_sid.to_string(),
            scope.from,
            scope.to,
            key,
            value,
            now
        ])?)
}

pub(crate) fn delete(conn: &Connection, scope: &SessionScope, key: &str) -> Result<usize, Error> {
    Ok(conn
        .prepare_cached(
            "DELETE FROM session_values WHERE account_sid = ?1 AND from_number = ?2 \
             AND to_number = ?3 AND key = ?4",
        )?
        .execute(params![
            scope.account_sid.to_string(),
            scope.from,
            scope.to,
            key
        ])?)
}
