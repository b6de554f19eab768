//! `<Play>`: play an audio file or DTMF tones.

use crate::attrs::{is_dtmf_sequence, Attrs};
use crate::error::{Error, SCHEMA};
use crate::print::Tag;
use crate::xml::Element;

/// `<Play>`: play the audio at `url`, or the tones in `digits`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Play {
    /// The audio URL (the element's text); `None` when only `digits` is given.
    pub url: Option<String>,
    /// `loop`: plays; 0 repeats until the call (or enclosing `<Gather>`) ends; default 1.
    pub loop_count: u32,
    /// `digits`: DTMF keys `0-9 * #` and `w` (a half-second wait).
    pub digits: Option<String>,
}

impl Default for Play {
    fn default() -> Self {
        Play {
            url: None,
            loop_count: 1,
            digits: None,
        }
    }
}

impl Play {
    /// A `<Play>` of the audio at `url` with Twilio's defaults.
    pub fn url(url: impl Into<String>) -> Self {
        Play {
            url: Some(url.into()),
            ..Play::default()
        }
    }

    pub(crate) fn from_element(el: &Element) -> Result<Self, Error> {
        let mut attrs = Attrs::new(el);
        // 13410 "Play: Invalid loop value".
        let loop_count = attrs.u32("loop", 13410)?.unwrap_or(1);
        let digits = attrs.parsed("digits", SCHEMA, "DTMF keys 0-9, *, # and w", |v| {
            is_dtmf_sequence(v).then(|| v.to_owned())
        })?;
        attrs.finish()?;
        let text = el.text_only()?;
        let url = (!text.is_empty()).then_some(text);
        if url.is_none() && digits.is_none() {
            return Err(Error::MissingText {
                element: el.name.clone(),
                expected: "a media URL (or a `digits` attribute)",
            });
        }
        Ok(Play {
            url,
            loop_count,
            digits,
        })
    }

    pub(crate) fn write(&self, out: &mut String) {
        let mut tag = Tag::open(out, "Play");
        tag.u32("loop", self.loop_count, 1)
            .opt("digits", self.digits.as_deref());
        match &self.url {
            Some(url) => tag.text(url),
            None => tag.empty(),
        }
    }
}
