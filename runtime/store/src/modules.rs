//! The `call_modules` table: each call's module spans with their meters, and the sums
//! the Usage resources are read from.
//!
//! Per-account and per-day figures are derived by query rather than kept as counters:
//! a span row is written once, when its call ends, so there is no read-modify-write on
//! the call path, a restart loses nothing a counter would have held, rows written by
//! several nodes into one database add up by themselves, and any window (a day, a month,
//! `-30days`) is one indexed range scan `(account_sid, started)`.

use rusqlite::types::Value;
use rusqlite::{params, Connection, Row};
use switchyard_types::{AccountSid, CallSid};

use crate::query::parsed;

/// One module's time in control of one call, and what it used. Times are Unix ms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleSpanRecord {
    pub account_sid: AccountSid,
    pub call_sid: CallSid,
    /// Its place in the call's order, from 0.
    pub seq: u32,
    /// `app:NAME`, the webhook's origin, or `builtin`.
    pub module: String,
    /// `wasm`, `webhook` or `builtin`.
    pub kind: String,
    /// The Wasm app's version.
    pub version: Option<u32>,
    pub started: i64,
    pub ended: i64,
    pub meter: SpanMeter,
}

/// The meters of a span (or their sums).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SpanMeter {
    pub duration_ms: i64,
    pub steps: i64,
    pub wasm_cpu_us: i64,
    pub webhook_requests: i64,
    pub webhook_latency_ms: i64,
    pub tts_characters: i64,
    pub media_ms: i64,
    pub bridged_ms: i64,
    pub errors: i64,
    pub recorded_ms: i64,
}

/// One module's sums over a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleUsage {
    pub module: String,
    pub kind: String,
    /// Distinct calls it controlled.
    pub calls: i64,
    /// Times it took control.
    pub spans: i64,
    pub meter: SpanMeter,
}

const METERS: &str = "duration_ms, steps, wasm_cpu_us, webhook_requests, webhook_latency_ms, \
     tts_characters, media_ms, bridged_ms, errors, recorded_ms";

pub(crate) fn insert(conn: &Connection, s: &ModuleSpanRecord) -> rusqlite::Result<usize> {
    let m = &s.meter;
    conn.prepare_cached(&format!(
        "INSERT OR REPLACE INTO call_modules (call_sid, seq, account_sid, module, kind, \
         version, started, ended, {METERS}) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"
    ))?
    .execute(params![
        s.call_sid.to_string(),
        s.seq,
        s.account_sid.to_string(),
        s.module,
        s.kind,
        s.version,
        s.started,
        s.ended,
        m.duration_ms,
        m.steps,
        m.wasm_cpu_us,
        m.webhook_requests,
        m.webhook_latency_ms,
        m.tts_characters,
        m.media_ms,
        m.bridged_ms,
        m.errors,
        m.recorded_ms,
    ])
}

fn meter(row: &Row<'_>, at: usize) -> rusqlite::Result<SpanMeter> {
    Ok(SpanMeter {
        duration_ms: row.get(at)?,
        steps: row.get(at + 1)?,
        wasm_cpu_us: row.get(at + 2)?,
        webhook_requests: row.get(at + 3)?,
        webhook_latency_ms: row.get(at + 4)?,
        tts_characters: row.get(at + 5)?,
        media_ms: row.get(at + 6)?,
        bridged_ms: row.get(at + 7)?,
        errors: row.get(at + 8)?,
        recorded_ms: row.get(at + 9)?,
    })
}

/// One call's spans, in order.
pub(crate) fn of_call(
    conn: &Connection,
    account: AccountSid,
    call: CallSid,
) -> rusqlite::Result<Vec<ModuleSpanRecord>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT account_sid, call_sid, seq, module, kind, version, started, ended, {METERS} \
         FROM call_modules WHERE call_sid = ?1 AND account_sid = ?2 ORDER BY seq"
    ))?;
    let rows = stmt.query_map(params![call.to_string(), account.to_string()], |r| {
        Ok(ModuleSpanRecord {
            account_sid: parsed(r, 0)?,
            call_sid: parsed(r, 1)?,
            seq: r.get(2)?,
            module: r.get(3)?,
            kind: r.get(4)?,
            version: r.get(5)?,
            started: r.get(6)?,
            ended: r.get(7)?,
            meter: meter(r, 8)?,
        })
    })?;
    rows.collect()
}

