//! `…/IncomingPhoneNumbers.json` and `…/IncomingPhoneNumbers/{Sid}.json`.

mod common;

use axum::http::Method;
use common::{form, Harness};

#[tokio::test]
async fn create_fetch_update_delete() {
    let h = Harness::new();
    let app = h
        .root(
            Method::POST,
            &h.path("/Applications.json"),
            "FriendlyName=shared",
        )
        .await;
    let ap = app.body["sid"].as_str().unwrap().to_owned();
    let body = form(&[
        ("PhoneNumber", "+15550001111"),
        ("FriendlyName", "Main line"),
        ("VoiceUrl", "https://app.example.com/voice"),
        ("VoiceMethod", "GET"),
        ("VoiceFallbackUrl", "https://app.example.com/fallback"),
        ("StatusCallback", "https://app.example.com/status"),
        ("VoiceApplicationSid", &ap),
        ("VoiceWasmApp", "ivr-v2"),
    ]);
    let r = h
        .root(Method::POST, &h.path("/IncomingPhoneNumbers.json"), &body)
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let b = &r.body;
    assert_eq!(b["phone_number"], "+15550001111");
    assert_eq!(b["friendly_name"], "Main line");
    assert_eq!(b["voice_url"], "https://app.example.com/voice");
    assert_eq!(b["voice_method"], "GET");
    assert_eq!(b["voice_fallback_url"], "https://app.example.com/fallback");
    assert_eq!(b["voice_fallback_method"], "POST");
    assert_eq!(b["status_callback"], "https://app.example.com/status");
    assert_eq!(b["status_callback_method"], "POST");
    assert_eq!(b["voice_application_sid"], ap);
    assert_eq!(b["voice_wasm_app"], "ivr-v2");
    let pn = b["sid"].as_str().unwrap().to_owned();
    assert!(pn.starts_with("PN"));
    let uri = h.path(&format!("/IncomingPhoneNumbers/{pn}.json"));
    assert_eq!(b["uri"], uri);

    // Absent parameters keep their values; empty ones clear.
    let r = h
        .root(
            Method::POST,
            &uri,
            "VoiceUrl=https%3A%2F%2Fnew.example.com%2Fv&VoiceFallbackUrl=&VoiceWasmApp=",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["voice_url"], "https://new.example.com/v");
    assert!(r.body["voice_fallback_url"].is_null());
    assert!(r.body["voice_wasm_app"].is_null());
    assert_eq!(r.body["friendly_name"], "Main line");
    assert_eq!(
        h.root(Method::GET, &uri, "").await.body["voice_url"],
        "https://new.example.com/v"
    );

    assert_eq!(h.root(Method::DELETE, &uri, "").await.status, 204);
    h.root(Method::GET, &uri, "").await.error(404, 20404);
    h.root(Method::DELETE, &uri, "").await.error(404, 20404);
}

#[tokio::test]
async fn numbers_are_unique_across_accounts_and_validated() {
    let h = Harness::new();
    let other = h.tenant("o");
    let r = h
        .root(
            Method::POST,
            &h.path("/IncomingPhoneNumbers.json"),
            "PhoneNumber=%2B15550001111",
        )
        .await;
    assert_eq!(r.body["friendly_name"], "+15550001111");
    let theirs = format!(
        "/2010-04-01/Accounts/{}/IncomingPhoneNumbers.json",
        other.sid
    );
    let r = h
        .send(
            Method::POST,
            &theirs,
            Some((&other.sid, "o")),
            "PhoneNumber=%2B15550001111",
        )
        .await;
    r.error(409, 21422);
    let m = h
        .root(
            Method::POST,
            &h.path("/IncomingPhoneNumbers.json"),
            "PhoneNumber=555-0001",
        )
        .await
        .error(400, 21421);
    assert!(m.contains("PhoneNumber"), "{m}");
    for (pair, name, code) in [
        ("VoiceUrl=not-a-url", "VoiceUrl", 21205),
        ("VoiceMethod=PATCH", "VoiceMethod", 400),
        ("VoiceWasmApp=bad%20name", "VoiceWasmApp", 400),
    ] {
        let m = h
            .root(
                Method::POST,
                &h.path("/IncomingPhoneNumbers.json"),
                &format!("PhoneNumber=%2B15550009999&{pair}"),
            )
            .await
            .error(400, code);
        assert!(m.contains(name), "{pair}: {m}");
    }
    // Another tenant's application cannot be attached.
    let r = h
        .send(
            Method::POST,
            &format!("/2010-04-01/Accounts/{}/Applications.json", other.sid),
            Some((&other.sid, "o")),
            "",
        )
        .await;
    let their_app = r.body["sid"].as_str().unwrap();
    let m = h
        .root(
            Method::POST,
            &h.path("/IncomingPhoneNumbers.json"),
            &format!("PhoneNumber=%2B15550009999&VoiceApplicationSid={their_app}"),
        )
        .await
        .error(404, 20404);
    assert!(m.contains("VoiceApplicationSid"), "{m}");
}

