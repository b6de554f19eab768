//! Writing TwiML elements.
//!
//! Attributes equal to Twilio's default are left out, so printed documents stay as
//! short as the ones a developer would write and parse back to the same model.

use quick_xml::escape::escape;

use crate::keywords::{HttpMethod, Keyword};

/// An element being written: `<Name` has been emitted, attributes may follow.
#[derive(Debug)]
pub(crate) struct Tag<'o> {
    out: &'o mut String,
    name: &'static str,
}

impl<'o> Tag<'o> {
    pub fn open(out: &'o mut String, name: &'static str) -> Self {
        out.push('<');
        out.push_str(name);
        Tag { out, name }
    }

    /// Writes `name="value"` unconditionally.
    pub fn attr(&mut self, name: &str, value: &str) -> &mut Self {
        self.out.push(' ');
        self.out.push_str(name);
        self.out.push_str("=\"");
        self.out.push_str(&escape(value));
        self.out.push('"');
        self
    }

    /// Writes the attribute when it is set.
    pub fn opt(&mut self, name: &str, value: Option<&str>) -> &mut Self {
        if let Some(value) = value {
            self.attr(name, value);
        }
        self
    }

    /// Writes an integer attribute unless it equals the default.
    pub fn u32(&mut self, name: &str, value: u32, default: u32) -> &mut Self {
        if value != default {
            self.attr(name, &value.to_string());
        }
        self
    }

    /// Writes an optional integer attribute when it is set.
    pub fn opt_u32(&mut self, name: &str, value: Option<u32>) -> &mut Self {
        if let Some(value) = value {
            self.attr(name, &value.to_string());
        }
        self
    }

    /// Writes a boolean attribute unless it equals the default.
    pub fn bool(&mut self, name: &str, value: bool, default: bool) -> &mut Self {
        if value != default {
            self.attr(name, if value { "true" } else { "false" });
        }
        self
    }

    /// Writes a method attribute unless it is the default `POST`.
    pub fn method(&mut self, name: &str, value: HttpMethod) -> &mut Self {
        if value != HttpMethod::Post {
            self.attr(name, value.as_str());
        }
        self
    }

    /// Writes a keyword attribute unless it equals the default.
    pub fn keyword<T: Keyword>(&mut self, name: &str, value: T, default: T) -> &mut Self {
        if value != default {
            self.attr(name, value.keyword());
        }
        self
    }

    /// Writes a space-separated keyword list unless it equals the default.
    pub fn keywords<T: Keyword>(&mut self, name: &str, value: &[T], default: &[T]) -> &mut Self {
        if value != default {
            let words: Vec<&str> = value.iter().map(|k| k.keyword()).collect();
            self.attr(name, &words.join(" "));
        }
        self
    }

    /// Closes the element with no content: `/>`.
    pub fn empty(self) {
        self.out.push_str("/>");
    }

    /// Closes the element around escaped text.
    pub fn text(self, text: &str) {
        self.body(|out| out.push_str(&escape(text)));
    }

    /// Closes the element around content written by `write`.
    pub fn body(self, write: impl FnOnce(&mut String)) {
        self.out.push('>');
        write(self.out);
        self.out.push_str("</");
        self.out.push_str(self.name);
        self.out.push('>');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_omitted_and_values_escaped() {
        let mut out = String::new();
        let mut tag = Tag::open(&mut out, "Play");
        tag.u32("loop", 1, 1)
            .u32("timeout", 7, 5)
            .bool("beep", true, true)
            .method("method", HttpMethod::Get)
            .opt("digits", None);
        tag.text("http://x/?a=1&b=<2>");
        assert_eq!(
            out,
            r#"<Play timeout="7" method="GET">http://x/?a=1&amp;b=&lt;2&gt;</Play>"#
        );
    }

    #[test]
    fn attribute_quotes_are_escaped() {
        let mut out = String::new();
        let mut tag = Tag::open(&mut out, "Say");
        tag.attr("voice", "a\"b");
        tag.empty();
        assert_eq!(out, r#"<Say voice="a&quot;b"/>"#);
    }
}
