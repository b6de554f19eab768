//! HTTP Basic `AccountSid:AuthToken` and which accounts a caller may act on.
//!
//! Isolation rule (documented in the OpenAPI document too): a caller acts on its own
//! account and on its subaccounts. Any other account in a path — existing or not — is
//! answered 404, exactly as an unknown one, so a caller cannot probe for other tenants'
//! SIDs. Twilio itself answers 401/403 there; 404 reveals strictly less.

use axum::http::{header, HeaderMap};
use base64::Engine;
use switchyard_store::{Account, AccountStatus, Repository};
use switchyard_types::AccountSid;

use crate::Error;

/// Compare two secrets in time that depends only on their lengths, so a wrong token's
/// response time does not reveal how many leading characters were right.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The `(user, password)` of an `Authorization: Basic …` header.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    // RFC 7617 §2: "the scheme name is case-insensitive" (as all auth-schemes, RFC 9110 §11.1).
    if !scheme.eq_ignore_ascii_case("Basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    // RFC 7617 §2: "a user-id containing a colon character is invalid", so the first
    // colon separates user-id and password.
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// The account whose primary or secondary token the request carries.
///
/// Closed accounts cannot authenticate (Twilio: a closed account is gone for good);
/// suspended ones can, to read their records and be reactivated.
pub fn authenticate(repo: &dyn Repository, headers: &HeaderMap) -> Result<Account, Error> {
    let (user, password) = basic_credentials(headers).ok_or(Error::Unauthenticated)?;
    let sid: AccountSid = user.parse().map_err(|_| Error::Unauthenticated)?;
    let account = repo.account(sid)?;
    let matches = |account: &Account| {
        let primary = constant_time_eq(password.as_bytes(), account.auth_token.as_bytes());
        let secondary = account
            .secondary_auth_token
            .as_deref()
            .is_some_and(|t| constant_time_eq(password.as_bytes(), t.as_bytes()));
        primary | secondary
    };
    match account {
        Some(a) if matches(&a) && a.status != AccountStatus::Closed => Ok(a),
        _ => Err(Error::Unauthenticated),
    }
}

/// The account named in a path, when the caller may act on it (itself or a subaccount).
pub fn reach(repo: &dyn Repository, caller: &Account, path_sid: &str) -> Result<Account, Error> {
    let not_found = || Error::NotFound(format!("/2010-04-01/Accounts/{path_sid}"));
    let sid: AccountSid = path_sid.parse().map_err(|_| not_found())?;
    if sid == caller.sid {
        return Ok(caller.clone());
    }
    match repo.account(sid)? {
        Some(a) if a.owner_account_sid == Some(caller.sid) => Ok(a),
        _ => Err(not_found()),
    }
}

/// A path segment `X.json` without its suffix (routes match the whole segment).
pub fn strip_json(segment: &str) -> Result<&str, Error> {
    segment
        .strip_suffix(".json")
        .ok_or_else(|| Error::NotFound(segment.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn constant_time_compare() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }

    #[test]
    fn parses_basic_credentials() {
        let mut h = HeaderMap::new();
        let enc = base64::engine::general_purpose::STANDARD.encode("ACx:tok:en");
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("basic {enc}")).unwrap(),
        );
        assert_eq!(
            basic_credentials(&h),
            Some(("ACx".to_owned(), "tok:en".to_owned()))
        );
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(basic_credentials(&h), None);
    }

    #[test]
    fn strips_the_json_suffix_only() {
        assert_eq!(strip_json("CA1.json").unwrap(), "CA1");
        assert!(strip_json("CA1").is_err());
    }
}
