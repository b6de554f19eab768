//! Per-call cookies, like Twilio's per-conversation cookies: what an application sets in
//! one answer comes back with the call's next request to the same host.
//!
//! A deliberately small subset of RFC 6265: `name=value`, `Max-Age`, `Expires`,
//! `Secure`, and `Domain` only as a reason to refuse a cookie. Every cookie is host-only
//! (sent back to exactly the host that set it, never to its subdomains) and `Path` is
//! ignored: a webhook conversation talks to one application, so the finer scoping buys
//! nothing and host-only is the safer reading. The jar never reads the clock; callers
//! pass `now`.

use std::time::{Duration, SystemTime};

use url::Url;

/// RFC 6265 §6.1 asks user agents to keep "At least 4096 bytes per cookie"; we keep
/// exactly that much so a hostile application cannot grow a call's memory.
const MAX_COOKIE_BYTES: usize = 4096;
/// RFC 6265 §6.1: "At least 50 cookies per domain." Beyond that the oldest is dropped.
const MAX_COOKIES_PER_HOST: usize = 50;

/// Cookies of one call. `Default` is empty; keep one per call and pass it to every fetch.
#[derive(Debug, Default, Clone)]
pub struct CookieJar {
    /// In creation order, which is also the order they are sent back in.
    cookies: Vec<Cookie>,
}

#[derive(Debug, Clone)]
struct Cookie {
    host: String,
    name: String,
    value: String,
    /// `None` for a session cookie: it lives as long as the jar (the call).
    expires: Option<SystemTime>,
    secure: bool,
}

impl CookieJar {
    /// Records one `Set-Cookie` header value received from `url` at time `now`.
    /// Values the RFC says to ignore are ignored silently, as browsers do.
    pub fn store(&mut self, url: &Url, set_cookie: &str, now: SystemTime) {
        let Some(host) = url.host_str().map(str::to_ascii_lowercase) else {
            return;
        };
        let Some(cookie) = parse_set_cookie(&host, set_cookie, now) else {
            return;
        };
        // RFC 6265 §5.3: "The user agent MUST evict all expired cookies from the cookie
        // store if, at any time, an expired cookie exists in the cookie store."
        self.cookies.retain(|c| !c.expired(now));
        let existing = self
            .cookies
            .iter()
            .position(|c| c.host == cookie.host && c.name == cookie.name);
        let expired = cookie.expired(now);
        match (existing, expired) {
            // RFC 6265 §5.3 step 11: "If the cookie store contains a cookie with the same
            // name, domain, and path as the newly created cookie: [...] Update the
            // creation-time of the newly created cookie to match the creation-time of the
            // old-cookie." Replacing in place keeps that creation order.
            (Some(i), false) => self.cookies[i] = cookie,
            // An already-expired cookie replacing a live one is how servers delete it.
            (Some(i), true) => {
                self.cookies.remove(i);
            }
            (None, false) => {
                let same_host = self.cookies.iter().filter(|c| c.host == host).count();
                if same_host >= MAX_COOKIES_PER_HOST {
                    if let Some(oldest) = self.cookies.iter().position(|c| c.host == host) {
                        self.cookies.remove(oldest);
                    }
                }
                self.cookies.push(cookie);
            }
            (None, true) => {}
        }
    }

    /// The `Cookie` header value to send with a request to `url` at `now`, if any cookie
    /// applies.
    pub fn header_for(&self, url: &Url, now: SystemTime) -> Option<String> {
        let host = url.host_str()?.to_ascii_lowercase();
        let secure_scheme = url.scheme() == "https";
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .filter(|c| c.host == host && !c.expired(now))
            // RFC 6265 §5.4: "If the cookie's secure-only-flag is true, then the
            // request-uri's scheme must denote a "secure" protocol".
            .filter(|c| !c.secure || secure_scheme)
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        if pairs.is_empty() {
            None
        } else {
            Some(pairs.join("; "))
        }
    }

    /// Number of cookies held (expired ones included until the next `store`).
    pub fn len(&self) -> usize {
        self.cookies.len()
    }

    /// Whether the jar holds no cookie.
    pub fn is_empty(&self) -> bool {
        self.cookies.is_empty()
    }
}

impl Cookie {
    fn expired(&self, now: SystemTime) -> bool {
        self.expires.is_some_and(|at| at <= now)
    }
}

