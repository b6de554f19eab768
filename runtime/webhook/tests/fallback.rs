//! `fetch_with_fallback`: Twilio's fallback URL with `ErrorCode` and `ErrorUrl`.

mod common;

use std::time::{Duration, Instant};

use common::*;
use switchyard_webhook::{
    twilio_signature, AppResponse, CookieJar, Error, Signer, Target, WebhookClient, WebhookConfig,
};

fn signer() -> Signer {
    Signer::new("tok".into(), None)
}

fn params() -> Vec<(String, String)> {
    pairs(&[("CallSid", "CA1"), ("To", "+15550001111")])
}

/// Runs a fallback fetch and returns what the fallback handler received.
async fn via_fallback(client: &WebhookClient, app: &App, primary: &str) -> (Error, Recorded) {
    let fetched = client
        .fetch_with_fallback(
            &Target::post(primary),
            Some(&Target::post(app.url("/fallback"))),
            &params(),
            &signer(),
            &mut CookieJar::default(),
        )
        .await
        .unwrap();
    assert!(fetched.from_fallback);
    assert_eq!(fetched.response, AppResponse::Twiml(FALLBACK_TWIML.into()));
    let request = app
        .requests_to("/fallback")
        .pop()
        .expect("fallback was called");
    (fetched.primary_error.expect("primary error kept"), request)
}

#[tokio::test]
async fn connect_failure_goes_to_fallback_with_11205() {
    let app = App::start().await;
    let primary = format!("http://127.0.0.1:{}/voice", closed_port());
    let (error, request) = via_fallback(&client(), &app, &primary).await;
    assert!(matches!(error, Error::Connect { .. }), "{error}");
    assert_eq!(request.param("ErrorCode").as_deref(), Some("11205"));
    assert_eq!(request.param("ErrorUrl").as_deref(), Some(primary.as_str()));
    assert_eq!(request.param("CallSid").as_deref(), Some("CA1"));
    // The fallback request is signed over what it carries, error parameters included.
    assert_eq!(
        request.header("x-twilio-signature").unwrap(),
        twilio_signature("tok", &app.url("/fallback"), &request.params())
    );
}

#[tokio::test]
async fn server_error_goes_to_fallback_with_11200() {
    let app = App::start().await;
    let (error, request) = via_fallback(&client(), &app, &app.url("/500")).await;
    assert!(
        matches!(error, Error::HttpStatus { status: 500, .. }),
        "{error}"
    );
    assert_eq!(request.param("ErrorCode").as_deref(), Some("11200"));
    assert_eq!(request.param("ErrorUrl"), Some(app.url("/500")));
}

#[tokio::test]
async fn slow_primary_goes_to_fallback_after_response_timeout() {
    let app = App::start().await;
    let client = WebhookClient::new(WebhookConfig {
        response_timeout: Duration::from_millis(300),
        ..config()
    })
    .unwrap();
    let started = Instant::now();
    let (error, request) = via_fallback(&client, &app, &app.url("/slow")).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(error, Error::ResponseTimeout { .. }), "{error}");
    assert_eq!(request.param("ErrorCode").as_deref(), Some("11205"));
}

#[tokio::test]
async fn invalid_answer_goes_to_fallback_with_its_code() {
    let app = App::start().await;
    let (_, request) = via_fallback(&client(), &app, &app.url("/big")).await;
    assert_eq!(request.param("ErrorCode").as_deref(), Some("11750"));
    let (_, request) = via_fallback(&client(), &app, &app.url("/json")).await;
    assert_eq!(request.param("ErrorCode").as_deref(), Some("12300"));
}

#[tokio::test]
async fn both_failing_reports_both() {
    let app = App::start().await;
    let failure = client()
        .fetch_with_fallback(
            &Target::post(app.url("/500")),
            Some(&Target::post(format!(
                "http://127.0.0.1:{}/fb",
                closed_port()
            ))),
            &params(),
            &signer(),
            &mut CookieJar::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(failure.primary.twilio_code(), 11200);
    assert_eq!(
        failure.fallback.as_ref().map(Error::twilio_code),
        Some(11205)
    );
    assert!(
        failure.to_string().contains("fallback failed too"),
        "{failure}"
    );
}

#[tokio::test]
async fn without_fallback_the_primary_error_is_returned() {
    let app = App::start().await;
    let failure = client()
        .fetch_with_fallback(
            &Target::post(app.url("/404")),
            None,
            &params(),
            &signer(),
            &mut CookieJar::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(
        failure.primary,
        Error::HttpStatus { status: 404, .. }
    ));
    assert!(failure.fallback.is_none());
}

#[tokio::test]
async fn healthy_primary_never_calls_fallback() {
    let app = App::start().await;
    let fetched = client()
        .fetch_with_fallback(
            &Target::post(app.url("/twiml")),
            Some(&Target::post(app.url("/fallback"))),
            &params(),
            &signer(),
            &mut CookieJar::default(),
        )
        .await
        .unwrap();
    assert!(!fetched.from_fallback);
    assert!(fetched.primary_error.is_none());
    assert_eq!(fetched.response, AppResponse::Twiml(TWIML.into()));
    assert!(app.requests_to("/fallback").is_empty());
}
