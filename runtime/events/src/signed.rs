//! Signed subscription URLs: a browser subscribes with a URL minted by a server that
//! holds the key, and never sees the key itself.
//!
//! The signature is HMAC-SHA256, hex, over the canonical request: `v1`, the path, and
//! every query parameter but `sig` and `last_event_id`, sorted by name then value and
//! form-encoded. Every parameter that shapes the subscription (types, filters,
//! subscriptions, expiry, key id) is therefore covered: change any and the signature no
//! longer verifies. `last_event_id` is left out because it is only a resume point that a
//! page adds when it reconnects by itself; it cannot widen what the URL shows. The
//! path carries the account, so a URL minted for one account does not open another's.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::Error;

type HmacSha256 = Hmac<Sha256>;

/// The parameters a signed URL adds.
pub const EXPIRES: &str = "expires";
pub const KEY_ID: &str = "kid";
pub const SIGNATURE: &str = "sig";
/// The resume point a page may add to a signed URL (not signed).
pub const LAST_EVENT_ID: &str = "last_event_id";

fn canonical(path: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params
        .iter()
        .filter(|(k, _)| k != SIGNATURE && k != LAST_EVENT_ID)
        .collect();
    sorted.sort();
    let query = serde_urlencoded::to_string(&sorted).unwrap_or_default();
    format!("v1\n{path}\n{query}")
}

fn mac(key: &[u8], path: &str, params: &[(String, String)]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(canonical(path, params).as_bytes());
    mac
}

/// The query string of a URL to `path` carrying `params`, valid until `expires` (unix
/// seconds) and signed with the key `kid`.
pub fn mint(
    path: &str,
    params: &[(String, String)],
    kid: &str,
    key: &[u8],
    expires: u64,
) -> String {
    let mut all: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| ![EXPIRES, KEY_ID, SIGNATURE].contains(&k.as_str()))
        .cloned()
        .collect();
    all.push((EXPIRES.into(), expires.to_string()));
    all.push((KEY_ID.into(), kid.into()));
    let sig = hex::encode(mac(key, path, &all).finalize().into_bytes());
    all.push((SIGNATURE.into(), sig));
    serde_urlencoded::to_string(&all).unwrap_or_default()
}

/// Check a signed request; returns its expiry (unix seconds).
///
/// The signature is checked before the expiry, so an expired URL whose expiry was
/// pushed forward is reported as tampered, not expired. `key` returns the secret of a
/// key id, if the account has one.
pub fn verify(
    path: &str,
    params: &[(String, String)],
    key: impl Fn(&str) -> Option<Vec<u8>>,
    now_unix: u64,
) -> Result<u64, Error> {
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let (Some(sig), Some(kid), Some(expires)) = (get(SIGNATURE), get(KEY_ID), get(EXPIRES)) else {
        return Err(Error::Unsigned);
    };
    let secret = key(kid).ok_or_else(|| Error::UnknownKey(kid.to_owned()))?;
    let given = hex::decode(sig).map_err(|_| Error::Tampered)?;
    // `verify_slice` compares in constant time.
    mac(&secret, path, params)
        .verify_slice(&given)
        .map_err(|_| Error::Tampered)?;
    let expires: u64 = expires.parse().map_err(|_| Error::Tampered)?;
    if expires <= now_unix {
        return Err(Error::Expired(expires));
    }
    Ok(expires)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: &str = "/v1/Accounts/AC00/Events";

    fn parse(q: &str) -> Vec<(String, String)> {
        serde_urlencoded::from_str(q).unwrap()
    }

    fn key(kid: &str) -> Option<Vec<u8>> {
        (kid == "k1").then(|| b"secret".to_vec())
    }

    #[test]
    fn minted_urls_verify_until_they_expire() {
        let q = mint(
            PATH,
            &[
                ("types".into(), "call.*".into()),
                ("filter".into(), "From^=+1555".into()),
            ],
            "k1",
            b"secret",
            1_000,
        );
        assert!(q.contains("filter=From%5E%3D%2B1555"), "{q}");
        assert_eq!(verify(PATH, &parse(&q), key, 999), Ok(1_000));
        let resumed = format!("{q}&last_event_id=1:0:5");
        assert_eq!(verify(PATH, &parse(&resumed), key, 999), Ok(1_000));
        assert_eq!(
            verify(PATH, &parse(&q), key, 1_000),
            Err(Error::Expired(1_000))
        );
    }

    #[test]
    fn any_change_is_tampering_and_missing_parts_are_unsigned() {
        let q = mint(
            PATH,
            &[("types".into(), "call.*".into())],
            "k1",
            b"secret",
            1_000,
        );
        let changed = q.replace("call.*", "*");
        assert_eq!(
            verify(PATH, &parse(&changed), key, 10),
            Err(Error::Tampered)
        );
        let extended = q.replace("expires=1000", "expires=2000");
        assert_eq!(
            verify(PATH, &parse(&extended), key, 1_500),
            Err(Error::Tampered)
        );
        let mut added = parse(&q);
        added.push(("filter".into(), "From=1".into()));
        assert_eq!(verify(PATH, &added, key, 10), Err(Error::Tampered));
        assert_eq!(
            verify("/v1/Accounts/AC01/Events", &parse(&q), key, 10),
            Err(Error::Tampered)
        );
        let other_key = mint(PATH, &[], "k1", b"other", 1_000);
        assert_eq!(
            verify(PATH, &parse(&other_key), key, 10),
            Err(Error::Tampered)
        );
        let unknown = mint(PATH, &[], "k9", b"secret", 1_000);
        assert_eq!(
            verify(PATH, &parse(&unknown), key, 10),
            Err(Error::UnknownKey("k9".into()))
        );
        assert_eq!(
            verify(PATH, &parse("types=call.*"), key, 10),
            Err(Error::Unsigned)
        );
    }
}
