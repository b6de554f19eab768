//! Checks of individual parameter values shared by several resources.

use switchyard_types::{app_reference, is_app_name, APP_NAME_MAX};

use crate::params::Params;
use crate::Error;

/// Twilio's FriendlyName limit ("up to 64 characters long").
pub const FRIENDLY_NAME_MAX: usize = 64;

/// Whether `s` is E.164: `+` then 2 to 15 digits, no leading zero.
///
/// ITU-T E.164 §6.1: a number has at most 15 digits, and its country code never starts
/// with 0, so the first digit after `+` is 1–9.
pub fn is_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&digits.len())
        && digits.bytes().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0')
}

/// A `client:` identifier: letters, digits and `_.-`, 1 to 121 characters.
fn is_client(s: &str) -> bool {
    s.strip_prefix("client:").is_some_and(|id| {
        (1..=121).contains(&id.len())
            && id
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
    })
}

/// A `sip:` URI with a user and a host and no whitespace.
fn is_sip(s: &str) -> bool {
    s.strip_prefix("sip:").is_some_and(|rest| {
        let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
        !host.is_empty()
            && rest.len() <= 255
            && !rest
                .bytes()
                .any(|c| c.is_ascii_whitespace() || c.is_ascii_control())
    })
}

/// A call's `To`: E.164, `sip:` or `client:`.
pub fn to(value: Option<&str>) -> Result<String, Error> {
    let v = value.filter(|v| !v.is_empty()).ok_or(Error::MissingTo)?;
    if is_e164(v) || is_sip(v) || is_client(v) {
        Ok(v.to_owned())
    } else {
        Err(Error::InvalidTo(v.to_owned()))
    }
}

/// A call's `From`: E.164 or `client:`.
pub fn from(value: Option<&str>) -> Result<String, Error> {
    let v = value.filter(|v| !v.is_empty()).ok_or(Error::MissingFrom)?;
    if is_e164(v) || is_client(v) {
        Ok(v.to_owned())
    } else {
        Err(Error::InvalidFrom(v.to_owned()))
    }
}

/// Parameters that name what answers a call: a webhook, or a tenant Wasm app as
/// `app:NAME` (so either can be the other's fallback).
const HANDLERS: &[&str] = &["Url", "FallbackUrl", "VoiceUrl", "VoiceFallbackUrl"];

/// `app:NAME` or `app:NAME/path`: a Wasm app of the account (a name of letters, digits,
/// '-' and '_', at most 64; the path is what the app sees as its request path).
fn is_app(value: &str) -> bool {
    value.strip_prefix("app:").is_some_and(|rest| {
        let (name, path) = rest.split_once('/').unwrap_or((rest, ""));
        is_app_name(name) && path.chars().all(|c| c.is_ascii_graphic())
    })
}

/// A transcoder parameter (`VoiceTranscoder`): exactly `app:NAME`, a tenant Wasm app
/// (whether it exists and is a transcoder is checked when a call uses it, as for
/// `app:` handlers). Returns the app's name.
pub fn transcoder(param: &'static str, value: &str) -> Result<String, Error> {
    app_reference(value).map(str::to_owned).ok_or_else(|| {
        Error::param(
            param,
            format!(
                "{value:?} is not app:NAME (a transcoder app's name: 1-{APP_NAME_MAX} letters, digits, '-', '_')"
            ),
        )
    })
}

/// An absolute `http`/`https` URL with a host (or `app:NAME` where a call handler goes).
pub fn url(param: &'static str, value: &str) -> Result<String, Error> {
    let bad = || Error::InvalidUrl {
        param,
        value: value.to_owned(),
    };
    if HANDLERS.contains(&param) && is_app(value) {
        return Ok(value.to_owned());
    }
    let parsed = url::Url::parse(value).map_err(|_| bad())?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad());
    }
    Ok(value.to_owned())
}

/// An optional URL parameter: absent or empty is `None` (Twilio clears a URL given as "").
pub fn opt_url(params: &Params, name: &'static str) -> Result<Option<String>, Error> {
    params.non_empty(name).map(|v| url(name, v)).transpose()
}

/// A URL parameter that, when sent, must be a URL (no "" to clear: nothing to clear).
pub fn strict_url(params: &Params, name: &'static str) -> Result<Option<String>, Error> {
    params.get(name).map(|v| url(name, v)).transpose()
}

/// An HTTP method parameter: `GET` or `POST` (any case), `default` when absent.
pub fn method(params: &Params, name: &'static str, default: &str) -> Result<String, Error> {
    match params.get(name) {
        None => Ok(default.to_owned()),
        Some(m) if m.eq_ignore_ascii_case("GET") => Ok("GET".to_owned()),
        Some(m) if m.eq_ignore_ascii_case("POST") => Ok("POST".to_owned()),
        Some(m) => Err(Error::param(name, format!("{m:?} is not GET or POST"))),
    }
}

