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
