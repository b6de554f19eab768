//! `…/Calls.json` and `…/Calls/{Sid}.json`.

mod common;

use axum::http::Method;
use common::{form, Harness};
use switchyard_api::CallUpdate;
use switchyard_store::{CallRecord, Repository};
use switchyard_types::{CallSid, CallStatus};

fn stored_call(
    h: &Harness,
    to: &str,
    from: &str,
    status: CallStatus,
    start: Option<i64>,
    created: i64,
) -> CallRecord {
    let c = CallRecord {
        sid: CallSid::random(),
        account_sid: h.root.sid,
        from: from.into(),
        to: to.into(),
        status,
        direction: "inbound".into(),
        date_created: created,
        start_time: start,
        end_time: start.map(|s| s + 15_000),
        duration: start.map(|_| 15),
        date_updated: created,
        parent_call_sid: None,
        phone_number_sid: None,
    };
    h.repo.put_call_durable(&c).unwrap();
    c
}

#[tokio::test]
async fn create_passes_every_parameter_and_answers_twilio_json() {
    let h = Harness::new();
    let body = form(&[
        ("To", "+15550001111"),
        ("From", "+15550002222"),
        ("Url", "https://app.example.com/voice"),
        ("Method", "GET"),
        ("FallbackUrl", "https://app.example.com/fallback"),
        ("StatusCallback", "https://app.example.com/status"),
        ("StatusCallbackMethod", "GET"),
        ("StatusCallbackEvent", "initiated"),
        ("StatusCallbackEvent", "answered"),
        ("Timeout", "30"),
    ]);
    let r = h.root(Method::POST, &h.path("/Calls.json"), &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "queued");
    assert_eq!(r.body["to"], "+15550001111");
    assert_eq!(r.body["from"], "+15550002222");
    assert_eq!(r.body["account_sid"], h.root.sid.to_string());
    assert_eq!(r.body["direction"], "outbound-api");
    assert_eq!(r.body["date_created"], "Tue, 14 Nov 2023 22:13:20 +0000");
    assert_eq!(r.body["duration"], serde_json::Value::Null);
    let sid = r.body["sid"].as_str().unwrap().to_owned();
    assert_eq!(r.body["uri"], h.path(&format!("/Calls/{sid}.json")));
    let (acct, call) = h.control.created.lock().unwrap()[0].clone();
    assert_eq!(acct, h.root.sid);
    assert_eq!(call.url.as_deref(), Some("https://app.example.com/voice"));
    assert_eq!(call.twiml, None);
    assert_eq!(call.method, "GET");
    assert_eq!(
        call.fallback_url.as_deref(),
        Some("https://app.example.com/fallback")
    );
    assert_eq!(call.fallback_method, "POST");
    assert_eq!(
        call.status_callback.as_deref(),
        Some("https://app.example.com/status")
    );
    assert_eq!(call.status_callback_method, "GET");
    assert_eq!(call.status_callback_event, vec!["initiated", "answered"]);
    assert_eq!(call.timeout, 30);
    let fetched = h
        .root(Method::GET, &h.path(&format!("/Calls/{sid}.json")), "")
        .await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.body["sid"], sid);
}

