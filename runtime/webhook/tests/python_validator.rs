//! Cross-check: the official `twilio` Python package's `RequestValidator` must accept the
//! signatures we send, computed over what the application actually received.

mod common;

use std::process::Command;

use common::*;
use switchyard_webhook::{CookieJar, Signer, Target};

const TOKEN: &str = "12345-token-ü";

/// Validates with Python: argv = token, url, signature, form body ("" for GET).
const VALIDATE: &str = r#"
import sys
from urllib.parse import parse_qsl
from twilio.request_validator import RequestValidator
token, url, signature, body = sys.argv[1:5]
params = dict(parse_qsl(body, keep_blank_values=True))
ok = RequestValidator(token).validate(url, params, signature)
bad = RequestValidator(token).validate(url + "x", params, signature)
print("valid" if ok and not bad else "invalid")
"#;

fn python_with_twilio() -> Option<()> {
    let probe = Command::new("python3")
        .args(["-c", "import twilio.request_validator"])
        .output();
    match probe {
        Ok(out) if out.status.success() => Some(()),
        Ok(out) => {
            println!(
                "skipped: python3 cannot import twilio ({})",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            None
        }
        Err(e) => {
            println!("skipped: python3 not runnable: {e}");
            None
        }
    }
}

fn python_says(url: &str, signature: &str, body: &str) -> String {
    let out = Command::new("python3")
        .args(["-c", VALIDATE, TOKEN, url, signature, body])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[tokio::test]
async fn twilio_request_validator_accepts_our_signatures() {
    if python_with_twilio().is_none() {
        return;
    }
    let app = App::start().await;
    let client = client();
    let signer = Signer::new(TOKEN.into(), None);
    let params = pairs(&[
        ("CallSid", "CA0123456789abcdef0123456789abcdef"),
        ("From", "+33 6 12 34 56 78"),
        ("CallerName", "Zoë Ça-va & Ångström"),
        ("SpeechResult", "日本語のテスト、です"),
        ("Digits", "1#*"),
        ("To", "sip:alice@example.com;transport=tls?x=1"),
    ]);

    client
        .fetch(
            &Target::post(app.url("/twiml?account=a1&z=%E2%9C%93")),
            &params,
            &signer,
            &mut CookieJar::default(),
        )
        .await
        .unwrap();
    let post = &app.requests_to("/twiml")[0];
    let url = format!("http://{}{}", app.addr, post.uri);
    let body = std::str::from_utf8(&post.body).unwrap();
    let signature = post.header("x-twilio-signature").unwrap();
    assert_eq!(
        python_says(&url, &signature, body),
        "valid",
        "POST {url} {body}"
    );
    // Tampering with one value makes Python reject it, so the check has teeth.
    let tampered = body.replace("Digits=1", "Digits=2");
    assert_eq!(python_says(&url, &signature, &tampered), "invalid");

    client
        .fetch(
            &Target::get(app.url("/text?existing=1")),
            &params,
            &signer,
            &mut CookieJar::default(),
        )
        .await
        .unwrap();
    let get = &app.requests_to("/text")[0];
    assert!(get.uri.contains("existing=1&CallSid="), "{}", get.uri);
    let url = format!("http://{}{}", app.addr, get.uri);
    let signature = get.header("x-twilio-signature").unwrap();
    assert_eq!(python_says(&url, &signature, ""), "valid", "GET {url}");
}

#[test]
fn twilio_request_validator_accepts_json_body_signatures() {
    if python_with_twilio().is_none() {
        return;
    }
    let body = r#"{"CallSid":"CA1","Caller":"Zoë"}"#;
    let (url, signature) = switchyard_webhook::twilio_signature_json(
        TOKEN,
        "https://h.example/hook?x=1",
        body.as_bytes(),
    );
    let script = r#"
import sys
from twilio.request_validator import RequestValidator
token, url, signature, body = sys.argv[1:5]
v = RequestValidator(token)
print("valid" if v.validate(url, body, signature) and not v.validate(url, body + " ", signature) else "invalid")
"#;
    let out = Command::new("python3")
        .args(["-c", script, TOKEN, &url, &signature, body])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "valid");
}
