use super::*;

#[test]
fn calls_survive_reopen_and_updates_replace() {
    let dir = tempfile::tempdir().unwrap();
    let account = AccountSid::random();
    let mut c = call(account, 1_000);
    c.parent_call_sid = Some(CallSid::random());
    c.phone_number_sid = Some(PhoneNumberSid::random());
    {
        let store = Store::open(dir.path()).unwrap();
        store.put_call(c.clone());
        c.status = CallStatus::Canceled;
        c.end_time = Some(2_000);
        c.date_updated = 2_000;
        Repository::put_call(&store, c.clone());
        Repository::flush(&store);
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(
        Repository::call(&store, account, c.sid).unwrap(),
        Some(c.clone())
    );
    assert_eq!(
        Repository::calls(&store, account, &CallFilter::default(), &page(10)).unwrap(),
        vec![c.clone()]
    );
}

#[test]
fn durable_put_is_readable_as_soon_as_it_returns() {
    let (_dir, store) = store();
    let account = AccountSid::random();
    let mut c = call(account, 7);
    c.start_time = Some(8);
    c.end_time = Some(9);
    c.duration = Some(1);
    c.status = CallStatus::Completed;
    store.put_call_durable(&c).unwrap();
    // No flush: the durable write has committed before returning.
    assert_eq!(Repository::call(&store, account, c.sid).unwrap(), Some(c));
}

#[test]
fn another_accounts_calls_are_never_returned() {
    let (_dir, store) = store();
    let (mine, theirs) = (AccountSid::random(), AccountSid::random());
    let my_call = call(mine, 1);
    let their_call = call(theirs, 2);
    store.put_call_durable(&my_call).unwrap();
    store.put_call_durable(&their_call).unwrap();
    assert_eq!(
        Repository::call(&store, mine, their_call.sid).unwrap(),
        None
    );
    let listed = Repository::calls(&store, mine, &CallFilter::default(), &page(50)).unwrap();
    assert_eq!(listed, vec![my_call]);
    // Even a keyset cursor pointing into the other account's records stays in mine.
    let after = Page {
        size: 50,
        after: Some((3, "CAffffffffffffffffffffffffffffffff".into())),
    };
    let listed = Repository::calls(&store, mine, &CallFilter::default(), &after).unwrap();
    assert!(listed.iter().all(|c| c.account_sid == mine));
}

#[test]
fn each_call_filter_selects_exactly_its_calls() {
    let (_dir, store) = store();
    let account = AccountSid::random();
    let statuses = [
        CallStatus::Completed,
        CallStatus::Busy,
        CallStatus::InProgress,
    ];
    let mut all = Vec::new();
    for i in 0..30i64 {
        let mut c = call(account, i * 10);
        c.to = format!("+1555000000{}", i % 3);
        c.from = format!("+1666000000{}", i % 5);
        c.status = statuses[(i % 3) as usize];
        c.start_time = (i % 2 == 0).then_some(i * 10 + 5);
        store.put_call(c.clone());
        all.push(c);
    }
    // Noise in another account that matches every filter.
    let mut other = all[0].clone();
    other.sid = CallSid::random();
    other.account_sid = AccountSid::random();
    store.put_call(other);
    store.flush();

    let check = |filter: CallFilter, keep: &dyn Fn(&CallRecord) -> bool| {
        let got = Repository::calls(&store, account, &filter, &page(1000)).unwrap();
        let mut want: Vec<_> = all.iter().filter(|c| keep(c)).cloned().collect();
        want.sort_by_key(|c| std::cmp::Reverse(call_key(c)));
        assert!(
            !want.is_empty(),
            "the filter {filter:?} should match something"
        );
        assert!(
            want.len() < all.len(),
            "the filter {filter:?} should exclude something"
        );
        assert_eq!(got, want, "filter {filter:?}");
    };
    check(
        CallFilter {
            to: Some("+15550000001".into()),
            ..Default::default()
        },
        &|c| c.to == "+15550000001",
    );
    check(
        CallFilter {
            from: Some("+16660000003".into()),
            ..Default::default()
        },
        &|c| c.from == "+16660000003",
    );
    check(
        CallFilter {
            status: Some(CallStatus::Busy),
            ..Default::default()
        },
        &|c| c.status == CallStatus::Busy,
    );
    check(
        CallFilter {
            started_after: Some(105),
            ..Default::default()
        },
        &|c| c.start_time.is_some_and(|t| t >= 105),
    );
    check(
        CallFilter {
            started_before: Some(105),
            ..Default::default()
        },
        &|c| c.start_time.is_some_and(|t| t < 105),
    );
    check(
        CallFilter {
            to: Some("+15550000000".into()),
            status: Some(CallStatus::Completed),
            started_after: Some(45),
            started_before: Some(245),
            ..Default::default()
        },
        &|c| {
            c.to == "+15550000000"
                && c.status == CallStatus::Completed
                && c.start_time.is_some_and(|t| (45..245).contains(&t))
        },
    );
}

#[test]
fn interrupted_calls_are_failed_in_one_sweep() {
    let (_dir, store) = store();
    let account = AccountSid::random();
    let mut by_status = Vec::new();
    for (i, status) in [
        CallStatus::Queued,
        CallStatus::Ringing,
        CallStatus::InProgress,
        CallStatus::Completed,
        CallStatus::Busy,
        CallStatus::NoAnswer,
    ]
    .into_iter()
    .enumerate()
    {
        let mut c = call(account, i as i64);
        c.status = status;
        if !matches!(
            status,
            CallStatus::Queued | CallStatus::Ringing | CallStatus::InProgress
        ) {
            c.end_time = Some(50);
        }
        store.put_call(c.clone());
        by_status.push(c);
    }
    store.flush();
    assert_eq!(store.fail_interrupted_calls(1_000).unwrap(), 3);
    for before in &by_status {
        let after = Repository::call(&store, account, before.sid)
            .unwrap()
            .unwrap();
        if matches!(
            before.status,
            CallStatus::Queued | CallStatus::Ringing | CallStatus::InProgress
        ) {
            assert_eq!(after.status, CallStatus::Failed);
            assert_eq!(after.end_time, Some(1_000));
            assert_eq!(after.date_updated, 1_000);
        } else {
            assert_eq!(&after, before, "a finished call must not change");
        }
    }
    // A second sweep finds nothing left to fail.
    assert_eq!(store.fail_interrupted_calls(2_000).unwrap(), 0);
}