#[tokio::test]
async fn create_with_twiml_defaults_timeout_and_methods() {
    let h = Harness::new();
    let body = form(&[
        ("To", "client:alice"),
        ("From", "+15550002222"),
        ("Twiml", "<Response><Say>hi</Say></Response>"),
    ]);
    let r = h.root(Method::POST, &h.path("/Calls.json"), &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let created = h.control.created.lock().unwrap();
    let call = &created[0].1;
    assert_eq!(
        call.twiml.as_deref(),
        Some("<Response><Say>hi</Say></Response>")
    );
    assert_eq!((call.timeout, call.method.as_str()), (60, "POST"));
    assert!(call.status_callback_event.is_empty());
}

#[tokio::test]
async fn create_validation_names_the_parameter() {
    let h = Harness::new();
    let url = ("Url", "https://a.example.com/v");
    type Case<'a> = (Vec<(&'a str, &'a str)>, u64, &'a str);
    let cases: Vec<Case> = vec![
        (vec![("From", "+15550002222"), url], 21201, "'To'"),
        (vec![("To", "+15550001111"), url], 21213, "'From'"),
        (
            vec![("To", "5550001111"), ("From", "+15550002222"), url],
            21211,
            "'To'",
        ),
        (
            vec![("To", "+15550001111"), ("From", "sip:a@b.c"), url],
            21212,
            "'From'",
        ),
        (
            vec![
                ("To", "+15550001111"),
                ("From", "+15550002222"),
                ("Url", "ftp://x"),
            ],
            21205,
            "Url",
        ),
        (
            vec![("To", "+15550001111"), ("From", "+15550002222")],
            400,
            "Url",
        ),
        (
            vec![
                ("To", "+15550001111"),
                ("From", "+15550002222"),
                url,
                ("Twiml", "<Response/>"),
            ],
            400,
            "Url",
        ),
        (
            vec![
                ("To", "+15550001111"),
                ("From", "+15550002222"),
                url,
                ("Timeout", "601"),
            ],
            21208,
            "Timeout",
        ),
        (
            vec![
                ("To", "+15550001111"),
                ("From", "+15550002222"),
                url,
                ("Method", "PUT"),
            ],
            400,
            "Method",
        ),
        (
            vec![
                ("To", "+15550001111"),
                ("From", "+15550002222"),
                url,
                ("StatusCallbackEvent", "hangup"),
            ],
            400,
            "StatusCallbackEvent",
        ),
        (
            vec![
                ("To", "+15550001111"),
                ("From", "+15550002222"),
                url,
                ("FallbackUrl", "nope"),
            ],
            21205,
            "FallbackUrl",
        ),
    ];
    for (pairs, code, name) in cases {
        let r = h
            .root(Method::POST, &h.path("/Calls.json"), &form(&pairs))
            .await;
        let message = r.error(400, code);
        assert!(message.contains(name), "{pairs:?}: {message}");
    }
    assert!(h.control.created.lock().unwrap().is_empty());
}

