//! The replay-to-live seam and the fan-out, through the in-process broker.

use std::sync::Arc;

use switchyard_events::{
    Broker, Cursor, Draft, Entry, EventId, LocalBroker, Retention, Router, Spec,
};
use switchyard_types::{AccountSid, CallSid};

fn clock() -> u64 {
    1_000
}

fn draft(account: AccountSid, root: AccountSid, kind: &str) -> Draft {
    Draft {
        account_sid: account,
        root_sid: root,
        call_sid: Some(CallSid::random()),
        event_type: kind.into(),
        timestamp_ms: 0,
        data: vec![("From".into(), "+15551234567".into())],
    }
}

fn all() -> Vec<Entry> {
    vec![Entry {
        key: "all".into(),
        spec: Arc::new(Spec::default()),
    }]
}

#[tokio::test]
async fn resuming_delivers_exactly_the_missed_events_then_live_ones() {
    let router = Router::new(1024);
    let broker = LocalBroker::new(router.clone(), 7, 4, Retention::default(), clock);
    let a = AccountSid::random();
    // A first connection sees three events, then drops.
    let mut first = router.register(a, a, all(), false);
    for _ in 0..3 {
        broker.publish(draft(a, a, "call.initiated"));
    }
    let mut seen = Vec::new();
    while let Ok(d) = first.rx.try_recv() {
        seen.push(d.event.id);
    }
    assert_eq!(seen.len(), 3);
    drop(first);
    assert!(router.is_empty());
    // Missed while disconnected.
    for _ in 0..4 {
        broker.publish(draft(a, a, "say.started"));
    }
    // Reconnect: register first, then replay; an event published in between is in both.
    let mut again = router.register(a, a, all(), false);
    broker.publish(draft(a, a, "say.ended"));
    let replay = broker.replay(a, a, seen[2]).await.unwrap();
    assert_eq!(replay.gap, None);
    broker.publish(draft(a, a, "call.completed"));
    let mut cursor = Cursor::at(Some(seen[2]));
    let mut got: Vec<EventId> = Vec::new();
    for e in &replay.events {
        assert!(cursor.admit(e.id));
        got.push(e.id);
    }
    while let Ok(d) = again.rx.try_recv() {
        if cursor.admit(d.event.id) {
            got.push(d.event.id);
        }
    }
    let expected: Vec<EventId> = (4..=9)
        .map(|seq| EventId::new(7, seen[0].shard, seq))
        .collect();
    assert_eq!(
        got, expected,
        "missed events once each, in order, then live"
    );
}

#[tokio::test]
async fn subscribers_see_their_account_and_a_parent_sees_its_subaccounts() {
    let router = Router::new(16);
    let broker = LocalBroker::new(router.clone(), 1, 8, Retention::default(), clock);
    let (parent, sub, other) = (
        AccountSid::random(),
        AccountSid::random(),
        AccountSid::random(),
    );
    let mut p = router.register(parent, parent, all(), false);
    let mut s = router.register(sub, parent, all(), false);
    let mut o = router.register(other, other, all(), false);
    broker.publish(draft(sub, parent, "call.initiated"));
    broker.publish(draft(parent, parent, "call.initiated"));
    let count = |r: &mut switchyard_events::Registration| {
        std::iter::from_fn(|| r.rx.try_recv().ok()).count()
    };
    assert_eq!(count(&mut p), 2);
    assert_eq!(
        count(&mut s),
        1,
        "a subaccount does not see its parent's events"
    );
    assert_eq!(count(&mut o), 0);
}

#[tokio::test]
async fn a_full_queue_marks_only_that_subscriber_overflowed() {
    let router = Router::new(2);
    let broker = LocalBroker::new(router.clone(), 1, 1, Retention::default(), clock);
    let a = AccountSid::random();
    let slow = router.register(a, a, all(), false);
    let mut fast = router.register(a, a, all(), false);
    for _ in 0..5 {
        broker.publish(draft(a, a, "call.initiated"));
        while fast.rx.try_recv().is_ok() {}
    }
    assert!(slow.subscriber.overflowed());
    assert!(!fast.subscriber.overflowed());
    // The fast one took all five; the slow one two before its queue filled, and the
    // other three are counted as dropped.
    let counts = router.counts();
    assert_eq!((counts.queued, counts.dropped), (7, 3));
}

#[tokio::test]
async fn events_nobody_asked_for_are_neither_queued_nor_dropped() {
    let router = Router::new(1);
    let broker = LocalBroker::new(router.clone(), 1, 1, Retention::default(), clock);
    let (a, b) = (AccountSid::random(), AccountSid::random());
    let calls_only = vec![Entry {
        key: "calls".into(),
        spec: Arc::new(Spec {
            types: vec!["call.*".into()],
            ..Spec::default()
        }),
    }];
    let _full = router.register(a, a, calls_only, false);
    broker.publish(draft(a, a, "call.initiated"));
    // Unmatched type, and another account's event: not the subscriber's to miss.
    broker.publish(draft(a, a, "say.started"));
    broker.publish(draft(b, b, "call.initiated"));
    assert_eq!(router.counts().queued, 1);
    assert_eq!(router.counts().dropped, 0);
    broker.publish(draft(a, a, "call.completed"));
    assert_eq!(router.counts().dropped, 1);
}
