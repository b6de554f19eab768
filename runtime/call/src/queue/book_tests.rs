use std::time::{Duration, Instant};

use switchyard_types::{AccountSid, CallSid};

use super::*;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn members_are_served_first_in_first_out_with_their_positions() {
    let t0 = Instant::now();
    let acct = AccountSid::random();
    let (a, b, agent) = (CallSid::random(), CallSid::random(), CallSid::random());
    let mut book = QueueBook::default();
    let ja = book.enqueue(t0, acct, "support", a, None).unwrap();
    assert_eq!(ja.position.position, 1);
    assert_eq!(ja.position.queue.max_size, DEFAULT_MAX_SIZE);
    let jb = book
        .enqueue(t0 + secs(10), acct, "support", b, None)
        .unwrap();
    assert_eq!(jb.position.position, 2);
    assert_eq!(jb.position.queue.size, 2);
    let sid = ja.position.queue.sid;
    assert_eq!(jb.position.queue.sid, sid, "one queue per name and account");

    // At t0+20: a waited 20 s, b 10 s; the average is 15 s.
    let stats = book.stats(t0 + secs(20), acct, sid).unwrap();
    assert_eq!(stats.average_wait, secs(15));

    let taken = book
        .take_front(t0 + secs(20), acct, "support", agent)
        .unwrap()
        .unwrap();
    assert_eq!(taken.call, a, "the head of the queue goes first");
    assert_eq!(taken.waited, secs(20));
    let pb = book.position(t0 + secs(20), sid, b).unwrap();
    assert_eq!(pb.position, 1, "b moves up");
    assert_eq!(pb.waited, secs(10));
    assert!(book.position(t0, sid, a).is_none());
}

#[test]
fn queues_belong_to_their_account() {
    let t0 = Instant::now();
    let (one, two) = (AccountSid::random(), AccountSid::random());
    let mut book = QueueBook::default();
    let j1 = book
        .enqueue(t0, one, "sales", CallSid::random(), None)
        .unwrap();
    let j2 = book
        .enqueue(t0, two, "sales", CallSid::random(), None)
        .unwrap();
    assert_ne!(j1.position.queue.sid, j2.position.queue.sid);
    assert_eq!(j2.position.position, 1);
    assert!(book.stats(t0, two, j1.position.queue.sid).is_none());
    assert_eq!(book.list(t0, one).len(), 1);
}

#[test]
fn a_full_queue_refuses_the_next_caller() {
    let t0 = Instant::now();
    let acct = AccountSid::random();
    let mut book = QueueBook::default();
    let j = book
        .enqueue(t0, acct, "q", CallSid::random(), Some(2))
        .unwrap();
    assert_eq!(
        j.position.queue.max_size, 2,
        "maxQueueSize sizes a new queue"
    );
    book.enqueue(t0, acct, "q", CallSid::random(), Some(2))
        .unwrap();
    assert_eq!(
        book.enqueue(t0, acct, "q", CallSid::random(), Some(2)),
        Err(QueueError::Full(j.position.queue.sid))
    );
    // Raising the size through the API lets the next one in (the join's own
    // maxQueueSize still caps it).
    book.update(t0, acct, j.position.queue.sid, None, Some(3))
        .unwrap();
    assert!(book
        .enqueue(t0, acct, "q", CallSid::random(), Some(2))
        .is_err());
    assert!(book.enqueue(t0, acct, "q", CallSid::random(), None).is_ok());
}

#[test]
fn an_agent_on_an_empty_queue_is_woken_by_the_next_member() {
    let t0 = Instant::now();
    let acct = AccountSid::random();
    let agent = CallSid::random();
    let mut book = QueueBook::default();
    assert_eq!(
        book.take_front(t0, acct, "q", agent),
        Err(QueueError::NotFound)
    );
    book.create(t0, acct, "q", None).unwrap();
    assert_eq!(book.take_front(t0, acct, "q", agent), Ok(None));
    let caller = CallSid::random();
    let j = book.enqueue(t0 + secs(1), acct, "q", caller, None).unwrap();
    assert_eq!(j.wake, vec![agent]);
    // Woken once only; an agent that gave up is not woken.
    let j2 = book
        .enqueue(t0, acct, "q", CallSid::random(), None)
        .unwrap();
    assert!(j2.wake.is_empty());
    let other = CallSid::random();
    book.take_front(t0, acct, "q", other).unwrap();
    book.take_front(t0, acct, "q", other).unwrap();
    assert_eq!(book.take_front(t0, acct, "q", other), Ok(None));
    book.stop_waiting(acct, "q", other);
    let j3 = book
        .enqueue(t0, acct, "q", CallSid::random(), None)
        .unwrap();
    assert!(j3.wake.is_empty());
}

