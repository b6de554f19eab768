//! The server side of HTTP Digest (RFC 3261 §22.4, RFC 7616, RFC 8760):
//! building challenges and verifying a UAC's credentials against a stored
//! HA1, so passwords are never kept.
//!
//! Sans-IO: the caller passes the current wall-clock time (as a duration
//! since the Unix epoch, so nonces stay verifiable across a restart when the
//! node secret is stable) and the stored hashes; nothing here reads a clock,
//! a random source or a store.
//!
//! Nonces are stateless-verifiable: `hex(issued_secs ‖ serial ‖
//! HMAC-SHA256(secret, issued_secs ‖ serial ‖ realm)[..16])`. A forged or
//! foreign-realm nonce fails the MAC; an old one is `stale`. Only the highest
//! nonce count seen per live nonce is remembered, to refuse replays.
//!
//! Usernames cannot be enumerated: an unknown user is checked against a
//! dummy hash and fails with the same [`AuthError::WrongResponse`] a wrong
//! password gets, after the same work.

use std::collections::HashMap;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{parse_param, quote, Algorithm, DigestError, Qop};
use crate::syntax::{is_token_char, is_ws, split_commas};

type HmacSha256 = Hmac<Sha256>;

/// How a server's nonces behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifierConfig {
    /// How long a nonce is accepted; after that the answer is `stale=true`.
    pub nonce_lifetime: Duration,
    /// The most live nonces whose counts are remembered. When full, expired
    /// ones are dropped; if it is still full, the oldest is dropped (its
    /// next use is then answered `stale`, never accepted twice).
    pub max_tracked_nonces: usize,
}

impl Default for VerifierConfig {
    fn default() -> Self {
        VerifierConfig {
            nonce_lifetime: Duration::from_secs(300),
            max_tracked_nonces: 1_000_000,
        }
    }
}

/// Why credentials were refused. Every variant but [`AuthError::Malformed`]
/// and [`AuthError::UriMismatch`] is answered with a fresh 401 challenge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The Authorization value is not a Digest credential we can parse.
    #[error("malformed Digest credentials: {0}")]
    Malformed(#[from] DigestError),
    /// A mandatory parameter is absent.
    #[error("Digest credentials without {0}")]
    MissingParam(&'static str),
    /// The credentials are for another protection space.
    #[error("credentials for another realm")]
    WrongRealm,
    /// The nonce was not issued by this node for this realm.
    #[error("nonce not issued here")]
    ForeignNonce,
    /// The nonce has outlived its lifetime: the client should retry with a
    /// new one (`stale=true`).
    #[error("nonce expired")]
    StaleNonce,
    /// The nonce count did not increase: a replayed request.
    #[error("nonce count {0:08x} already used")]
    Replay(u32),
    /// The credentials lack `qop=auth`; without a nonce count a replay
    /// cannot be detected, so RFC 2069 answers are refused.
    #[error("Digest credentials without qop=auth")]
    QopRequired,
    /// The `opaque` value is not the one this node sent.
    #[error("opaque does not match the challenge")]
    OpaqueMismatch,
    /// The `uri` differs from the Request-URI.
    #[error("digest uri differs from the Request-URI")]
    UriMismatch,
    /// Wrong password, or unknown user (indistinguishable by design).
    #[error("wrong Digest response")]
    WrongResponse,
}

impl AuthError {
    /// The SIP status answering this failure.
    ///
    /// RFC 2617 §3.2.2.5: if the digest uri and the Request-URI differ "the
    /// server SHOULD return a 400 Bad Request error"; a credential we cannot
    /// parse is a bad request too. Everything else is challenged again.
    pub fn status(&self) -> u16 {
        match self {
            AuthError::Malformed(_) | AuthError::UriMismatch => 400,
            _ => 401,
        }
    }

    /// True when the challenge that answers this error carries `stale=true`.
    pub fn is_stale(&self) -> bool {
        matches!(self, AuthError::StaleNonce)
    }
}

/// The stored digest hashes of one user: lower-case hex `H(user:realm:password)`
/// with MD5 and with SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredHa1<'a> {
    /// `MD5(username:realm:password)` in hex.
    pub md5: &'a str,
    /// `SHA-256(username:realm:password)` in hex.
    pub sha256: &'a str,
}

