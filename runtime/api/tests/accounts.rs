//! `/2010-04-01/Accounts.json` and `/2010-04-01/Accounts/{Sid}.json`.

mod common;

use axum::http::Method;
use common::Harness;
use switchyard_store::Repository;
use switchyard_types::AccountSid;

#[tokio::test]
async fn create_subaccount_inherits_limits_and_gets_its_own_token() {
    let h = Harness::new();
    let r = h
        .root(
            Method::POST,
            "/2010-04-01/Accounts.json",
            "FriendlyName=Customer+A",
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["friendly_name"], "Customer A");
    assert_eq!(r.body["owner_account_sid"], h.root.sid.to_string());
    assert_eq!(r.body["status"], "active");
    let sid: AccountSid = r.body["sid"].as_str().unwrap().parse().unwrap();
    let token = r.body["auth_token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 32);
    assert_eq!(r.body["uri"], format!("/2010-04-01/Accounts/{sid}.json"));
    assert_eq!(
        r.body["subresource_uris"]["calls"],
        format!("/2010-04-01/Accounts/{sid}/Calls.json")
    );
    let stored = h.repo.account(sid).unwrap().unwrap();
    assert_eq!(
        (stored.calls_per_second, stored.max_concurrent_calls),
        (2.5, 7)
    );
    // The new token works, and a subaccount may not create subaccounts.
    let r = h
        .send(
            Method::GET,
            &format!("/2010-04-01/Accounts/{sid}.json"),
            Some((&sid, &token)),
            "",
        )
        .await;
    assert_eq!(r.body["sid"], sid.to_string());
    let r = h
        .send(
            Method::POST,
            "/2010-04-01/Accounts.json",
            Some((&sid, &token)),
            "",
        )
        .await;
    r.error(403, 20403);
}

#[tokio::test]
async fn fetch_own_account_in_twilio_shape() {
    let h = Harness::new();
    let r = h.root(Method::GET, &h.path(".json"), "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["sid"], h.root.sid.to_string());
    // Twilio: a main account's owner_account_sid is its own sid.
    assert_eq!(r.body["owner_account_sid"], h.root.sid.to_string());
    assert_eq!(r.body["date_created"], "Thu, 01 Jan 1970 00:00:01 +0000");
    assert_eq!(r.body["type"], "Full");
}

#[tokio::test]
async fn list_is_the_caller_and_its_subaccounts() {
    let h = Harness::new();
    let a = h.sub(&h.root, "a");
    let _other = h.tenant("x");
    let r = h.root(Method::GET, "/2010-04-01/Accounts.json", "").await;
    let sids: Vec<&str> = r.body["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["sid"].as_str().unwrap())
        .collect();
    assert_eq!(sids, vec![h.root.sid.to_string(), a.sid.to_string()]);
    let r = h
        .send(
            Method::GET,
            "/2010-04-01/Accounts.json",
            Some((&a.sid, "a")),
            "",
        )
        .await;
    assert_eq!(r.body["accounts"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["accounts"][0]["sid"], a.sid.to_string());
}

#[tokio::test]
async fn update_name_and_status_rules() {
    let h = Harness::new();
    let sub = h.sub(&h.root, "s");
    let path = format!("/2010-04-01/Accounts/{}.json", sub.sid);
    let r = h
        .root(Method::POST, &path, "FriendlyName=Renamed&Status=suspended")
        .await;
    assert_eq!(
        (r.body["friendly_name"].as_str(), r.body["status"].as_str()),
        (Some("Renamed"), Some("suspended"))
    );
    let r = h.root(Method::POST, &path, "Status=active").await;
    assert_eq!(r.body["status"], "active");
    // An account cannot change its own status, and the values are Twilio's.
    h.send(
        Method::POST,
        &path,
        Some((&sub.sid, "s")),
        "Status=suspended",
    )
    .await
    .error(403, 20403);
    h.root(Method::POST, &h.path(".json"), "Status=closed")
        .await
        .error(403, 20403);
    let m = h
        .root(Method::POST, &path, "Status=paused")
        .await
        .error(400, 400);
    assert!(m.starts_with("Status:"), "{m}");
    let long = "x".repeat(65);
    let m = h
        .root(Method::POST, &path, &format!("FriendlyName={long}"))
        .await
        .error(400, 400);
    assert!(m.starts_with("FriendlyName:"), "{m}");
}
