//! The NATS broker against a real `nats-server -js` (one per test).

use std::sync::Arc;
use std::time::Duration;

use switchyard_e2e::nats::NatsServer;
use switchyard_events::{Broker, Draft, Entry, EventId, GapReason, Registration, Spec};
use switchyard_events::{Event, Retention, Router};
use switchyard_events_nats::NatsBroker;
use switchyard_types::{AccountSid, CallSid};

const WAIT: Duration = Duration::from_secs(10);

fn draft(account: AccountSid, root: AccountSid, n: usize, node: &str) -> Draft {
    Draft {
        account_sid: account,
        root_sid: root,
        call_sid: (!n.is_multiple_of(3)).then(CallSid::random),
        event_type: if n.is_multiple_of(2) {
            "call.initiated".into()
        } else {
            "gather.ended".into()
        },
        timestamp_ms: 1_700_000_000_000 + n as u64,
        data: vec![("n".into(), n.to_string()), ("node".into(), node.into())],
    }
}

fn subscribe(
    router: &Arc<Router>,
    account: AccountSid,
    root: AccountSid,
    local_only: bool,
) -> Registration {
    let entry = Entry {
        key: "all".into(),
        spec: Arc::new(Spec::default()),
    };
    router.register(account, root, vec![entry], local_only)
}

/// Exactly `n` deliveries within the bounded wait, then nothing more for a moment.
async fn receive(reg: &mut Registration, n: usize) -> Vec<Arc<Event>> {
    let mut got = Vec::new();
    while got.len() < n {
        match tokio::time::timeout(WAIT, reg.rx.recv()).await {
            Ok(Some(d)) => got.push(d.event),
            _ => panic!("received {} of {n} events", got.len()),
        }
    }
    let more = tokio::time::timeout(Duration::from_millis(200), reg.rx.recv()).await;
    assert!(
        more.is_err(),
        "an unexpected event after seqs {:?}: {more:?}",
        seqs(&got)
    );
    got
}

fn seqs(events: &[Arc<Event>]) -> Vec<u64> {
    events.iter().map(|e| e.id.seq).collect()
}

