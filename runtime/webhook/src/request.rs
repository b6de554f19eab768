//! Building one webhook request (URL, body, credentials, signatures) and deciding where a
//! redirect leads. Pure functions: no I/O, time passed in.

use percent_encoding::percent_decode_str;
use url::Url;

use crate::signature::{SignatureHeaders, Signer};
use crate::Error;

/// How the application's URL is requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    /// Parameters appended to the URL's query.
    Get,
    /// Parameters form-encoded in the body (Twilio's default).
    Post,
}

/// Where to ask: a URL and the method to use, as configured on a number or in a verb's
/// `action`/`method`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    /// The URL; may carry `user:pass@` credentials, sent as HTTP Basic auth.
    pub url: String,
    /// GET or POST.
    pub method: HttpMethod,
}

impl Target {
    /// A POST target, Twilio's default method.
    pub fn post(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            method: HttpMethod::Post,
        }
    }

    /// A GET target.
    pub fn get(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            method: HttpMethod::Get,
        }
    }
}

/// Redirects followed before giving up with 11215. Twilio does not publish its limit;
/// ten is what browsers and curl-like clients stop well before looping forever.
pub const MAX_REDIRECTS: usize = 10;

/// One hop of a webhook exchange, ready to send.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    /// The exact URL sent and signed: no userinfo, no fragment, GET params in the query.
    pub url: Url,
    pub method: HttpMethod,
    /// The form body of a POST; empty for a GET.
    pub body: Vec<u8>,
    /// `user:pass@` from the URL, decoded.
    pub basic_auth: Option<(String, String)>,
    pub signatures: SignatureHeaders,
}

/// Parses a configured URL; only absolute `http`/`https` URLs with a host are accepted.
pub(crate) fn parse_target_url(raw: &str) -> Result<Url, Error> {
    let invalid = |reason: &str| Error::InvalidUrl {
        url: redact_url(raw),
        reason: reason.to_string(),
    };
    let url = Url::parse(raw.trim()).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("scheme is not http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host"));
    }
    Ok(url)
}

/// The URL as it may appear in logs, errors and `ErrorUrl`: without credentials.
pub(crate) fn display_url(url: &Url) -> String {
    let mut clean = url.clone();
    // Only fails for URLs that cannot have credentials, which then have none.
    let _ = clean.set_username("");
    let _ = clean.set_password(None);
    clean.to_string()
}

/// The one redaction rule: a URL as it may appear anywhere but the request that uses it
/// (logs, errors, `ErrorUrl`, notifications, events, call records) carries no userinfo.
/// Works on any scheme (`app://` too); a URL that does not parse has anything before an
/// '@' in its authority hidden, since it may still hold a password.
pub fn redact_url(raw: &str) -> String {
    match Url::parse(raw.trim()) {
        Ok(url) if !url.username().is_empty() || url.password().is_some() => display_url(&url),
        Ok(_) => raw.to_string(),
        Err(_) => match (raw.find("://"), raw.rfind('@')) {
            (Some(scheme_end), Some(at)) if at > scheme_end => {
                format!("{}://<redacted>{}", &raw[..scheme_end], &raw[at..])
            }
            _ => raw.to_string(),
        },
    }
}

/// Builds one hop. `params_in_query` says whether a GET carries `params` in its query
/// (true on the first hop, and when a redirect turned a POST into a GET); a POST always
/// carries them in the body.
pub(crate) fn prepare(
    url: &Url,
    method: HttpMethod,
    params: &[(String, String)],
    params_in_query: bool,
    signer: &Signer,
    now_unix: u64,
) -> Prepared {
    let basic_auth = credentials(url);
    let mut sent = url.clone();
    let _ = sent.set_username("");
    let _ = sent.set_password(None);
    // The fragment never reaches the server, so it cannot be part of what it validates.
    sent.set_fragment(None);
    match method {
        HttpMethod::Get => {
            if params_in_query && !params.is_empty() {
                sent.query_pairs_mut().extend_pairs(params);
            }
            let signatures = signer.sign(sent.as_str(), &[], b"", now_unix);
            Prepared {
                url: sent,
                method,
                body: Vec::new(),
                basic_auth,
                signatures,
            }
        }
        HttpMethod::Post => {
            let body = serde_urlencoded::to_string(params)
                .expect("a list of string pairs always form-encodes")
                .into_bytes();
            let signatures = signer.sign(sent.as_str(), params, &body, now_unix);
            Prepared {
                url: sent,
                method,
                body,
                basic_auth,
                signatures,
            }
        }
    }
}

fn credentials(url: &Url) -> Option<(String, String)> {
    if url.username().is_empty() && url.password().is_none() {
        return None;
    }
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    Some((decode(url.username()), decode(url.password().unwrap_or(""))))
}

/// Where a 3xx answer sends the next hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Redirect {
    pub url: Url,
    pub method: HttpMethod,
    /// Whether the next GET must carry the parameters in its query.
    pub params_in_query: bool,
}