/// RFC 6265 §5.2 parsing, reduced to the attributes this jar honours.
fn parse_set_cookie(host: &str, set_cookie: &str, now: SystemTime) -> Option<Cookie> {
    let (pair, attributes) = match set_cookie.split_once(';') {
        Some((pair, rest)) => (pair, rest),
        None => (set_cookie, ""),
    };
    // RFC 6265 §5.2: "If the name-value-pair string lacks a %x3D ("=") character,
    // ignore the set-cookie-string entirely."
    let (name, value) = pair.split_once('=')?;
    let (name, value) = (name.trim(), value.trim());
    // RFC 6265 §5.2: "If the name string is empty, ignore the set-cookie-string
    // entirely."
    if name.is_empty() || name.len() + value.len() > MAX_COOKIE_BYTES {
        return None;
    }
    // Control characters would let a value smuggle header syntax back to the server.
    if name.chars().chain(value.chars()).any(|c| c.is_control()) {
        return None;
    }
    let mut max_age: Option<Option<SystemTime>> = None;
    let mut expires: Option<SystemTime> = None;
    let mut secure = false;
    for attribute in attributes.split(';') {
        let (key, val) = match attribute.split_once('=') {
            Some((k, v)) => (k.trim(), v.trim()),
            None => (attribute.trim(), ""),
        };
        if key.eq_ignore_ascii_case("max-age") {
            if let Some(parsed) = parse_max_age(val, now) {
                max_age = Some(parsed);
            }
        } else if key.eq_ignore_ascii_case("expires") {
            // RFC 6265 §5.2.1: "If the attribute-value failed to parse as a cookie date,
            // ignore the cookie-av."
            if let Ok(at) = httpdate::parse_http_date(val) {
                expires = Some(at);
            }
        } else if key.eq_ignore_ascii_case("domain") {
            let domain = val.strip_prefix('.').unwrap_or(val).to_ascii_lowercase();
            // RFC 6265 §5.3 step 6: "If the canonicalized request-host does not
            // domain-match the domain-attribute: Ignore the cookie entirely and abort
            // these steps."
            if !domain.is_empty() && !domain_match(host, &domain) {
                return None;
            }
        } else if key.eq_ignore_ascii_case("secure") {
            secure = true;
        }
    }
    // RFC 6265 §5.3 step 3: Max-Age, when present, sets the expiry; only "Otherwise, if
    // the cookie-attribute-list contains an attribute with an attribute-name of
    // "Expires"" does Expires count.
    let expires = match max_age {
        Some(at) => at,
        None => expires,
    };
    Some(Cookie {
        host: host.to_string(),
        name: name.to_string(),
        value: value.to_string(),
        expires,
        secure,
    })
}

/// `Some(expiry)` for a usable Max-Age (inner `None` when it is too far away to
/// represent: never expires), `None` when the attribute must be ignored.
fn parse_max_age(value: &str, now: SystemTime) -> Option<Option<SystemTime>> {
    let (negative, digits) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    // RFC 6265 §5.2.2: "If the first character of the attribute-value is not a DIGIT or
    // a "-" character, ignore the cookie-av." and "If the remainder of attribute-value
    // contains a non-DIGIT character, ignore the cookie-av."
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seconds: u64 = digits.parse().unwrap_or(u64::MAX);
    // RFC 6265 §5.2.2: "If delta-seconds is less than or equal to zero (0), let
    // expiry-time be the earliest representable date and time."
    if negative || seconds == 0 {
        return Some(Some(SystemTime::UNIX_EPOCH));
    }
    Some(now.checked_add(Duration::from_secs(seconds)))
}