#[tokio::test]
async fn suspended_accounts_cannot_create_calls() {
    let h = Harness::new();
    let sub = h.sub(&h.root, "subtoken");
    let path = format!("/2010-04-01/Accounts/{}", sub.sid);
    let r = h
        .root(Method::POST, &format!("{path}.json"), "Status=suspended")
        .await;
    assert_eq!(r.body["status"], "suspended");
    let body = form(&[
        ("To", "+15550001111"),
        ("From", "+15550002222"),
        ("Url", "https://a.example.com/v"),
    ]);
    let r = h
        .send(
            Method::POST,
            &format!("{path}/Calls.json"),
            Some((&sub.sid, "subtoken")),
            &body,
        )
        .await;
    let message = r.error(403, 10001);
    assert!(message.contains("not active"), "{message}");
    // Its owner acting on it is refused the same way.
    let r = h
        .root(Method::POST, &format!("{path}/Calls.json"), &body)
        .await;
    r.error(403, 10001);
    // Reading still works while suspended.
    let r = h
        .send(
            Method::GET,
            &format!("{path}/Calls.json"),
            Some((&sub.sid, "subtoken")),
            "",
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(h.control.created.lock().unwrap().is_empty());
}

#[tokio::test]
async fn list_filters() {
    let h = Harness::new();
    let day = 1_699_920_000_000; // 2023-11-14T00:00:00Z
    let a = stored_call(
        &h,
        "+15550000001",
        "+15559990001",
        CallStatus::Completed,
        Some(day + 3_600_000),
        10,
    );
    let b = stored_call(
        &h,
        "+15550000002",
        "+15559990001",
        CallStatus::Busy,
        Some(day + 86_400_000 + 60_000),
        20,
    );
    let c = stored_call(
        &h,
        "+15550000001",
        "+15559990002",
        CallStatus::Queued,
        None,
        30,
    );
    let sids = |q: &str| {
        let h = &h;
        let q = q.to_owned();
        async move {
            let r = h
                .root(Method::GET, &h.path(&format!("/Calls.json?{q}")), "")
                .await;
            assert_eq!(r.status, 200, "{q}: {}", r.body);
            r.body["calls"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["sid"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let s = |c: &CallRecord| c.sid.to_string();
    assert_eq!(sids("").await, vec![s(&c), s(&b), s(&a)]);
    assert_eq!(sids("To=%2B15550000001").await, vec![s(&c), s(&a)]);
    assert_eq!(sids("From=%2B15559990001").await, vec![s(&b), s(&a)]);
    assert_eq!(sids("Status=busy").await, vec![s(&b)]);
    assert_eq!(sids("StartTime=2023-11-14").await, vec![s(&a)]);
    assert_eq!(sids("StartTime%3E=2023-11-15").await, vec![s(&b)]);
    assert_eq!(sids("StartTime%3C=2023-11-14").await, vec![s(&a)]);
    assert_eq!(
        sids("StartTime%3E=2023-11-14T01:00:00Z&StartTime%3C=2023-11-14T01:00:00Z").await,
        vec![s(&a)]
    );
    assert_eq!(sids("To=%2B15550000001&Status=queued").await, vec![s(&c)]);
    let r = h
        .root(Method::GET, &h.path("/Calls.json?Status=ringing-ish"), "")
        .await;
    assert!(r.error(400, 400).starts_with("Status:"));
    let r = h
        .root(
            Method::GET,
            &h.path("/Calls.json?StartTime%3E=14/11/2023"),
            "",
        )
        .await;
    assert!(r.error(400, 400).starts_with("StartTime>:"));
}

#[tokio::test]
async fn update_redirects_hangs_up_and_cancels() {
    let h = Harness::new();
    let live = stored_call(
        &h,
        "+15550000001",
        "+15559990001",
        CallStatus::InProgress,
        Some(5),
        10,
    );
    let ringing = stored_call(
        &h,
        "+15550000001",
        "+15559990001",
        CallStatus::Ringing,
        None,
        11,
    );
    let done = stored_call(
        &h,
        "+15550000001",
        "+15559990001",
        CallStatus::Completed,
        Some(5),
        12,
    );
    let uri = |c: &CallRecord| h.path(&format!("/Calls/{}.json", c.sid));

    let r = h
        .root(
            Method::POST,
            &uri(&live),
            &form(&[("Url", "https://a.example.com/next"), ("Method", "GET")]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = h
        .root(
            Method::POST,
            &uri(&live),
            &form(&[("Twiml", "<Response><Hangup/></Response>")]),
        )
        .await;
    assert_eq!(r.status, 200);
    // Canceling a live call leaves it alone (Twilio's rule), without asking the node.
    let r = h.root(Method::POST, &uri(&live), "Status=canceled").await;
    assert_eq!(
        (r.status.as_u16(), r.body["status"].as_str()),
        (200, Some("in-progress"))
    );
    let r = h.root(Method::POST, &uri(&live), "Status=completed").await;
    assert_eq!(r.body["status"], "completed");
    let r = h
        .root(Method::POST, &uri(&ringing), "Status=canceled")
        .await;
    assert_eq!(r.body["status"], "canceled");
    assert_eq!(
        h.control
            .updated
            .lock()
            .unwrap()
            .iter()
            .map(|u| u.2.clone())
            .collect::<Vec<_>>(),
        vec![
            CallUpdate::Redirect {
                url: "https://a.example.com/next".into(),
                method: "GET".into()
            },
            CallUpdate::Twiml("<Response><Hangup/></Response>".into()),
            CallUpdate::Complete,
            CallUpdate::Cancel,
        ]
    );
    let r = h
        .root(
            Method::POST,
            &uri(&done),
            &form(&[("Url", "https://a.example.com/next")]),
        )
        .await;
    assert!(r.error(409, 21220).contains("completed"));
    let r = h.root(Method::POST, &uri(&ringing), "Status=busy").await;
    assert!(r.error(400, 400).starts_with("Status:"));
    let r = h
        .root(
            Method::POST,
            &h.path(&format!("/Calls/{}.json", CallSid::random())),
            "Status=completed",
        )
        .await;
    r.error(404, 20404);
}