/// Apply an optional URL parameter to a stored field: absent keeps it, empty clears it.
pub fn set_url(
    params: &Params,
    name: &'static str,
    field: &mut Option<String>,
) -> Result<(), Error> {
    if params.has(name) {
        *field = opt_url(params, name)?;
    }
    Ok(())
}

/// Apply a method parameter to a stored field: absent (or empty) keeps it.
pub fn set_method(params: &Params, name: &'static str, field: &mut String) -> Result<(), Error> {
    *field = method(params, name, field)?;
    Ok(())
}

/// A FriendlyName: at most 64 characters.
pub fn friendly_name(value: &str) -> Result<String, Error> {
    if value.chars().count() > FRIENDLY_NAME_MAX {
        return Err(Error::param(
            "FriendlyName",
            format!("longer than {FRIENDLY_NAME_MAX} characters"),
        ));
    }
    Ok(value.to_owned())
}

/// The events of a repeatable, space-separable event list (`StatusCallbackEvent`,
/// `RecordingStatusCallbackEvent`): the helper libraries repeat the parameter, curl users
/// and Twilio's own examples space-separate. Each must be one of `allowed`.
pub fn events(params: &Params, name: &'static str, allowed: &[&str]) -> Result<Vec<String>, Error> {
    let mut events = Vec::new();
    for event in params.all(name).iter().flat_map(|v| v.split_whitespace()) {
        if !allowed.contains(&event) {
            return Err(Error::param(
                name,
                format!("{event:?} is not one of {}", allowed.join(", ")),
            ));
        }
        events.push(event.to_owned());
    }
    Ok(events)
}

/// A SID path or body parameter of type `T`.
pub fn sid<T: std::str::FromStr>(name: &'static str, value: &str) -> Result<T, Error>
where
    T::Err: std::fmt::Display,
{
    value
        .parse()
        .map_err(|e: T::Err| Error::param(name, format!("{value:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e164() {
        assert!(is_e164("+15550001111"));
        assert!(!is_e164("15550001111"));
        assert!(!is_e164("+05550001111"));
        assert!(!is_e164("+1555000111122223"));
        assert!(!is_e164("+1555-0001"));
    }

    #[test]
    fn call_endpoints() {
        assert_eq!(
            to(Some("sip:alice@example.com")).unwrap(),
            "sip:alice@example.com"
        );
        assert_eq!(to(Some("client:bob")).unwrap(), "client:bob");
        assert!(matches!(to(None), Err(Error::MissingTo)));
        assert!(matches!(to(Some("bob")), Err(Error::InvalidTo(_))));
        assert!(matches!(from(Some("")), Err(Error::MissingFrom)));
        assert!(matches!(from(Some("sip:a@b")), Err(Error::InvalidFrom(_))));
    }

    #[test]
    fn urls_and_methods() {
        assert!(url("Url", "https://example.com/voice").is_ok());
        for bad in ["ftp://example.com/", "example.com/voice", "http://", ""] {
            assert!(
                matches!(url("Url", bad), Err(Error::InvalidUrl { param: "Url", .. })),
                "{bad}"
            );
        }
        // A Wasm app answers calls, so it may stand where a call's handler goes, not
        // where a status callback is posted.
        assert!(url("VoiceUrl", "app:ivr").is_ok());
        assert!(url("FallbackUrl", "app:echo_2").is_ok());
        assert!(url("StatusCallback", "app:ivr").is_err());
        assert!(url("VoiceUrl", "app:").is_err());
        assert!(url("VoiceUrl", "app:bad name").is_err());
        assert!(url("VoiceUrl", "app:ivr/menu?x=1").is_ok());
        assert!(url("VoiceUrl", &format!("app:{}", "a".repeat(65))).is_err());
        let p = Params::parse(b"Method=get&FallbackMethod=PUT&VoiceMethod=").unwrap();
        assert_eq!(method(&p, "Method", "POST").unwrap(), "GET");
        assert_eq!(method(&p, "StatusCallbackMethod", "POST").unwrap(), "POST");
        assert!(method(&p, "VoiceMethod", "POST").is_err());
        let e = method(&p, "FallbackMethod", "POST").unwrap_err();
        assert!(e.to_string().starts_with("FallbackMethod:"));
    }

    #[test]
    fn a_transcoder_is_exactly_app_colon_name() {
        assert_eq!(transcoder("VoiceTranscoder", "app:agc").unwrap(), "agc");
        for bad in [
            "agc",
            "app:",
            "app:agc/x",
            "app:bad name",
            "https://x.example/t",
        ] {
            let e = transcoder("VoiceTranscoder", bad).unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::InvalidParameter {
                        name: "VoiceTranscoder",
                        ..
                    }
                ),
                "{bad}: {e:?}"
            );
        }
    }
}
