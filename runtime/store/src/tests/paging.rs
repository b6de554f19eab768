use super::*;

#[test]
fn call_pages_have_no_gaps_or_repeats_with_equal_timestamps() {
    let (_dir, store) = store();
    let account = AccountSid::random();
    // 103 calls over 10 distinct milliseconds: many ties straddle page boundaries.
    let mut all: Vec<_> = (0..103).map(|i| call(account, 1_000 + i % 10)).collect();
    for c in &all {
        store.put_call(c.clone());
    }
    for i in 0..20 {
        store.put_call(call(AccountSid::random(), 1_000 + i % 10));
    }
    store.flush();
    all.sort_by_key(|c| std::cmp::Reverse(call_key(c)));

    for size in [1, 7, 10, 50, 103, 1000] {
        let pages = all_pages(size, call_key, |p| {
            Repository::calls(&store, account, &CallFilter::default(), p).unwrap()
        });
        assert_eq!(pages.concat(), all, "page size {size}");
    }
}

#[test]
fn filtered_call_pages_have_no_gaps_or_repeats() {
    let (_dir, store) = store();
    let account = AccountSid::random();
    let mut want = Vec::new();
    for i in 0..60 {
        let mut c = call(account, i / 4);
        c.status = if i % 3 == 0 {
            CallStatus::Completed
        } else {
            CallStatus::Failed
        };
        store.put_call(c.clone());
        if c.status == CallStatus::Completed {
            want.push(c);
        }
    }
    store.flush();
    want.sort_by_key(|c| std::cmp::Reverse(call_key(c)));
    let filter = CallFilter {
        status: Some(CallStatus::Completed),
        ..Default::default()
    };
    let pages = all_pages(3, call_key, |p| {
        Repository::calls(&store, account, &filter, p).unwrap()
    });
    assert_eq!(pages.len(), 7);
    assert_eq!(pages.concat(), want);
}

#[test]
fn an_empty_page_size_returns_nothing() {
    let (_dir, store) = store();
    let account = AccountSid::random();
    store.put_call_durable(&call(account, 1)).unwrap();
    assert!(
        Repository::calls(&store, account, &CallFilter::default(), &page(0))
            .unwrap()
            .is_empty()
    );
}