#[test]
fn a_member_leaves_from_the_middle_and_those_behind_move_up() {
    let t0 = Instant::now();
    let acct = AccountSid::random();
    let calls: Vec<CallSid> = (0..3).map(|_| CallSid::random()).collect();
    let mut book = QueueBook::default();
    let mut sid = None;
    for c in &calls {
        sid = Some(
            book.enqueue(t0, acct, "q", *c, None)
                .unwrap()
                .position
                .queue
                .sid,
        );
    }
    let sid = sid.unwrap();
    let gone = book.remove(t0 + secs(4), sid, calls[1]).unwrap();
    assert_eq!(gone.waited, secs(4));
    assert!(book.remove(t0, sid, calls[1]).is_none(), "removed once");
    assert_eq!(book.position(t0, sid, calls[2]).unwrap().position, 2);
    let members = book.members(t0, acct, sid).unwrap();
    let order: Vec<(CallSid, u32)> = members.iter().map(|m| (m.call, m.position)).collect();
    assert_eq!(order, vec![(calls[0], 1), (calls[2], 2)]);
}

#[test]
fn the_api_creates_updates_and_deletes_queues_by_twilios_rules() {
    let t0 = Instant::now();
    let acct = AccountSid::random();
    let mut book = QueueBook::default();
    let q = book.create(t0, acct, "billing", Some(10)).unwrap();
    assert_eq!(q.max_size, 10);
    assert_eq!(
        book.create(t0, acct, "billing", None),
        Err(QueueError::NameTaken("billing".into()))
    );
    assert_eq!(
        book.create(t0, acct, "x", Some(5001)),
        Err(QueueError::BadMaxSize(5001))
    );
    assert_eq!(
        book.update(t0, acct, q.sid, None, Some(0)),
        Err(QueueError::BadMaxSize(0))
    );
    let renamed = book
        .update(t0, acct, q.sid, Some("accounts"), Some(5000))
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.max_size),
        ("accounts", 5000)
    );
    assert_eq!(book.find(acct, "accounts"), Some(q.sid));
    assert_eq!(book.find(acct, "billing"), None);

    let caller = CallSid::random();
    book.enqueue(t0, acct, "accounts", caller, None).unwrap();
    assert_eq!(book.delete(acct, q.sid), Err(QueueError::HasMembers(q.sid)));
    book.remove(t0, q.sid, caller);
    assert_eq!(
        book.delete(AccountSid::random(), q.sid),
        Err(QueueError::NotFound)
    );
    book.delete(acct, q.sid).unwrap();
    assert!(book.list(t0, acct).is_empty());
}

#[test]
fn each_change_of_a_queue_is_journaled_and_a_restored_queue_serves_as_before() {
    let t0 = Instant::now();
    let acct = AccountSid::random();
    let changes = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut book = QueueBook::default();
    let log = changes.clone();
    book.set_journal(Journal::new(move |c| log.lock().unwrap().push(c)));

    let made = book.create(t0, acct, "sales", Some(5)).unwrap();
    // Created on demand by a join: journaled too; a join of an existing queue is not.
    let joined = book
        .enqueue(t0, acct, "support", CallSid::random(), Some(3))
        .unwrap();
    book.enqueue(t0, acct, "support", CallSid::random(), None)
        .unwrap();
    book.update(t0 + secs(1), acct, made.sid, None, Some(9))
        .unwrap();
    book.delete(acct, made.sid).unwrap();
    // Refused changes are not journaled.
    assert!(book.create(t0, acct, "support", None).is_err());
    assert!(book
        .update(t0, acct, joined.position.queue.sid, None, Some(0))
        .is_err());

    let got = changes.lock().unwrap().clone();
    let saved = |c: &QueueChange| match c {
        QueueChange::Saved(s) => Some((s.sid, s.name.clone(), s.max_size)),
        QueueChange::Deleted { .. } => None,
    };
    assert_eq!(got.len(), 4, "{got:?}");
    assert_eq!(saved(&got[0]), Some((made.sid, "sales".into(), 5)));
    let support = joined.position.queue.sid;
    assert_eq!(saved(&got[1]), Some((support, "support".into(), 3)));
    assert_eq!(saved(&got[2]), Some((made.sid, "sales".into(), 9)));
    assert_eq!(
        got[3],
        QueueChange::Deleted {
            account: acct,
            sid: made.sid
        }
    );

    // A new run restores "support" from the journal: same sid, same size, found by
    // name, empty, and not journaled again.
    let mut next = QueueBook::default();
    let again = changes.clone();
    next.set_journal(Journal::new(move |c| again.lock().unwrap().push(c)));
    next.restore(acct, support, "support", 3, t0);
    assert_eq!(changes.lock().unwrap().len(), 4);
    assert_eq!(next.find(acct, "support"), Some(support));
    let stats = next.stats(t0 + secs(5), acct, support).unwrap();
    assert_eq!((stats.size, stats.max_size), (0, 3));
    let j = next
        .enqueue(t0 + secs(5), acct, "support", CallSid::random(), None)
        .unwrap();
    assert_eq!(j.position.queue.sid, support);
}
