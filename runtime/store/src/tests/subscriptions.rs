use switchyard_types::SubscriptionSid;

use super::*;

fn subscription(account: AccountSid, sink: Option<&str>, created: i64) -> Subscription {
    Subscription {
        sid: SubscriptionSid::random(),
        account_sid: account,
        types: vec!["call.*".into(), "gather.ended".into()],
        filters: vec!["From^=+1555".into(), "Digits=1,2&3".into()],
        wasm_filter: Some("redactor".into()),
        sink_url: sink.map(str::to_owned),
        expires_at: Some(1_900_000_000),
        date_created: created,
        date_updated: created,
    }
}

#[test]
fn subscriptions_round_trip_update_and_stay_in_their_account() {
    let (_dir, store) = store();
    let (a, b) = (AccountSid::random(), AccountSid::random());
    let s1 = subscription(a, None, 1);
    let s2 = subscription(a, Some("http://127.0.0.1:9/hook"), 2);
    store.put_subscription(&s1).unwrap();
    store.put_subscription(&s2).unwrap();
    store
        .put_subscription(&subscription(b, Some("http://x/"), 3))
        .unwrap();
    assert_eq!(store.subscription(a, s1.sid).unwrap(), Some(s1.clone()));
    assert_eq!(store.subscription(b, s1.sid).unwrap(), None);
    assert_eq!(
        store.subscriptions(a).unwrap(),
        vec![s1.clone(), s2.clone()]
    );
    assert_eq!(store.webhook_subscriptions().unwrap().len(), 2);

    let mut changed = s1.clone();
    changed.types = vec![];
    changed.date_updated = 9;
    store.put_subscription(&changed).unwrap();
    assert_eq!(store.subscription(a, s1.sid).unwrap(), Some(changed));

    assert!(!store.delete_subscription(b, s2.sid).unwrap());
    assert!(store.delete_subscription(a, s2.sid).unwrap());
    assert_eq!(store.subscriptions(a).unwrap().len(), 1);
}
