use super::*;

#[test]
fn application_round_trip_replace_delete_and_isolation() {
    let (_dir, store) = store();
    let (account, other) = (AccountSid::random(), AccountSid::random());
    let a = application(account, 1);
    let b = application(account, 2);
    store.put_application(&a).unwrap();
    store.put_application(&b).unwrap();
    store.put_application(&application(other, 3)).unwrap();
    assert_eq!(store.application(account, a.sid).unwrap(), Some(a.clone()));
    assert_eq!(store.application(other, a.sid).unwrap(), None);
    assert_eq!(
        store.applications(account, &page(50)).unwrap(),
        vec![b.clone(), a.clone()]
    );

    let mut renamed = a.clone();
    renamed.friendly_name = "renamed".into();
    renamed.voice_url = None;
    renamed.date_updated = 5;
    store.put_application(&renamed).unwrap();
    assert_eq!(
        store.application(account, a.sid).unwrap(),
        Some(renamed.clone())
    );

    // Another account cannot overwrite it by reusing the SID.
    let mut hijack = renamed.clone();
    hijack.account_sid = other;
    assert!(matches!(
        store.put_application(&hijack),
        Err(Error::Conflict { .. })
    ));

    assert!(!store.delete_application(other, a.sid).unwrap());
    assert!(store.delete_application(account, a.sid).unwrap());
    assert_eq!(store.application(account, a.sid).unwrap(), None);
    let second = Page {
        size: 1,
        after: Some((b.date_created, b.sid.to_string())),
    };
    assert!(store.applications(account, &second).unwrap().is_empty());
}
