//! `…/Notifications.json` and `…/Notifications/{Sid}.json`.

mod common;

use axum::http::Method;
use common::Harness;
use switchyard_store::NotificationRecord;
use switchyard_types::{CallSid, NotificationSid};

#[tokio::test]
async fn list_and_fetch_in_twilio_shape() {
    let h = Harness::new();
    let call = CallSid::random();
    let n = NotificationRecord {
        sid: NotificationSid::random(),
        account_sid: h.root.sid,
        call_sid: Some(call),
        error_code: 11200,
        log: 0,
        message_text: "HTTP retrieval failure".into(),
        request_url: Some("https://app.example.com/voice".into()),
        date_created: 1_700_000_000_000,
    };
    h.repo.put_notification(n.clone());
    h.repo.flush();
    let other = h.tenant("o");
    let theirs = NotificationRecord {
        sid: NotificationSid::random(),
        account_sid: other.sid,
        ..n.clone()
    };
    h.repo.put_notification(theirs.clone());
    h.repo.flush();

    let r = h
        .root(Method::GET, &h.path("/Notifications.json"), "")
        .await;
    let list = r.body["notifications"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    let uri = h.path(&format!("/Notifications/{}.json", n.sid));
    let r = h.root(Method::GET, &uri, "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, list[0]);
    assert_eq!(r.body["error_code"], "11200");
    assert_eq!(r.body["log"], "0");
    assert_eq!(r.body["call_sid"], call.to_string());
    assert_eq!(r.body["message_text"], "HTTP retrieval failure");
    assert_eq!(r.body["request_url"], "https://app.example.com/voice");
    assert_eq!(r.body["date_created"], "Tue, 14 Nov 2023 22:13:20 +0000");
    assert_eq!(
        r.body["more_info"],
        "https://www.twilio.com/docs/errors/11200"
    );
    assert_eq!(r.body["uri"], uri);
    // Another tenant's notification through our own path: not found.
    h.root(
        Method::GET,
        &h.path(&format!("/Notifications/{}.json", theirs.sid)),
        "",
    )
    .await
    .error(404, 20404);
}
