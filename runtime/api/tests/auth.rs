//! Credentials and isolation: 401 for bad credentials, 404 for other tenants.

mod common;

use axum::http::Method;
use common::Harness;
use switchyard_store::{AccountStatus, Repository};

#[tokio::test]
async fn missing_or_wrong_credentials_are_401_with_a_challenge() {
    let h = Harness::new();
    let uri = h.path("/Calls.json");
    for who in [None, Some((&h.root.sid, "wrong")), Some((&h.root.sid, ""))] {
        let r = h.send(Method::GET, &uri, who, "").await;
        r.error(401, 20003);
        assert_eq!(r.headers["www-authenticate"], "Basic realm=\"Twilio API\"");
    }
    // A well-formed but unknown account sid.
    let stranger = common::account(None, "roottoken", 5);
    let r = h
        .send(Method::GET, &uri, Some((&stranger.sid, "roottoken")), "")
        .await;
    r.error(401, 20003);
}

#[tokio::test]
async fn closed_accounts_cannot_authenticate() {
    let h = Harness::new();
    let sub = h.sub(&h.root, "subtoken");
    let own = format!("/2010-04-01/Accounts/{}.json", sub.sid);
    let r = h
        .send(Method::GET, &own, Some((&sub.sid, "subtoken")), "")
        .await;
    assert_eq!(r.status, 200);
    let r = h.root(Method::POST, &own, "Status=closed").await;
    assert_eq!(r.body["status"], "closed");
    let r = h
        .send(Method::GET, &own, Some((&sub.sid, "subtoken")), "")
        .await;
    r.error(401, 20003);
    // The owner still sees it, and cannot reopen it.
    assert_eq!(h.root(Method::GET, &own, "").await.body["status"], "closed");
    let r = h.root(Method::POST, &own, "Status=active").await;
    assert!(r.error(409, 20409).contains("cannot be reopened"));
    assert_eq!(
        h.repo.account(sub.sid).unwrap().unwrap().status,
        AccountStatus::Closed
    );
}

#[tokio::test]
async fn other_tenants_accounts_and_resources_are_404() {
    let h = Harness::new();
    let other = h.tenant("othertoken");
    let as_other = Some((&other.sid, "othertoken"));
    // Another tenant's account path: 404, like a SID that does not exist.
    for path in [
        h.path(".json"),
        h.path("/Calls.json"),
        h.path("/IncomingPhoneNumbers.json"),
        "/2010-04-01/Accounts/AC00000000000000000000000000000000/Calls.json".to_owned(),
        "/2010-04-01/Accounts/not-a-sid/Calls.json".to_owned(),
    ] {
        h.send(Method::GET, &path, as_other, "")
            .await
            .error(404, 20404);
    }
    // The root's number fetched through the other tenant's own path: 404.
    let r = h
        .root(
            Method::POST,
            &h.path("/IncomingPhoneNumbers.json"),
            "PhoneNumber=%2B15550001111",
        )
        .await;
    let pn = r.body["sid"].as_str().unwrap().to_owned();
    let through_other = format!(
        "/2010-04-01/Accounts/{}/IncomingPhoneNumbers/{pn}.json",
        other.sid
    );
    h.send(Method::GET, &through_other, as_other, "")
        .await
        .error(404, 20404);
    h.send(Method::DELETE, &through_other, as_other, "")
        .await
        .error(404, 20404);
    assert_eq!(
        h.root(
            Method::GET,
            &h.path(&format!("/IncomingPhoneNumbers/{pn}.json")),
            ""
        )
        .await
        .status,
        200
    );
}

#[tokio::test]
async fn parent_reaches_subaccounts_but_not_the_reverse() {
    let h = Harness::new();
    let sub = h.sub(&h.root, "subtoken");
    let sub_path = format!("/2010-04-01/Accounts/{}", sub.sid);
    let r = h
        .root(
            Method::POST,
            &format!("{sub_path}/Applications.json"),
            "FriendlyName=kid",
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["account_sid"], sub.sid.to_string());
    let r = h
        .root(Method::GET, &format!("{sub_path}/Applications.json"), "")
        .await;
    assert_eq!(r.body["applications"].as_array().unwrap().len(), 1);
    let as_sub = Some((&sub.sid, "subtoken"));
    h.send(Method::GET, &h.path(".json"), as_sub, "")
        .await
        .error(404, 20404);
    h.send(Method::GET, &h.path("/Applications.json"), as_sub, "")
        .await
        .error(404, 20404);
    // A sibling subaccount is out of reach too.
    let sibling = h.sub(&h.root, "sibtoken");
    let sib = format!("/2010-04-01/Accounts/{}/Calls.json", sibling.sid);
    h.send(Method::GET, &sib, as_sub, "")
        .await
        .error(404, 20404);
}
