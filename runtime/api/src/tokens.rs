//! Twilio's auth-token rotation (`accounts.twilio.com/v1/AuthTokens/…`), served on the
//! same base URL. The account is always the authenticated one.
//!
//! Rotation: create a secondary token (both work), move clients to it, promote it (the
//! old primary stops working at once), or delete it to abandon the rotation.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::accounts::new_token;
use crate::auth::authenticate;
use crate::date::rfc2822;
use crate::{now_ms, ApiState, Error};

/// `POST /v1/AuthTokens/Secondary`: a new secondary token, shown only in this response
/// (201). A second call replaces the previous secondary token.
pub async fn create_secondary(
    State(state): State<ApiState>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let mut account = authenticate(state.repo.as_ref(), &headers)?;
    let token = new_token();
    account.secondary_auth_token = Some(token.clone());
    account.date_updated = now_ms();
    state.repo.update_account(&account)?;
    let body = json!({
        "account_sid": account.sid,
        "secondary_auth_token": token,
        "date_created": rfc2822(account.date_updated),
        "date_updated": rfc2822(account.date_updated),
        "url": "/v1/AuthTokens/Secondary",
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `DELETE /v1/AuthTokens/Secondary` (204; 404 when there is none).
pub async fn delete_secondary(
    State(state): State<ApiState>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let mut account = authenticate(state.repo.as_ref(), &headers)?;
    if account.secondary_auth_token.take().is_none() {
        return Err(Error::NotFound("/v1/AuthTokens/Secondary".into()));
    }
    account.date_updated = now_ms();
    state.repo.update_account(&account)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /v1/AuthTokens/Promote`: the secondary token becomes the primary; the old
/// primary is discarded (404 when there is no secondary token).
pub async fn promote(State(state): State<ApiState>, headers: HeaderMap) -> Result<Response, Error> {
    let mut account = authenticate(state.repo.as_ref(), &headers)?;
    let secondary = account
        .secondary_auth_token
        .take()
        .ok_or_else(|| Error::NotFound("/v1/AuthTokens/Secondary".into()))?;
    account.auth_token = secondary;
    account.date_updated = now_ms();
    state.repo.update_account(&account)?;
    let body = json!({
        "account_sid": account.sid,
        "auth_token": account.auth_token,
        "date_created": rfc2822(account.date_created),
        "date_updated": rfc2822(account.date_updated),
        "url": "/v1/AuthTokens/Promote",
    });
    Ok(Json(body).into_response())
}
