//! Access tokens: the JWT that Twilio's helper libraries mint with `AccessToken`
//! (HS256 signed with an API key's secret; `iss` the key's `SK…` sid, `sub` the account,
//! `grants.identity` and `grants.voice`), which a client presents to register instead of
//! a password (RFC 8898 `Authorization: Bearer`).
//!
//! Verified by hand with HMAC-SHA256 rather than a JWT library: one algorithm is
//! accepted and every other (`none` included) refused, so a general library's algorithm
//! choices would only be surface to turn off. Sans-IO: the caller looks up the key named
//! by [`Unverified::key_sid`] and passes the time.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not three base64url parts of JSON objects.
    #[error("malformed access token: {0}")]
    Malformed(&'static str),
    /// The header names an algorithm other than HS256.
    #[error("unsupported token algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// The header's `cty` is not Twilio's `twilio-fpa;v=1`.
    #[error("not a Twilio access token (cty {0:?})")]
    NotAnAccessToken(String),
    /// No API key with the `iss` sid exists.
    #[error("unknown API key")]
    UnknownKey,
    /// The signature does not verify with the key's secret.
    #[error("token signature does not verify")]
    BadSignature,
    /// The key belongs to another account than `sub`.
    #[error("token account does not own its key")]
    WrongAccount,
    /// `exp` has passed.
    #[error("token expired")]
    Expired,
    /// `nbf` is still ahead.
    #[error("token not valid yet")]
    NotYetValid,
    /// `grants.identity` is absent or empty.
    #[error("token without an identity")]
    NoIdentity,
    /// `grants.voice.incoming.allow` is not true: the client may not receive calls.
    #[error("token without an incoming voice grant")]
    NoIncomingVoiceGrant,
}

/// A verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// The API key that signed it.
    pub key_sid: String,
    /// The account (`sub`).
    pub account_sid: String,
    /// `grants.identity`.
    pub identity: String,
    /// `exp`, Unix seconds.
    pub expires_at: u64,
}

/// A token whose header and claims parsed, before its signature is checked.
#[derive(Debug, Clone)]
pub struct Unverified<'a> {
    signing_input: &'a str,
    signature: Vec<u8>,
    claims: Value,
    key_sid: String,
}

