//! HTTP Digest authentication for a UAC answering a 401/407 challenge
//! (RFC 3261 §22.2/§22.3, RFC 2617, RFC 7616 for SHA-256).
//!
//! Sans-IO like the rest of the crate: the caller supplies the client nonce
//! and the nonce count, so nothing here reads a random source or keeps state.
//! Credentials only ever go into the hash and the returned header value;
//! nothing here logs them.

pub mod server;

use md5::Digest;

use crate::syntax::{is_token_char, is_ws, split_commas, take_quoted};
use crate::Response;

/// Why a challenge cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    /// The challenge uses a scheme other than Digest (for example Basic).
    #[error("unsupported authentication scheme {0}")]
    UnsupportedScheme(String),
    /// The challenge does not follow the auth-param grammar.
    #[error("malformed Digest challenge: {0}")]
    Malformed(&'static str),
    /// A parameter appears twice in one challenge.
    #[error("duplicate Digest parameter {0}")]
    DuplicateParam(String),
    /// A mandatory parameter (realm, nonce) is absent.
    #[error("Digest challenge without {0}")]
    MissingParam(&'static str),
    /// The algorithm is none of MD5, MD5-sess, SHA-256, SHA-256-sess.
    #[error("unsupported Digest algorithm {0}")]
    UnsupportedAlgorithm(String),
    /// The server offers qop values but not `auth` (auth-int is unsupported).
    #[error("unsupported Digest qop {0:?}")]
    UnsupportedQop(String),
    /// A `-sess` algorithm without qop: its A1 needs a cnonce that may not
    /// be sent, so no verifiable response exists.
    #[error("{0} challenge without qop")]
    SessWithoutQop(&'static str),
    /// The response is neither 401 nor 407, so it carries no challenge.
    #[error("a {0} response carries no authentication challenge")]
    NotAChallenge(u16),
    /// A 401/407 without the header that should carry its challenge.
    #[error("missing {0} header")]
    MissingChallenge(&'static str),
}

/// The hash algorithm a challenge asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// `MD5`, the default when the challenge names none.
    Md5,
    /// `MD5-sess`.
    Md5Sess,
    /// `SHA-256` (RFC 7616).
    Sha256,
    /// `SHA-256-sess` (RFC 7616).
    Sha256Sess,
}

impl Algorithm {
    /// The name as written in the `algorithm` parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [
            Algorithm::Md5,
            Algorithm::Md5Sess,
            Algorithm::Sha256,
            Algorithm::Sha256Sess,
        ]
        .into_iter()
        .find(|a| a.as_str().eq_ignore_ascii_case(name))
    }

    fn is_sess(self) -> bool {
        matches!(self, Algorithm::Md5Sess | Algorithm::Sha256Sess)
    }

    /// Lower-case hex of the hash of `parts` joined by colons.
    fn hash(self, parts: &[&str]) -> String {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => hex_hash::<md5::Md5>(parts),
            Algorithm::Sha256 | Algorithm::Sha256Sess => hex_hash::<sha2::Sha256>(parts),
        }
    }
}

/// `HA1 = H(username ":" realm ":" password)` (RFC 7616 §3.4.2) in lower-case hex: what a
/// server keeps in place of the password, and the A1 of a non-`-sess` algorithm. Only
/// `Md5` and `Sha256` are meaningful here (a `-sess` A1 also needs the nonces).
pub fn ha1(algorithm: Algorithm, username: &str, realm: &str, password: &str) -> String {
    algorithm.hash(&[username, realm, password])
}

fn hex_hash<D: Digest>(parts: &[&str]) -> String {
    let mut hasher = D::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hasher.update(b":");
        }
        hasher.update(part.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The quality of protection the answer uses. Only `auth` is supported;
/// `auth-int` would need the message body hashed into A2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qop {
    /// `auth`: authentication of the method and URI.
    Auth,
}

impl Qop {
    /// The value as written in the `qop` parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Qop::Auth => "auth",
        }
    }
}

/// A parsed Digest challenge from a `WWW-Authenticate` or
/// `Proxy-Authenticate` header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The protection space, unquoted.
    pub realm: String,
    /// The server nonce, unquoted.
    pub nonce: String,
    /// Opaque data the answer must echo unchanged.
    pub opaque: Option<String>,
    /// The hash algorithm.
    pub algorithm: Algorithm,
    /// `Some(Qop::Auth)` when the server offered `auth`; `None` for an
    /// RFC 2069 challenge without qop.
    pub qop: Option<Qop>,
    /// The previous answer was rejected only because its nonce had expired:
    /// retry with the same credentials without asking the user again.
    pub stale: bool,
}

