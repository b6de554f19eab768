//! Canceling, positions, changing limits mid-run, exact deadlines and misuse.

use std::time::{Duration, Instant};

use switchyard_tenancy::{Error, Limits, OutboundQueue, Started};
use switchyard_types::AccountSid;

const MS: Duration = Duration::from_millis(1);
const NS: Duration = Duration::from_nanos(1);

fn sid(n: u8) -> AccountSid {
    AccountSid::from_bytes([n; 16])
}

fn queue(rate: f64, cap: u32) -> OutboundQueue<&'static str> {
    OutboundQueue::new(Limits::new(rate, cap).unwrap()).unwrap()
}

fn item(started: Option<Started<&'static str>>) -> Option<&'static str> {
    started.map(|s| s.item)
}

#[test]
fn cancel_removes_a_queued_call_and_positions_close_up() {
    let t0 = Instant::now();
    let a = sid(1);
    let mut q = queue(1.0, 10);
    let tickets: Vec<_> = ["c0", "c1", "c2", "c3"]
        .into_iter()
        .map(|name| q.push(t0, a, name))
        .collect();
    assert_eq!(
        tickets.iter().map(|&t| q.position(t)).collect::<Vec<_>>(),
        vec![Some(0), Some(1), Some(2), Some(3)]
    );

    assert_eq!(q.cancel(tickets[1]), Some("c1"));
    assert_eq!(q.queued(a), 3);
    assert_eq!(q.position(tickets[1]), None);
    assert_eq!(q.position(tickets[2]), Some(1));
    assert_eq!(q.position(tickets[3]), Some(2));
    // A ticket is spent once.
    assert_eq!(q.cancel(tickets[1]), None);

    // The canceled call never starts; the others do, in order.
    let started = q.poll(t0).unwrap();
    assert_eq!(
        (started.ticket, started.item, started.account),
        (tickets[0], "c0", a)
    );
    assert_eq!(q.position(tickets[2]), Some(0));
    // A started call can no longer be canceled.
    assert_eq!(q.cancel(tickets[0]), None);
    assert_eq!(item(q.poll(t0 + 1000 * MS)), Some("c2"));
    assert_eq!(item(q.poll(t0 + 2000 * MS)), Some("c3"));
    assert_eq!(q.queued(a), 0);
}

#[test]
fn canceling_an_accounts_last_call_takes_it_out_of_the_rotation() {
    let t0 = Instant::now();
    let (a, b) = (sid(1), sid(2));
    let mut q = queue(10.0, 10);
    let only = q.push(t0, a, "a0");
    q.push(t0, b, "b0");
    assert_eq!(q.cancel(only), Some("a0"));
    assert_eq!(q.poll(t0).map(|s| s.account), Some(b));
    assert_eq!(q.poll(t0), None);
    // Nothing queued anywhere: no deadline.
    assert_eq!(q.poll_timeout(t0), None);
    // The account can come back.
    q.push(t0, a, "a1");
    assert_eq!(item(q.poll(t0)), Some("a1"));
}

#[test]
fn poll_timeout_is_the_exact_refill_instant() {
    let t0 = Instant::now();
    let (a, b) = (sid(1), sid(2));
    let mut q = queue(2.0, 10);
    q.set_limits(b, Limits::new(3.0, 10).unwrap()).unwrap();
    for name in ["x", "y", "z"] {
        q.push(t0, a, name);
        q.push(t0, b, name);
    }
    assert_eq!(q.poll_timeout(t0), Some(t0), "calls may start now");
    assert!(q.poll(t0).is_some());
    assert!(q.poll(t0).is_some());
    assert!(q.poll(t0).is_none());

    // b refills after 1/3 s, rounded to the nanosecond; a after 1/2 s.
    let b_due = t0 + Duration::from_nanos(333_333_333);
    assert_eq!(q.poll_timeout(t0), Some(b_due));
    assert_eq!(q.poll_timeout(t0 + 100 * MS), Some(b_due));
    assert!(q.poll(b_due - NS).is_none());
    assert_eq!(q.poll(b_due).map(|s| s.account), Some(b));

    let a_due = t0 + 500 * MS;
    assert_eq!(q.poll_timeout(b_due), Some(a_due));
    assert!(q.poll(a_due - NS).is_none());
    assert_eq!(q.poll(a_due).map(|s| s.account), Some(a));

    // Past a deadline, the answer is "now", never a time gone by.
    let late = t0 + 5000 * MS;
    assert_eq!(q.poll_timeout(late), Some(late));
}

#[test]
fn poll_timeout_is_none_while_everything_waits_on_the_cap() {
    let t0 = Instant::now();
    let a = sid(1);
    let mut q = queue(10.0, 1);
    q.push(t0, a, "first");
    q.push(t0, a, "second");
    assert_eq!(item(q.poll(t0)), Some("first"));
    // The throttle refills at 100 ms, but the cap holds "second" until a call ends.
    assert_eq!(q.poll_timeout(t0), None);
    assert!(q.poll(t0 + 1000 * MS).is_none());
    q.finished(a).unwrap();
    let t1 = t0 + 1000 * MS;
    assert_eq!(q.poll_timeout(t1), Some(t1));
    assert_eq!(item(q.poll(t1)), Some("second"));
}

#[test]
fn a_zero_cap_pauses_an_account_until_raised() {
    let t0 = Instant::now();
    let a = sid(1);
    let mut q = queue(10.0, 5);
    q.set_limits(a, Limits::new(10.0, 0).unwrap()).unwrap();
    q.push(t0, a, "held");
    assert!(q.poll(t0).is_none());
    assert_eq!(q.poll_timeout(t0), None);
    q.set_limits(a, Limits::new(10.0, 1).unwrap()).unwrap();
    assert_eq!(item(q.poll(t0)), Some("held"));
}

#[test]
fn a_new_rate_takes_effect_mid_run() {
    let t0 = Instant::now();
    let a = sid(1);
    let mut q = queue(1.0, 100);
    for _ in 0..30 {
        q.push(t0, a, "call");
    }
    let mut starts = Vec::new();
    let mut now = t0;
    while now < t0 + 6000 * MS {
        if q.poll(now).is_some() {
            starts.push(now - t0);
        }
        if now == t0 + 2500 * MS {
            q.set_limits(a, Limits::new(5.0, 100).unwrap()).unwrap();
            assert_eq!(q.limits(a).calls_per_second, 5.0);
        }
        now += MS;
    }
    // 1/s until 2.5 s; then the call waiting since the 2 s start is due 200 ms after it,
    // which is already past, so it starts at once, and the next ones every 200 ms.
    let expected: Vec<Duration> = [0, 1000, 2000, 2501, 2701, 2901, 3101]
        .into_iter()
        .map(|ms| ms * MS)
        .collect();
    assert_eq!(starts[..expected.len()], expected[..]);
    assert_eq!(starts.len(), 3 + (6000 - 2501) / 200 + 1);
}

#[test]
fn a_lowered_cap_holds_starts_until_calls_finish() {
    let t0 = Instant::now();
    let a = sid(1);
    let mut q = queue(1000.0, 3);
    for _ in 0..10 {
        q.push(t0, a, "call");
    }
    let mut now = t0;
    for _ in 0..3 {
        assert!(q.poll(now).is_some());
        now += MS;
    }
    assert_eq!(q.active(a), 3);
    q.set_limits(a, Limits::new(1000.0, 1).unwrap()).unwrap();
    q.finished(a).unwrap();
    assert!(q.poll(now).is_none(), "2 active, cap 1");
    q.finished(a).unwrap();
    assert!(q.poll(now).is_none(), "1 active, cap 1");
    q.finished(a).unwrap();
    assert!(q.poll(now).is_some());
    assert_eq!(q.active(a), 1);
}

#[test]
fn misuse_is_refused() {
    let a = sid(1);
    assert_eq!(
        OutboundQueue::<()>::new(Limits {
            calls_per_second: 0.0,
            max_concurrent: 1
        })
        .unwrap_err(),
        Error::InvalidRate(0.0)
    );
    let mut q = queue(1.0, 1);
    assert_eq!(
        q.set_limits(
            a,
            Limits {
                calls_per_second: -2.0,
                max_concurrent: 1
            }
        ),
        Err(Error::InvalidRate(-2.0))
    );
    // The refused limits left the defaults in place.
    assert_eq!(q.limits(a), Limits::new(1.0, 1).unwrap());
    assert_eq!(q.finished(a), Err(Error::NoActiveCall(a)));
    assert_eq!(q.active(a), 0);
}

#[test]
fn defaults_follow_twilio() {
    let limits = Limits::default();
    assert_eq!(limits.calls_per_second, 1.0);
    let t0 = Instant::now();
    let a = sid(1);
    let mut q = OutboundQueue::new(limits).unwrap();
    q.push(t0, a, 1);
    q.push(t0, a, 2);
    assert!(q.poll(t0).is_some());
    assert_eq!(q.poll_timeout(t0), Some(t0 + 1000 * MS));
}
