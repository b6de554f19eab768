//! The `wasm_apps` table: every deployed version of every tenant app, with its bytes.

use rusqlite::{params, Connection, OptionalExtension, Row};
use switchyard_types::AccountSid;

use crate::query::parsed;
use crate::records::WasmApp;
use crate::Error;

pub(crate) const SELECT: &str = "SELECT account_sid, name, version, sha256, size, \
     memory_limit, cpu_ms, http_allow, date_created, kind FROM wasm_apps";

/// Store a new version of `app.name`; its number is one more than the latest (1 for a new
/// name), decided inside the writer's transaction so two uploads never share one.
pub(crate) fn insert(conn: &Connection, app: &WasmApp, bytes: &[u8]) -> Result<u32, Error> {
    let account = app.account_sid.to_string();
    let latest: Option<u32> = conn
        .prepare_cached("SELECT MAX(version) FROM wasm_apps WHERE account_sid = ?1 AND name = ?2")?
        .query_row(params![account, app.name], |r| r.get(0))?;
    let version = latest.unwrap_or(0) + 1;
    conn.prepare_cached(
        "INSERT INTO wasm_apps (account_sid, name, version, sha256, size, memory_limit, \
         cpu_ms, http_allow, bytes, date_created, kind) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        account,
        app.name,
        version,
        app.sha256,
        app.size as i64,
        app.memory_limit as i64,
        app.cpu_ms,
        app.http_allow.join(","),
        bytes,
        app.date_created,
        app.kind,
    ])?;
    Ok(version)
}

pub(crate) fn delete(conn: &Connection, account: AccountSid, name: &str) -> Result<usize, Error> {
    Ok(conn
        .prepare_cached("DELETE FROM wasm_apps WHERE account_sid = ?1 AND name = ?2")?
        .execute(params![account.to_string(), name])?)
}

pub(crate) fn bytes(
    conn: &Connection,
    account: AccountSid,
    name: &str,
    version: u32,
) -> rusqlite::Result<Option<Vec<u8>>> {
    conn.prepare_cached(
        "SELECT bytes FROM wasm_apps WHERE account_sid = ?1 AND name = ?2 AND version = ?3",
    )?
    .query_row(params![account.to_string(), name, version], |r| r.get(0))
    .optional()
}

pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<WasmApp> {
    let allow: String = row.get(7)?;
    Ok(WasmApp {
        account_sid: parsed(row, 0)?,
        name: row.get(1)?,
        version: row.get(2)?,
        sha256: row.get(3)?,
        size: row.get::<_, i64>(4)? as u64,
        memory_limit: row.get::<_, i64>(5)? as u64,
        cpu_ms: row.get(6)?,
        http_allow: allow
            .split(',')
            .filter(|h| !h.is_empty())
            .map(str::to_owned)
            .collect(),
        date_created: row.get(8)?,
        kind: row.get(9)?,
    })
}
