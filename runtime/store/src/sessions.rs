//! The `session_values` table: per-conversation state of Wasm apps, within a quota per
//! conversation.

use rusqlite::{params, Connection};

use crate::records::SessionScope;
use crate::Error;

/// What one conversation's session state may hold: conversation state, not a blob store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionQuota {
    /// Keys per conversation.
    pub max_keys: u64,
    /// Bytes of keys and values (UTF-8) per conversation.
    pub max_bytes: u64,
}

impl Default for SessionQuota {
    /// 100 keys and 256 KiB per conversation.
    fn default() -> Self {
        SessionQuota {
            max_keys: 100,
            max_bytes: 256 * 1024,
        }
    }
}

/// Stores `value` under `key` unless the conversation would then hold more than
/// `quota` allows (counting `key`'s new value in place of its old one).
pub(crate) fn set(
    conn: &Connection,
    scope: &SessionScope,
    key: &str,
    value: &str,
    now: i64,
    quota: SessionQuota,
) -> Result<usize, Error> {
    let (others, other_bytes): (u64, u64) = conn
        .prepare_cached(
            "SELECT count(*), coalesce(sum(length(CAST(key AS BLOB)) \
             + length(CAST(value AS BLOB))), 0) FROM session_values \
             WHERE account_sid = ?1 AND from_number = ?2 AND to_number = ?3 AND key <> ?4",
        )?
        .query_row(
            params![scope.account_sid.to_string(), scope.from, scope.to, key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
    let keys = others + 1;
    let bytes = other_bytes + (key.len() + value.len()) as u64;
    if keys > quota.max_keys || bytes > quota.max_bytes {
        return Err(Error::SessionQuota {
            keys,
            bytes,
            max_keys: quota.max_keys,
            max_bytes: quota.max_bytes,
        });
    }
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
