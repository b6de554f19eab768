//! The listings are index range scans with no sort step, whatever the table's size: the
//! plan is checked, not timed (the timing is `examples/list_bench.rs`).

use super::*;
use crate::query::Listing;

/// The `detail` lines of `EXPLAIN QUERY PLAN` for `q`.
fn plan(store: &Store, q: &Listing) -> Vec<String> {
    store
        .read(|c| {
            let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {}", q.sql))?;
            let rows = stmt.query_map(rusqlite::params_from_iter(q.args.iter()), |r| {
                r.get::<_, String>(3)
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .unwrap()
}

/// One indexed search on `index` (the keyset included in its range when paging), and no
/// temporary B-tree for ORDER BY.
fn assert_range_scan(store: &Store, q: &Listing, index: &str, keyset: bool) {
    let plan = plan(store, q);
    assert_eq!(plan.len(), 1, "one step expected: {plan:?}");
    let step = &plan[0];
    assert!(
        step.starts_with("SEARCH ") && step.contains(&format!("USING INDEX {index} ")),
        "{step}"
    );
    if keyset {
        assert!(step.contains("(date_created,sid)<(?,?)"), "{step}");
    }
}

#[test]
fn call_listings_are_range_scans_on_the_right_index() {
    let (_dir, store) = store();
    let account = AccountSid::random();
    let deep = Page {
        size: 50,
        after: Some((123, CallSid::random().to_string())),
    };
    for (filter, index) in [
        (CallFilter::default(), "calls_by_account"),
        (
            CallFilter {
                to: Some("+15550001111".into()),
                ..Default::default()
            },
            "calls_by_to",
        ),
        (
            CallFilter {
                from: Some("+15550001111".into()),
                ..Default::default()
            },
            "calls_by_from",
        ),
        (
            CallFilter {
                status: Some(CallStatus::Completed),
                ..Default::default()
            },
            "calls_by_status",
        ),
    ] {
        assert_range_scan(
            &store,
            &crate::calls::listing(account, &filter, &page(50)),
            index,
            false,
        );
        assert_range_scan(
            &store,
            &crate::calls::listing(account, &filter, &deep),
            index,
            true,
        );
    }
}

#[test]
fn other_listings_are_range_scans() {
    let (_dir, store) = store();
    let account = AccountSid::random();
    let deep = Page {
        size: 50,
        after: Some((123, "XX".into())),
    };
    assert_range_scan(
        &store,
        &crate::notifications::listing(account, &deep),
        "notifications_by_account",
        true,
    );
    assert_range_scan(
        &store,
        &crate::applications::listing(account, &deep),
        "applications_by_account",
        true,
    );
    assert_range_scan(
        &store,
        &crate::numbers::listing(account, &NumberFilter::default(), &deep),
        "phone_numbers_by_account",
        true,
    );
}

#[test]
fn the_start_up_sweep_uses_the_partial_index() {
    let (_dir, store) = store();
    let plan = store
        .read(|c| {
            let mut stmt = c.prepare(
                "EXPLAIN QUERY PLAN UPDATE calls SET status = 'failed', end_time = 1, \
                 date_updated = 1 WHERE status IN ('queued', 'ringing', 'in-progress')",
            )?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(3))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .unwrap();
    assert!(
        plan.iter().any(|s| s.contains("USING INDEX calls_live")),
        "{plan:?}"
    );
}

#[test]
fn recording_listings_are_range_scans_on_the_right_index() {
    let (_dir, store) = store();
    let account = AccountSid::random();
    let deep = Page {
        size: 50,
        after: Some((123, "RE".into())),
    };
    for (filter, index) in [
        (RecordingFilter::default(), "recordings_by_account"),
        (
            RecordingFilter {
                call_sid: Some(CallSid::random()),
                ..Default::default()
            },
            "recordings_by_call",
        ),
        (
            RecordingFilter {
                conference_sid: Some(switchyard_types::ConferenceSid::random()),
                ..Default::default()
            },
            "recordings_by_conference",
        ),
    ] {
        let q = crate::recordings::listing(account, &filter, &deep);
        assert_range_scan(&store, &q, index, true);
    }
    let sweep = store
        .read(|c| {
            let mut stmt = c.prepare(&format!(
                "EXPLAIN QUERY PLAN {} WHERE {}",
                crate::recordings::SELECT,
                crate::recordings::UNFINISHED
            ))?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(3))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .unwrap();
    assert!(
        sweep
            .iter()
            .any(|s| s.contains("USING INDEX recordings_live")),
        "{sweep:?}"
    );
}
