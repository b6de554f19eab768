use super::*;

fn binding(contact: &str, expires_at: i64) -> BindingRecord {
    BindingRecord {
        contact: contact.into(),
        source: "203.0.113.7:5060".into(),
        transport: "UDP".into(),
        expires_at,
        call_id: "c1".into(),
        cseq: 7,
        path: vec!["<sip:edge.example.com;lr>".into()],
        user_agent: Some("Phone/1".into()),
    }
}

#[test]
fn bindings_are_replaced_per_identity_and_reloaded_live() {
    let (dir, store) = store();
    let account = AccountSid::random();
    store.put_bindings(BindingSet {
        account_sid: account,
        identity: "alice".into(),
        bindings: vec![binding("sip:a@h1", 1_000), binding("sip:a@h2", 2_000)],
    });
    store.put_bindings(BindingSet {
        account_sid: account,
        identity: "bob".into(),
        bindings: vec![binding("sip:b@h1", 1_000)],
    });
    // Replacing alice's set drops the contact it no longer lists.
    store.put_bindings(BindingSet {
        account_sid: account,
        identity: "alice".into(),
        bindings: vec![binding("sip:a@h2", 3_000)],
    });
    // An empty set unregisters bob.
    store.put_bindings(BindingSet {
        account_sid: account,
        identity: "bob".into(),
        bindings: vec![],
    });
    store.flush();
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    let sets = store.live_bindings(1_500).unwrap();
    assert_eq!(sets.len(), 1);
    assert_eq!(sets[0].identity, "alice");
    assert_eq!(sets[0].bindings, vec![binding("sip:a@h2", 3_000)]);
    // Lapsed ones are not loaded.
    assert!(store.live_bindings(3_000).unwrap().is_empty());
}
