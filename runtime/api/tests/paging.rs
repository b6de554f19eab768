//! Keyset paging: following `next_page_uri` walks every record exactly once.

mod common;

use std::collections::HashSet;

use axum::http::Method;
use common::Harness;
use switchyard_store::{CallRecord, Repository};
use switchyard_types::{CallSid, CallStatus};

fn seed(h: &Harness, n: i64, to_of: impl Fn(i64) -> &'static str) -> HashSet<String> {
    (0..n)
        .map(|i| {
            let c = CallRecord {
                sid: CallSid::random(),
                account_sid: h.root.sid,
                from: "+15559990000".into(),
                to: to_of(i).into(),
                status: CallStatus::Completed,
                direction: "inbound".into(),
                // Pairs share a creation time so the SID must break ties.
                date_created: 1_000 + i / 2,
                start_time: None,
                end_time: None,
                duration: None,
                date_updated: 1_000,
                parent_call_sid: None,
                phone_number_sid: None,
            };
            h.repo.put_call_durable(&c).unwrap();
            c.sid.to_string()
        })
        .collect()
}

/// Follow next_page_uri from `first`; returns every sid seen, in order, and the pages.
async fn walk(h: &Harness, first: String) -> (Vec<String>, Vec<serde_json::Value>) {
    let mut seen = Vec::new();
    let mut pages = Vec::new();
    let mut next = Some(first);
    while let Some(uri) = next {
        let r = h.root(Method::GET, &uri, "").await;
        assert_eq!(r.status, 200, "{uri}: {}", r.body);
        seen.extend(
            r.body["calls"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["sid"].as_str().unwrap().to_owned()),
        );
        next = r.body["next_page_uri"].as_str().map(str::to_owned);
        pages.push(r.body);
        assert!(pages.len() < 100, "paging does not terminate");
    }
    (seen, pages)
}

#[tokio::test]
async fn next_page_uri_walks_all_records_exactly_once() {
    let h = Harness::new();
    let all = seed(&h, 23, |_| "+15550000001");
    let (seen, pages) = walk(&h, h.path("/Calls.json?PageSize=5")).await;
    assert_eq!(seen.len(), 23);
    assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), all);
    assert_eq!(pages.len(), 5);
    for (i, p) in pages.iter().enumerate() {
        assert_eq!(p["page"], i);
        assert_eq!(p["page_size"], 5);
        assert_eq!(p["start"], i * 5);
        assert_eq!(p["first_page_uri"], h.path("/Calls.json?PageSize=5&Page=0"));
        assert!(p["previous_page_uri"].is_null());
    }
    assert_eq!(pages[4]["end"], 22);
    // Only the records key beside Twilio's meta keys (the helper libraries rely on it).
    let keys: HashSet<&str> = pages[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let expected: HashSet<&str> = [
        "calls",
        "page",
        "page_size",
        "start",
        "end",
        "uri",
        "first_page_uri",
        "next_page_uri",
        "previous_page_uri",
    ]
    .into();
    assert_eq!(keys, expected);
}

#[tokio::test]
async fn filters_are_carried_across_pages() {
    let h = Harness::new();
    let all = seed(&h, 12, |i| {
        if i % 3 == 0 {
            "+15550000003"
        } else {
            "+15550000001"
        }
    });
    let (seen, pages) = walk(&h, h.path("/Calls.json?To=%2B15550000003&PageSize=2")).await;
    assert_eq!(seen.len(), 4);
    assert!(seen.iter().all(|s| all.contains(s)));
    assert_eq!(pages.len(), 2);
    assert!(pages[0]["next_page_uri"]
        .as_str()
        .unwrap()
        .contains("To=%2B15550000003"));
}

#[tokio::test]
async fn exact_multiple_has_no_empty_trailing_page_and_bad_paging_is_400() {
    let h = Harness::new();
    seed(&h, 4, |_| "+15550000001");
    let (seen, pages) = walk(&h, h.path("/Calls.json?PageSize=2")).await;
    assert_eq!((seen.len(), pages.len()), (4, 2));
    for (q, name) in [
        ("PageSize=0", "PageSize"),
        ("PageSize=1001", "PageSize"),
        ("Page=3", "Page"),
        ("Page=1&PageToken=bogus", "PageToken"),
    ] {
        let m = h
            .root(Method::GET, &h.path(&format!("/Calls.json?{q}")), "")
            .await
            .error(400, 400);
        assert!(m.starts_with(&format!("{name}:")), "{q}: {m}");
    }
}
