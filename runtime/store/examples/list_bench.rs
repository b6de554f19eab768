//! Listing calls from 1,000,000 records: our `Repository::calls` against the raw SQLite
//! query through rusqlite (same SQL, same index, no mapping to `CallRecord`), measured in
//! the same run so the table shows our overhead as a ratio.
//!
//! `cargo run --release -p switchyard-store --example list_bench`

use std::time::{Duration, Instant};

use rusqlite::types::Value;
use rusqlite::Connection;
use switchyard_store::{CallFilter, CallRecord, Page, Repository, Store};
use switchyard_types::{AccountSid, CallSid, CallStatus};

/// `LIST_BENCH_CALLS` overrides it for quick experiments.
const CALLS: u64 = 1_000_000;
const ACCOUNTS: u64 = 10;
const REQUESTS: usize = 2_000;
const PAGE: u32 = 50;
/// Distinct `To` numbers per account: a `To` filter matches ~1,000 calls of 100,000.
const TO_NUMBERS: u64 = 100;

fn account(i: u64) -> AccountSid {
    let mut b = [0u8; 16];
    b[8..].copy_from_slice(&i.to_be_bytes());
    AccountSid::from_bytes(b)
}

fn status(i: u64) -> CallStatus {
    // Mostly completed; busy is one call in ten.
    match i % 10 {
        0 => CallStatus::Busy,
        1 => CallStatus::NoAnswer,
        2 => CallStatus::Failed,
        _ => CallStatus::Completed,
    }
}

fn record(i: u64) -> CallRecord {
    // A cheap scramble so SIDs do not follow insertion order.
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&i.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_be_bytes());
    b[8..].copy_from_slice(&i.to_be_bytes());
    // Three calls per millisecond, so equal `date_created` values are common.
    let created = 1_700_000_000_000 + (i / 3) as i64;
    CallRecord {
        sid: CallSid::from_bytes(b),
        account_sid: account(i % ACCOUNTS),
        from: format!("+1666{:07}", i % 5_000),
        to: format!("+1555{:07}", (i / ACCOUNTS) % TO_NUMBERS),
        status: status(i / ACCOUNTS),
        direction: "inbound".into(),
        date_created: created,
        start_time: Some(created + 2_000),
        end_time: Some(created + 62_000),
        duration: Some(60),
        date_updated: created + 62_000,
        parent_call_sid: None,
        phone_number_sid: None,
    }
}

/// Percentile of sorted samples.
fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// p50 and p99 of `ours` and of `reference`, run alternately so both see the same machine
/// (other work on it shifts both, not one), plus the rows each returned.
fn measure(
    mut ours: impl FnMut() -> usize,
    mut reference: impl FnMut() -> usize,
) -> ([Duration; 2], [Duration; 2], usize) {
    let rows = ours(); // warm the statement caches and the pages
    assert_eq!(reference(), rows, "both sides return the same page");
    let (mut a, mut b) = (Vec::with_capacity(REQUESTS), Vec::with_capacity(REQUESTS));
    for _ in 0..REQUESTS {
        let t = Instant::now();
        let n = ours();
        a.push(t.elapsed());
        let t = Instant::now();
        let m = reference();
        b.push(t.elapsed());
        assert_eq!(
            (n, m),
            (rows, rows),
            "the same query returned a different page"
        );
    }
    a.sort();
    b.sort();
    (
        [pct(&a, 0.5), pct(&a, 0.99)],
        [pct(&b, 0.5), pct(&b, 0.99)],
        rows,
    )
}

/// The reference: the same SELECT, each column read as SQLite hands it over.
fn raw(conn: &Connection, sql: &str, args: &[Value]) -> usize {
    let mut stmt = conn.prepare_cached(sql).unwrap();
    let mut rows = stmt.query(rusqlite::params_from_iter(args)).unwrap();
    let mut n = 0;
    while let Some(row) = rows.next().unwrap() {
        for c in 0..13 {
            std::hint::black_box(row.get_ref(c).unwrap());
        }
        n += 1;
    }
    n
}

