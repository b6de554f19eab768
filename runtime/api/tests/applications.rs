//! `…/Applications.json` and `…/Applications/{Sid}.json`.

mod common;

use axum::http::Method;
use common::{form, Harness};

#[tokio::test]
async fn create_list_fetch_update_delete() {
    let h = Harness::new();
    let body = form(&[
        ("FriendlyName", "IVR"),
        ("VoiceUrl", "https://app.example.com/ivr"),
        ("VoiceMethod", "GET"),
        ("StatusCallback", "https://app.example.com/status"),
        ("StatusCallbackMethod", "GET"),
    ]);
    let r = h
        .root(Method::POST, &h.path("/Applications.json"), &body)
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["friendly_name"], "IVR");
    assert_eq!(r.body["voice_url"], "https://app.example.com/ivr");
    assert_eq!(r.body["voice_method"], "GET");
    assert!(r.body["voice_fallback_url"].is_null());
    assert_eq!(r.body["voice_fallback_method"], "POST");
    assert_eq!(r.body["status_callback_method"], "GET");
    let ap = r.body["sid"].as_str().unwrap().to_owned();
    let uri = h.path(&format!("/Applications/{ap}.json"));
    assert_eq!(r.body["uri"], uri);

    let list = h.root(Method::GET, &h.path("/Applications.json"), "").await;
    assert_eq!(list.body["applications"][0]["sid"], ap);

    let r = h
        .root(
            Method::POST,
            &uri,
            "FriendlyName=IVR+2&VoiceFallbackUrl=https%3A%2F%2Fb.example.com%2Ff",
        )
        .await;
    assert_eq!(r.body["friendly_name"], "IVR 2");
    assert_eq!(r.body["voice_fallback_url"], "https://b.example.com/f");
    assert_eq!(r.body["voice_url"], "https://app.example.com/ivr");
    let m = h
        .root(Method::POST, &uri, "VoiceFallbackMethod=DELETE")
        .await
        .error(400, 400);
    assert!(m.starts_with("VoiceFallbackMethod:"), "{m}");

    assert_eq!(
        h.root(Method::GET, &uri, "").await.body["friendly_name"],
        "IVR 2"
    );
    assert_eq!(h.root(Method::DELETE, &uri, "").await.status, 204);
    h.root(Method::GET, &uri, "").await.error(404, 20404);
    h.root(Method::GET, &h.path("/Applications/not-a-sid.json"), "")
        .await
        .error(404, 20404);
}
