use switchyard_types::AccountSid;

use super::*;

fn app(account: AccountSid, name: &str, sha: &str) -> WasmApp {
    WasmApp {
        account_sid: account,
        name: name.into(),
        version: 0,
        sha256: sha.into(),
        size: 3,
        memory_limit: 64 << 20,
        cpu_ms: 50,
        http_allow: vec!["api.example.com".into(), "127.0.0.1:9000".into()],
        date_created: 7,
        kind: "call-handler".into(),
    }
}

#[test]
fn versions_count_up_per_name_and_keep_their_bytes() {
    let (_dir, store) = store();
    let a = AccountSid::random();
    let v1 = store.put_wasm_app(&app(a, "ivr", "aa"), b"one").unwrap();
    let v2 = store.put_wasm_app(&app(a, "ivr", "bb"), b"two").unwrap();
    let other = store.put_wasm_app(&app(a, "menu", "cc"), b"three").unwrap();
    assert_eq!((v1.version, v2.version, other.version), (1, 2, 1));
    assert_eq!(store.wasm_app(a, "ivr").unwrap().unwrap().sha256, "bb");
    assert_eq!(
        store
            .wasm_app_version(a, "ivr", 1)
            .unwrap()
            .unwrap()
            .http_allow,
        vec!["api.example.com".to_owned(), "127.0.0.1:9000".to_owned()]
    );
    assert_eq!(store.wasm_app_bytes(a, "ivr", 1).unwrap().unwrap(), b"one");
    assert_eq!(store.wasm_app_bytes(a, "ivr", 2).unwrap().unwrap(), b"two");
    let latest: Vec<_> = store
        .wasm_apps(a)
        .unwrap()
        .into_iter()
        .map(|x| (x.name, x.version))
        .collect();
    assert_eq!(latest, vec![("ivr".into(), 2), ("menu".into(), 1)]);
    assert_eq!(store.all_wasm_apps().unwrap().len(), 3);
    // Another account sees none of them.
    assert!(store
        .wasm_app(AccountSid::random(), "ivr")
        .unwrap()
        .is_none());
    assert!(store.delete_wasm_app(a, "ivr").unwrap());
    assert!(!store.delete_wasm_app(a, "ivr").unwrap());
    assert!(store.wasm_app(a, "ivr").unwrap().is_none());
}

#[test]
fn session_values_are_scoped_and_replace() {
    let (_dir, store) = store();
    let scope = SessionScope {
        account_sid: AccountSid::random(),
        from: "+1".into(),
        to: "+2".into(),
    };
    let reversed = SessionScope {
        from: "+2".into(),
        to: "+1".into(),
        ..scope.clone()
    };
    store.session_set(&scope, "visits", "1").unwrap();
    store.session_set(&scope, "visits", "2").unwrap();
    assert_eq!(
        store.session_get(&scope, "visits").unwrap().as_deref(),
        Some("2")
    );
    assert_eq!(store.session_get(&reversed, "visits").unwrap(), None);
    store.session_delete(&scope, "visits").unwrap();
    assert_eq!(store.session_get(&scope, "visits").unwrap(), None);
}