/// `accounts IN (…)` with its values, for the sums below.
fn accounts_in(accounts: &[AccountSid]) -> (String, Vec<Value>) {
    let marks = vec!["?"; accounts.len().max(1)].join(", ");
    let mut args: Vec<Value> = accounts
        .iter()
        .map(|a| Value::Text(a.to_string()))
        .collect();
    if args.is_empty() {
        args.push(Value::Null);
    }
    (format!("account_sid IN ({marks})"), args)
}

/// Each module's sums over the spans of `accounts` that started in `[from, to)`.
pub(crate) fn usage(
    conn: &Connection,
    accounts: &[AccountSid],
    from: i64,
    to: i64,
    module: Option<&str>,
) -> rusqlite::Result<Vec<ModuleUsage>> {
    let (cond, mut args) = accounts_in(accounts);
    let sums = METERS
        .split(", ")
        .map(|c| format!("SUM({c})"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut sql = format!(
        "SELECT module, kind, COUNT(DISTINCT call_sid), COUNT(*), {sums} FROM call_modules \
         WHERE {cond} AND started >= ? AND started < ?"
    );
    args.push(Value::Integer(from));
    args.push(Value::Integer(to));
    if let Some(m) = module {
        sql.push_str(" AND module = ?");
        args.push(Value::Text(m.to_owned()));
    }
    sql.push_str(" GROUP BY module, kind ORDER BY module");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| {
        Ok(ModuleUsage {
            module: r.get(0)?,
            kind: r.get(1)?,
            calls: r.get(2)?,
            spans: r.get(3)?,
            meter: meter(r, 4)?,
        })
    })?;
    rows.collect()
}

/// What calls of `accounts` that started in `[from, to)` used, by direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallUsage {
    pub inbound: CallSums,
    pub outbound: CallSums,
    /// Characters synthesized to speech during those calls (from their module spans).
    pub tts_characters: i64,
    /// Completed recordings created in the window, and their minutes (each rounded up
    /// to the minute).
    pub recordings: i64,
    pub recording_minutes: i64,
}

/// Calls counted and their minutes (each call rounded up to the minute, as Twilio bills).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallSums {
    pub calls: i64,
    pub seconds: i64,
    pub minutes: i64,
}

pub(crate) fn call_usage(
    conn: &Connection,
    accounts: &[AccountSid],
    from: i64,
    to: i64,
) -> rusqlite::Result<CallUsage> {
    let (cond, mut args) = accounts_in(accounts);
    args.push(Value::Integer(from));
    args.push(Value::Integer(to));
    // Calls that were answered and ended: what Twilio bills.
    let sql = format!(
        "SELECT direction = 'inbound', COUNT(*), SUM(duration), SUM((duration + 59) / 60) \
         FROM calls WHERE {cond} AND start_time >= ? AND start_time < ? \
         AND status = 'completed' AND duration IS NOT NULL GROUP BY 1"
    );
    let mut out = CallUsage::default();
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
    while let Some(r) = rows.next()? {
        let sums = CallSums {
            calls: r.get(1)?,
            seconds: r.get::<_, Option<i64>>(2)?.unwrap_or(0),
            minutes: r.get::<_, Option<i64>>(3)?.unwrap_or(0),
        };
        if r.get::<_, bool>(0)? {
            out.inbound = sums;
        } else {
            out.outbound = sums;
        }
    }
    drop(rows);
    let sql = format!(
        "SELECT COALESCE(SUM(tts_characters), 0) FROM call_modules \
         WHERE {cond} AND started >= ? AND started < ?"
    );
    out.tts_characters = conn
        .prepare_cached(&sql)?
        .query_row(rusqlite::params_from_iter(args.iter()), |r| r.get(0))?;
    let sql = format!(
        "SELECT COUNT(*), COALESCE(SUM((duration + 59) / 60), 0) FROM recordings \
         WHERE {cond} AND date_created >= ? AND date_created < ? AND status = 'completed'"
    );
    (out.recordings, out.recording_minutes) = conn
        .prepare_cached(&sql)?
        .query_row(rusqlite::params_from_iter(args), |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    Ok(out)
}
