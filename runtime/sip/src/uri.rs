//! SIP, SIPS and tel URIs (RFC 3261 §19.1, RFC 3966).

use std::fmt;

use crate::Error;

/// A parsed `sip:`, `sips:` or `tel:` URI. Escaped octets in the user part,
/// parameters and headers are decoded (RFC 3261 §19.1.4 compares URIs after
/// unescaping, so `sip:%75ser@h` is `sip:user@h`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipUri {
    /// Lower-case scheme: `sip`, `sips` or `tel`.
    pub scheme: String,
    /// The user part (for `tel:` URIs the telephone number), unescaped.
    pub user: Option<String>,
    /// Host name or IP address (IPv6 in brackets); empty for `tel:`.
    pub host: String,
    /// Explicit port.
    pub port: Option<u16>,
    /// `;name[=value]` URI parameters, unescaped.
    pub params: Vec<(String, Option<String>)>,
    /// `?name=value` headers, unescaped.
    pub headers: Vec<(String, String)>,
}

impl SipUri {
    /// The value of a URI parameter (case-insensitive name).
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_deref())
    }
}

impl fmt::Display for SipUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.scheme)?;
        if self.scheme == "tel" {
            f.write_str(&escape(self.user.as_deref().unwrap_or(""), USER_SAFE))?;
        } else {
            if let Some(user) = &self.user {
                write!(f, "{}@", escape(user, USER_SAFE))?;
            }
            f.write_str(&self.host)?;
            if let Some(port) = self.port {
                write!(f, ":{port}")?;
            }
        }
        for (name, value) in &self.params {
            write!(f, ";{}", escape(name, PARAM_SAFE))?;
            if let Some(v) = value {
                write!(f, "={}", escape(v, PARAM_SAFE))?;
            }
        }
        for (i, (name, value)) in self.headers.iter().enumerate() {
            let sep = if i == 0 { '?' } else { '&' };
            write!(
                f,
                "{sep}{}={}",
                escape(name, HEADER_SAFE),
                escape(value, HEADER_SAFE)
            )?;
        }
        Ok(())
    }
}

/// RFC 3261 §25.1 mark characters.
const MARK: &str = "-_.!~*'()";
/// user-unreserved = "&" / "=" / "+" / "$" / "," / ";" / "?" / "/"
const USER_SAFE: &str = "-_.!~*'()&=+$,;?/";
/// password characters beyond unreserved.
const PASSWORD_SAFE: &str = "-_.!~*'()&=+$,";
/// param-unreserved = "[" / "]" / "/" / ":" / "&" / "+" / "$"
const PARAM_SAFE: &str = "-_.!~*'()[]/:&+$";
/// hnv-unreserved = "[" / "]" / "/" / "?" / ":" / "+" / "$"
const HEADER_SAFE: &str = "-_.!~*'()[]/?:+$";

fn escape(s: &str, safe: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || (b.is_ascii() && safe.contains(b as char)) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Checks that `s` only holds unreserved characters, `extra`, and valid
/// `%HH` escapes, then decodes it.
fn unescape(s: &str, extra: &str) -> Result<String, Error> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or(Error::InvalidUri("bad escape"))?;
            out.push(hex);
            i += 3;
        } else if b.is_ascii_alphanumeric()
            || (b.is_ascii() && (MARK.contains(b as char) || extra.contains(b as char)))
        {
            out.push(b);
            i += 1;
        } else {
            return Err(Error::InvalidUri("illegal character"));
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn parse_host(s: &str) -> Result<(String, Option<u16>), Error> {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let end = rest
            .find(']')
            .ok_or(Error::InvalidUri("unterminated IPv6 reference"))?;
        let addr = &rest[..end];
        if addr.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(Error::InvalidUri("bad IPv6 reference"));
        }
        (&s[..end + 2], &rest[end + 1..])
    } else {
        match s.find(':') {
            Some(i) => (&s[..i], &s[i..]),
            None => (s, ""),
        }
    };
    if host.is_empty() {
        return Err(Error::InvalidUri("empty host"));
    }
    // RFC 3261 §25.1: hostname = *( domainlabel "." ) toplabel [ "." ],
    // labels of alphanum and "-"; IPv4 addresses fit the same characters.
    if !host.starts_with('[')
        && !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        return Err(Error::InvalidUri("illegal character in host"));
    }
    let port = match port.strip_prefix(':') {
        None if port.is_empty() => None,
        None => return Err(Error::InvalidUri("junk after host")),
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => Some(
            p.parse()
                .map_err(|_| Error::InvalidUri("port out of range"))?,
        ),
        Some(_) => return Err(Error::InvalidUri("bad port")),
    };
    Ok((host.to_string(), port))
}

fn parse_uri_params(s: &str) -> Result<Vec<(String, Option<String>)>, Error> {
    let mut params = Vec::new();
    for part in s.split(';') {
        if part.is_empty() {
            return Err(Error::InvalidUri("empty parameter"));
        }
        let (name, value) = match part.split_once('=') {
            Some((n, v)) => (n, Some(unescape(v, PARAM_SAFE)?)),
            None => (part, None),
        };
        if name.is_empty() {
            return Err(Error::InvalidUri("empty parameter name"));
        }
        params.push((unescape(name, PARAM_SAFE)?, value));
    }
    Ok(params)
}

fn parse_uri_headers(s: &str) -> Result<Vec<(String, String)>, Error> {
    s.split('&')
        .map(|h| {
            let (n, v) = h
                .split_once('=')
                .ok_or(Error::InvalidUri("header without '='"))?;
            if n.is_empty() {
                return Err(Error::InvalidUri("empty header name"));
            }
            Ok((unescape(n, HEADER_SAFE)?, unescape(v, HEADER_SAFE)?))
        })
        .collect()
}