/// A parsed `Authorization: Digest …` value (RFC 7616 §3.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name, unquoted.
    pub username: String,
    /// The protection space.
    pub realm: String,
    /// The server nonce being answered.
    pub nonce: String,
    /// The digest uri (should equal the Request-URI).
    pub uri: String,
    /// The hex response.
    pub response: String,
    /// The hash algorithm (MD5 when absent).
    pub algorithm: Algorithm,
    /// The client nonce, present with qop.
    pub cnonce: Option<String>,
    /// The nonce count, present with qop.
    pub nc: Option<u32>,
    /// The quality of protection, `auth` or absent.
    pub qop: Option<Qop>,
    /// The echoed opaque.
    pub opaque: Option<String>,
}

impl Credentials {
    /// Parses `Digest username="…", realm="…", …`.
    pub fn parse(header_value: &str) -> Result<Credentials, AuthError> {
        let value = header_value.trim_matches(is_ws);
        let scheme_end = value
            .find(|c: char| !is_token_char(c))
            .unwrap_or(value.len());
        let (scheme, rest) = value.split_at(scheme_end);
        if !scheme.eq_ignore_ascii_case("Digest") {
            return Err(DigestError::UnsupportedScheme(scheme.to_string()).into());
        }
        let mut params: Vec<(String, String)> = Vec::new();
        for item in split_commas(rest).into_iter().filter(|i| !i.is_empty()) {
            let (name, value) = parse_param(item)?;
            if params.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
                return Err(DigestError::DuplicateParam(name).into());
            }
            params.push((name, value));
        }
        let get = |name: &str| {
            params
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let need = |name: &'static str| get(name).ok_or(AuthError::MissingParam(name));
        let algorithm = match get("algorithm") {
            None => Algorithm::Md5,
            Some(name) => Algorithm::from_name(&name)
                .ok_or(DigestError::UnsupportedAlgorithm(name.clone()))?,
        };
        let qop = match get("qop") {
            None => None,
            Some(q) if q.eq_ignore_ascii_case("auth") => Some(Qop::Auth),
            Some(q) => return Err(DigestError::UnsupportedQop(q).into()),
        };
        let nc = match get("nc") {
            None => None,
            // RFC 7616 §3.4: nc-value = 8LHEX.
            Some(nc) if nc.len() == 8 => Some(
                u32::from_str_radix(&nc, 16)
                    .map_err(|_| DigestError::Malformed("nc is not 8 hex digits"))?,
            ),
            Some(_) => return Err(DigestError::Malformed("nc is not 8 hex digits").into()),
        };
        Ok(Credentials {
            username: need("username")?,
            realm: need("realm")?,
            nonce: need("nonce")?,
            uri: need("uri")?,
            response: need("response")?,
            algorithm,
            cnonce: get("cnonce"),
            nc,
            qop,
            opaque: get("opaque"),
        })
    }
}

/// Issues challenges and verifies answers for any number of realms.
#[derive(Debug)]
pub struct Verifier {
    secret: [u8; 32],
    config: VerifierConfig,
    serial: u64,
    /// Highest nonce count accepted per nonce, keyed by (issued, serial).
    counts: HashMap<(u64, u64), u32>,
    /// The algorithms a challenge offers, most preferred first.
    algorithms: Vec<Algorithm>,
}

const NONCE_LEN: usize = 2 * (8 + 8 + 16);