/// RFC 6265 §5.1.3 domain-match.
fn domain_match(host: &str, domain: &str) -> bool {
    // "The domain string and the string are identical."
    if host == domain {
        return true;
    }
    // "The domain string is a suffix of the string. The last character of the string
    // that is not included in the domain string is a %x2E (".") character. The string
    // is a host name (i.e., not an IP address)."
    host.strip_suffix(domain)
        .is_some_and(|prefix| prefix.ends_with('.'))
        && host.parse::<std::net::IpAddr>().is_err()
        && !host.starts_with('[')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn t0() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    #[test]
    fn stores_and_returns_to_same_host_only() {
        let mut jar = CookieJar::default();
        let a = url("http://app.example:8080/voice");
        jar.store(&a, "session=abc; Path=/; HttpOnly", t0());
        jar.store(&a, "step=2", t0());
        assert_eq!(
            jar.header_for(&a, t0()).as_deref(),
            Some("session=abc; step=2")
        );
        // Cookies do not isolate by port (RFC 6265 §8.5) but do by host.
        assert_eq!(
            jar.header_for(&url("http://app.example/other"), t0())
                .as_deref(),
            Some("session=abc; step=2")
        );
        assert_eq!(
            jar.header_for(&url("http://other.example/voice"), t0()),
            None
        );
        assert_eq!(jar.header_for(&url("http://sub.app.example/"), t0()), None);
    }

    #[test]
    fn update_keeps_order_and_max_age_zero_deletes() {
        let mut jar = CookieJar::default();
        let a = url("https://h/");
        jar.store(&a, "a=1", t0());
        jar.store(&a, "b=2", t0());
        jar.store(&a, "a=3", t0());
        assert_eq!(jar.header_for(&a, t0()).as_deref(), Some("a=3; b=2"));
        jar.store(&a, "a=; Max-Age=0", t0());
        assert_eq!(jar.header_for(&a, t0()).as_deref(), Some("b=2"));
        jar.store(&a, "b=x; Max-Age=-5", t0());
        assert_eq!(jar.header_for(&a, t0()), None);
        assert!(jar.is_empty());
    }

    #[test]
    fn expires_in_past_deletes_and_future_expires_later() {
        let mut jar = CookieJar::default();
        let a = url("https://h/");
        jar.store(&a, "a=1", t0());
        jar.store(&a, "a=gone; Expires=Thu, 01 Jan 1970 00:00:00 GMT", t0());
        assert_eq!(jar.header_for(&a, t0()), None);
        jar.store(&a, "b=1; Max-Age=60", t0());
        assert_eq!(jar.header_for(&a, t0()).as_deref(), Some("b=1"));
        assert_eq!(jar.header_for(&a, t0() + Duration::from_secs(61)), None);
        // Max-Age wins over Expires, whatever their order.
        jar.store(
            &a,
            "c=1; Max-Age=100; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            t0(),
        );
        assert_eq!(jar.header_for(&a, t0()).as_deref(), Some("b=1; c=1"));
        // An unparsable date is ignored: the cookie stays a session cookie.
        jar.store(&a, "d=1; Expires=yesterday", t0());
        assert!(jar.header_for(&a, t0()).unwrap().contains("d=1"));
    }

    #[test]
    fn ignores_invalid_set_cookie() {
        let mut jar = CookieJar::default();
        let a = url("https://h.example/");
        jar.store(&a, "no-equals-sign", t0());
        jar.store(&a, "=value", t0());
        jar.store(&a, "x=1; Domain=evil.example", t0());
        jar.store(&a, "y=1; Max-Age=soon", t0());
        jar.store(&a, "z=1; Domain=.H.example", t0());
        assert_eq!(jar.header_for(&a, t0()).as_deref(), Some("y=1; z=1"));
        assert_eq!(jar.len(), 2);
    }

    #[test]
    fn secure_cookies_only_over_https() {
        let mut jar = CookieJar::default();
        jar.store(&url("https://h/"), "s=1; Secure", t0());
        assert_eq!(
            jar.header_for(&url("https://h/"), t0()).as_deref(),
            Some("s=1")
        );
        assert_eq!(jar.header_for(&url("http://h/"), t0()), None);
    }

    #[test]
    fn bounded_per_host() {
        let mut jar = CookieJar::default();
        let a = url("https://h/");
        for i in 0..60 {
            jar.store(&a, &format!("c{i}=v"), t0());
        }
        assert_eq!(jar.len(), MAX_COOKIES_PER_HOST);
        let header = jar.header_for(&a, t0()).unwrap();
        assert!(!header.contains("c9=") && header.starts_with("c10=v"));
        jar.store(&a, &format!("big={}", "x".repeat(MAX_COOKIE_BYTES)), t0());
        assert!(!jar.header_for(&a, t0()).unwrap().contains("big="));
    }

    #[test]
    fn domain_match_rules() {
        assert!(domain_match("a.example.com", "example.com"));
        assert!(domain_match("example.com", "example.com"));
        assert!(!domain_match("badexample.com", "example.com"));
        assert!(!domain_match("10.0.0.1", "0.0.1"));
    }
}