fn n_of(e: &Event) -> usize {
    e.get("n").unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_events_in_stream_order_and_exact_replay_per_account() {
    let server = NatsServer::start();
    let router = Router::new(1024);
    let broker = NatsBroker::connect(&server.url, router.clone(), Retention::default())
        .await
        .expect("connect");
    assert_eq!(broker.name(), "nats");
    let (a, b) = (AccountSid::random(), AccountSid::random());
    let sub = AccountSid::random(); // a subaccount of `a`
    let mut all_a = subscribe(&router, a, a, false);
    let mut all_b = subscribe(&router, b, b, false);
    let mut only_sub = subscribe(&router, sub, a, false);

    // Every third event is the subaccount's, the others alternate a and b.
    let owner = |n: usize| match n % 3 {
        0 => (sub, a),
        1 => (a, a),
        _ => (b, b),
    };
    const N: usize = 30;
    for n in 0..N {
        let (account, root) = owner(n);
        broker.publish(draft(account, root, n, "one"));
    }
    let got_a = receive(&mut all_a, 20).await;
    let got_b = receive(&mut all_b, 10).await;
    let got_sub = receive(&mut only_sub, 10).await;

    // Ids are epoch:0:seq with seq the stream sequence: in publish order, together
    // exactly 1..=N.
    let epoch = broker.epoch();
    assert!(
        epoch > 1_600_000_000_000,
        "epoch {epoch} is the stream's creation in ms"
    );
    let mut all: Vec<Arc<Event>> = got_a.iter().chain(&got_b).cloned().collect();
    all.sort_by_key(|e| e.id.seq);
    assert_eq!(seqs(&all), (1..=N as u64).collect::<Vec<_>>());
    for e in &all {
        assert_eq!(e.id, EventId::new(epoch, 0, n_of(e) as u64 + 1));
        assert_eq!((e.account_sid, e.root_sid), owner(n_of(e)));
        assert_eq!(e.json(), Event::new(e.id, draft_of(e)).json());
    }
    for got in [&got_a, &got_b, &got_sub] {
        assert!(seqs(got).windows(2).all(|w| w[0] < w[1]), "in stream order");
    }
    assert!(got_sub.iter().all(|e| e.account_sid == sub));

    // Replay after the k-th event: exactly what each account missed, in order.
    let k = got_a[6].id;
    for (account, root, live) in [(a, a, &got_a), (b, b, &got_b), (sub, a, &got_sub)] {
        let r = broker.replay(account, root, k).await.expect("replay");
        assert_eq!(r.gap, None);
        assert_eq!(r.last, EventId::new(epoch, 0, N as u64));
        let expected: Vec<EventId> = live
            .iter()
            .map(|e| e.id)
            .filter(|id| id.seq > k.seq)
            .collect();
        let replayed: Vec<EventId> = r.events.iter().map(|e| e.id).collect();
        assert_eq!(replayed, expected);
        let same: Vec<&Event> = live
            .iter()
            .filter(|e| e.id.seq > k.seq)
            .map(|e| &**e)
            .collect();
        assert_eq!(r.events.iter().map(|e| &**e).collect::<Vec<_>>(), same);
    }
    // Accounts with nothing after k: the stream is read to its end, nothing found.
    let (c, sub2) = (AccountSid::random(), AccountSid::random());
    for (account, root) in [(c, c), (sub2, a)] {
        let r = broker.replay(account, root, k).await.unwrap();
        assert_eq!((r.gap, r.events.len()), (None, 0));
    }
    // Nothing after the newest.
    let r = broker.replay(a, a, r_last(epoch, N)).await.unwrap();
    assert_eq!((r.gap, r.events.len()), (None, 0));

    // Another epoch, or a sequence this stream never gave: a gap, then all retained.
    for after in [
        EventId::new(epoch - 1, 0, 3),
        EventId::new(epoch, 0, N as u64 + 5),
    ] {
        let r = broker.replay(b, b, after).await.unwrap();
        assert_eq!(r.gap, Some((GapReason::Epoch, EventId::new(epoch, 0, 1))));
        assert_eq!(seqs(&r.events), seqs(&got_b));
    }
    assert_eq!(broker.stats().published, N as u64);
    assert_eq!(broker.stats().failed, 0);
}

fn r_last(epoch: u64, n: usize) -> EventId {
    EventId::new(epoch, 0, n as u64)
}

fn draft_of(e: &Event) -> Draft {
    Draft {
        account_sid: e.account_sid,
        root_sid: e.root_sid,
        call_sid: e.call_sid,
        event_type: e.event_type.clone(),
        timestamp_ms: e.timestamp_ms,
        data: e.data.clone(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_point_the_stream_no_longer_keeps_is_a_retention_gap() {
    let server = NatsServer::start();
    let router = Router::new(1024);
    let retention = Retention {
        max_events: 5,
        max_age_ms: 60_000,
    };
    let broker = NatsBroker::connect(&server.url, router.clone(), retention)
        .await
        .expect("connect");
    let a = AccountSid::random();
    let mut reg = subscribe(&router, a, a, false);
    for n in 0..10 {
        broker.publish(draft(a, a, n, "one"));
    }
    let live = receive(&mut reg, 10).await;
    let epoch = broker.epoch();
    let id = |seq| EventId::new(epoch, 0, seq);
    // Sequences 1..=5 are gone: resuming after the 2nd misses some.
    let r = broker.replay(a, a, live[1].id).await.unwrap();
    assert_eq!(r.gap, Some((GapReason::Retention, id(6))));
    assert_eq!(seqs(&r.events), vec![6, 7, 8, 9, 10]);
    assert_eq!(r.gap_event(live[1].id, a, 0).unwrap().id, id(5));
    // Resuming right before the oldest retained event misses nothing.
    let r = broker.replay(a, a, id(5)).await.unwrap();
    assert_eq!(r.gap, None);
    assert_eq!(seqs(&r.events), vec![6, 7, 8, 9, 10]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_see_every_event_and_only_their_own_as_local() {
    let server = NatsServer::start();
    let (r1, r2) = (Router::new(1024), Router::new(1024));
    let b1 = NatsBroker::connect(&server.url, r1.clone(), Retention::default())
        .await
        .expect("node 1");
    let b2 = NatsBroker::connect(&server.url, r2.clone(), Retention::default())
        .await
        .expect("node 2");
    assert_ne!(b1.node(), b2.node());
    assert_eq!(b1.epoch(), b2.epoch(), "one stream, one epoch");
    let a = AccountSid::random();
    let (mut all1, mut local1) = (subscribe(&r1, a, a, false), subscribe(&r1, a, a, true));
    let (mut all2, mut local2) = (subscribe(&r2, a, a, false), subscribe(&r2, a, a, true));
    for n in 0..20usize {
        if n.is_multiple_of(2) {
            b1.publish(draft(a, a, n, "one"));
        } else {
            b2.publish(draft(a, a, n, "two"));
        }
    }
    let (seen1, seen2) = (receive(&mut all1, 20).await, receive(&mut all2, 20).await);
    assert_eq!(
        seqs(&seen1),
        (1..=20).collect::<Vec<_>>(),
        "stream order, no gap"
    );
    assert_eq!(
        seen1, seen2,
        "both nodes see the same events with the same ids"
    );
    let own1 = receive(&mut local1, 10).await;
    let own2 = receive(&mut local2, 10).await;
    assert!(own1.iter().all(|e| e.get("node") == Some("one")));
    assert!(own2.iter().all(|e| e.get("node") == Some("two")));
    // Each node's replay reads the one shared log.
    let r = b2
        .replay(a, a, EventId::new(b1.epoch(), 0, 0))
        .await
        .unwrap();
    assert_eq!((r.gap, r.events.len()), (None, 20));
}

/// A node on its own stream, the three events it published (as its subscriber on
/// account `a` received them), and then the stream deleted under it.
struct Deleted {
    broker: Arc<NatsBroker>,
    router: Arc<Router>,
    a: AccountSid,
    reg: Registration,
    old: Vec<Arc<Event>>,
}

async fn three_events_then_the_stream_deleted(server: &NatsServer) -> Deleted {
    let router = Router::new(1024);
    let broker = NatsBroker::connect(&server.url, router.clone(), Retention::default())
        .await
        .expect("connect");
    let a = AccountSid::random();
    let mut reg = subscribe(&router, a, a, false);
    for n in 0..3 {
        broker.publish(draft(a, a, n, "one"));
    }
    let old = receive(&mut reg, 3).await;
    let client = async_nats::connect(&server.url).await.unwrap();
    async_nats::jetstream::new(client)
        .delete_stream(switchyard_events_nats::STREAM)
        .await
        .expect("stream deleted");
    tokio::time::sleep(Duration::from_millis(5)).await;
    Deleted {
        broker,
        router,
        a,
        reg,
        old,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_created_anew_is_a_new_epoch() {
    let server = NatsServer::start();
    let Deleted {
        broker: first,
        router,
        a,
        mut reg,
        old,
    } = three_events_then_the_stream_deleted(&server).await;
    drop(first);

    let broker = NatsBroker::connect(&server.url, router.clone(), Retention::default())
        .await
        .expect("reconnect");
    assert_ne!(broker.epoch(), old[0].id.epoch);
    broker.publish(draft(a, a, 9, "one"));
    let new = receive(&mut reg, 1).await;
    assert_eq!(new[0].id, EventId::new(broker.epoch(), 0, 1));
    let r = broker.replay(a, a, old[2].id).await.unwrap();
    assert_eq!(r.gap, Some((GapReason::Epoch, new[0].id)));
    assert_eq!(seqs(&r.events), vec![1]);
}

/// A running node whose stream is deleted and made anew (by another node connecting)
/// starts over at sequence 1 in the new epoch, rather than taking it for a late one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_node_follows_its_stream_made_anew() {
    let server = NatsServer::start();
    let Deleted {
        broker,
        a,
        mut reg,
        old,
        ..
    } = three_events_then_the_stream_deleted(&server).await;
    let other = NatsBroker::connect(&server.url, Router::new(1024), Retention::default())
        .await
        .expect("another node makes the stream again");
    assert_ne!(other.epoch(), old[0].id.epoch);

    broker.publish(draft(a, a, 9, "one"));
    let new = receive(&mut reg, 1).await;
    assert_eq!(new[0].id, EventId::new(other.epoch(), 0, 1));
    assert_eq!(broker.epoch(), other.epoch());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_stream_gone_the_publisher_counts_the_unconfirmed_and_goes_on() {
    let server = NatsServer::start();
    let router = Router::new(1024);
    let broker = NatsBroker::connect(&server.url, router.clone(), Retention::default())
        .await
        .expect("connect");
    let a = AccountSid::random();
    let mut reg = subscribe(&router, a, a, true);

    // A type no subject can end with is refused, not sent.
    let mut bad = draft(a, a, 0, "one");
    bad.event_type = "gather ended".into();
    broker.publish(bad);
    broker.publish(draft(a, a, 1, "one"));
    receive(&mut reg, 1).await;
    assert_eq!(broker.stats().failed, 1);
    assert_eq!(broker.stats().published, 1, "the stored copy came back");

    // Nothing stores what is published now: a full window of sends gets no copy back.
    let client = async_nats::connect(&server.url).await.unwrap();
    let js = async_nats::jetstream::new(client);
    js.delete_stream(switchyard_events_nats::STREAM)
        .await
        .expect("stream deleted");
    let window = switchyard_events_nats::PUBLISH_WINDOW;
    for n in 0..window + 5 {
        broker.publish(draft(a, a, n as usize, "one"));
    }
    let deadline = tokio::time::Instant::now() + WAIT;
    while broker.stats().unconfirmed < window {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            broker.stats()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(broker.stats().unconfirmed, window);
    assert_eq!(broker.stats().published, 1);

    // The publisher went on: once a stream exists again, the next event is stored and
    // delivered (sequence 1 of the new stream).
    let _second = NatsBroker::connect(&server.url, Router::new(16), Retention::default())
        .await
        .expect("the stream is created again");
    broker.publish(draft(a, a, 7, "one"));
    let got = receive(&mut reg, 1).await;
    assert_eq!((got[0].id.seq, n_of(&got[0])), (1, 7));
    assert_eq!(broker.stats().published, 2);
}