#[tokio::test]
async fn voice_transcoder_is_set_kept_cleared_and_validated() {
    let h = Harness::new();
    let r = h
        .root(
            Method::POST,
            &h.path("/IncomingPhoneNumbers.json"),
            &form(&[
                ("PhoneNumber", "+15550001111"),
                ("VoiceTranscoder", "app:agc"),
            ]),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["voice_transcoder"], "app:agc");
    let uri = h.path(&format!(
        "/IncomingPhoneNumbers/{}.json",
        r.body["sid"].as_str().unwrap()
    ));

    // An update that does not name it keeps it; a new value replaces it.
    let r = h.root(Method::POST, &uri, "FriendlyName=main").await;
    assert_eq!(r.body["voice_transcoder"], "app:agc");
    let r = h
        .root(Method::POST, &uri, "VoiceTranscoder=app%3Adtmf-mute")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        h.root(Method::GET, &uri, "").await.body["voice_transcoder"],
        "app:dtmf-mute"
    );

    // Anything but app:NAME is refused, naming the parameter, and changes nothing.
    for bad in [
        "agc",
        "app%3A",
        "app%3Abad%20name",
        "app%3Aagc%2Fpath",
        "https%3A%2F%2Fx.example%2Ft",
    ] {
        let m = h
            .root(Method::POST, &uri, &format!("VoiceTranscoder={bad}"))
            .await
            .error(400, 400);
        assert!(m.contains("VoiceTranscoder"), "{bad}: {m}");
    }
    let m = h
        .root(
            Method::POST,
            &h.path("/IncomingPhoneNumbers.json"),
            "PhoneNumber=%2B15550002222&VoiceTranscoder=agc",
        )
        .await
        .error(400, 400);
    assert!(m.contains("VoiceTranscoder"), "{m}");
    assert_eq!(
        h.root(Method::GET, &uri, "").await.body["voice_transcoder"],
        "app:dtmf-mute"
    );

    // Empty clears it.
    let r = h.root(Method::POST, &uri, "VoiceTranscoder=").await;
    assert!(r.body["voice_transcoder"].is_null(), "{}", r.body);
    assert!(h.root(Method::GET, &uri, "").await.body["voice_transcoder"].is_null());
}

#[tokio::test]
async fn list_filters_by_number_and_name() {
    let h = Harness::new();
    for (n, name) in [
        ("+15550001111", "sales"),
        ("+15550002222", "support"),
        ("+442070001111", "sales"),
    ] {
        let r = h
            .root(
                Method::POST,
                &h.path("/IncomingPhoneNumbers.json"),
                &form(&[("PhoneNumber", n), ("FriendlyName", name)]),
            )
            .await;
        assert_eq!(r.status, 201);
    }
    let numbers = |q: &'static str| {
        let h = &h;
        async move {
            let r = h
                .root(
                    Method::GET,
                    &h.path(&format!("/IncomingPhoneNumbers.json?{q}")),
                    "",
                )
                .await;
            let mut v: Vec<String> = r.body["incoming_phone_numbers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["phone_number"].as_str().unwrap().to_owned())
                .collect();
            v.sort();
            v
        }
    };
    assert_eq!(numbers("").await.len(), 3);
    assert_eq!(
        numbers("PhoneNumber=%2B15550002222").await,
        vec!["+15550002222"]
    );
    assert_eq!(
        numbers("FriendlyName=sales").await,
        vec!["+15550001111", "+442070001111"]
    );
    assert_eq!(
        numbers("FriendlyName=sales&PhoneNumber=%2B442070001111").await,
        vec!["+442070001111"]
    );
}
