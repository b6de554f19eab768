use switchyard_types::{AccountSid, CallSid, CallStatus, NotificationSid};

use super::*;

fn call(account: AccountSid, created: i64) -> CallRecord {
    CallRecord {
        sid: CallSid::random(),
        account_sid: account,
        from: "+14158675309".into(),
        to: "+15550001111".into(),
        status: CallStatus::Ringing,
        direction: "inbound".into(),
        date_created: created,
        start_time: None,
        end_time: None,
        duration: None,
    }
}

#[test]
fn calls_survive_reopen_and_updates_replace() {
    let dir = tempfile::tempdir().unwrap();
    let account = AccountSid::random();
    let mut c = call(account, 1_000);
    {
        let store = Store::open(dir.path()).unwrap();
        store.put_call(c.clone());
        c.status = CallStatus::Canceled;
        c.end_time = Some(2_000);
        store.put_call(c.clone());
        store.flush();
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.call(account, c.sid).unwrap(), Some(c.clone()));
    assert_eq!(store.calls(account, 10, 0).unwrap(), vec![c.clone()]);
    // Another account cannot see it.
    assert_eq!(store.call(AccountSid::random(), c.sid).unwrap(), None);
}

#[test]
fn lists_newest_first_with_paging() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let account = AccountSid::random();
    let records: Vec<_> = (0..5).map(|i| call(account, i)).collect();
    for r in &records {
        store.put_call(r.clone());
    }
    store.flush();
    let page: Vec<_> = store
        .calls(account, 2, 1)
        .unwrap()
        .into_iter()
        .map(|r| r.date_created)
        .collect();
    assert_eq!(page, vec![3, 2]);
}

#[test]
fn notifications_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let account = AccountSid::random();
    let n = NotificationRecord {
        sid: NotificationSid::random(),
        account_sid: account,
        call_sid: Some(CallSid::random()),
        error_code: 12100,
        log: 0,
        message_text: "Document parse failure".into(),
        request_url: Some("http://127.0.0.1/voice".into()),
        date_created: 5,
    };
    store.put_notification(n.clone());
    store.flush();
    assert_eq!(store.notifications(account, 50, 0).unwrap(), vec![n]);
}

#[test]
fn refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    let conn = Connection::open(dir.path().join("switchyard.db")).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    assert!(matches!(
        Store::open(dir.path()),
        Err(Error::SchemaTooNew { found: 99, .. })
    ));
}
