//! The `subscriptions` table: the event router's control channel, made durable.

use rusqlite::{params, Connection, Row};
use switchyard_types::{AccountSid, SubscriptionSid};

use crate::query::parsed;
use crate::records::Subscription;
use crate::Error;

pub(crate) const SELECT: &str = "SELECT sid, account_sid, types, filters, wasm_filter, \
     sink_url, expires_at, date_created, date_updated FROM subscriptions";

// Lists are stored as JSON arrays: filter values may contain any character.
fn list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

pub(crate) fn upsert(conn: &Connection, s: &Subscription) -> Result<usize, Error> {
    Ok(conn
        .prepare_cached(
            "INSERT INTO subscriptions (sid, account_sid, types, filters, wasm_filter, sink_url, \
             expires_at, date_created, date_updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
             ON CONFLICT (sid) DO UPDATE SET types = ?3, filters = ?4, wasm_filter = ?5, \
             sink_url = ?6, expires_at = ?7, date_updated = ?9",
        )?
        .execute(params![
            s.sid.to_string(),
            s.account_sid.to_string(),
            list(&s.types),
            list(&s.filters),
            s.wasm_filter,
            s.sink_url,
            s.expires_at,
            s.date_created,
            s.date_updated,
        ])?)
}

pub(crate) fn delete(
    conn: &Connection,
    account: AccountSid,
    sid: SubscriptionSid,
) -> Result<usize, Error> {
    Ok(conn
        .prepare_cached("DELETE FROM subscriptions WHERE account_sid = ?1 AND sid = ?2")?
        .execute(params![account.to_string(), sid.to_string()])?)
}

pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<Subscription> {
    let json = |i: usize| -> rusqlite::Result<Vec<String>> {
        let text: String = row.get(i)?;
        serde_json::from_str(&text).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
        })
    };
    Ok(Subscription {
        sid: parsed(row, 0)?,
        account_sid: parsed(row, 1)?,
        types: json(2)?,
        filters: json(3)?,
        wasm_filter: row.get(4)?,
        sink_url: row.get(5)?,
        expires_at: row.get(6)?,
        date_created: row.get(7)?,
        date_updated: row.get(8)?,
    })
}
