//! `<Say>`: text-to-speech.

/// Speaks `text` to the caller.
///
/// ```
/// use switchyard_sdk::Say;
/// let say = Say::new("Bonjour").voice("woman").language("fr-FR").loop_count(2);
/// assert_eq!(say.voice, "woman");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Say {
    /// What to say.
    pub text: String,
    /// `man` (Twilio's default), `woman`, `alice`, `Polly.*` …
    pub voice: String,
    /// A BCP-47 tag; default `en-US`.
    pub language: String,
    /// Times to say it; 0 repeats until the call or the enclosing Gather ends; default 1.
    pub loop_count: u32,
}

impl Say {
    /// Says `text` once, in Twilio's default voice and language.
    pub fn new(text: impl Into<String>) -> Self {
        Say {
            text: text.into(),
            voice: "man".to_owned(),
            language: "en-US".to_owned(),
            loop_count: 1,
        }
    }

    /// The voice: `man`, `woman`, `alice`, `Polly.Joanna` …
    pub fn voice(mut self, voice: impl Into<String>) -> Self {
        self.voice = voice.into();
        self
    }

    /// The language, e.g. `en-GB`.
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = language.into();
        self
    }

    /// How many times to say it; 0 = until the call or the enclosing Gather ends.
    pub fn loop_count(mut self, times: u32) -> Self {
        self.loop_count = times;
        self
    }
}

impl From<&str> for Say {
    fn from(text: &str) -> Self {
        Say::new(text)
    }
}

impl From<String> for Say {
    fn from(text: String) -> Self {
        Say::new(text)
    }
}
