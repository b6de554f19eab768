//! `<Redirect>`: continue with the TwiML at another URL.

use crate::attrs::Attrs;
use crate::error::Error;
use crate::keywords::HttpMethod;
use crate::print::Tag;
use crate::xml::Element;

/// `<Redirect>`: fetch `url` and run it instead of the rest of this document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The URL (the element's text), absolute or relative to the current document.
    pub url: String,
    /// `method`; default POST.
    pub method: HttpMethod,
}

impl Redirect {
    /// A `<Redirect>` to `url` with POST.
    pub fn new(url: impl Into<String>) -> Self {
        Redirect {
            url: url.into(),
            method: HttpMethod::Post,
        }
    }

    pub(crate) fn from_element(el: &Element) -> Result<Self, Error> {
        let mut attrs = Attrs::new(el);
        // 13710 "Redirect: Invalid method value".
        let method = attrs.method("method", 13710)?;
        attrs.finish()?;
        let url = el.text_only()?;
        if url.is_empty() {
            return Err(Error::MissingText {
                element: el.name.clone(),
                expected: "the URL to fetch",
            });
        }
        Ok(Redirect { url, method })
    }

    pub(crate) fn write(&self, out: &mut String) {
        let mut tag = Tag::open(out, "Redirect");
        tag.method("method", self.method);
        tag.text(&self.url);
    }
}
