//! `GET /openapi.json` documents every route the router serves.

mod common;

use axum::http::Method;
use common::Harness;

#[tokio::test]
async fn served_document_lists_every_route_with_its_methods() {
    let h = Harness::new();
    let r = h.send(Method::GET, "/openapi.json", None, "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, switchyard_api::openapi());
    assert_eq!(r.body["openapi"], "3.0.3");
    let paths = r.body["paths"].as_object().unwrap();
    let acc = "/2010-04-01/Accounts/{AccountSid}";
    let expected: Vec<(String, &[&str])> = vec![
        ("/2010-04-01/Accounts.json".into(), &["get", "post"]),
        (format!("{acc}.json"), &["get", "post"]),
        (format!("{acc}/Calls.json"), &["get", "post"]),
        (format!("{acc}/Calls/{{CallSid}}.json"), &["get", "post"]),
        (format!("{acc}/IncomingPhoneNumbers.json"), &["get", "post"]),
        (
            format!("{acc}/IncomingPhoneNumbers/{{PhoneNumberSid}}.json"),
            &["get", "post", "delete"],
        ),
        (format!("{acc}/Applications.json"), &["get", "post"]),
        (
            format!("{acc}/Applications/{{ApplicationSid}}.json"),
            &["get", "post", "delete"],
        ),
        (format!("{acc}/Notifications.json"), &["get"]),
        (
            format!("{acc}/Notifications/{{NotificationSid}}.json"),
            &["get"],
        ),
        (format!("{acc}/Recordings.json"), &["get"]),
        (
            format!("{acc}/Recordings/{{RecordingSid}}.json"),
            &["get", "delete"],
        ),
        (
            format!("{acc}/Recordings/{{RecordingSid}}"),
            &["get", "delete"],
        ),
        (
            format!("{acc}/Recordings/{{RecordingSid}}.wav"),
            &["get", "delete"],
        ),
        (
            format!("{acc}/Recordings/{{RecordingSid}}.mp3"),
            &["get", "delete"],
        ),
        (
            format!("{acc}/Calls/{{CallSid}}/Recordings.json"),
            &["get", "post"],
        ),
        (
            format!("{acc}/Calls/{{CallSid}}/Recordings/{{RecordingSid}}.json"),
            &["get", "post", "delete"],
        ),
        (format!("{acc}/Conferences.json"), &["get"]),
        (
            format!("{acc}/Conferences/{{ConferenceSid}}.json"),
            &["get", "post"],
        ),
        (
            format!("{acc}/Conferences/{{ConferenceSid}}/Participants.json"),
            &["get", "post"],
        ),
        (
            format!("{acc}/Conferences/{{ConferenceSid}}/Participants/{{CallSid}}.json"),
            &["get", "post", "delete"],
        ),
        (format!("{acc}/Usage/Records.json"), &["get"]),
        (format!("{acc}/Usage/Records/AllTime.json"), &["get"]),
        (format!("{acc}/Usage/Records/Daily.json"), &["get"]),
        (format!("{acc}/Usage/Records/Monthly.json"), &["get"]),
        (format!("{acc}/Usage/Records/Yearly.json"), &["get"]),
        (format!("{acc}/Usage/Records/Today.json"), &["get"]),
        (format!("{acc}/Usage/Records/Yesterday.json"), &["get"]),
        (format!("{acc}/Usage/Records/ThisMonth.json"), &["get"]),
        (format!("{acc}/Usage/Records/LastMonth.json"), &["get"]),
        (format!("{acc}/Queues.json"), &["get", "post"]),
        (
            format!("{acc}/Queues/{{QueueSid}}.json"),
            &["get", "post", "delete"],
        ),
        (format!("{acc}/Queues/{{QueueSid}}/Members.json"), &["get"]),
        (
            format!("{acc}/Queues/{{QueueSid}}/Members/{{CallSid}}.json"),
            &["get", "post"],
        ),
        ("/v1/AuthTokens/Secondary".into(), &["post", "delete"]),
        ("/v1/AuthTokens/Promote".into(), &["post"]),
    ];
    for (path, methods) in &expected {
        let item = paths.get(path).unwrap_or_else(|| panic!("{path} missing"));
        let mut got: Vec<&str> = item
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        got.sort();
        let mut want = methods.to_vec();
        want.sort();
        assert_eq!(got, want, "{path}");
        for m in *methods {
            assert!(
                item[m]["responses"]["401"].is_object(),
                "{m} {path} documents 401"
            );
        }
    }
    assert_eq!(paths.len(), expected.len() + 1, "plus /openapi.json itself");
    let create = &paths[&format!("{acc}/Calls.json")]["post"]["requestBody"]["content"]
        ["application/x-www-form-urlencoded"]["schema"];
    assert_eq!(create["required"], serde_json::json!(["To", "From"]));
}

#[tokio::test]
async fn documented_paths_are_served() {
    // Every templated path, filled with the root's sid and unknown resource sids,
    // answers JSON from this router (not axum's bare 404/405).
    let h = Harness::new();
    let doc = switchyard_api::openapi();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if path.starts_with("/v1/") {
            continue; // token routes change credentials; tests/tokens.rs covers them
        }
        let concrete = path
            .replace("{AccountSid}", &h.root.sid.to_string())
            .replace("{CallSid}", "CA00000000000000000000000000000000")
            .replace("{PhoneNumberSid}", "PN00000000000000000000000000000000")
            .replace("{ApplicationSid}", "AP00000000000000000000000000000000")
            .replace("{NotificationSid}", "NO00000000000000000000000000000000")
            .replace("{RecordingSid}", "RE00000000000000000000000000000000")
            .replace("{ConferenceSid}", "CF00000000000000000000000000000000");
        for method in item.as_object().unwrap().keys() {
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = h.root(m, &concrete, "").await;
            assert!(r.status != 405, "{method} {concrete}");
            if r.status.as_u16() >= 400 {
                assert!(r.body["code"].is_u64(), "{method} {concrete}: {}", r.body);
            }
        }
    }
}
