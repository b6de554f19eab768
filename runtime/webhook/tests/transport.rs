//! Connection-level behaviour: the single connect retry, DNS and TLS failures, the
//! response deadline and connection reuse, observed from outside the client.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use switchyard_webhook::{AppResponse, CookieJar, Error, Signer, Target, WebhookConfig};

fn signer() -> Signer {
    Signer::new("tok".into(), None)
}

fn params() -> Vec<(String, String)> {
    pairs(&[("CallSid", "CA1")])
}

#[tokio::test]
async fn refused_connection_is_retried_exactly_once() {
    let (client, resolver) = counting_client(config());
    let url = format!("http://hook.test:{}/voice", closed_port());
    let err = client
        .fetch(
            &Target::post(url),
            &params(),
            &signer(),
            &mut CookieJar::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Connect { .. }), "{err}");
    assert_eq!(err.twilio_code(), 11205);
    // One lookup per connection attempt: the first try and its one retry.
    assert_eq!(resolver.count(), 2);
}

#[tokio::test]
async fn connect_timeout_is_retried_once_within_the_deadline() {
    // A listener whose accept queue is full drops new SYNs, so connecting hangs until the
    // connect timeout; it never accepts, so the queue stays full.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut fillers = Vec::new();
    loop {
        let attempt = tokio::time::timeout(
            Duration::from_millis(200),
            tokio::net::TcpStream::connect(("127.0.0.1", port)),
        )
        .await;
        match attempt {
            Ok(Ok(stream)) => fillers.push(stream),
            _ => break,
        }
        assert!(fillers.len() < 64, "accept queue never filled");
    }
    let connect_timeout = Duration::from_millis(250);
    let (client, resolver) = counting_client(WebhookConfig {
        connect_timeout,
        ..config()
    });
    let started = Instant::now();
    let err = client
        .fetch(
            &Target::post(format!("http://hook.test:{port}/voice")),
            &params(),
            &signer(),
            &mut CookieJar::default(),
        )
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(matches!(err, Error::Connect { .. }), "{err}");
    assert_eq!(err.twilio_code(), 11205);
    assert_eq!(resolver.count(), 2);
    assert!(elapsed >= connect_timeout * 2, "{elapsed:?}");
    assert!(
        elapsed < connect_timeout * 3 + Duration::from_millis(500),
        "{elapsed:?}"
    );
    drop(listener);
}

#[tokio::test]
async fn unknown_host_is_11210_and_not_retried() {
    let (client, resolver) = counting_client(config());
    let err = client
        .fetch(
            &Target::post("http://nowhere.test/voice"),
            &params(),
            &signer(),
            &mut CookieJar::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::BadHostName { host, .. } if host == "nowhere.test"),
        "{err}"
    );
    assert_eq!(err.twilio_code(), 11210);
    assert_eq!(resolver.count(), 1);
}

#[tokio::test]
async fn tls_handshake_failure_is_11220() {
    // An HTTPS URL pointed at a plain-HTTP server: the handshake cannot succeed.
    let app = App::start().await;
    let (client, resolver) = counting_client(config());
    let url = format!("https://hook.test:{}/twiml", app.addr.port());
    let err = client
        .fetch(
            &Target::post(url),
            &params(),
            &signer(),
            &mut CookieJar::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    assert_eq!(err.twilio_code(), 11220);
    // The TCP connection was made, so there is nothing to retry.
    assert_eq!(resolver.count(), 1);
}

#[tokio::test]
async fn connection_dropped_after_accept_is_not_retried() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepts = Arc::new(AtomicUsize::new(0));
    let counter = accepts.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    let (client, _) = counting_client(config());
    let err = client
        .fetch(
            &Target::post(format!("http://hook.test:{port}/voice")),
            &params(),
            &signer(),
            &mut CookieJar::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Retrieval { .. }), "{err:?}");
    assert_eq!(err.twilio_code(), 11200);
    assert_eq!(accepts.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn response_timeout_bounds_the_whole_exchange() {
    let app = App::start().await;
    let limit = Duration::from_millis(300);
    let client = switchyard_webhook::WebhookClient::new(WebhookConfig {
        response_timeout: limit,
        ..config()
    })
    .unwrap();
    let started = Instant::now();
    let err = client
        .fetch(
            &Target::post(app.url("/slow")),
            &params(),
            &signer(),
            &mut CookieJar::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ResponseTimeout { after, .. } if after == limit),
        "{err}"
    );
    assert_eq!(err.twilio_code(), 11205);
    let elapsed = started.elapsed();
    assert!(
        elapsed >= limit && elapsed < Duration::from_secs(2),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn clones_share_one_keep_alive_pool() {
    let app = App::start().await;
    let (client, resolver) = counting_client(config());
    let copy = client.clone();
    for c in [&client, &copy, &client] {
        let answer = c
            .fetch(
                &Target::post(app.named_url("/twiml")),
                &params(),
                &signer(),
                &mut CookieJar::default(),
            )
            .await
            .unwrap();
        assert_eq!(answer, AppResponse::Twiml(TWIML.into()));
    }
    // Three requests, one connection.
    assert_eq!(app.requests_to("/twiml").len(), 3);
    assert_eq!(resolver.count(), 1);
    // The media cache's handle uses the same pool too.
    let status = client
        .http()
        .get(app.named_url("/empty"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    assert_eq!(resolver.count(), 1);
}
