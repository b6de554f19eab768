//! `<Gather>`: collect digits or speech while prompts play.

use super::{Method, Pause, Play, Say};

/// What a Gather listens for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatherInput {
    /// Keypad digits (the default).
    Dtmf,
    /// Speech.
    Speech,
}

/// A prompt played while a Gather listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatherChild {
    /// A nested `<Say>`.
    Say(Say),
    /// A nested `<Play>`.
    Play(Play),
    /// A nested `<Pause>`.
    Pause(Pause),
}

/// Collects input; the result (`Digits`, `SpeechResult`) goes to `action` as the next
/// request's path.
///
/// ```
/// use switchyard_sdk::Gather;
/// let menu = Gather::new()
///     .num_digits(1)
///     .action("/menu")
///     .timeout(5)
///     .say("Press 1 for sales, 2 for support.");
/// assert_eq!(menu.num_digits, Some(1));
/// assert_eq!(menu.children.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gather {
    /// What to listen for; default DTMF only.
    pub input: Vec<GatherInput>,
    /// Where the result goes; `None` = this app's current path.
    pub action: Option<String>,
    /// How `action` is requested.
    pub method: Method,
    /// Seconds to wait for the next digit; default 5.
    pub timeout: u32,
    /// The key that ends input; default `#`; `None` = no such key.
    pub finish_on_key: Option<String>,
    /// Stop after this many digits; default unlimited.
    pub num_digits: Option<u32>,
    /// Request `action` even when nothing was entered; default false.
    pub action_on_empty_result: bool,
    /// The language of expected speech; default `en-US`.
    pub language: String,
    /// Words or phrases that speech recognition should expect.
    pub hints: Option<String>,
    /// Seconds of silence that end speech, or `auto`.
    pub speech_timeout: Option<String>,
    /// The prompts, in order.
    pub children: Vec<GatherChild>,
}

impl Default for Gather {
    fn default() -> Self {
        Gather {
            input: vec![GatherInput::Dtmf],
            action: None,
            method: Method::Post,
            timeout: 5,
            finish_on_key: Some("#".to_owned()),
            num_digits: None,
            action_on_empty_result: false,
            language: "en-US".to_owned(),
            hints: None,
            speech_timeout: None,
            children: Vec::new(),
        }
    }
}

impl Gather {
    /// A DTMF Gather with Twilio's defaults and no prompt.
    pub fn new() -> Self {
        Gather::default()
    }

    /// What to listen for, e.g. `[GatherInput::Dtmf, GatherInput::Speech]`.
    pub fn input(mut self, input: impl IntoIterator<Item = GatherInput>) -> Self {
        self.input = input.into_iter().collect();
        self
    }

    /// Where the result goes (an app path like `/menu`, or a webhook URL).
    pub fn action(mut self, action: impl Into<String>) -> Self {
        self.action = Some(action.into());
        self
    }

    /// How `action` is requested.
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// Seconds to wait for the next digit.
    pub fn timeout(mut self, seconds: u32) -> Self {
        self.timeout = seconds;
        self
    }

    /// The key that ends input, e.g. `*`.
    pub fn finish_on_key(mut self, key: impl Into<String>) -> Self {
        self.finish_on_key = Some(key.into());
        self
    }

    /// No key ends input (only `num_digits` or the timeout do).
    pub fn no_finish_on_key(mut self) -> Self {
        self.finish_on_key = None;
        self
    }

    /// Stop after `digits` digits.
    pub fn num_digits(mut self, digits: u32) -> Self {
        self.num_digits = Some(digits);
        self
    }

    /// Request `action` even when the caller entered nothing.
    pub fn action_on_empty_result(mut self, yes: bool) -> Self {
        self.action_on_empty_result = yes;
        self
    }

    /// The language of expected speech.
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = language.into();
        self
    }

    /// Words or phrases speech recognition should expect.
    pub fn hints(mut self, hints: impl Into<String>) -> Self {
        self.hints = Some(hints.into());
        self
    }

    /// Seconds of silence that end speech, or `auto`.
    pub fn speech_timeout(mut self, timeout: impl Into<String>) -> Self {
        self.speech_timeout = Some(timeout.into());
        self
    }

    /// Adds a spoken prompt.
    pub fn say(mut self, say: impl Into<Say>) -> Self {
        self.children.push(GatherChild::Say(say.into()));
        self
    }

    /// Adds an audio prompt.
    pub fn play(mut self, play: impl Into<Play>) -> Self {
        self.children.push(GatherChild::Play(play.into()));
        self
    }

    /// Adds `seconds` of silence between prompts.
    pub fn pause(mut self, seconds: u32) -> Self {
        self.children
            .push(GatherChild::Pause(Pause::seconds(seconds)));
        self
    }
}
