//! Request signatures: Twilio's `X-Twilio-Signature` (HMAC-SHA1 with the account's auth
//! token, so existing Twilio apps validate us unchanged) and our own
//! `X-Switchyard-Signature` (HMAC-SHA256 over a timestamp, the URL and the exact body,
//! which adds replay protection and key rotation).

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest as _, Sha256};

use crate::Error;

type HmacSha1 = Hmac<Sha1>;
type HmacSha256 = Hmac<Sha256>;

/// `X-Twilio-Signature` for a request to `url` carrying the form `params`.
///
/// The signed string is the URL followed, for every parameter sorted by name in byte
/// order, by its name and value. Repeated names are all included, ordered by value so the
/// order in the body never matters. For a GET, pass no params: the query is part of the
/// URL. (Twilio's Python validator also drops exact duplicate name=value pairs before
/// signing; a body that repeats an identical pair will not validate there, so callers
/// should not send such pairs.)
pub fn twilio_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort_by(|a, b| {
        a.0.as_bytes()
            .cmp(b.0.as_bytes())
            .then_with(|| a.1.as_bytes().cmp(b.1.as_bytes()))
    });
    let mut mac = hmac_sha1(auth_token.as_bytes());
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Twilio's scheme for JSON bodies: the body is not signed directly; its hex SHA-256 is
/// added to the URL as `bodySHA256` and that URL is signed alone.
///
/// Returns the URL to request (with `bodySHA256`) and its signature.
pub fn twilio_signature_json(auth_token: &str, url: &str, body: &[u8]) -> (String, String) {
    let digest = hex::encode(Sha256::digest(body));
    let separator = if url.contains('?') { '&' } else { '?' };
    let signed_url = format!("{url}{separator}bodySHA256={digest}");
    let signature = twilio_signature(auth_token, &signed_url, &[]);
    (signed_url, signature)
}

/// `X-Switchyard-Signature` value `t=<unix>,v1=<hex>` where `v1` is
/// HMAC-SHA256(`secret`, `t` + "." + `url` + `body`).
///
/// Signing the exact body bytes (not the sorted parameters) means any reordering or
/// re-encoding in transit is detected; the timestamp lets the receiver refuse replays.
pub fn switchyard_signature(secret: &[u8], timestamp: u64, url: &str, body: &[u8]) -> String {
    format!(
        "t={timestamp},v1={}",
        hex::encode(switchyard_mac(secret, timestamp, url, body))
    )
}

/// Checks an `X-Switchyard-Signature` header against the request it came with.
///
/// Accepts when the timestamp is within `tolerance_s` of `now_unix` (either side, to
/// allow for clock skew) and any `v1=` value matches under `secret`. Several `v1=`
/// values and a `kid=` (see [`parse_switchyard_signature`]) may be present; unknown keys
/// are ignored so the format can grow.
pub fn verify_switchyard_signature(
    secret: &[u8],
    header: &str,
    url: &str,
    body: &[u8],
    now_unix: u64,
    tolerance_s: u64,
) -> Result<(), Error> {
    let parsed = parse_switchyard_signature(header)?;
    if parsed.timestamp.abs_diff(now_unix) > tolerance_s {
        return Err(Error::StaleSignature {
            timestamp: parsed.timestamp,
            now: now_unix,
            tolerance_s,
        });
    }
    let message = switchyard_message(parsed.timestamp, url, body);
    for candidate in &parsed.v1 {
        // Constant-time comparison through the MAC itself, so a forger learns nothing
        // from how long the check took.
        let mut mac = hmac_sha256(secret);
        mac.update(&message);
        if mac.verify_slice(candidate).is_ok() {
            return Ok(());
        }
    }
    Err(Error::SignatureMismatch)
}

/// The parts of an `X-Switchyard-Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwitchyardSignature {
    /// `t=`: unix seconds when the request was signed.
    pub timestamp: u64,
    /// `kid=`: which of the tenant's keys signed, when the node was configured with an
    /// id; lets the receiver pick the right secret during a rotation.
    pub key_id: Option<String>,
    /// Every `v1=` value, decoded from hex.
    pub v1: Vec<Vec<u8>>,
}

