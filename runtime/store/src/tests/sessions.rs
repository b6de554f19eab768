use super::*;

fn scope(from: &str) -> SessionScope {
    SessionScope {
        account_sid: AccountSid::random(),
        from: from.into(),
        to: "+2".into(),
    }
}

/// Rows and bytes (keys plus values) the table holds for `scope`, read from SQLite.
fn stored(store: &Store, scope: &SessionScope) -> (u64, u64) {
    store
        .read(|c| {
            Ok(c.query_row(
                "SELECT count(*), coalesce(sum(length(CAST(key AS BLOB)) \
                 + length(CAST(value AS BLOB))), 0) FROM session_values \
                 WHERE account_sid = ?1 AND from_number = ?2 AND to_number = ?3",
                rusqlite::params![scope.account_sid.to_string(), scope.from, scope.to],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .unwrap()
}

#[test]
fn a_conversation_holds_at_most_its_byte_quota_and_the_refused_value_is_not_written() {
    let (_dir, store) = store();
    let store = store.with_session_quota(SessionQuota {
        max_keys: 100,
        max_bytes: 1000,
    });
    let s = scope("+1");
    let value = "v".repeat(298);
    // Keys "k0".."k2" plus 298 bytes: 300 each.
    for i in 0..3 {
        store.session_set(&s, &format!("k{i}"), &value).unwrap();
    }
    let err = store.session_set(&s, "k3", &value).unwrap_err();
    assert!(
        matches!(
            err,
            Error::SessionQuota {
                keys: 4,
                bytes: 1200,
                max_keys: 100,
                max_bytes: 1000
            }
        ),
        "{err}"
    );
    assert_eq!(stored(&store, &s), (3, 900));
    assert_eq!(store.session_get(&s, "k3").unwrap(), None);
    // Replacing a value counts the new one instead of the old: 900 - 300 + 102.
    store.session_set(&s, "k0", &"w".repeat(100)).unwrap();
    assert_eq!(stored(&store, &s), (3, 702));
    // Exactly up to the quota is fine.
    store.session_set(&s, "k3", &"v".repeat(296)).unwrap();
    assert_eq!(stored(&store, &s), (4, 1000));
    // Another conversation has its own quota.
    let other = scope("+3");
    store.session_set(&other, "k0", &value).unwrap();
}

#[test]
fn a_conversation_holds_at_most_its_key_quota_and_deleting_frees_a_key() {
    let (_dir, store) = store();
    let store = store.with_session_quota(SessionQuota {
        max_keys: 2,
        max_bytes: 1 << 20,
    });
    let s = scope("+1");
    store.session_set(&s, "a", "1").unwrap();
    store.session_set(&s, "b", "2").unwrap();
    assert!(matches!(
        store.session_set(&s, "c", "3"),
        Err(Error::SessionQuota { keys: 3, .. })
    ));
    // Overwriting an existing key is not a new key.
    store.session_set(&s, "a", "11").unwrap();
    store.session_delete(&s, "b").unwrap();
    store.session_set(&s, "c", "3").unwrap();
    assert_eq!(stored(&store, &s), (2, 5));
}

#[test]
fn multibyte_values_are_counted_in_bytes() {
    let (_dir, store) = store();
    let store = store.with_session_quota(SessionQuota {
        max_keys: 10,
        max_bytes: 10,
    });
    let s = scope("+1");
    // 1 + 3 × 3 bytes = 10: fits; one more char does not.
    store.session_set(&s, "k", "€€€").unwrap();
    assert!(store.session_set(&s, "k", "€€€a").is_err());
    assert_eq!(stored(&store, &s), (1, 10));
}