/// Decides the next hop after a 3xx from `from` (the URL as configured for that hop,
/// credentials included, so a same-origin redirect keeps them).
pub(crate) fn follow_redirect(
    from: &Url,
    sent: &Url,
    method: HttpMethod,
    status: u16,
    location: Option<&str>,
) -> Result<Redirect, Error> {
    let invalid = |reason: &str| Error::InvalidRedirect {
        url: sent.to_string(),
        status,
        reason: reason.to_string(),
    };
    let next_method = match status {
        // RFC 9110 §15.4.2 (301) and §15.4.3 (302): "For historical reasons, a user agent
        // MAY change the request method from POST to GET for the subsequent request." We
        // do not: the parameters describe the call and the application needs them.
        301 | 302 => method,
        // RFC 9110 §15.4.4: for 303 "A user agent can perform a retrieval request
        // targeting that URI (a GET or HEAD request if using HTTP)".
        303 => HttpMethod::Get,
        // RFC 9110 §15.4.8: for 307 "the user agent MUST NOT change the request method if
        // it performs an automatic redirection to that URI." 308 (§15.4.9) likewise does
        // not allow changing the method. Twilio lists only 301, 302, 303 and 307 as
        // followed; 308 is followed too since it is the standard's permanent twin.
        307 | 308 => method,
        _ => return Err(invalid("not a redirect status")),
    };
    let location = location
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| invalid("no Location header"))?;
    // A relative Location resolves against the URL that was requested.
    let mut next = sent
        .join(location)
        .map_err(|e| invalid(&format!("bad Location {location:?}: {e}")))?;
    if !matches!(next.scheme(), "http" | "https") {
        return Err(invalid("Location is not http or https"));
    }
    // Credentials stay with their origin: carry them over only when the redirect stays
    // on the same scheme, host and port and brings none of its own.
    if next.username().is_empty() && next.password().is_none() && next.origin() == from.origin() {
        let _ = next.set_username(from.username());
        let _ = next.set_password(from.password());
    }
    Ok(Redirect {
        url: next,
        method: next_method,
        params_in_query: next_method == HttpMethod::Get && method == HttpMethod::Post,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::twilio_signature;

    fn signer() -> Signer {
        Signer::new("tok".into(), Some(("k1".into(), b"key".to_vec())))
    }

    fn params() -> Vec<(String, String)> {
        vec![
            ("To".into(), "+1 555".into()),
            ("CallSid".into(), "CA1".into()),
        ]
    }

    #[test]
    fn post_signs_url_and_params_and_strips_userinfo() {
        let url = parse_target_url("https://al%20ice:p%40ss@h.example:8443/voice#frag").unwrap();
        let p = prepare(&url, HttpMethod::Post, &params(), true, &signer(), 7);
        assert_eq!(p.url.as_str(), "https://h.example:8443/voice");
        assert_eq!(p.basic_auth, Some(("al ice".into(), "p@ss".into())));
        assert_eq!(p.body, b"To=%2B1+555&CallSid=CA1");
        assert_eq!(
            p.signatures.twilio,
            twilio_signature("tok", "https://h.example:8443/voice", &params())
        );
        crate::verify_switchyard_signature(
            b"key",
            p.signatures.switchyard.as_deref().unwrap(),
            "https://h.example:8443/voice",
            &p.body,
            7,
            0,
        )
        .unwrap();
    }

    #[test]
    fn get_appends_params_to_query_and_signs_full_url() {
        let url = parse_target_url("http://h/app?x=1").unwrap();
        let p = prepare(&url, HttpMethod::Get, &params(), true, &signer(), 7);
        assert_eq!(p.url.as_str(), "http://h/app?x=1&To=%2B1+555&CallSid=CA1");
        assert!(p.body.is_empty());
        assert_eq!(
            p.signatures.twilio,
            twilio_signature("tok", p.url.as_str(), &[])
        );
        let again = prepare(&url, HttpMethod::Get, &params(), false, &signer(), 7);
        assert_eq!(again.url.as_str(), "http://h/app?x=1");
    }

    #[test]
    fn rejects_bad_urls_without_leaking_credentials() {
        for bad in ["ftp://h/x", "not a url", "http://", "mailto:a@b"] {
            assert!(
                matches!(parse_target_url(bad), Err(Error::InvalidUrl { .. })),
                "{bad}"
            );
        }
        match parse_target_url("http://user:secret@[bad/x") {
            Err(Error::InvalidUrl { url, .. }) => assert!(!url.contains("secret"), "{url}"),
            other => panic!("{other:?}"),
        }
        let url = parse_target_url("https://u:pw@h/x").unwrap();
        assert_eq!(display_url(&url), "https://h/x");
    }

    #[test]
    fn redaction_removes_userinfo_from_any_scheme_and_keeps_the_rest() {
        assert_eq!(redact_url("https://u:pw@h/x?a=1"), "https://h/x?a=1");
        assert_eq!(redact_url("https://u@h/x"), "https://h/x");
        assert_eq!(redact_url("app://u:pw@ivr/step"), "app://ivr/step");
        assert_eq!(redact_url("https://h/x"), "https://h/x");
        assert_eq!(redact_url("app://ivr"), "app://ivr");
        let bad = redact_url("http://user:secret@[bad/x");
        assert!(!bad.contains("secret"), "{bad}");
    }

    #[test]
    fn redirect_methods_and_credentials() {
        let from = parse_target_url("https://u:pw@h/a").unwrap();
        let sent = parse_target_url("https://h/a").unwrap();
        let r = follow_redirect(&from, &sent, HttpMethod::Post, 302, Some("/b")).unwrap();
        assert_eq!(r.url.as_str(), "https://u:pw@h/b");
        assert_eq!(r.method, HttpMethod::Post);
        let r = follow_redirect(&from, &sent, HttpMethod::Post, 303, Some("https://o/c")).unwrap();
        assert_eq!(r.url.as_str(), "https://o/c");
        assert_eq!((r.method, r.params_in_query), (HttpMethod::Get, true));
        let r = follow_redirect(&from, &sent, HttpMethod::Get, 307, Some("d?q=1")).unwrap();
        assert_eq!((r.method, r.params_in_query), (HttpMethod::Get, false));
        assert_eq!(r.url.as_str(), "https://u:pw@h/d?q=1");
        for (status, location) in [(302, None), (304, Some("/x")), (301, Some("ftp://h/"))] {
            assert!(matches!(
                follow_redirect(&from, &sent, HttpMethod::Get, status, location),
                Err(Error::InvalidRedirect { .. })
            ));
        }
    }
}
