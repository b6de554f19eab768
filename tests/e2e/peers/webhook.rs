//! The webhook peer: Twilio's validator against signatures computed in Rust, and
//! each scenario's answers.

use std::time::{Duration, Instant};
use switchyard_e2e::audio::{tone_share, Wav};
use switchyard_e2e::http::request;
use switchyard_e2e::signature::{switchyard_signature, twilio_signature};
use switchyard_e2e::{Scenario, Webhook};

const TOKEN: &str = "webhook-test-token";

fn call_params() -> Vec<(&'static str, &'static str)> {
    vec![
        ("CallSid", "CA0123456789abcdef0123456789abcdef"),
        ("AccountSid", "AC00000000000000000000000000000001"),
        ("From", "+15557770000"),
        ("To", "+15550001111"),
        ("CallStatus", "ringing"),
        ("Direction", "inbound"),
        ("ApiVersion", "2010-04-01"),
    ]
}

#[test]
fn twilio_validator_accepts_signatures_computed_in_rust_and_only_those() {
    let hook = Webhook::start(Scenario::GatherPlay, TOKEN, &[]).unwrap();
    let url = hook.url("/voice");
    let params = call_params();
    let good = twilio_signature(TOKEN, &url, &params);
    let bad = twilio_signature("some-other-token", &url, &params);

    let r = request("POST", &url)
        .header("X-Twilio-Signature", &good)
        .send_form(&params)
        .unwrap();
    assert_eq!(r.status, 200);
    assert!(r.header("Content-Type").unwrap().starts_with("text/xml"));
    let body = r.text();
    assert!(
        body.contains(r#"<Gather action="/gathered" numDigits="1" timeout="10"><Say>Welcome to Switchyard. Press one.</Say></Gather>"#),
        "{body}"
    );

    request("POST", &url)
        .header("X-Twilio-Signature", &bad)
        .send_form(&params)
        .unwrap();
    // Same signature, one parameter changed: must no longer validate.
    let mut tampered = params.clone();
    tampered[4] = ("CallStatus", "completed");
    request("POST", &url)
        .header("X-Twilio-Signature", &good)
        .send_form(&tampered)
        .unwrap();
    // GET: the URL with its query string alone is signed.
    let get_url = hook.url("/status?CallSid=CA1&CallStatus=completed");
    request("GET", &get_url)
        .header(
            "X-Twilio-Signature",
            &twilio_signature(TOKEN, &get_url, &[]),
        )
        .call()
        .unwrap();

    let log = hook.requests().unwrap();
    let valid: Vec<bool> = log.iter().map(|r| r.signature_valid).collect();
    assert_eq!(valid, [true, false, false, true], "{log:?}");
    assert_eq!(log[0].method, "POST");
    assert_eq!(log[0].param("From"), Some("+15557770000"));
    assert_eq!(log[0].twilio_signature.as_deref(), Some(good.as_str()));
    assert_eq!(log[2].param("CallStatus"), Some("completed"));
    assert_eq!(
        (log[3].method.as_str(), log[3].path.as_str()),
        ("GET", "/status")
    );
    assert_eq!(log[3].param("CallSid"), Some("CA1"));
    assert_eq!(log[3].status, 200);
}

#[test]
fn gather_play_branches_on_the_digit() {
    let hook = Webhook::start(Scenario::GatherPlay, TOKEN, &[]).unwrap();
    let gathered = hook.url("/gathered");
    let one = request("POST", &gathered)
        .send_form(&[("Digits", "1")])
        .unwrap();
    let expected = format!(
        "<Response><Play>{}</Play><Hangup /></Response>",
        hook.url("/audio/tone.wav")
    );
    assert!(one.text().ends_with(&expected), "{}", one.text());
    let two = request("POST", &gathered)
        .send_form(&[("Digits", "2")])
        .unwrap();
    assert!(
        two.text()
            .ends_with("<Response><Say>Wrong digit</Say><Hangup /></Response>"),
        "{}",
        two.text()
    );
    let log = hook.requests_to("/gathered").unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].param("Digits"), Some("2"));
}

