//! The metadata stored next to each cached sound, and HTTP freshness rules.
//!
//! Stored as `key=value` lines so an operator can read them with `cat`.

use reqwest::header::{HeaderMap, AGE, CACHE_CONTROL, CONTENT_TYPE, ETAG, EXPIRES, LAST_MODIFIED};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Version of the entry format, written first in every metadata file. Version 1
/// held 8 kHz samples; version 2 holds [`MEDIA_RATE`](crate::MEDIA_RATE) samples. An
/// entry of another version is not read (it is fetched or synthesised again).
const FORMAT_VERSION: &str = "2";

/// Where a cached sound came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Fetched over HTTP: may go stale and need revalidation.
    Url,
    /// Synthesised speech: the key is the content, it never changes.
    Speech,
    /// Audio answered inline by a webhook, keyed by its own hash: never changes.
    Bytes,
}

impl Origin {
    fn as_str(self) -> &'static str {
        match self {
            Origin::Url => "url",
            Origin::Speech => "speech",
            Origin::Bytes => "bytes",
        }
    }
}

/// Metadata of one cached sound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Meta {
    pub origin: Origin,
    pub content_type: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Until when the copy may be used without asking the server; `None` means it
    /// must be revalidated every time (no freshness information, or `no-cache`).
    pub fresh_until: Option<SystemTime>,
    /// Number of 8 kHz samples in the `.pcm` file.
    pub samples: u64,
    /// Written `false` before the `.pcm` file is replaced and `true` after, so an
    /// entry interrupted by a crash is recognisable.
    pub complete: bool,
}

impl Meta {
    /// Metadata for content-addressed sounds (speech, inline bytes).
    pub(crate) fn immutable(origin: Origin, content_type: Option<String>) -> Self {
        Meta {
            origin,
            content_type,
            etag: None,
            last_modified: None,
            fresh_until: None,
            samples: 0,
            complete: false,
        }
    }

    /// Whether the stored copy can be served without contacting the origin.
    pub(crate) fn is_fresh(&self, now: SystemTime) -> bool {
        match self.origin {
            Origin::Speech | Origin::Bytes => true,
            Origin::Url => self.fresh_until.is_some_and(|t| now < t),
        }
    }

    pub(crate) fn to_text(&self) -> String {
        let mut out = format!(
            "version={FORMAT_VERSION}\norigin={}\n",
            self.origin.as_str()
        );
        let mut line = |k: &str, v: &str| {
            // Header values cannot contain line breaks; drop any that sneak in
            // rather than corrupt the file.
            let v: String = v.chars().filter(|c| *c != '\n' && *c != '\r').collect();
            out.push_str(&format!("{k}={v}\n"));
        };
        if let Some(v) = &self.content_type {
            line("content_type", v);
        }
        if let Some(v) = &self.etag {
            line("etag", v);
        }
        if let Some(v) = &self.last_modified {
            line("last_modified", v);
        }
        if let Some(t) = self.fresh_until {
            let secs = t
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            line("fresh_until", &secs.to_string());
        }
        line("samples", &self.samples.to_string());
        line("complete", if self.complete { "1" } else { "0" });
        out
    }

    /// Parses a metadata file; `None` for anything unreadable (the entry is then
    /// simply fetched again).
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let mut meta = Meta::immutable(Origin::Url, None);
        let mut origin = None;
        let mut samples = None;
        for line in text.lines() {
            let (k, v) = line.split_once('=')?;
            match k {
                "version" if v != FORMAT_VERSION => return None,
                "origin" => {
                    origin = Some(match v {
                        "url" => Origin::Url,
                        "speech" => Origin::Speech,
                        "bytes" => Origin::Bytes,
                        _ => return None,
                    })
                }
                "content_type" => meta.content_type = Some(v.to_owned()),
                "etag" => meta.etag = Some(v.to_owned()),
                "last_modified" => meta.last_modified = Some(v.to_owned()),
                "fresh_until" => {
                    meta.fresh_until = Some(UNIX_EPOCH + Duration::from_secs(v.parse().ok()?))
                }
                "samples" => samples = Some(v.parse().ok()?),
                "complete" => meta.complete = v == "1",
                _ => {}
            }
        }
        meta.origin = origin?;
        meta.samples = samples?;
        Some(meta)
    }

    /// Metadata of an HTTP response received at `now`.
    pub(crate) fn from_response(headers: &HeaderMap, now: SystemTime) -> (Self, CachePolicy) {
        let text = |name| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let policy = CachePolicy::from_headers(headers);
        let meta = Meta {
            origin: Origin::Url,
            content_type: text(CONTENT_TYPE),
            etag: text(ETAG),
            last_modified: text(LAST_MODIFIED),
            fresh_until: freshness_deadline(headers, &policy, now),
            samples: 0,
            complete: false,
        };
        (meta, policy)
    }

    /// Applies the headers of a `304 Not Modified` received at `now`.
    ///
    /// RFC 9111 §4.3.4: "the cache MUST use other header fields provided in the 304
    /// (Not Modified) response to replace all instances of the corresponding header
    /// fields in the stored response."
    pub(crate) fn refresh(&mut self, headers: &HeaderMap, now: SystemTime) -> CachePolicy {
        let policy = CachePolicy::from_headers(headers);
        let text = |name| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        if let Some(etag) = text(ETAG) {
            self.etag = Some(etag);
        }
        if let Some(lm) = text(LAST_MODIFIED) {
            self.last_modified = Some(lm);
        }
        self.fresh_until = freshness_deadline(headers, &policy, now);
        policy
    }
}

/// The `Cache-Control` directives the media cache acts on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CachePolicy {
    pub no_store: bool,
    pub no_cache: bool,
    pub max_age: Option<u64>,
}