const SELECT: &str = "SELECT sid, account_sid, from_number, to_number, status, direction, \
     date_created, start_time, end_time, duration, date_updated, parent_call_sid, \
     phone_number_sid FROM calls";

fn main() {
    let calls: u64 = std::env::var("LIST_BENCH_CALLS")
        .map(|v| v.parse().expect("LIST_BENCH_CALLS is a number"))
        .unwrap_or(CALLS);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();

    // Fill through the call path: background writes, batched by the writer thread.
    let t = Instant::now();
    for i in 0..calls {
        store.put_call(record(i));
    }
    store.flush();
    let fill = t.elapsed();
    eprintln!("filled {calls} calls in {fill:?}");

    let conn = Connection::open(dir.path().join("switchyard.db")).unwrap();
    let acc = account(3);
    let a = Value::Text(acc.to_string());
    let limit = Value::Integer(PAGE.into());
    // A keyset cursor 90% of the way through the account's calls.
    let (deep_created, deep_sid): (i64, String) = conn
        .query_row(
            "SELECT date_created, sid FROM calls WHERE account_sid = ?1 \
             ORDER BY date_created DESC, sid DESC LIMIT 1 OFFSET ?2",
            rusqlite::params![acc.to_string(), calls / ACCOUNTS * 9 / 10],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let to = format!("+1555{:07}", 42);
    let order = " ORDER BY date_created DESC, sid DESC LIMIT ?";

    let first = Page {
        size: PAGE,
        after: None,
    };
    let deep = Page {
        size: PAGE,
        after: Some((deep_created, deep_sid.clone())),
    };
    let none = CallFilter::default();
    let by_to = CallFilter {
        to: Some(to.clone()),
        ..Default::default()
    };
    let by_status = CallFilter {
        status: Some(CallStatus::Busy),
        ..Default::default()
    };
    type Case<'a> = (&'a str, &'a CallFilter, &'a Page, String, Vec<Value>);
    let cases: Vec<Case> = vec![
        (
            "first page",
            &none,
            &first,
            format!("{SELECT} WHERE account_sid = ?{order}"),
            vec![a.clone(), limit.clone()],
        ),
        (
            "page 90% deep (keyset)",
            &none,
            &deep,
            format!("{SELECT} WHERE account_sid = ? AND (date_created, sid) < (?, ?){order}"),
            vec![
                a.clone(),
                Value::Integer(deep_created),
                Value::Text(deep_sid),
                limit.clone(),
            ],
        ),
        (
            "To filter, first page",
            &by_to,
            &first,
            format!("{SELECT} WHERE account_sid = ? AND to_number = ?{order}"),
            vec![a.clone(), Value::Text(to), limit.clone()],
        ),
        (
            "Status=busy, first page",
            &by_status,
            &first,
            format!("{SELECT} WHERE account_sid = ? AND status = ?{order}"),
            vec![a.clone(), Value::Text("busy".into()), limit.clone()],
        ),
    ];

    println!(
        "{calls} calls over {ACCOUNTS} accounts, filled through `put_call` in {:.1} s \
         ({:.0} calls/s); {REQUESTS} requests per row, page size {PAGE}.\n",
        fill.as_secs_f64(),
        calls as f64 / fill.as_secs_f64()
    );
    println!("| listing | rows | ours p50 | ours p99 | raw rusqlite p50 | raw p99 | ratio p50 | ratio p99 |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (name, filter, page, sql, args) in &cases {
        let ([o50, o99], [r50, r99], rows) = measure(
            || store.calls(acc, filter, page).unwrap().len(),
            || raw(&conn, sql, args),
        );
        assert_eq!(rows, PAGE as usize, "{name}: a full page");
        println!(
            "| {name} | {rows} | {:.1} µs | {:.1} µs | {:.1} µs | {:.1} µs | {:.2} | {:.2} |",
            micros(o50),
            micros(o99),
            micros(r50),
            micros(r99),
            micros(o50) / micros(r50),
            micros(o99) / micros(r99),
        );
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
