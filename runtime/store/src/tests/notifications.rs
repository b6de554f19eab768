use super::*;

#[test]
fn notifications_round_trip_and_list_newest_first() {
    let (_dir, store) = store();
    let account = AccountSid::random();
    let old = notification(account, 5);
    let mut new = notification(account, 6);
    new.call_sid = None;
    new.request_url = None;
    new.log = 1;
    store.put_notification(old.clone());
    Repository::put_notification(&store, new.clone());
    Repository::put_notification(&store, notification(AccountSid::random(), 7));
    store.flush();
    assert_eq!(
        Repository::notifications(&store, account, &page(50)).unwrap(),
        vec![new.clone(), old.clone()]
    );
    assert_eq!(
        store.notification(account, old.sid).unwrap(),
        Some(old.clone())
    );
    assert_eq!(
        store.notification(AccountSid::random(), old.sid).unwrap(),
        None
    );
    let second = Page {
        size: 50,
        after: Some((new.date_created, new.sid.to_string())),
    };
    assert_eq!(
        Repository::notifications(&store, account, &second).unwrap(),
        vec![old]
    );
}

#[test]
fn notifications_over_an_accounts_rate_are_dropped_counted_and_summarised() {
    let (_dir, store) = store();
    // 2 per second after a burst of one: the puts below run well within half a second.
    let store = store.with_notification_rate(NotificationRate {
        burst: 1,
        per_second: 2.0,
        summary_every: std::time::Duration::ZERO,
    });
    let (noisy, quiet) = (AccountSid::random(), AccountSid::random());
    for i in 0..10 {
        store.put_notification(notification(noisy, 100 + i));
    }
    store.put_notification(notification(quiet, 100));
    store.flush();
    assert_eq!(store.notifications(noisy, &page(50)).unwrap().len(), 1);
    assert_eq!(store.notifications(quiet, &page(50)).unwrap().len(), 1);
    assert_eq!(store.notifications_dropped(), 9);

    // Once the bucket has a token again, the next one is written after a summary.
    std::thread::sleep(std::time::Duration::from_millis(600));
    let next = notification(noisy, 200);
    store.put_notification(next.clone());
    store.flush();
    let listed = store.notifications(noisy, &page(50)).unwrap();
    assert_eq!(listed.len(), 3, "{listed:#?}");
    assert_eq!(listed[0], next);
    let summary = &listed[1];
    assert_eq!(summary.error_code, NOTIFICATIONS_DROPPED);
    assert!(
        summary.message_text.starts_with("9 notifications dropped"),
        "{}",
        summary.message_text
    );
    assert_eq!(summary.date_created, 199);
}