/// Splits an `X-Switchyard-Signature` value (`t=…,kid=…,v1=…`) into its parts.
pub fn parse_switchyard_signature(header: &str) -> Result<SwitchyardSignature, Error> {
    let malformed = |why: &str| Error::MalformedSignatureHeader(format!("{why} in {header:?}"));
    let mut timestamp = None;
    let mut key_id = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        let (key, value) = part
            .trim()
            .split_once('=')
            .ok_or_else(|| malformed("element without '='"))?;
        match key.trim() {
            "t" => {
                let value = value.trim();
                if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(malformed("non-numeric t"));
                }
                timestamp = Some(value.parse().map_err(|_| malformed("t out of range"))?);
            }
            "kid" => key_id = Some(value.trim().to_string()),
            "v1" => v1.push(hex::decode(value.trim()).map_err(|_| malformed("non-hex v1"))?),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or_else(|| malformed("missing t"))?;
    if v1.is_empty() {
        return Err(malformed("missing v1"));
    }
    Ok(SwitchyardSignature {
        timestamp,
        key_id,
        v1,
    })
}

/// The secrets requests are signed with: the account's auth token (for Twilio's header)
/// and, optionally, a Switchyard key id and secret (for ours).
#[derive(Clone)]
pub struct Signer {
    auth_token: String,
    switchyard_key: Option<(String, Vec<u8>)>,
}

/// The signature headers of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeaders {
    /// Value of `X-Twilio-Signature`.
    pub twilio: String,
    /// Value of `X-Switchyard-Signature`, when the signer has a key.
    pub switchyard: Option<String>,
}

impl Signer {
    /// A signer for one account. `switchyard_key` is `(key id, secret)`; the key id is
    /// sent as `kid=` so a tenant rotating keys knows which secret to check with. A key
    /// id is only sent when it is made of ASCII letters, digits, `.`, `_` or `-` (other
    /// characters would break the header's `,`/`=` syntax).
    pub fn new(auth_token: String, switchyard_key: Option<(String, Vec<u8>)>) -> Self {
        Self {
            auth_token,
            switchyard_key,
        }
    }

    /// Signs a request to `url` (the exact URL sent, userinfo removed). For a POST,
    /// `params` are the form parameters and `body` their encoded bytes; for a GET, both
    /// are empty and the parameters are in the URL's query.
    pub fn sign(
        &self,
        url: &str,
        params: &[(String, String)],
        body: &[u8],
        now_unix: u64,
    ) -> SignatureHeaders {
        let twilio = twilio_signature(&self.auth_token, url, params);
        let switchyard = self.switchyard_key.as_ref().map(|(kid, secret)| {
            let mac = hex::encode(switchyard_mac(secret, now_unix, url, body));
            if is_token(kid) {
                format!("t={now_unix},kid={kid},v1={mac}")
            } else {
                format!("t={now_unix},v1={mac}")
            }
        });
        SignatureHeaders { twilio, switchyard }
    }
}

impl std::fmt::Debug for Signer {
    // Secrets stay out of logs: only whether a Switchyard key is present, and its id.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("auth_token", &"<redacted>")
            .field(
                "switchyard_key_id",
                &self.switchyard_key.as_ref().map(|(kid, _)| kid),
            )
            .finish()
    }
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn switchyard_message(timestamp: u64, url: &str, body: &[u8]) -> Vec<u8> {
    let mut message = format!("{timestamp}.{url}").into_bytes();
    message.extend_from_slice(body);
    message
}

fn switchyard_mac(secret: &[u8], timestamp: u64, url: &str, body: &[u8]) -> Vec<u8> {
    let mut mac = hmac_sha256(secret);
    mac.update(&switchyard_message(timestamp, url, body));
    mac.finalize().into_bytes().to_vec()
}

fn hmac_sha1(key: &[u8]) -> HmacSha1 {
    // HMAC accepts keys of any length (RFC 2104 §2 hashes long keys, pads short ones).
    HmacSha1::new_from_slice(key).expect("HMAC takes keys of any length")
}

