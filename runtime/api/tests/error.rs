//! Error bodies are Twilio's: code, message, more_info, status.

mod common;

use axum::http::Method;
use common::Harness;

#[tokio::test]
async fn error_body_has_exactly_twilios_fields() {
    let h = Harness::new();
    let r = h
        .root(
            Method::POST,
            &h.path("/Calls.json"),
            "From=%2B15550002222&Url=https%3A%2F%2Fa.example.com",
        )
        .await;
    let message = r.error(400, 21201);
    assert!(message.contains("'To'"));
    let mut keys: Vec<&str> = r
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(keys, ["code", "message", "more_info", "status"]);
    assert_eq!(r.headers["content-type"], "application/json");
}
