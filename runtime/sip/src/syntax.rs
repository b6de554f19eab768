//! Character classes and small lexing helpers from the RFC 3261 §25 grammar.

/// RFC 3261 §25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" )
pub(crate) fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c)
}

/// True when `s` is a non-empty `token`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_token_char)
}

/// Linear white space (after unfolding, only SP and HTAB remain).
pub(crate) fn is_ws(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Splits a header value at commas that are not inside a quoted string or
/// angle brackets. Returns the trimmed pieces, empty ones included, so
/// callers can reject `a,,b` where the grammar forbids it.
pub(crate) fn split_commas(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut in_quote = false;
    let mut escaped = false;
    let mut angle = 0usize;
    let mut start = 0;
    for (i, c) in value.char_indices() {
        if in_quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_quote = false;
            }
            continue;
        }
        match c {
            '"' => in_quote = true,
            '<' => angle += 1,
            '>' => angle = angle.saturating_sub(1),
            ',' if angle == 0 => {
                out.push(value[start..i].trim_matches(is_ws));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(value[start..].trim_matches(is_ws));
    out
}

/// Reads a quoted string starting at `s[0] == '"'`. Returns the unescaped
/// contents and the rest after the closing quote, or `None` if unterminated.
pub(crate) fn take_quoted(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    if chars.next()?.1 != '"' {
        return None;
    }
    let mut escaped = false;
    for (i, c) in chars {
        if escaped {
            out.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' {
            return Some((out, &s[i + 1..]));
        } else {
            out.push(c);
        }
    }
    None
}

/// Parses `;name[=value]` generic parameters (RFC 3261 §25.1 generic-param),
/// allowing linear white space around every separator. Values may be tokens,
/// hosts or quoted strings (kept with their quotes so printing round-trips).
pub(crate) fn parse_params(mut s: &str) -> Option<Vec<(String, Option<String>)>> {
    let mut params = Vec::new();
    loop {
        s = s.trim_start_matches(is_ws);
        if s.is_empty() {
            return Some(params);
        }
        s = s.strip_prefix(';')?.trim_start_matches(is_ws);
        let name_end = s.find(|c: char| !is_token_char(c)).unwrap_or(s.len());
        let name = &s[..name_end];
        if name.is_empty() {
            return None;
        }
        s = s[name_end..].trim_start_matches(is_ws);
        let value = if let Some(rest) = s.strip_prefix('=') {
            let rest = rest.trim_start_matches(is_ws);
            if rest.starts_with('"') {
                let (_, after) = take_quoted(rest)?;
                let raw = &rest[..rest.len() - after.len()];
                s = after;
                Some(raw.to_string())
            } else {
                let end = rest
                    .find(|c: char| !(is_token_char(c) || "[]:".contains(c)))
                    .unwrap_or(rest.len());
                if end == 0 {
                    return None;
                }
                s = &rest[end..];
                Some(rest[..end].to_string())
            }
        } else {
            None
        };
        params.push((name.to_string(), value));
    }
}

/// Prints parameters back as `;name=value`.
pub(crate) fn write_params(out: &mut String, params: &[(String, Option<String>)]) {
    for (name, value) in params {
        out.push(';');
        out.push_str(name);
        if let Some(v) = value {
            out.push('=');
            out.push_str(v);
        }
    }
}

/// Finds a parameter by case-insensitive name (RFC 3261 §7.3.1: parameter
/// names are case-insensitive).
pub(crate) fn find_param<'a>(
    params: &'a [(String, Option<String>)],
    name: &str,
) -> Option<&'a Option<String>> {
    params
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comma_split_respects_quotes_and_brackets() {
        assert_eq!(
            split_commas(r#""a, b" <sip:x;p=1,2>, <sip:y>"#),
            vec![r#""a, b" <sip:x;p=1,2>"#, "<sip:y>"]
        );
        assert_eq!(split_commas("a,,b"), vec!["a", "", "b"]);
    }

    #[test]
    fn params_allow_lws_and_quotes() {
        let p = parse_params(" ;   tag    = 1918181833n ; x=\"a;b\";lr").unwrap();
        assert_eq!(p[0], ("tag".into(), Some("1918181833n".into())));
        assert_eq!(p[1], ("x".into(), Some("\"a;b\"".into())));
        assert_eq!(p[2], ("lr".into(), None));
        assert!(parse_params(";;").is_none());
        assert!(parse_params(";a=").is_none());
    }

    #[test]
    fn quoted_strings_unescape() {
        let (s, rest) = take_quoted(r#""J Rosenberg \\\"" <x>"#).unwrap();
        assert_eq!(s, r#"J Rosenberg \""#);
        assert_eq!(rest, " <x>");
        assert!(take_quoted("\"open").is_none());
    }
}
