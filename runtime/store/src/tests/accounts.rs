use super::*;

#[test]
fn account_round_trip_and_duplicate_is_a_conflict() {
    let (_dir, store) = store();
    let a = account(None, 10);
    store.create_account(&a).unwrap();
    assert_eq!(store.account(a.sid).unwrap(), Some(a.clone()));
    assert_eq!(store.account(AccountSid::random()).unwrap(), None);
    let mut again = a.clone();
    again.friendly_name = "impostor".into();
    assert!(matches!(
        store.create_account(&again),
        Err(Error::Conflict {
            what: "account",
            ..
        })
    ));
    assert_eq!(store.account(a.sid).unwrap(), Some(a));
}

#[test]
fn token_rotation_and_updates_are_stored() {
    let (_dir, store) = store();
    let owner = account(None, 1);
    let a = account(Some(owner.sid), 10);
    store.create_account(&a).unwrap();

    // Rotation step 1: new primary, old one still accepted as secondary.
    let mut rotated = a.clone();
    rotated.secondary_auth_token = Some(a.auth_token.clone());
    rotated.auth_token = "fedcba9876543210fedcba9876543210".into();
    rotated.signing_key = Some("k2".into());
    rotated.status = AccountStatus::Suspended;
    rotated.friendly_name = "renamed".into();
    rotated.calls_per_second = 0.25;
    rotated.max_concurrent_calls = 3;
    rotated.date_updated = 20;
    store.update_account(&rotated).unwrap();
    assert_eq!(store.account(a.sid).unwrap(), Some(rotated.clone()));

    // Step 2: the secondary is dropped.
    let mut done = rotated.clone();
    done.secondary_auth_token = None;
    done.date_updated = 30;
    store.update_account(&done).unwrap();
    assert_eq!(store.account(a.sid).unwrap(), Some(done.clone()));

    // The owner and creation date are fixed at creation.
    let mut moved = done.clone();
    moved.owner_account_sid = None;
    moved.date_created = 999;
    store.update_account(&moved).unwrap();
    assert_eq!(store.account(a.sid).unwrap(), Some(done));
}

#[test]
fn updating_a_missing_account_is_not_found() {
    let (_dir, store) = store();
    let a = account(None, 1);
    assert!(matches!(
        store.update_account(&a),
        Err(Error::NotFound {
            what: "account",
            ..
        })
    ));
    assert_eq!(store.account(a.sid).unwrap(), None);
}

#[test]
fn accounts_of_lists_the_parent_and_its_subaccounts_only() {
    let (_dir, store) = store();
    let parent = account(None, 100);
    store.create_account(&parent).unwrap();
    let stranger = account(None, 50);
    store.create_account(&stranger).unwrap();
    store
        .create_account(&account(Some(stranger.sid), 150))
        .unwrap();
    let mut subs = Vec::new();
    // Several created in the same millisecond: the SID orders them.
    for created in [300, 200, 200, 200, 400] {
        let sub = account(Some(parent.sid), created);
        store.create_account(&sub).unwrap();
        subs.push(sub);
    }
    let mut want = vec![parent.clone()];
    want.extend(subs);
    want.sort_by_key(|a| (a.date_created, a.sid.to_string()));
    assert_eq!(want[0], parent, "the parent is the oldest");

    let pages = all_pages(
        2,
        |a: &Account| (a.date_created, a.sid.to_string()),
        |p| store.accounts_of(parent.sid, p).unwrap(),
    );
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![2, 2, 2]
    );
    assert_eq!(pages.concat(), want);
}
