//! `<Say>`: speak text with text-to-speech.

use crate::attrs::Attrs;
use crate::error::{Error, SCHEMA};
use crate::print::Tag;
use crate::verbs::ssml::{self, SsmlNode};
use crate::xml::Element;

/// `<Say>`: read `text` aloud.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Say {
    /// The words to speak, markup removed (what a plain synthesizer reads).
    pub text: String,
    /// `voice`: `man`, `woman`, `alice`, `Polly.*`, `Google.*`; default `man`.
    pub voice: String,
    /// `language`: a BCP-47 tag; default `en-US`.
    pub language: String,
    /// `loop`: how many times to speak; 0 repeats until the call (or the
    /// enclosing `<Gather>`) ends; default 1.
    pub loop_count: u32,
    /// The content as SSML when it holds markup; empty for plain text, in which
    /// case `text` is the whole content.
    pub ssml: Vec<SsmlNode>,
}

/// Twilio's default `<Say>` voice.
pub const DEFAULT_VOICE: &str = "man";
/// Twilio's default `<Say>` and `<Gather>` language.
pub const DEFAULT_LANGUAGE: &str = "en-US";

impl Default for Say {
    fn default() -> Self {
        Say {
            text: String::new(),
            voice: DEFAULT_VOICE.to_owned(),
            language: DEFAULT_LANGUAGE.to_owned(),
            loop_count: 1,
            ssml: Vec::new(),
        }
    }
}

impl Say {
    /// A `<Say>` of plain text with Twilio's defaults.
    pub fn new(text: impl Into<String>) -> Self {
        Say {
            text: text.into(),
            ..Say::default()
        }
    }

    /// Parses `<Say>`; inside `<Gather>` Twilio reports bad values with the
    /// `Gather->Say` codes instead of the `Say` ones.
    pub(crate) fn from_element(el: &Element, in_gather: bool) -> Result<Self, Error> {
        // 13510/13322 "Invalid loop value", 13511/13321 "Invalid voice value".
        let (loop_code, voice_code) = if in_gather {
            (13322, 13321)
        } else {
            (13510, 13511)
        };
        let mut attrs = Attrs::new(el);
        let mut say = Say::default();
        if let Some(voice) = attrs.parsed("voice", voice_code, "a voice name", non_empty)? {
            say.voice = voice;
        }
        if let Some(language) =
            attrs.parsed("language", SCHEMA, "a BCP-47 language tag", non_empty)?
        {
            say.language = language;
        }
        if let Some(n) = attrs.u32("loop", loop_code)? {
            say.loop_count = n;
        }
        attrs.finish()?;
        if el.elements().next().is_some() {
            say.ssml = ssml::parse_nodes(el)?;
            say.text = ssml::plain_text(&say.ssml);
        } else {
            say.text = el.raw_text().trim().to_owned();
        }
        if say.text.is_empty() && say.ssml.is_empty() {
            return Err(Error::MissingText {
                element: el.name.clone(),
                expected: "the text to speak",
            });
        }
        Ok(say)
    }

    pub(crate) fn write(&self, out: &mut String) {
        let mut tag = Tag::open(out, "Say");
        if self.voice != DEFAULT_VOICE {
            tag.attr("voice", &self.voice);
        }
        if self.language != DEFAULT_LANGUAGE {
            tag.attr("language", &self.language);
        }
        tag.u32("loop", self.loop_count, 1);
        if self.ssml.is_empty() {
            tag.text(&self.text);
        } else {
            tag.body(|out| ssml::write_nodes(&self.ssml, out));
        }
    }
}

fn non_empty(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}
