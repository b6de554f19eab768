//! URI templates in next-step URLs: RFC 6570 level 1 (simple string expansion).
//!
//! `https://example.com/menu?d={Digits}` names the request parameter `Digits`; the URL
//! requested carries its value, so a static file server or a second server can take over
//! a call without code. A name that is not a parameter of the request stays as written,
//! braces included: a URL with literal braces that worked on Twilio still works.

/// RFC 6570 §1.5: `unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"`.
fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// RFC 6570 §2.3: `varname = varchar *( ["."] varchar )`, `varchar = ALPHA / DIGIT / "_"
/// / pct-encoded`. Level 1 has no operators, modifiers or lists, so anything else in the
/// braces is not an expression of ours and is left alone.
fn is_varname(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.ends_with('.')
        && !name.contains("..")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
}

/// `template` with every `{Name}` whose name is a parameter in `params` replaced by its
/// value. RFC 6570 §3.2.2: "For each defined variable ... the value is ... encoded using
/// the unreserved set", so every other byte of the value's UTF-8 is percent-encoded.
/// When a parameter appears twice, the last value wins (it is the most recent).
pub fn expand(template: &str, params: &[(String, String)]) -> String {
    if !template.contains('{') {
        return template.to_owned();
    }
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let name = &after[..close];
        let value = is_varname(name)
            .then(|| params.iter().rev().find(|(k, _)| k == name))
            .flatten();
        match value {
            Some((_, v)) => encode_into(&mut out, v),
            None => {
                out.push('{');
                out.push_str(name);
                out.push('}');
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

fn encode_into(out: &mut String, value: &str) {
    for b in value.bytes() {
        if unreserved(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::expand;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// RFC 6570 §1.2, level 1 examples, and §3.2.2's simple string expansion examples.
    #[test]
    fn rfc6570_level1_examples() {
        let vars = p(&[
            ("var", "value"),
            ("hello", "Hello World!"),
            ("half", "50%"),
            ("empty", ""),
            ("base", "http://example.com/home/"),
        ]);
        assert_eq!(expand("{var}", &vars), "value");
        assert_eq!(expand("{hello}", &vars), "Hello%20World%21");
        assert_eq!(expand("{half}", &vars), "50%25");
        assert_eq!(expand("O{empty}X", &vars), "OX");
        assert_eq!(
            expand("{base}index", &vars),
            "http%3A%2F%2Fexample.com%2Fhome%2Findex"
        );
        assert_eq!(expand("{var}{var}", &vars), "valuevalue");
    }

    #[test]
    fn twilio_parameters_in_next_step_urls() {
        let vars = p(&[("Digits", "42"), ("From", "+14158675309")]);
        assert_eq!(expand("/menu?d={Digits}", &vars), "/menu?d=42");
        assert_eq!(
            expand("http://127.0.0.1:9/audio/{Digits}.wav", &vars),
            "http://127.0.0.1:9/audio/42.wav"
        );
        assert_eq!(expand("/who?c={From}", &vars), "/who?c=%2B14158675309");
        // UTF-8 is encoded byte by byte.
        assert_eq!(expand("{x}", &p(&[("x", "é")])), "%C3%A9");
        // The latest value of a repeated parameter.
        assert_eq!(expand("{d}", &p(&[("d", "1"), ("d", "2")])), "2");
    }

    #[test]
    fn unknown_names_and_other_braces_stay_as_written() {
        let vars = p(&[("Digits", "42")]);
        for url in [
            "/menu?d={Unknown}",
            "/{}",
            "/{x,y}",
            "/{+Digits}",
            "/{Digits:2}",
            "/open{Digits",
            "/a}b",
            "/{.x}",
            "/{{Digits}",
        ] {
            assert_eq!(expand(url, &vars), url);
        }
        assert_eq!(expand("/{Unknown}/{Digits}", &vars), "/{Unknown}/42");
    }
}