impl Challenge {
    /// Parses one challenge: `Digest realm="x", nonce="y", qop="auth", …`.
    ///
    /// The scheme and parameter names are case-insensitive; unknown
    /// parameters (domain, charset, userhash, …) are ignored. Values may be
    /// quoted strings (with `\` escapes) or bare words, as servers disagree
    /// on which parameters they quote.
    pub fn parse(header_value: &str) -> Result<Challenge, DigestError> {
        let value = header_value.trim_matches(is_ws);
        let scheme_end = value
            .find(|c: char| !is_token_char(c))
            .unwrap_or(value.len());
        let (scheme, rest) = value.split_at(scheme_end);
        // RFC 7235 §2.1: "It uses a case-insensitive token as a means to
        // identify the authentication scheme".
        if !scheme.eq_ignore_ascii_case("Digest") {
            return Err(DigestError::UnsupportedScheme(scheme.to_string()));
        }
        if !rest.is_empty() && !rest.starts_with(is_ws) {
            return Err(DigestError::Malformed("no space after the scheme"));
        }

        let mut params: Vec<(String, String)> = Vec::new();
        // RFC 7230 §7: "a recipient MUST parse and ignore a reasonable number
        // of empty list elements".
        for item in split_commas(rest).into_iter().filter(|i| !i.is_empty()) {
            let (name, value) = parse_param(item)?;
            // RFC 7235 §2.1: "Each parameter name MUST only occur once per
            // challenge."
            if params.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
                return Err(DigestError::DuplicateParam(name));
            }
            params.push((name, value));
        }
        let get = |name: &str| {
            params
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };

        let realm = get("realm").ok_or(DigestError::MissingParam("realm"))?;
        let nonce = get("nonce").ok_or(DigestError::MissingParam("nonce"))?;
        // RFC 2617 §3.2.1: "If this is not present it is assumed to be "MD5"."
        let algorithm = match get("algorithm") {
            None => Algorithm::Md5,
            Some(name) => Algorithm::from_name(name)
                .ok_or_else(|| DigestError::UnsupportedAlgorithm(name.to_string()))?,
        };
        let qop = match get("qop") {
            None => None,
            // RFC 2617 §3.2.2: qop "MUST be one of the alternatives the server
            // indicated it supports in the WWW-Authenticate header".
            Some(list) => {
                if list
                    .split(',')
                    .any(|q| q.trim_matches(is_ws).eq_ignore_ascii_case("auth"))
                {
                    Some(Qop::Auth)
                } else {
                    return Err(DigestError::UnsupportedQop(list.to_string()));
                }
            }
        };
        // RFC 2617 §3.2.2: cnonce "MUST NOT be specified if the server did
        // not send a qop directive", yet a -sess A1 is built from it.
        if algorithm.is_sess() && qop.is_none() {
            return Err(DigestError::SessWithoutQop(algorithm.as_str()));
        }
        // RFC 2617 §3.2.1: "If stale is FALSE, or anything other than TRUE,
        // or the stale directive is not present, the username and/or password
        // are invalid".
        let stale = get("stale").is_some_and(|s| s.eq_ignore_ascii_case("true"));

        Ok(Challenge {
            realm: realm.to_string(),
            nonce: nonce.to_string(),
            opaque: get("opaque").map(str::to_string),
            algorithm,
            qop,
            stale,
        })
    }
}

/// Parses `name = value` where value is a quoted string or a bare word;
/// returns the value unquoted and unescaped.
fn parse_param(item: &str) -> Result<(String, String), DigestError> {
    let name_end = item.find(|c: char| !is_token_char(c)).unwrap_or(item.len());
    let name = &item[..name_end];
    if name.is_empty() {
        return Err(DigestError::Malformed("parameter without a name"));
    }
    let rest = item[name_end..]
        .trim_start_matches(is_ws)
        .strip_prefix('=')
        .ok_or(DigestError::Malformed("parameter without a value"))?
        .trim_start_matches(is_ws);
    let value = if rest.starts_with('"') {
        let (value, after) =
            take_quoted(rest).ok_or(DigestError::Malformed("unterminated quoted string"))?;
        if !after.trim_matches(is_ws).is_empty() {
            return Err(DigestError::Malformed("text after a quoted string"));
        }
        value
    } else {
        if rest.is_empty() || rest.contains(|c: char| is_ws(c) || c == '"') {
            return Err(DigestError::Malformed("bad parameter value"));
        }
        rest.to_string()
    };
    Ok((name.to_string(), value))
}

