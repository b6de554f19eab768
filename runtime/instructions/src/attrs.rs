//! Reading an element's attributes with validation.
//!
//! Each verb takes the attributes it knows by name; `finish` then rejects whatever
//! is left, so an unknown (or misspelled) attribute can never be silently ignored.

use crate::error::Error;
use crate::keywords::{HttpMethod, Keyword};
use crate::xml::Element;

/// The attributes of one element, each marked once it has been taken.
#[derive(Debug)]
pub(crate) struct Attrs<'a> {
    element: &'a str,
    items: Vec<(&'a str, &'a str, bool)>,
}

impl<'a> Attrs<'a> {
    pub fn new(element: &'a Element) -> Self {
        Attrs {
            element: &element.name,
            items: element
                .attributes
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str(), false))
                .collect(),
        }
    }

    /// The raw value of `name`, marking it as known.
    pub fn raw(&mut self, name: &str) -> Option<&'a str> {
        let item = self.items.iter_mut().find(|(k, _, _)| *k == name)?;
        item.2 = true;
        Some(item.1)
    }

    /// A free-form string attribute (URL, caller id, name).
    pub fn string(&mut self, name: &str) -> Option<String> {
        self.raw(name).map(str::to_owned)
    }

    /// The error for a bad value of `attribute`.
    pub fn invalid(
        &self,
        attribute: &'static str,
        value: &str,
        expected: &'static str,
        code: u32,
    ) -> Error {
        Error::InvalidAttributeValue {
            element: self.element.to_owned(),
            attribute,
            value: value.to_owned(),
            expected,
            code,
        }
    }

    /// An attribute parsed by `parse`; `None` from `parse` is reported as invalid.
    pub fn parsed<T>(
        &mut self,
        name: &'static str,
        code: u32,
        expected: &'static str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>, Error> {
        match self.raw(name) {
            None => Ok(None),
            Some(value) => match parse(value) {
                Some(parsed) => Ok(Some(parsed)),
                None => Err(self.invalid(name, value, expected, code)),
            },
        }
    }

    /// A non-negative integer such as `timeout` or `loop`.
    pub fn u32(&mut self, name: &'static str, code: u32) -> Result<Option<u32>, Error> {
        self.parsed(name, code, "a non-negative integer", parse_u32)
    }

    /// A strictly positive integer such as `numDigits`.
    pub fn positive_u32(&mut self, name: &'static str, code: u32) -> Result<Option<u32>, Error> {
        self.parsed(name, code, "a positive integer", |v| {
            parse_u32(v).filter(|n| *n > 0)
        })
    }

    /// A boolean, spelled `true` or `false` as Twilio documents it.
    pub fn bool(&mut self, name: &'static str, code: u32) -> Result<Option<bool>, Error> {
        self.parsed(name, code, "`true` or `false`", |v| match v {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        })
    }

    /// An HTTP method, `GET` or `POST` in any case; `POST` when absent.
    pub fn method(&mut self, name: &'static str, code: u32) -> Result<HttpMethod, Error> {
        Ok(self
            .parsed(name, code, "`GET` or `POST`", HttpMethod::parse)?
            .unwrap_or_default())
    }

    /// One keyword out of `T`'s list.
    pub fn keyword<T: Keyword>(
        &mut self,
        name: &'static str,
        code: u32,
    ) -> Result<Option<T>, Error> {
        self.parsed(name, code, T::EXPECTED, T::from_keyword)
    }

    /// A list of keywords separated by spaces or commas (Twilio accepts both),
    /// e.g. `statusCallbackEvent="initiated ringing"`.
    pub fn keywords<T: Keyword>(
        &mut self,
        name: &'static str,
        code: u32,
    ) -> Result<Option<Vec<T>>, Error> {
        self.parsed(name, code, T::EXPECTED, |v| {
            let words: Option<Vec<T>> = v
                .split([' ', ','])
                .filter(|w| !w.is_empty())
                .map(T::from_keyword)
                .collect();
            words.filter(|w| !w.is_empty())
        })
    }

    /// Rejects every attribute that no parser took.
    pub fn finish(self) -> Result<(), Error> {
        match self.items.iter().find(|(_, _, taken)| !taken) {
            None => Ok(()),
            Some((name, _, _)) => Err(Error::UnknownAttribute {
                element: self.element.to_owned(),
                attribute: (*name).to_owned(),
            }),
        }
    }
}

/// Parses a decimal integer made only of ASCII digits: no sign, no spaces, no
/// fraction, because Twilio documents these as plain integers.
pub(crate) fn parse_u32(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Whether every character of `digits` is a DTMF key or a `w` (half-second wait),
/// the alphabet of `digits` on `<Play>` and `sendDigits` on `<Number>`/`<Sip>`.
pub(crate) fn is_dtmf_sequence(digits: &str) -> bool {
    !digits.is_empty()
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '*' | '#' | 'w'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse_document;

    #[test]
    fn integers_reject_signs_fractions_and_overflow() {
        assert_eq!(parse_u32("42"), Some(42));
        assert_eq!(parse_u32("0"), Some(0));
        for bad in ["", "-1", "+1", "1.5", " 1", "abc", "4294967296"] {
            assert_eq!(parse_u32(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn untaken_attribute_is_reported_by_name() {
        let el = parse_document(r#"<Say voice="man" colour="red"/>"#).unwrap();
        let mut attrs = Attrs::new(&el);
        assert_eq!(attrs.raw("voice"), Some("man"));
        assert_eq!(
            attrs.finish(),
            Err(Error::UnknownAttribute {
                element: "Say".into(),
                attribute: "colour".into()
            })
        );
    }

    #[test]
    fn bad_value_names_element_attribute_value_and_code() {
        let el = parse_document(r#"<Gather numDigits="abc"/>"#).unwrap();
        let mut attrs = Attrs::new(&el);
        let err = attrs.positive_u32("numDigits", 13314).unwrap_err();
        assert_eq!(err.twilio_code(), 13314);
        let text = err.to_string();
        assert!(
            text.contains("<Gather>") && text.contains("numDigits") && text.contains("\"abc\"")
        );
    }

    #[test]
    fn keyword_lists_accept_spaces_and_commas_only_of_known_words() {
        use crate::keywords::CallEvent;
        let el = parse_document(r#"<N a="initiated, ringing answered" b="ringing bogus" c=" "/>"#)
            .unwrap();
        let mut attrs = Attrs::new(&el);
        assert_eq!(
            attrs.keywords::<CallEvent>("a", 1).unwrap(),
            Some(vec![
                CallEvent::Initiated,
                CallEvent::Ringing,
                CallEvent::Answered
            ])
        );
        assert!(attrs.keywords::<CallEvent>("b", 1).is_err());
        assert!(attrs.keywords::<CallEvent>("c", 1).is_err());
    }

    #[test]
    fn dtmf_sequences() {
        assert!(is_dtmf_sequence("0123456789*#w"));
        assert!(!is_dtmf_sequence(""));
        assert!(!is_dtmf_sequence("12x"));
        assert!(!is_dtmf_sequence("W"));
    }
}
