use rusqlite::Connection;

use super::*;

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

#[test]
fn a_version_1_database_keeps_its_calls() {
    let dir = tempfile::tempdir().unwrap();
    let conn = Connection::open(dir.path().join("switchyard.db")).unwrap();
    // Exactly what migration 1 created, with one call written by that version.
    conn.execute_batch(
        "CREATE TABLE calls (sid TEXT PRIMARY KEY, account_sid TEXT NOT NULL,
            from_number TEXT NOT NULL, to_number TEXT NOT NULL, status TEXT NOT NULL,
            direction TEXT NOT NULL, date_created INTEGER NOT NULL, start_time INTEGER,
            end_time INTEGER, duration INTEGER);
         CREATE INDEX calls_by_account ON calls (account_sid, date_created DESC);
         CREATE TABLE notifications (sid TEXT PRIMARY KEY, account_sid TEXT NOT NULL,
            call_sid TEXT, error_code INTEGER NOT NULL, log INTEGER NOT NULL,
            message_text TEXT NOT NULL, request_url TEXT, date_created INTEGER NOT NULL);
         CREATE INDEX notifications_by_account ON notifications (account_sid, date_created DESC);
         INSERT INTO calls VALUES ('CA00000000000000000000000000000001',
            'AC00000000000000000000000000000002', '+1', '+2', 'completed', 'inbound',
            100, 110, 170, 60);
         PRAGMA user_version = 1;",
    )
    .unwrap();
    drop(conn);
    let store = Store::open(dir.path()).unwrap();
    let account: AccountSid = "AC00000000000000000000000000000002".parse().unwrap();
    let got = Repository::calls(&store, account, &CallFilter::default(), &page(5)).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].duration, Some(60));
    // The new column is filled from the old record's last change, not left at zero.
    assert_eq!(got[0].date_updated, 170);
    assert_eq!(got[0].parent_call_sid, None);
}

#[test]
fn a_version_5_database_keeps_its_numbers_without_a_transcoder() {
    let dir = tempfile::tempdir().unwrap();
    let conn = Connection::open(dir.path().join("switchyard.db")).unwrap();
    for sql in &crate::migrations::MIGRATIONS[..5] {
        conn.execute_batch(sql).unwrap();
    }
    conn.execute_batch(
        "INSERT INTO phone_numbers (sid, account_sid, phone_number, friendly_name, voice_url,
            voice_method, voice_fallback_method, status_callback_method,
            status_callback_event, date_created, date_updated)
         VALUES ('PN00000000000000000000000000000001', 'AC00000000000000000000000000000002',
            '+15550001111', 'main', 'http://127.0.0.1:9/v', 'POST', 'POST', 'POST', '', 1, 1);
         PRAGMA user_version = 5;",
    )
    .unwrap();
    drop(conn);
    let store = Store::open(dir.path()).unwrap();
    let n = store.number_by_e164("+15550001111").unwrap().unwrap();
    assert_eq!(n.voice_url.as_deref(), Some("http://127.0.0.1:9/v"));
    assert_eq!(n.voice_transcoder, None);
    let mut with = n.clone();
    with.voice_transcoder = Some("agc".into());
    store.put_number(&with).unwrap();
    assert_eq!(store.number_by_e164("+15550001111").unwrap(), Some(with));
}
