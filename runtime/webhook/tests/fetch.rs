//! `WebhookClient::fetch` and `notify` against a real HTTP server on 127.0.0.1.

mod common;

use std::time::SystemTime;

use base64::Engine as _;
use common::*;
use switchyard_webhook::{
    twilio_signature, verify_switchyard_signature, AppResponse, CookieJar, Error, Signer, Target,
};

fn signer() -> Signer {
    Signer::new(
        "auth-token".into(),
        Some(("k1".into(), b"sy-secret".to_vec())),
    )
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn fetch(target: Target) -> Result<AppResponse, Error> {
    let params = pairs(&[("CallSid", "CA1"), ("From", "+15550001111")]);
    client()
        .fetch(&target, &params, &signer(), &mut CookieJar::default())
        .await
}

#[tokio::test]
async fn each_content_type_class() {
    let app = App::start().await;
    let got = |path: &str| fetch(Target::post(app.url(path)));
    assert_eq!(
        got("/twiml").await.unwrap(),
        AppResponse::Twiml(TWIML.into())
    );
    assert_eq!(
        got("/appxml").await.unwrap(),
        AppResponse::Twiml(TWIML.into())
    );
    assert_eq!(
        got("/html-twiml").await.unwrap(),
        AppResponse::Twiml("\n  <Response><Hangup/></Response>".into())
    );
    assert_eq!(
        got("/audio").await.unwrap(),
        AppResponse::Audio {
            bytes: vec![0xFF, 0xFB, 0x90, 0x00],
            content_type: "audio/mpeg".into()
        }
    );
    assert!(matches!(
        got("/wav").await.unwrap(),
        AppResponse::Audio { content_type, .. } if content_type == "audio/x-wav"
    ));
    assert_eq!(
        got("/text").await.unwrap(),
        AppResponse::Text("Bonjour, Zoë".into())
    );
    assert_eq!(got("/empty").await.unwrap(), AppResponse::Empty);
    assert_eq!(got("/no-content").await.unwrap(), AppResponse::Empty);
    for path in ["/html-page", "/json"] {
        let err = got(path).await.unwrap_err();
        assert!(
            matches!(err, Error::InvalidContentType { .. }),
            "{path}: {err}"
        );
        assert_eq!(err.twilio_code(), 12300);
    }
}

#[tokio::test]
async fn non_2xx_is_retrieval_failure() {
    let app = App::start().await;
    for (path, status) in [("/500", 500), ("/404", 404)] {
        match fetch(Target::post(app.url(path))).await {
            Err(e @ Error::HttpStatus { status: s, .. }) if s == status => {
                assert_eq!(e.twilio_code(), 11200)
            }
            other => panic!("{path}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn body_limit_is_64_kib() {
    let app = App::start().await;
    assert_eq!(
        fetch(Target::post(app.url("/exact"))).await.unwrap(),
        AppResponse::Text("a".repeat(LIMIT))
    );
    for path in ["/big", "/big-chunked"] {
        let err = fetch(Target::post(app.url(path))).await.unwrap_err();
        assert!(
            matches!(err, Error::BodyTooLarge { limit: LIMIT, .. }),
            "{path}: {err}"
        );
        assert_eq!(err.twilio_code(), 11750);
    }
}

#[tokio::test]
async fn post_is_form_encoded_and_signed() {
    let app = App::start().await;
    let params = pairs(&[("To", "+1 555 0100"), ("CallSid", "CA9"), ("Digits", "1#")]);
    client()
        .fetch(
            &Target::post(app.url("/twiml?v=2")),
            &params,
            &signer(),
            &mut CookieJar::default(),
        )
        .await
        .unwrap();
    let request = &app.requests_to("/twiml")[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.uri, "/twiml?v=2");
    assert_eq!(
        request.header("content-type").as_deref(),
        Some("application/x-www-form-urlencoded; charset=utf-8")
    );
    assert_eq!(
        request.header("user-agent"),
        Some(format!("Switchyard/{}", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(request.params(), params);
    let url = app.url("/twiml?v=2");
    assert_eq!(
        request.header("x-twilio-signature").unwrap(),
        twilio_signature("auth-token", &url, &request.params())
    );
    let sy = request.header("x-switchyard-signature").unwrap();
    assert!(sy.contains("kid=k1,"), "{sy}");
    verify_switchyard_signature(b"sy-secret", &sy, &url, &request.body, now_unix(), 60).unwrap();
}

#[tokio::test]
async fn get_puts_params_in_query_and_signs_full_url() {
    let app = App::start().await;
    let params = pairs(&[("CallSid", "CA1"), ("SpeechResult", "oui, ça va")]);
    let plain = Signer::new("auth-token".into(), None);
    client()
        .fetch(
            &Target::get(app.url("/twiml?x=1")),
            &params,
            &plain,
            &mut CookieJar::default(),
        )
        .await
        .unwrap();
    let request = &app.requests_to("/twiml")[0];
    assert_eq!(request.method, "GET");
    assert!(request.body.is_empty());
    assert_eq!(request.header("content-type"), None);
    assert_eq!(request.header("x-switchyard-signature"), None);
    assert_eq!(
        request.uri,
        "/twiml?x=1&CallSid=CA1&SpeechResult=oui%2C+%C3%A7a+va"
    );
    let full_url = format!("http://{}{}", app.addr, request.uri);
    assert_eq!(
        request.header("x-twilio-signature").unwrap(),
        twilio_signature("auth-token", &full_url, &[])
    );
}

#[tokio::test]
async fn userinfo_becomes_basic_auth_and_is_not_signed() {
    let app = App::start().await;
    let url = format!("http://al%20ice:p%40ss@{}/echo-auth", app.addr);
    let answer = fetch(Target::post(url)).await.unwrap();
    let expected = base64::engine::general_purpose::STANDARD.encode("al ice:p@ss");
    assert_eq!(answer, AppResponse::Text(format!("Basic {expected}")));
    let request = &app.requests_to("/echo-auth")[0];
    assert_eq!(
        request.header("x-twilio-signature").unwrap(),
        twilio_signature("auth-token", &app.url("/echo-auth"), &request.params())
    );
}

#[tokio::test]
async fn cookies_round_trip_per_call() {
    let app = App::start().await;
    let client = client();
    let params = pairs(&[("CallSid", "CA1")]);
    let mut jar = CookieJar::default();
    for (path, expected) in [
        ("/set-cookie", AppResponse::Twiml(TWIML.into())),
        (
            "/echo-cookie",
            AppResponse::Text("session=abc123; step=1".into()),
        ),
        ("/clear-cookie", AppResponse::Empty),
        ("/echo-cookie", AppResponse::Text("step=1".into())),
    ] {
        let target = Target::post(app.url(path));
        let answer = client
            .fetch(&target, &params, &signer(), &mut jar)
            .await
            .unwrap();
        assert_eq!(answer, expected, "{path}");
    }
    assert_eq!(jar.len(), 1);
    // Another call has its own jar.
    let other = fetch(Target::post(app.url("/echo-cookie"))).await.unwrap();
    assert_eq!(other, AppResponse::Empty);
}

#[tokio::test]
async fn redirects_are_followed_and_each_hop_signed() {
    let app = App::start().await;
    let params = pairs(&[("CallSid", "CA1")]);
    let mut jar = CookieJar::default();
    let answer = client()
        .fetch(
            &Target::post(app.url("/see-other")),
            &params,
            &signer(),
            &mut jar,
        )
        .await
        .unwrap();
    assert_eq!(answer, AppResponse::Twiml(TWIML.into()));
    // 303 turns the POST into a GET that still carries the call's parameters.
    let hop = &app.requests_to("/twiml")[0];
    assert_eq!(hop.method, "GET");
    assert_eq!(hop.uri, "/twiml?CallSid=CA1");
    let hop_url = format!("http://{}{}", app.addr, hop.uri);
    assert_eq!(
        hop.header("x-twilio-signature").unwrap(),
        twilio_signature("auth-token", &hop_url, &[])
    );
    verify_switchyard_signature(
        b"sy-secret",
        &hop.header("x-switchyard-signature").unwrap(),
        &hop_url,
        b"",
        now_unix(),
        60,
    )
    .unwrap();
    // The cookie set by the redirect response went to the next hop.
    assert_eq!(hop.header("cookie").as_deref(), Some("hop303=yes"));

    // 307 keeps the method and body.
    client()
        .fetch(
            &Target::post(app.url("/temporary")),
            &params,
            &signer(),
            &mut jar,
        )
        .await
        .unwrap();
    let hop = app.requests_to("/twiml").pop().unwrap();
    assert_eq!(
        (hop.method.as_str(), hop.uri.as_str()),
        ("POST", "/twiml?from=307")
    );
    assert_eq!(hop.params(), params);
    assert_eq!(
        hop.header("x-twilio-signature").unwrap(),
        twilio_signature("auth-token", &app.url("/twiml?from=307"), &params)
    );
}

#[tokio::test]
async fn redirect_loops_and_bad_redirects_fail() {
    let app = App::start().await;
    let err = fetch(Target::post(app.url("/loop"))).await.unwrap_err();
    assert!(matches!(err, Error::TooManyRedirects { .. }), "{err}");
    assert_eq!(err.twilio_code(), 11215);
    assert_eq!(
        app.requests_to("/loop").len(),
        switchyard_webhook::MAX_REDIRECTS + 1
    );
    let err = fetch(Target::post(app.url("/no-location")))
        .await
        .unwrap_err();
    assert_eq!(err.twilio_code(), 11216, "{err}");
}

#[tokio::test]
async fn notify_ignores_body_and_reports_errors() {
    let app = App::start().await;
    let client = client();
    let params = pairs(&[("CallSid", "CA1"), ("CallStatus", "completed")]);
    client
        .notify(&Target::post(app.url("/no-content")), &params, &signer())
        .await
        .unwrap();
    // Twilio does not read status-callback bodies: a large or odd one is not an error.
    client
        .notify(&Target::post(app.url("/big")), &params, &signer())
        .await
        .unwrap();
    client
        .notify(&Target::post(app.url("/json")), &params, &signer())
        .await
        .unwrap();
    let err = client
        .notify(&Target::post(app.url("/500")), &params, &signer())
        .await
        .unwrap_err();
    assert_eq!(err.twilio_code(), 11200);
    let request = &app.requests_to("/no-content")[0];
    assert_eq!(request.params(), params);
    assert_eq!(
        request.header("x-twilio-signature").unwrap(),
        twilio_signature("auth-token", &app.url("/no-content"), &params)
    );
}

#[tokio::test]
async fn invalid_url_is_11100() {
    let err = client()
        .fetch(
            &Target::post("ftp://h/x"),
            &[],
            &signer(),
            &mut CookieJar::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.twilio_code(), 11100);
}
