//! Unit tests of the SQLite [`Repository`]: one file per resource, builders here.

use switchyard_types::{
    AccountSid, ApplicationSid, CallSid, CallStatus, NotificationSid, PhoneNumberSid,
};

use crate::*;

mod accounts;
mod applications;
mod bindings;
mod calls;
mod migrations;
mod modules;
mod notifications;
mod numbers;
mod paging;
mod plans;
mod queues;
mod recordings;
mod sessions;
mod sip;
mod subscriptions;
mod wasm_apps;

/// A fresh store in a directory removed when the guard drops.
fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    (dir, store)
}

fn page(size: u32) -> Page {
    Page { size, after: None }
}

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
        date_updated: created,
        parent_call_sid: None,
        phone_number_sid: None,
    }
}

fn account(owner: Option<AccountSid>, created: i64) -> Account {
    Account {
        sid: AccountSid::random(),
        owner_account_sid: owner,
        friendly_name: format!("account created at {created}"),
        status: AccountStatus::Active,
        auth_token: "0123456789abcdef0123456789abcdef".into(),
        secondary_auth_token: None,
        signing_key: Some("k1".into()),
        calls_per_second: 1.5,
        max_concurrent_calls: 10,
        date_created: created,
        date_updated: created,
    }
}

fn number(account: AccountSid, e164: &str, created: i64) -> PhoneNumber {
    PhoneNumber {
        sid: PhoneNumberSid::random(),
        account_sid: account,
        phone_number: e164.into(),
        friendly_name: format!("line {e164}"),
        voice_url: Some("http://127.0.0.1:9/voice".into()),
        voice_method: "POST".into(),
        voice_fallback_url: None,
        voice_fallback_method: "POST".into(),
        status_callback: Some("http://127.0.0.1:9/status".into()),
        status_callback_method: "GET".into(),
        status_callback_event: vec!["initiated".into(), "completed".into()],
        voice_application_sid: Some(ApplicationSid::random()),
        voice_wasm_app: None,
        voice_transcoder: None,
        date_created: created,
        date_updated: created,
    }
}

fn application(account: AccountSid, created: i64) -> Application {
    Application {
        sid: ApplicationSid::random(),
        account_sid: account,
        friendly_name: format!("app {created}"),
        voice_url: Some("http://127.0.0.1:9/app".into()),
        voice_method: "GET".into(),
        voice_fallback_url: Some("http://127.0.0.1:9/fallback".into()),
        voice_fallback_method: "POST".into(),
        status_callback: None,
        status_callback_method: "POST".into(),
        date_created: created,
        date_updated: created,
    }
}

fn notification(account: AccountSid, created: i64) -> NotificationRecord {
    NotificationRecord {
        sid: NotificationSid::random(),
        account_sid: account,
        call_sid: Some(CallSid::random()),
        error_code: 12100,
        log: 0,
        message_text: "Document parse failure".into(),
        request_url: Some("http://127.0.0.1/voice".into()),
        date_created: created,
    }
}

/// Every page of a listing, following `after` from each page's last record; fails on an
/// oversized page or a loop.
fn all_pages<T>(
    size: u32,
    key: impl Fn(&T) -> (i64, String),
    mut list: impl FnMut(&Page) -> Vec<T>,
) -> Vec<Vec<T>> {
    let mut pages = Vec::new();
    let mut p = page(size);
    loop {
        let got = list(&p);
        assert!(got.len() <= size as usize, "a page larger than asked for");
        let Some(last) = got.last() else { break };
        p.after = Some(key(last));
        let short = got.len() < size as usize;
        pages.push(got);
        assert!(pages.len() < 10_000, "paging does not terminate");
        if short {
            break;
        }
    }
    pages
}

fn call_key(c: &CallRecord) -> (i64, String) {
    (c.date_created, c.sid.to_string())
}
