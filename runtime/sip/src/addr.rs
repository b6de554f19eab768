//! name-addr / addr-spec values: From, To, Contact, Route, Record-Route.

use std::fmt;

use crate::syntax::{find_param, is_token_char, is_ws, parse_params, take_quoted, write_params};
use crate::uri::check_any_uri;
use crate::Error;

/// `[display-name] <uri> *(;param)` or `uri *(;param)` (RFC 3261 §20.10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr {
    /// Display name, unquoted.
    pub display: Option<String>,
    /// The URI, as written (escapes kept).
    pub uri: String,
    /// Header parameters (`tag`, `expires`, …); quoted values keep quotes.
    pub params: Vec<(String, Option<String>)>,
}

impl NameAddr {
    /// A bare `<uri>` with no display name or parameters.
    pub fn new(uri: impl Into<String>) -> Self {
        NameAddr {
            display: None,
            uri: uri.into(),
            params: Vec::new(),
        }
    }

    /// The `tag` parameter (RFC 3261 §19.3).
    pub fn tag(&self) -> Option<&str> {
        find_param(&self.params, "tag").and_then(|v| v.as_deref())
    }

    /// A header parameter's value: `None` if absent, `Some(None)` if valueless.
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        find_param(&self.params, name).map(|v| v.as_deref())
    }

    /// Parses a From/To/Contact/Route value. `header` names the header in
    /// the error.
    pub fn parse(header: &'static str, value: &str) -> Result<NameAddr, Error> {
        let err = |reason| Error::InvalidNameAddr { header, reason };
        let s = value.trim_matches(is_ws);
        if s.is_empty() {
            return Err(err("empty value"));
        }
        let (display, rest) = if s.starts_with('"') {
            // RFC 3261 §25.1: display-name = *(token LWS) / quoted-string
            let (name, rest) = take_quoted(s).ok_or(err("unterminated quoted string"))?;
            let rest = rest.trim_start_matches(is_ws);
            if !rest.starts_with('<') {
                return Err(err("quoted display name without <uri>"));
            }
            (Some(name), rest)
        } else if let Some(lt) = s.find('<') {
            let name = s[..lt].trim_matches(is_ws);
            // Unquoted display names are tokens separated by white space; a
            // comma or other separator must be quoted (RFC 4475 §3.1.2.15).
            if !name.chars().all(|c| is_token_char(c) || is_ws(c)) {
                return Err(err("display name must be quoted"));
            }
            let display =
                (!name.is_empty()).then(|| name.split_whitespace().collect::<Vec<_>>().join(" "));
            (display, &s[lt..])
        } else {
            (None, s)
        };
        let (uri, after) = if let Some(inner) = rest.strip_prefix('<') {
            let gt = inner.find('>').ok_or(err("missing '>'"))?;
            let uri = &inner[..gt];
            // RFC 3261 §25.1 name-addr = [ display-name ] LAQUOT addr-spec
            // RAQUOT: no white space is allowed inside the brackets
            // (RFC 4475 §3.1.2.14).
            if uri.chars().any(char::is_whitespace) {
                return Err(err("white space inside <>"));
            }
            (uri, &inner[gt + 1..])
        } else {
            let end = rest
                .find(|c: char| c == ';' || is_ws(c))
                .unwrap_or(rest.len());
            let uri = &rest[..end];
            // RFC 3261 §20.10: "If the URI contains a comma, question mark or
            // semicolon, the URI MUST be enclosed in angle brackets".
            if uri.contains(['?', ',']) {
                return Err(err("URI with '?' or ',' must be in <>"));
            }
            (uri, &rest[end..])
        };
        if uri != "*" {
            check_any_uri(uri).map_err(|_| err("invalid URI"))?;
        }
        let params = parse_params(after).ok_or(err("malformed parameters"))?;
        Ok(NameAddr {
            display,
            uri: uri.to_string(),
            params,
        })
    }
}

impl fmt::Display for NameAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        if let Some(d) = &self.display {
            out.push('"');
            for c in d.chars() {
                if c == '"' || c == '\\' {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push_str("\" ");
        }
        out.push('<');
        out.push_str(&self.uri);
        out.push('>');
        write_params(&mut out, &self.params);
        f.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_to_with_spaces_around_params() {
        let a = NameAddr::parse(
            "To",
            "sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n",
        )
        .unwrap();
        assert_eq!(a.uri, "sip:vivekg@chair-dnrc.example.com");
        assert_eq!(a.tag(), Some("1918181833n"));
    }

    #[test]
    fn quoted_display_with_escapes() {
        let a = NameAddr::parse(
            "From",
            r#""J Rosenberg \\\""       <sip:jdrosen@example.com> ; tag = 98asjd8"#,
        )
        .unwrap();
        assert_eq!(a.display.as_deref(), Some(r#"J Rosenberg \""#));
        assert_eq!(a.tag(), Some("98asjd8"));
        let printed = a.to_string();
        assert_eq!(NameAddr::parse("From", &printed).unwrap(), a);
    }

    #[test]
    fn token_display_names() {
        let a = NameAddr::parse("From", "caller<sip:caller@example.com>;tag=323").unwrap();
        assert_eq!(a.display.as_deref(), Some("caller"));
        assert!(NameAddr::parse("From", "Bell, Alexander <sip:a@b>").is_err());
    }

    #[test]
    fn invalid_forms() {
        assert!(NameAddr::parse("To", "\"Mr. J. User <sip:j.user@example.com>").is_err());
        assert!(NameAddr::parse("To", "\"W\" < sip:t@example.org >").is_err());
        assert!(NameAddr::parse("Contact", "sip:user@example.com?Route=%3Csip:x%3E").is_err());
        assert!(NameAddr::parse("Contact", "\"Joe\" <sip:joe@example.org>;;;;").is_err());
        let ok = NameAddr::parse("Contact", "<sip:user@example.com?Route=%3Csip:x%3E>").unwrap();
        assert_eq!(ok.uri, "sip:user@example.com?Route=%3Csip:x%3E");
        let unbracketed =
            NameAddr::parse("Contact", "sip:+1972@gw1.example.net;unknownparam").unwrap();
        assert_eq!(unbracketed.param("unknownparam"), Some(None));
        assert!(NameAddr::parse("To", "isbn:2983792873").is_ok());
    }
}