impl<'a> Unverified<'a> {
    /// Parses `header.claims.signature`; checks the header names HS256 and Twilio's
    /// content type.
    pub fn parse(token: &'a str) -> Result<Self, TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(claims), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed("not three dot-separated parts"));
        };
        let header = json_part(header)?;
        let claims = json_part(claims)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed("signature is not base64url"))?;
        // RFC 8725 §3.1: "libraries MUST enable the caller to specify a supported set
        // of algorithms and MUST NOT use any other algorithms when performing
        // cryptographic operations."
        let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
        if alg != "HS256" {
            return Err(TokenError::UnsupportedAlgorithm(alg.to_string()));
        }
        let cty = header.get("cty").and_then(Value::as_str).unwrap_or("");
        if cty != "twilio-fpa;v=1" {
            return Err(TokenError::NotAnAccessToken(cty.to_string()));
        }
        let key_sid = claims
            .get("iss")
            .and_then(Value::as_str)
            .ok_or(TokenError::Malformed("no iss"))?
            .to_string();
        let end = token.rfind('.').unwrap_or(0);
        Ok(Unverified {
            signing_input: &token[..end],
            signature,
            claims,
            key_sid,
        })
    }

    /// The API key sid (`iss`) whose secret signs the token.
    pub fn key_sid(&self) -> &str {
        &self.key_sid
    }

    /// Verifies the signature with `secret`, that the key's account `key_account` is
    /// the token's `sub`, the validity window at `now` (since the Unix epoch) and the
    /// grants.
    pub fn verify(
        self,
        secret: &[u8],
        key_account: &str,
        now: Duration,
    ) -> Result<AccessToken, TokenError> {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
        mac.update(self.signing_input.as_bytes());
        // Constant time: the comparison leaks nothing about the expected signature.
        mac.verify_slice(&self.signature)
            .map_err(|_| TokenError::BadSignature)?;
        let claims = &self.claims;
        let account = claims.get("sub").and_then(Value::as_str).unwrap_or("");
        if account != key_account {
            return Err(TokenError::WrongAccount);
        }
        let now = now.as_secs();
        // RFC 7519 §4.1.4: "the current date/time MUST be before the expiration
        // date/time listed in the "exp" claim."
        let exp = claims
            .get("exp")
            .and_then(Value::as_u64)
            .ok_or(TokenError::Malformed("no exp"))?;
        if now >= exp {
            return Err(TokenError::Expired);
        }
        // RFC 7519 §4.1.5: "the current date/time MUST be after or equal to the
        // not-before date/time listed in the "nbf" claim."
        if claims
            .get("nbf")
            .and_then(Value::as_u64)
            .is_some_and(|nbf| now < nbf)
        {
            return Err(TokenError::NotYetValid);
        }
        let grants = claims.get("grants");
        let identity = grants
            .and_then(|g| g.get("identity"))
            .and_then(Value::as_str)
            .filter(|i| !i.is_empty())
            .ok_or(TokenError::NoIdentity)?;
        let incoming = grants
            .and_then(|g| g.pointer("/voice/incoming/allow"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if !incoming {
            return Err(TokenError::NoIncomingVoiceGrant);
        }
        Ok(AccessToken {
            key_sid: self.key_sid,
            account_sid: account.to_string(),
            identity: identity.to_string(),
            expires_at: exp,
        })
    }
}

fn json_part(part: &str) -> Result<Value, TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenError::Malformed("part is not base64url"))?;
    let value: Value =
        serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed("part is not JSON"))?;
    if !value.is_object() {
        return Err(TokenError::Malformed("part is not a JSON object"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Minted by twilio-python's `AccessToken(AC1…1, SK2…2, "secret", identity="bob",
    /// ttl=60)` with `VoiceGrant(incoming_allow=True)`.
    const TOKEN: &str = "eyJhbGciOiJIUzI1NiIsImN0eSI6InR3aWxpby1mcGE7dj0xIiwidHlwIjoiSldUIn0.eyJqdGkiOiJTSzIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyLTE3OTY2NjM1MzIiLCJncmFudHMiOnsidm9pY2UiOnsiaW5jb21pbmciOnsiYWxsb3ciOnRydWV9fSwiaWRlbnRpdHkiOiJib2IifSwiaXNzIjoiU0syMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMiIsImV4cCI6MTc5NjY2MzU5MiwibmJmIjoxNzk2NjYzNTMyLCJzdWIiOiJBQzExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExIn0.oIrbKm9UqtF6qLa6vDt0tUhnc0l9O5nPYz1KYT1EyTA";
    const ACCOUNT: &str = "AC11111111111111111111111111111111";
    const NBF: u64 = 1_796_663_532;

    fn at(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn verify(
        token: &str,
        secret: &str,
        account: &str,
        now: u64,
    ) -> Result<AccessToken, TokenError> {
        Unverified::parse(token)?.verify(secret.as_bytes(), account, at(now))
    }

    /// `claims` signed with `secret` under Twilio's header, or `header` if given.
    fn mint(header: &str, claims: &str, secret: &str) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims)
        );
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(input.as_bytes());
        format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    }

    const HEADER: &str = r#"{"alg":"HS256","cty":"twilio-fpa;v=1","typ":"JWT"}"#;

    #[test]
    fn a_helper_library_token_verifies_within_its_window() {
        let u = Unverified::parse(TOKEN).unwrap();
        assert_eq!(u.key_sid(), "SK22222222222222222222222222222222");
        let t = u.verify(b"secret", ACCOUNT, at(NBF + 10)).unwrap();
        assert_eq!(t.identity, "bob");
        assert_eq!(t.account_sid, ACCOUNT);
        assert_eq!(t.expires_at, NBF + 60);
        assert_eq!(
            verify(TOKEN, "secret", ACCOUNT, NBF + 60),
            Err(TokenError::Expired)
        );
        assert_eq!(
            verify(TOKEN, "secret", ACCOUNT, NBF - 1),
            Err(TokenError::NotYetValid)
        );
    }

    #[test]
    fn tampered_wrong_secret_or_other_account_is_refused() {
        assert_eq!(
            verify(TOKEN, "guess", ACCOUNT, NBF),
            Err(TokenError::BadSignature)
        );
        // Change the identity in the claims and keep the signature.
        let parts: Vec<&str> = TOKEN.split('.').collect();
        let claims = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        let forged = URL_SAFE_NO_PAD.encode(claims.replace("\"bob\"", "\"eve\""));
        let tampered = format!("{}.{forged}.{}", parts[0], parts[2]);
        assert_eq!(
            verify(&tampered, "secret", ACCOUNT, NBF),
            Err(TokenError::BadSignature)
        );
        assert_eq!(
            verify(TOKEN, "secret", "AC99999999999999999999999999999999", NBF),
            Err(TokenError::WrongAccount)
        );
    }

    #[test]
    fn other_algorithms_and_content_types_are_refused_before_any_key_lookup() {
        let none = mint(
            r#"{"alg":"none","cty":"twilio-fpa;v=1"}"#,
            r#"{"iss":"SK1"}"#,
            "",
        );
        assert_eq!(
            Unverified::parse(&none).unwrap_err(),
            TokenError::UnsupportedAlgorithm("none".into())
        );
        let plain = mint(r#"{"alg":"HS256","typ":"JWT"}"#, r#"{"iss":"SK1"}"#, "s");
        assert_eq!(
            Unverified::parse(&plain).unwrap_err(),
            TokenError::NotAnAccessToken(String::new())
        );
        assert!(matches!(
            Unverified::parse("abc.def"),
            Err(TokenError::Malformed(_))
        ));
    }

    #[test]
    fn grants_must_name_an_identity_and_allow_incoming_voice() {
        let claims = |grants: &str| {
            format!(
                r#"{{"iss":"SK1","sub":"{ACCOUNT}","exp":{},"grants":{grants}}}"#,
                NBF + 60
            )
        };
        let no_identity = mint(
            HEADER,
            &claims(r#"{"voice":{"incoming":{"allow":true}}}"#),
            "s",
        );
        assert_eq!(
            verify(&no_identity, "s", ACCOUNT, NBF),
            Err(TokenError::NoIdentity)
        );
        let outgoing_only = mint(
            HEADER,
            &claims(r#"{"identity":"bob","voice":{"outgoing":{"application_sid":"AP1"}}}"#),
            "s",
        );
        assert_eq!(
            verify(&outgoing_only, "s", ACCOUNT, NBF),
            Err(TokenError::NoIncomingVoiceGrant)
        );
        let good = mint(
            HEADER,
            &claims(r#"{"identity":"carol","voice":{"incoming":{"allow":true}}}"#),
            "s",
        );
        assert_eq!(verify(&good, "s", ACCOUNT, NBF).unwrap().identity, "carol");
    }
}