impl Verifier {
    /// A verifier keyed by the node's `secret`. `serial_seed` starts the
    /// per-challenge serial that keeps two nonces of one second distinct;
    /// a random seed keeps them distinct across restarts too.
    pub fn new(secret: [u8; 32], serial_seed: u64, config: VerifierConfig) -> Self {
        Verifier {
            secret,
            config,
            serial: serial_seed,
            counts: HashMap::new(),
            algorithms: vec![Algorithm::Sha256, Algorithm::Md5],
        }
    }

    /// Offers `algorithms` (most preferred first) instead of SHA-256 then MD5; `-sess`
    /// variants and an empty list are ignored.
    pub fn with_algorithms(mut self, algorithms: &[Algorithm]) -> Self {
        let plain: Vec<Algorithm> = algorithms
            .iter()
            .copied()
            .filter(|a| !a.is_sess())
            .collect();
        if !plain.is_empty() {
            self.algorithms = plain;
        }
        self
    }

    /// How many nonces' counts are remembered now.
    pub fn tracked_nonces(&self) -> usize {
        self.counts.len()
    }

    /// The `WWW-Authenticate` values for a 401, most preferred first.
    ///
    /// RFC 8760 §2.4: "When a UAS … sends a challenge … it MUST add one
    /// WWW-Authenticate header field per supported algorithm … in order of
    /// preference, the most preferred first"; SHA-256 leads and MD5 follows
    /// for phones that only know RFC 2617 (unless [`Verifier::with_algorithms`] chose
    /// otherwise). All carry one nonce.
    pub fn challenge(&mut self, realm: &str, now: Duration, stale: bool) -> Vec<String> {
        self.serial = self.serial.wrapping_add(1);
        let nonce = self.nonce(realm, now.as_secs(), self.serial);
        let opaque = self.opaque(realm);
        self.algorithms
            .iter()
            .map(|&alg| {
                let mut v = format!(
                    "Digest realm={}, nonce=\"{nonce}\", opaque=\"{opaque}\", algorithm={}, qop=\"auth\"",
                    quote(realm),
                    alg.as_str()
                );
                if stale {
                    v.push_str(", stale=true");
                }
                v
            })
            .collect()
    }

    /// Checks `creds` for a request with `method` and `request_uri` in
    /// `realm`. `stored` is the user's HA1 pair, or `None` when no such user
    /// exists (then a dummy is checked so the failure looks the same).
    pub fn verify(
        &mut self,
        creds: &Credentials,
        realm: &str,
        method: &str,
        request_uri: &str,
        stored: Option<StoredHa1<'_>>,
        now: Duration,
    ) -> Result<(), AuthError> {
        if creds.realm != realm {
            return Err(AuthError::WrongRealm);
        }
        let (issued, serial) = self.check_nonce(&creds.nonce, realm)?;
        // RFC 7616 §3.3: "The nonce … MAY … be used to limit the time of the
        // validity of the nonce"; an expired one is answered with stale=TRUE
        // so the client retries without asking its user.
        if now.as_secs() >= issued.saturating_add(self.config.nonce_lifetime.as_secs())
            || issued > now.as_secs().saturating_add(60)
        {
            return Err(AuthError::StaleNonce);
        }
        if creds.opaque.as_deref() != Some(self.opaque(realm).as_str()) {
            return Err(AuthError::OpaqueMismatch);
        }
        // RFC 7616 §3.4: with qop the client "MUST also send the cnonce and
        // nc parameters"; we offer only qop="auth", so an answer without it
        // does not follow our challenge.
        let (Some(Qop::Auth), Some(nc), Some(cnonce)) = (creds.qop, creds.nc, &creds.cnonce) else {
            return Err(AuthError::QopRequired);
        };
        // RFC 2617 §3.2.2.5: "The authenticating server must assure that
        // the resource designated by the "uri" directive is the same as the
        // resource specified in the Request-Line".
        if creds.uri != request_uri {
            return Err(AuthError::UriMismatch);
        }
        let ha1 = match (stored, creds.algorithm) {
            (Some(s), Algorithm::Md5 | Algorithm::Md5Sess) => s.md5.to_ascii_lowercase(),
            (Some(s), Algorithm::Sha256 | Algorithm::Sha256Sess) => s.sha256.to_ascii_lowercase(),
            // The same hashing work as a real user, against a value no
            // password produces.
            (None, alg) => alg.hash(&["", realm, "\u{0}no such user"]),
        };
        let ha1 = if creds.algorithm.is_sess() {
            creds.algorithm.hash(&[&ha1, &creds.nonce, cnonce])
        } else {
            ha1
        };
        let ha2 = creds.algorithm.hash(&[method, &creds.uri]);
        let nc_hex = format!("{nc:08x}");
        let expected = creds.algorithm.hash(&[
            &ha1,
            &creds.nonce,
            &nc_hex,
            cnonce,
            Qop::Auth.as_str(),
            &ha2,
        ]);
        if !constant_time_eq(
            expected.as_bytes(),
            creds.response.to_ascii_lowercase().as_bytes(),
        ) || stored.is_none()
        {
            return Err(AuthError::WrongResponse);
        }
        // RFC 7616 §3.4: nc "permits the server to detect request replays
        // by maintaining its own copy of this count — if the same nc-value
        // is seen twice, then the request is a replay."
        self.accept_count(issued, serial, nc, now)
    }