impl CachePolicy {
    fn from_headers(headers: &HeaderMap) -> Self {
        let mut policy = CachePolicy::default();
        for value in headers.get_all(CACHE_CONTROL) {
            let Ok(value) = value.to_str() else { continue };
            for directive in value.split(',') {
                let (name, arg) = match directive.split_once('=') {
                    Some((n, a)) => (n, Some(a.trim().trim_matches('"'))),
                    None => (directive, None),
                };
                match name.trim().to_ascii_lowercase().as_str() {
                    "no-store" => policy.no_store = true,
                    // `no-cache` and `must-revalidate` both make us ask every time;
                    // `must-revalidate` only matters once stale, where we ask anyway.
                    "no-cache" => policy.no_cache = true,
                    "max-age" => {
                        // RFC 9111 §1.2.2: a delta-seconds value too large to
                        // represent is to be taken as the largest integer we have.
                        policy.max_age = arg.and_then(|a| {
                            a.parse::<u64>().ok().or_else(|| {
                                a.bytes().all(|b| b.is_ascii_digit()).then_some(u64::MAX)
                            })
                        })
                    }
                    _ => {}
                }
            }
        }
        policy
    }
}

/// When a response received at `now` stops being fresh, or `None` if it must be
/// revalidated before every use.
fn freshness_deadline(
    headers: &HeaderMap,
    policy: &CachePolicy,
    now: SystemTime,
) -> Option<SystemTime> {
    if policy.no_cache {
        return None;
    }
    // RFC 9111 §4.2.3: the age of a response includes the Age header sent by caches
    // on the way.
    let age = headers
        .get(AGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    if let Some(max_age) = policy.max_age {
        // RFC 9111 §5.3: "If a response includes a Cache-Control header field with the
        // max-age directive (Section 5.2.2.1), a recipient MUST ignore the Expires
        // header field."
        let lifetime = Duration::from_secs(max_age.saturating_sub(age).min(u64::from(u32::MAX)));
        return now.checked_add(lifetime);
    }
    let expires = headers.get(EXPIRES)?;
    // RFC 9111 §5.3: "A cache recipient MUST interpret invalid date formats,
    // especially the value "0", as representing a time in the past (i.e., "already
    // expired")."
    let expires = expires
        .to_str()
        .ok()
        .and_then(|v| httpdate::parse_http_date(v).ok())
        .unwrap_or(UNIX_EPOCH);
    // Lifetime is measured against the server's Date when there is one, so clock
    // skew between us and the server does not matter (RFC 9111 §4.2.1).
    let date = headers
        .get(reqwest::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
        .unwrap_or(now);
    let lifetime = expires.duration_since(date).ok()?;
    now.checked_add(lifetime.saturating_sub(Duration::from_secs(age)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderValue, DATE};

    fn headers(pairs: &[(reqwest::header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn max_age_wins_over_expires_and_counts_age() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let h = headers(&[
            (CACHE_CONTROL, "public, max-age=600"),
            (AGE, "100"),
            (EXPIRES, "Thu, 01 Jan 1970 00:00:00 GMT"),
        ]);
        let (meta, policy) = Meta::from_response(&h, now);
        assert_eq!(policy.max_age, Some(600));
        assert_eq!(meta.fresh_until, Some(now + Duration::from_secs(500)));
        assert!(meta.is_fresh(now + Duration::from_secs(499)));
        assert!(!meta.is_fresh(now + Duration::from_secs(500)));
    }

    #[test]
    fn expires_is_relative_to_the_server_date() {
        let now = UNIX_EPOCH + Duration::from_secs(5_000_000);
        let h = headers(&[
            (DATE, "Sun, 06 Nov 1994 08:49:37 GMT"),
            (EXPIRES, "Sun, 06 Nov 1994 08:50:37 GMT"),
        ]);
        let (meta, _) = Meta::from_response(&h, now);
        assert_eq!(meta.fresh_until, Some(now + Duration::from_secs(60)));
    }

    #[test]
    fn invalid_expires_and_no_cache_mean_stale() {
        let now = UNIX_EPOCH + Duration::from_secs(10);
        let (meta, _) = Meta::from_response(&headers(&[(EXPIRES, "0")]), now);
        assert!(!meta.is_fresh(now));
        let (meta, policy) =
            Meta::from_response(&headers(&[(CACHE_CONTROL, "no-cache, max-age=60")]), now);
        assert!(policy.no_cache);
        assert_eq!(meta.fresh_until, None);
        let (_, policy) = Meta::from_response(&headers(&[(CACHE_CONTROL, "No-Store")]), now);
        assert!(policy.no_store);
    }

    #[test]
    fn text_round_trip() {
        let meta = Meta {
            origin: Origin::Url,
            content_type: Some("audio/mpeg".into()),
            etag: Some("\"abc=1\"".into()),
            last_modified: Some("Sun, 06 Nov 1994 08:49:37 GMT".into()),
            fresh_until: Some(UNIX_EPOCH + Duration::from_secs(42)),
            samples: 8000,
            complete: true,
        };
        assert_eq!(Meta::parse(&meta.to_text()), Some(meta));
        // Entries of version 1 hold 8 kHz samples: never read them as 16 kHz.
        assert_eq!(Meta::parse("version=1\norigin=url\nsamples=1\n"), None);
        assert_eq!(Meta::parse("version=3\norigin=url\nsamples=1\n"), None);
        assert_eq!(Meta::parse("garbage"), None);
    }

    #[test]
    fn content_addressed_entries_are_always_fresh() {
        let meta = Meta::immutable(Origin::Speech, None);
        assert!(meta.is_fresh(SystemTime::now()));
    }
}