/// Which headers carry the challenge and the answer for a response status:
/// `(challenge header, credentials header)`.
///
/// RFC 3261 §22.2: a UAS "SHOULD challenge the initiator of the request by
/// providing a WWW-Authenticate header field in a 401 (Unauthorized)
/// response"; §22.3: a proxy answers with 407 and Proxy-Authenticate, and
/// the UAC retries with Authorization or Proxy-Authorization respectively.
pub fn header_names(status: u16) -> Option<(&'static str, &'static str)> {
    match status {
        401 => Some(("WWW-Authenticate", "Authorization")),
        407 => Some(("Proxy-Authenticate", "Proxy-Authorization")),
        _ => None,
    }
}

/// Finds the first Digest challenge we can answer in a 401 or 407.
///
/// RFC 3261 §22.3: a response may hold several challenges (one per header
/// line); lines with another scheme or an unsupported algorithm are skipped.
/// When none is usable, the error of the first Digest challenge is returned
/// (or the first error of all, if no line was Digest at all).
pub fn from_response(response: &Response) -> Result<Challenge, DigestError> {
    let (challenge_header, _) =
        header_names(response.status).ok_or(DigestError::NotAChallenge(response.status))?;
    let mut first_error: Option<DigestError> = None;
    for line in response.headers.get_lines(challenge_header) {
        match Challenge::parse(line) {
            Ok(challenge) => return Ok(challenge),
            Err(err) => {
                let replace = match &first_error {
                    None => true,
                    Some(prev) => {
                        matches!(prev, DigestError::UnsupportedScheme(_))
                            && !matches!(err, DigestError::UnsupportedScheme(_))
                    }
                };
                if replace {
                    first_error = Some(err);
                }
            }
        }
    }
    Err(first_error.unwrap_or(DigestError::MissingChallenge(challenge_header)))
}

/// The value of the `Authorization`/`Proxy-Authorization` header answering
/// `challenge`.
///
/// `uri` is the Request-URI of the retried request (RFC 3261 §22.4: the uri
/// parameter "MUST be" it) and `method` its method. `cnonce` should be fresh
/// and unguessable per challenge, and `nc` counts the requests sent with the
/// same nonce, starting at 1. Both are only sent when the challenge offered
/// qop; without qop the answer has the RFC 2069 form.
pub fn authorization(
    challenge: &Challenge,
    username: &str,
    password: &str,
    method: &str,
    uri: &str,
    cnonce: &str,
    nc: u32,
) -> String {
    let alg = challenge.algorithm;
    let nonce = challenge.nonce.as_str();
    let nc = format!("{nc:08x}");

    // RFC 2617 §3.2.2.2: A1 = unq(username-value) ":" unq(realm-value) ":"
    // passwd, and for -sess H(that) ":" unq(nonce-value) ":" unq(cnonce-value).
    let mut ha1 = alg.hash(&[username, &challenge.realm, password]);
    if alg.is_sess() {
        ha1 = alg.hash(&[&ha1, nonce, cnonce]);
    }
    // RFC 2617 §3.2.2.3: for qop "auth" or absent, A2 = Method ":" digest-uri-value.
    let ha2 = alg.hash(&[method, uri]);
    // RFC 2617 §3.2.2.1: with qop, KD(H(A1), nonce:nc:cnonce:qop:H(A2));
    // without, the RFC 2069 KD(H(A1), nonce:H(A2)).
    let response = match challenge.qop {
        Some(qop) => alg.hash(&[&ha1, nonce, &nc, cnonce, qop.as_str(), &ha2]),
        None => alg.hash(&[&ha1, nonce, &ha2]),
    };

    let mut out = format!(
        "Digest username={}, realm={}, nonce={}, uri={}, response=\"{response}\", algorithm={}",
        quote(username),
        quote(&challenge.realm),
        quote(nonce),
        quote(uri),
        alg.as_str(),
    );
    if let Some(qop) = challenge.qop {
        out.push_str(&format!(
            ", cnonce={}, qop={}, nc={nc}",
            quote(cnonce),
            qop.as_str()
        ));
    }
    if let Some(opaque) = &challenge.opaque {
        out.push_str(&format!(", opaque={}", quote(opaque)));
    }
    out
}

