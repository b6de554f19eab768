//! `/v1/AuthTokens/Secondary` and `/v1/AuthTokens/Promote`.

mod common;

use axum::http::Method;
use common::Harness;

#[tokio::test]
async fn rotation_secondary_works_then_promote_retires_the_old_primary() {
    let h = Harness::new();
    let sid = h.root.sid;
    let me = h.path(".json");
    let r = h.root(Method::POST, "/v1/AuthTokens/Secondary", "").await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["account_sid"], sid.to_string());
    let secondary = r.body["secondary_auth_token"].as_str().unwrap().to_owned();
    assert_eq!(secondary.len(), 32);
    assert_ne!(secondary, "roottoken");
    // Both tokens work during the rotation.
    assert_eq!(
        h.send(Method::GET, &me, Some((&sid, &secondary)), "")
            .await
            .status,
        200
    );
    assert_eq!(
        h.send(Method::GET, &me, Some((&sid, "roottoken")), "")
            .await
            .status,
        200
    );

    let r = h
        .send(
            Method::POST,
            "/v1/AuthTokens/Promote",
            Some((&sid, &secondary)),
            "",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["auth_token"], secondary);
    h.send(Method::GET, &me, Some((&sid, "roottoken")), "")
        .await
        .error(401, 20003);
    let r = h.send(Method::GET, &me, Some((&sid, &secondary)), "").await;
    assert_eq!(r.body["auth_token"], secondary);
    // Nothing left to promote.
    h.send(
        Method::POST,
        "/v1/AuthTokens/Promote",
        Some((&sid, &secondary)),
        "",
    )
    .await
    .error(404, 20404);
}

#[tokio::test]
async fn deleting_the_secondary_token_revokes_it() {
    let h = Harness::new();
    let sid = h.root.sid;
    let r = h.root(Method::POST, "/v1/AuthTokens/Secondary", "").await;
    let secondary = r.body["secondary_auth_token"].as_str().unwrap().to_owned();
    let r = h.root(Method::DELETE, "/v1/AuthTokens/Secondary", "").await;
    assert_eq!(r.status, 204);
    h.send(Method::GET, &h.path(".json"), Some((&sid, &secondary)), "")
        .await
        .error(401, 20003);
    assert_eq!(h.root(Method::GET, &h.path(".json"), "").await.status, 200);
    h.root(Method::DELETE, "/v1/AuthTokens/Secondary", "")
        .await
        .error(404, 20404);
    h.send(Method::POST, "/v1/AuthTokens/Secondary", None, "")
        .await
        .error(401, 20003);
}