    fn accept_count(
        &mut self,
        issued: u64,
        serial: u64,
        nc: u32,
        now: Duration,
    ) -> Result<(), AuthError> {
        if let Some(last) = self.counts.get_mut(&(issued, serial)) {
            if nc <= *last {
                return Err(AuthError::Replay(nc));
            }
            *last = nc;
            return Ok(());
        }
        if self.counts.len() >= self.config.max_tracked_nonces {
            self.forget_expired(now);
        }
        if self.counts.len() >= self.config.max_tracked_nonces {
            if let Some(oldest) = self.counts.keys().min().copied() {
                self.counts.remove(&oldest);
            }
        }
        self.counts.insert((issued, serial), nc);
        Ok(())
    }

    /// Drops the counts of nonces that can no longer be accepted.
    pub fn forget_expired(&mut self, now: Duration) {
        let lifetime = self.config.nonce_lifetime.as_secs();
        let now = now.as_secs();
        self.counts
            .retain(|(issued, _), _| issued.saturating_add(lifetime) > now);
    }

    fn nonce(&self, realm: &str, issued: u64, serial: u64) -> String {
        let mac = self.mac(realm, issued, serial);
        let mut out = format!("{issued:016x}{serial:016x}");
        out.push_str(&hex(&mac[..16]));
        out
    }

    /// Returns `(issued, serial)` of a nonce this node issued for `realm`.
    fn check_nonce(&self, nonce: &str, realm: &str) -> Result<(u64, u64), AuthError> {
        if nonce.len() != NONCE_LEN || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(AuthError::ForeignNonce);
        }
        let issued = u64::from_str_radix(&nonce[..16], 16).map_err(|_| AuthError::ForeignNonce)?;
        let serial =
            u64::from_str_radix(&nonce[16..32], 16).map_err(|_| AuthError::ForeignNonce)?;
        let expected = hex(&self.mac(realm, issued, serial)[..16]);
        if !constant_time_eq(
            expected.as_bytes(),
            nonce[32..].to_ascii_lowercase().as_bytes(),
        ) {
            return Err(AuthError::ForeignNonce);
        }
        Ok((issued, serial))
    }

    fn opaque(&self, realm: &str) -> String {
        let mut mac = HmacSha256::new_from_slice(&self.secret).expect("any key length");
        mac.update(b"opaque:");
        mac.update(realm.as_bytes());
        hex(&mac.finalize().into_bytes()[..8])
    }

    fn mac(&self, realm: &str, issued: u64, serial: u64) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(&self.secret).expect("any key length");
        mac.update(b"nonce:");
        mac.update(&issued.to_be_bytes());
        mac.update(&serial.to_be_bytes());
        mac.update(realm.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;