/// RFC 3261 §25.1: quoted-string with `\` escaping `"` and `\`.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected responses below were computed with Python's hashlib, and the
    // RFC ones match the values printed in the RFCs.

    #[test]
    fn rfc2617_example() {
        let c = Challenge::parse(
            r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
        )
        .unwrap();
        assert_eq!(c.algorithm, Algorithm::Md5);
        assert_eq!(c.qop, Some(Qop::Auth));
        assert!(!c.stale);
        let got = authorization(
            &c,
            "Mufasa",
            "Circle Of Life",
            "GET",
            "/dir/index.html",
            "0a4f113b",
            1,
        );
        assert_eq!(
            got,
            r#"Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", response="6629fae49393a05397450978507c4ef1", algorithm=MD5, cnonce="0a4f113b", qop=auth, nc=00000001, opaque="5ccc069c403ebaf9f0171e9517f40e41""#
        );
    }

    const RFC7616_NONCE: &str = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
    const RFC7616_CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

    fn rfc7616(algorithm: &str) -> String {
        let c = Challenge::parse(&format!(
            r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm={algorithm}, nonce="{RFC7616_NONCE}", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#
        ))
        .unwrap();
        authorization(
            &c,
            "Mufasa",
            "Circle of Life",
            "GET",
            "/dir/index.html",
            RFC7616_CNONCE,
            1,
        )
    }

    #[test]
    fn rfc7616_sha256_example() {
        let got = rfc7616("SHA-256");
        assert!(got.contains(
            r#"response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", algorithm=SHA-256,"#
        ));
        assert!(got.ends_with(
            r#"qop=auth, nc=00000001, opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#
        ));
    }

    #[test]
    fn ha1_hashes_user_realm_and_password() {
        // RFC 7616 §3.9.1's user, realm and password (hashes from an independent tool).
        let (user, realm, password) = ("Mufasa", "http-auth@example.org", "Circle of Life");
        assert_eq!(
            ha1(Algorithm::Md5, user, realm, password),
            "3d78807defe7de2157e2b0b6573a855f"
        );
        assert_eq!(
            ha1(Algorithm::Sha256, user, realm, password),
            "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232"
        );
    }

    #[test]
    fn rfc7616_md5_example() {
        assert!(rfc7616("MD5").contains(r#"response="8ca523f5e9506fed4657c9700eebdbec""#));
    }

    #[test]
    fn without_qop_answers_rfc2069_style() {
        let c = Challenge::parse(
            r#"Digest realm="atlanta.com", nonce="84a4cc6f3082121f32b42a2187831a9e""#,
        )
        .unwrap();
        assert_eq!(c.qop, None);
        let got = authorization(
            &c,
            "alice",
            "s3cr3t",
            "INVITE",
            "sip:bob@biloxi.com",
            "ignored",
            1,
        );
        assert_eq!(
            got,
            r#"Digest username="alice", realm="atlanta.com", nonce="84a4cc6f3082121f32b42a2187831a9e", uri="sip:bob@biloxi.com", response="8d88d994605b863a5a2446a17d686cd9", algorithm=MD5"#
        );
    }

    #[test]
    fn md5_sess_and_hex_nonce_count() {
        let c = Challenge::parse(
            r#"Digest realm="atlanta.com", nonce="abc123", qop="auth", algorithm=MD5-sess"#,
        )
        .unwrap();
        let got = authorization(
            &c,
            "alice",
            "s3cr3t",
            "REGISTER",
            "sip:atlanta.com",
            "0a4f113b",
            10,
        );
        assert!(got.contains(r#"response="524b5de45a1efef678c43927c77af0af""#));
        assert!(got.contains("algorithm=MD5-sess"));
        assert!(got.contains("nc=0000000a"));
    }

    #[test]
    fn quotes_are_escaped_on_output_and_not_hashed() {
        let c = Challenge::parse(r#"Digest realm="a\"b\\c", nonce=n"#).unwrap();
        assert_eq!(c.realm, r#"a"b\c"#);
        let got = authorization(&c, r#"al"ice"#, "pw", "REGISTER", "sip:example.com", "", 1);
        assert_eq!(
            got,
            r#"Digest username="al\"ice", realm="a\"b\\c", nonce="n", uri="sip:example.com", response="48f2603573fd72c23c19ccc1fa01a613", algorithm=MD5"#
        );
    }

    #[test]
    fn parses_odd_spacing_case_and_quoting() {
        let c = Challenge::parse(
            "  dIgEsT\tREALM = \"a, \\\"quoted\\\" realm\" ,, NONCE=\"n,1\" ,qop = auth-int , \
             Algorithm=sha-256, STALE=TRUE, domain=\"sip:a sip:b\", foo=bar, Opaque=\"\"",
        );
        assert_eq!(c, Err(DigestError::UnsupportedQop("auth-int".into())));
        let c = Challenge::parse(
            "  dIgEsT\tREALM = \"a, \\\"quoted\\\" realm\" ,, NONCE=\"n,1\" ,qop = \"auth-int, AUTH\" , \
             Algorithm=sha-256, STALE=TRUE, domain=\"sip:a sip:b\", foo=bar, Opaque=\"\" ",
        )
        .unwrap();
        assert_eq!(
            c,
            Challenge {
                realm: r#"a, "quoted" realm"#.into(),
                nonce: "n,1".into(),
                opaque: Some(String::new()),
                algorithm: Algorithm::Sha256,
                qop: Some(Qop::Auth),
                stale: true,
            }
        );
        let c = Challenge::parse(r#"Digest nonce="x", realm="r", stale=false"#).unwrap();
        assert!(!c.stale);
    }

    #[test]
    fn refuses_what_it_cannot_answer() {
        let parse = Challenge::parse;
        assert_eq!(
            parse(r#"Digest realm="r", nonce="n", qop="auth-int""#),
            Err(DigestError::UnsupportedQop("auth-int".into()))
        );
        assert_eq!(
            parse(r#"Digest realm="r", nonce="n", algorithm=SHA-512-256"#),
            Err(DigestError::UnsupportedAlgorithm("SHA-512-256".into()))
        );
        assert_eq!(
            parse(r#"Digest realm="r", nonce="n", algorithm=MD5-sess"#),
            Err(DigestError::SessWithoutQop("MD5-sess"))
        );
        assert_eq!(
            parse(r#"Basic realm="r""#),
            Err(DigestError::UnsupportedScheme("Basic".into()))
        );
        assert_eq!(
            parse(r#"Digestrealm="r", nonce="n""#),
            Err(DigestError::UnsupportedScheme("Digestrealm".into()))
        );
        assert_eq!(
            parse(r#"Digest realm="r""#),
            Err(DigestError::MissingParam("nonce"))
        );
        assert_eq!(
            parse(r#"Digest realm="r", nonce="n", Realm="s""#),
            Err(DigestError::DuplicateParam("Realm".into()))
        );
        for bad in [
            r#"Digest realm="r, nonce="n""#,
            r#"Digest realm="r" x, nonce="n""#,
            r#"Digest realm, nonce="n""#,
            r#"Digest realm=, nonce="n""#,
            r#"Digest realm=a b, nonce="n""#,
        ] {
            assert!(
                matches!(parse(bad), Err(DigestError::Malformed(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn header_names_by_status() {
        assert_eq!(
            header_names(401),
            Some(("WWW-Authenticate", "Authorization"))
        );
        assert_eq!(
            header_names(407),
            Some(("Proxy-Authenticate", "Proxy-Authorization"))
        );
        assert_eq!(header_names(403), None);
    }

    #[test]
    fn from_response_picks_first_usable_challenge() {
        let mut r = Response::new(407, "Proxy Authentication Required");
        r.headers.push("Proxy-Authenticate", r#"Basic realm="r""#);
        r.headers.push(
            "proxy-authenticate",
            r#"Digest realm="r", nonce="1", algorithm=SHA-512-256"#,
        );
        r.headers
            .push("Proxy-Authenticate", r#"Digest realm="r", nonce="2""#);
        r.headers
            .push("WWW-Authenticate", r#"Digest realm="w", nonce="3""#);
        assert_eq!(from_response(&r).unwrap().nonce, "2");

        let mut r = Response::new(401, "Unauthorized");
        assert_eq!(
            from_response(&r),
            Err(DigestError::MissingChallenge("WWW-Authenticate"))
        );
        r.headers.push("WWW-Authenticate", r#"Basic realm="r""#);
        r.headers.push(
            "WWW-Authenticate",
            r#"Digest realm="r", nonce="1", qop="auth-int""#,
        );
        assert_eq!(
            from_response(&r),
            Err(DigestError::UnsupportedQop("auth-int".into()))
        );
        assert_eq!(
            from_response(&Response::new(403, "Forbidden")),
            Err(DigestError::NotAChallenge(403))
        );
    }
}