fn hmac_sha256(key: &[u8]) -> HmacSha256 {
    HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn design_doc_vector() {
        let params = pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ]);
        assert_eq!(
            twilio_signature(
                "12345",
                "https://mycompany.com/myapp.php?foo=1&bar=2",
                &params
            ),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
    }

    #[test]
    fn parameter_order_does_not_matter() {
        let a = pairs(&[("b", "2"), ("a", "1"), ("a", "0"), ("B", "x")]);
        let b = pairs(&[("a", "0"), ("B", "x"), ("a", "1"), ("b", "2")]);
        let url = "https://h/x";
        assert_eq!(
            twilio_signature("t", url, &a),
            twilio_signature("t", url, &b)
        );
        // Byte order puts "B" before "a": the signed string is the URL + "Bxa0a1b2".
        let mut mac = hmac_sha1(b"t");
        mac.update(b"https://h/xBxa0a1b2");
        let expected =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        assert_eq!(twilio_signature("t", url, &a), expected);
    }

    #[test]
    fn json_signature_signs_url_with_body_hash() {
        let body = br#"{"a":1}"#;
        let (url, sig) = twilio_signature_json("tok", "https://h/p?x=1", body);
        let hash = hex::encode(Sha256::digest(body));
        assert_eq!(url, format!("https://h/p?x=1&bodySHA256={hash}"));
        assert_eq!(sig, twilio_signature("tok", &url, &[]));
        let (url2, _) = twilio_signature_json("tok", "https://h/p", body);
        assert!(url2.starts_with("https://h/p?bodySHA256="));
    }

    #[test]
    fn switchyard_round_trip_tamper_and_stale() {
        let secret = b"s3cret";
        let header = switchyard_signature(secret, 1_700_000_000, "https://h/a", b"x=1");
        assert!(header.starts_with("t=1700000000,v1="));
        verify_switchyard_signature(secret, &header, "https://h/a", b"x=1", 1_700_000_100, 300)
            .unwrap();
        assert!(matches!(
            verify_switchyard_signature(secret, &header, "https://h/a", b"x=2", 1_700_000_000, 300),
            Err(Error::SignatureMismatch)
        ));
        assert!(matches!(
            verify_switchyard_signature(secret, &header, "https://h/b", b"x=1", 1_700_000_000, 300),
            Err(Error::SignatureMismatch)
        ));
        assert!(matches!(
            verify_switchyard_signature(
                b"other",
                &header,
                "https://h/a",
                b"x=1",
                1_700_000_000,
                300
            ),
            Err(Error::SignatureMismatch)
        ));
        assert!(matches!(
            verify_switchyard_signature(secret, &header, "https://h/a", b"x=1", 1_700_000_301, 300),
            Err(Error::StaleSignature { .. })
        ));
        // A timestamp from the future beyond the tolerance is refused too.
        assert!(matches!(
            verify_switchyard_signature(secret, &header, "https://h/a", b"x=1", 1_699_999_000, 300),
            Err(Error::StaleSignature { .. })
        ));
        // Replaying the MAC under a fresher timestamp breaks it.
        let forged = header.replace("t=1700000000", "t=1700000500");
        assert!(matches!(
            verify_switchyard_signature(secret, &forged, "https://h/a", b"x=1", 1_700_000_500, 300),
            Err(Error::SignatureMismatch)
        ));
    }

    #[test]
    fn signer_adds_key_id_and_any_v1_may_match() {
        let signer = Signer::new("tok".into(), Some(("k2".into(), b"new".to_vec())));
        let headers = signer.sign("https://h/a", &[], b"", 42);
        let value = headers.switchyard.unwrap();
        let parsed = parse_switchyard_signature(&value).unwrap();
        assert_eq!(parsed.key_id.as_deref(), Some("k2"));
        assert_eq!(parsed.timestamp, 42);
        verify_switchyard_signature(b"new", &value, "https://h/a", b"", 42, 0).unwrap();
        // Two v1 values (old and new key during a rotation): either secret verifies.
        let old = switchyard_signature(b"old", 42, "https://h/a", b"");
        let both = format!("{value},{}", old.split_once(',').unwrap().1);
        verify_switchyard_signature(b"old", &both, "https://h/a", b"", 42, 0).unwrap();
        verify_switchyard_signature(b"new", &both, "https://h/a", b"", 42, 0).unwrap();
        assert_eq!(headers.twilio, twilio_signature("tok", "https://h/a", &[]));
        assert!(!format!("{signer:?}").contains("tok\""));
    }

    #[test]
    fn malformed_headers() {
        for bad in [
            "",
            "t=1",
            "v1=00",
            "t=x,v1=00",
            "t=1,v1=zz",
            "garbage",
            "t=-1,v1=00",
        ] {
            assert!(
                matches!(
                    parse_switchyard_signature(bad),
                    Err(Error::MalformedSignatureHeader(_))
                ),
                "{bad:?} should be malformed"
            );
        }
        let unknown_keys = parse_switchyard_signature("t=5, v2=abc ,v1=0a").unwrap();
        assert_eq!(unknown_keys.v1, vec![vec![0x0a]]);
    }

    #[test]
    fn key_id_with_separators_is_left_out() {
        let signer = Signer::new("tok".into(), Some(("a,b=c".into(), b"k".to_vec())));
        let value = signer.sign("u", &[], b"", 1).switchyard.unwrap();
        assert_eq!(parse_switchyard_signature(&value).unwrap().key_id, None);
    }
}