#[test]
fn tone_wav_is_a_cacheable_440_hz_tone_of_the_asked_length() {
    let hook = Webhook::start(Scenario::GatherPlay, TOKEN, &["--wav-seconds", "1.5"]).unwrap();
    let url = hook.url("/audio/tone.wav");
    let r = request("GET", &url).call().unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("audio/wav"));
    assert_eq!(r.header("Cache-Control"), Some("max-age=60"));
    let etag = r.header("ETag").expect("ETag").to_string();
    let wav = Wav::parse(&r.body).unwrap();
    assert_eq!(wav.rate, 8000);
    assert!((wav.seconds() - 1.5).abs() < 1e-9, "{} s", wav.seconds());
    assert!(tone_share(&wav.samples, wav.rate, 440.0) > 0.9);
    assert!(tone_share(&wav.samples, wav.rate, 880.0) < 0.05);

    let again = request("GET", &url)
        .header("If-None-Match", &etag)
        .call()
        .unwrap();
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    let changed = request("GET", &url)
        .header("If-None-Match", "\"nope\"")
        .call()
        .unwrap();
    assert_eq!(changed.status, 200);
}

fn assert_fallback(hook: &Webhook) {
    let r = request("POST", &hook.url("/fallback"))
        .send_form(&[("ErrorCode", "11200"), ("ErrorUrl", "http://x/voice")])
        .unwrap();
    assert_eq!(r.status, 200);
    assert!(
        r.text()
            .ends_with("<Response><Say>Fallback speaking</Say><Hangup /></Response>"),
        "{}",
        r.text()
    );
    let logged = hook.requests_to("/fallback").unwrap();
    assert_eq!(logged.last().unwrap().param("ErrorCode"), Some("11200"));
}

#[test]
fn error500_fails_voice_and_serves_the_fallback() {
    let hook = Webhook::start(Scenario::Error500, TOKEN, &[]).unwrap();
    let r = request("POST", &hook.url("/voice"))
        .send_form(&call_params())
        .unwrap();
    assert_eq!(r.status, 500);
    assert_fallback(&hook);
}

#[test]
fn slow_delays_voice_and_serves_the_fallback() {
    let hook = Webhook::start(Scenario::Slow, TOKEN, &["--delay", "1.5"]).unwrap();
    let started = Instant::now();
    let r = request("POST", &hook.url("/voice"))
        .send_form(&call_params())
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(1500));
    assert_eq!(r.status, 200);
    assert_fallback(&hook);
}

#[test]
fn badxml_and_say_hangup_and_status() {
    let bad = Webhook::start(Scenario::BadXml, TOKEN, &[]).unwrap();
    let r = request("POST", &bad.url("/voice"))
        .send_form(&call_params())
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "<Response><Say>unterminated</Response>");

    let fast = Webhook::start(Scenario::SayHangup, TOKEN, &[]).unwrap();
    let r = request("POST", &fast.url("/voice"))
        .send_form(&call_params())
        .unwrap();
    assert!(
        r.text()
            .ends_with("<Response><Say>Hello</Say><Hangup /></Response>"),
        "{}",
        r.text()
    );
    let s = request("POST", &fast.url("/status"))
        .send_form(&[("CallStatus", "completed"), ("CallDuration", "3")])
        .unwrap();
    assert_eq!(s.status, 200);
    assert!(s.body.is_empty());
    let log = fast.requests_to("/status").unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].param("CallDuration"), Some("3"));
}

#[test]
fn switchyard_signature_is_checked_when_the_key_is_given() {
    let hook = Webhook::start(Scenario::SayHangup, TOKEN, &["--signing-key", "k1"]).unwrap();
    let url = hook.url("/voice");
    let body = b"CallSid=CA1&From=%2B15557770000";
    let now = 1_800_000_000;
    for key in ["k1", "k2"] {
        request("POST", &url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header(
                "X-Switchyard-Signature",
                &switchyard_signature(key, now, &url, body),
            )
            .send_bytes(body)
            .unwrap();
    }
    let log = hook.requests().unwrap();
    let valid: Vec<Option<bool>> = log.iter().map(|r| r.switchyard_signature_valid).collect();
    assert_eq!(valid, [Some(true), Some(false)]);
    assert!(log[0]
        .switchyard_signature
        .as_deref()
        .unwrap()
        .starts_with("t=1800000000,v1="));
}

#[test]
fn webhook_stops_by_itself_after_its_lifetime() {
    let mut hook = Webhook::start(Scenario::SayHangup, TOKEN, &["--lifetime", "1"]).unwrap();
    assert!(hook.is_running().unwrap());
    let deadline = Instant::now() + Duration::from_secs(10);
    while hook.is_running().unwrap() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !hook.is_running().unwrap(),
        "still running: {}",
        hook.stderr()
    );
}