/// Returns the scheme of an absolute URI (`scheme ":" ...`), or `None` if
/// `s` does not start with one. RFC 3261 §25.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
pub(crate) fn scheme_of(s: &str) -> Option<&str> {
    let colon = s.find(':')?;
    let scheme = &s[..colon];
    let mut chars = scheme.chars();
    let first = chars.next()?;
    if first.is_ascii_alphabetic() && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    {
        Some(scheme)
    } else {
        None
    }
}

/// Checks any URI: SIP/SIPS/tel URIs must parse fully; other schemes only
/// need a scheme and no white space or angle brackets.
pub(crate) fn check_any_uri(s: &str) -> Result<(), Error> {
    let scheme = scheme_of(s).ok_or(Error::InvalidUri("no scheme"))?;
    if ["sip", "sips", "tel"]
        .iter()
        .any(|k| scheme.eq_ignore_ascii_case(k))
    {
        parse_uri(s).map(|_| ())
    } else if s.len() == scheme.len() + 1
        || s.chars()
            .any(|c| c.is_whitespace() || c == '<' || c == '>' || c == '"')
    {
        Err(Error::InvalidUri("malformed absolute URI"))
    } else {
        Ok(())
    }
}

/// Parses a `sip:`, `sips:` or `tel:` URI.
pub fn parse_uri(s: &str) -> Result<SipUri, Error> {
    let scheme = scheme_of(s).ok_or(Error::InvalidUri("no scheme"))?;
    let scheme_lc = scheme.to_ascii_lowercase();
    let rest = &s[scheme.len() + 1..];
    if scheme_lc == "tel" {
        // RFC 3966: telephone-subscriber followed by ;parameters.
        let (number, params) = match rest.split_once(';') {
            Some((n, p)) => (n, parse_uri_params(p)?),
            None => (rest, Vec::new()),
        };
        if number.is_empty() {
            return Err(Error::InvalidUri("empty telephone number"));
        }
        return Ok(SipUri {
            scheme: scheme_lc,
            user: Some(unescape(number, "+-.()*#")?),
            host: String::new(),
            port: None,
            params,
            headers: Vec::new(),
        });
    }
    if scheme_lc != "sip" && scheme_lc != "sips" {
        return Err(Error::UnsupportedUriScheme(scheme.to_string()));
    }
    // The userinfo never holds an unescaped '@' (RFC 3261 §25.1 user and
    // password exclude it), so the first '@' ends it even when the user part
    // holds '?' or ';' (RFC 4475 §3.1.1.9 semiuri, §3.1.1.3 intmeth).
    let (user, hostpart) = match rest.find('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            let user = match userinfo.split_once(':') {
                Some((u, p)) => {
                    unescape(p, PASSWORD_SAFE)?;
                    u
                }
                None => userinfo,
            };
            if user.is_empty() {
                return Err(Error::InvalidUri("empty user"));
            }
            (Some(unescape(user, USER_SAFE)?), &rest[at + 1..])
        }
        None => (None, rest),
    };
    let (before_headers, headers) = match hostpart.split_once('?') {
        Some((b, h)) => (b, parse_uri_headers(h)?),
        None => (hostpart, Vec::new()),
    };
    let (hostport, params) = match before_headers.split_once(';') {
        Some((h, p)) => (h, parse_uri_params(p)?),
        None => (before_headers, Vec::new()),
    };
    let (host, port) = parse_host(hostport)?;
    Ok(SipUri {
        scheme: scheme_lc,
        user,
        host,
        port,
        params,
        headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_escaped_user_and_params() {
        let u = parse_uri("sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31").unwrap();
        assert_eq!(u.user.as_deref(), Some("caller"));
        assert_eq!(u.params[0], ("lr".into(), None));
        assert_eq!(u.params[1], ("name".into(), Some("value%41".into())));
        assert_eq!(u.param("LR"), Some(None));
    }

    #[test]
    fn user_part_may_hold_semicolons() {
        let u = parse_uri("sip:user;par=u%40example.net@example.com").unwrap();
        assert_eq!(u.user.as_deref(), Some("user;par=u@example.net"));
        assert_eq!(u.host, "example.com");
    }

    #[test]
    fn phone_numbers_ports_and_headers() {
        let u = parse_uri("sip:+15550001111@10.0.0.1:5070;user=phone?Subject=hi%20there").unwrap();
        assert_eq!(u.user.as_deref(), Some("+15550001111"));
        assert_eq!(u.port, Some(5070));
        assert_eq!(u.headers, vec![("Subject".into(), "hi there".into())]);
        assert_eq!(
            u.to_string(),
            "sip:+15550001111@10.0.0.1:5070;user=phone?Subject=hi%20there"
        );
        let t = parse_uri("tel:+15550001111;phone-context=x").unwrap();
        assert_eq!(t.user.as_deref(), Some("+15550001111"));
        let v6 = parse_uri("sips:[2001:db8::1]:5061").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("[2001:db8::1]", Some(5061)));
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_uri("sip:").is_err());
        assert!(parse_uri("sip:a@b:99999").is_err());
        assert!(parse_uri("sip:a b@c").is_err());
        assert!(parse_uri("sip:a@%zz").is_err());
        assert!(parse_uri("sip:a@b;;").is_err());
        assert_eq!(
            parse_uri("http://x"),
            Err(Error::UnsupportedUriScheme("http".into()))
        );
        assert!(check_any_uri("soap.beep://192.0.2.103:3002").is_ok());
        assert!(check_any_uri("<sip:a@b>").is_err());
    }
}
