use super::*;

#[test]
fn number_round_trip_lookup_and_replace() {
    let (_dir, store) = store();
    let account = AccountSid::random();
    let n = number(account, "+15550001111", 1);
    store.put_number(&n).unwrap();
    assert_eq!(store.number(account, n.sid).unwrap(), Some(n.clone()));
    assert_eq!(
        store.number_by_e164("+15550001111").unwrap(),
        Some(n.clone())
    );
    assert_eq!(store.number_by_e164("+15550002222").unwrap(), None);

    // Replacing keeps the SID and may move the record to a new E.164 number.
    let mut changed = n.clone();
    changed.phone_number = "+15550002222".into();
    changed.status_callback_event = vec![];
    changed.voice_application_sid = None;
    changed.voice_wasm_app = Some("ivr".into());
    changed.voice_transcoder = Some("agc".into());
    changed.date_updated = 2;
    store.put_number(&changed).unwrap();
    assert_eq!(store.number(account, n.sid).unwrap(), Some(changed.clone()));
    assert_eq!(store.number_by_e164("+15550001111").unwrap(), None);
    assert_eq!(
        store.number_by_e164("+15550002222").unwrap(),
        Some(changed.clone())
    );

    // A cleared transcoder reads back as none.
    changed.voice_transcoder = None;
    store.put_number(&changed).unwrap();
    assert_eq!(store.number(account, n.sid).unwrap(), Some(changed));
}

#[test]
fn a_number_held_by_another_account_is_a_conflict() {
    let (_dir, store) = store();
    let (holder, other) = (AccountSid::random(), AccountSid::random());
    let held = number(holder, "+15550001111", 1);
    store.put_number(&held).unwrap();

    let grab = number(other, "+15550001111", 2);
    assert!(matches!(
        store.put_number(&grab),
        Err(Error::Conflict {
            what: "phone number",
            ..
        })
    ));
    // Nor may the other account overwrite the holder's record by reusing its SID.
    let mut hijack = held.clone();
    hijack.account_sid = other;
    hijack.voice_url = Some("http://127.0.0.1:9/evil".into());
    assert!(matches!(
        store.put_number(&hijack),
        Err(Error::Conflict { .. })
    ));
    // A second record of the same account for the same number is refused too.
    assert!(matches!(
        store.put_number(&number(holder, "+15550001111", 3)),
        Err(Error::Conflict {
            what: "phone number",
            ..
        })
    ));
    assert_eq!(
        store.number_by_e164("+15550001111").unwrap(),
        Some(held.clone())
    );
    assert_eq!(store.number(other, held.sid).unwrap(), None);
    assert!(store
        .numbers(other, &NumberFilter::default(), &page(50))
        .unwrap()
        .is_empty());

    // Once released, the number is free for the other account.
    assert!(
        !store.delete_number(other, held.sid).unwrap(),
        "not theirs to delete"
    );
    assert!(store.delete_number(holder, held.sid).unwrap());
    assert!(!store.delete_number(holder, held.sid).unwrap());
    store.put_number(&grab).unwrap();
    assert_eq!(store.number_by_e164("+15550001111").unwrap(), Some(grab));
}

#[test]
fn number_filters_and_paging() {
    let (_dir, store) = store();
    let account = AccountSid::random();
    let mut all = Vec::new();
    for (i, e164) in [
        "+15550001111",
        "+15550001112",
        "+4420700_0000",
        "+15559991111",
    ]
    .into_iter()
    .enumerate()
    {
        let mut n = number(account, e164, 10);
        n.friendly_name = if i % 2 == 0 {
            "main".into()
        } else {
            "spare".into()
        };
        store.put_number(&n).unwrap();
        all.push(n);
    }
    store
        .put_number(&number(AccountSid::random(), "+15550001113", 10))
        .unwrap();
    let list = |filter: NumberFilter| {
        let mut got: Vec<_> = store
            .numbers(account, &filter, &page(50))
            .unwrap()
            .into_iter()
            .map(|n| n.phone_number)
            .collect();
        got.sort();
        got
    };
    // Part of the number, `*` for one digit.
    let by_number = |p: &str| {
        list(NumberFilter {
            phone_number: Some(p.into()),
            ..Default::default()
        })
    };
    assert_eq!(by_number("000111"), vec!["+15550001111", "+15550001112"]);
    assert_eq!(by_number("*1111"), vec!["+15550001111", "+15559991111"]);
    // LIKE's own wildcard matches only itself.
    assert_eq!(by_number("0_0"), vec!["+4420700_0000"]);
    assert_eq!(
        list(NumberFilter {
            friendly_name: Some("spare".into()),
            ..Default::default()
        }),
        vec!["+15550001112", "+15559991111"]
    );
    // All created in the same millisecond: paging by SID neither skips nor repeats.
    let pages = all_pages(
        3,
        |n: &PhoneNumber| (n.date_created, n.sid.to_string()),
        |p| store.numbers(account, &NumberFilter::default(), p).unwrap(),
    );
    let mut seen: Vec<_> = pages.concat().into_iter().map(|n| n.sid).collect();
    let mut want: Vec<_> = all.iter().map(|n| n.sid).collect();
    assert_eq!(pages.len(), 2);
    seen.sort();
    want.sort();
    assert_eq!(seen, want);
}
