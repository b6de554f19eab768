//! `<Gather>`: collect DTMF digits or speech while optionally prompting.

use crate::attrs::{parse_u32, Attrs};
use crate::error::{Error, SCHEMA};
use crate::keywords::{keyword_enum, HttpMethod};
use crate::print::Tag;
use crate::verbs::say::DEFAULT_LANGUAGE;
use crate::verbs::{Pause, Play, Say};
use crate::xml::Element;

keyword_enum! {
    /// One kind of input `<Gather>` listens for (`input`).
    pub enum GatherInput {
        /// Keypad tones.
        Dtmf = "dtmf",
        /// Speech recognition.
        Speech = "speech",
    }
}

/// `speechTimeout`: how long silence after speech ends the `<Gather>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpeechTimeout {
    /// A fixed number of seconds.
    Seconds(u32),
    /// `auto`: stop at the first pause the recognizer judges final.
    Auto,
}

/// A prompt nested in `<Gather>`: Twilio allows only these three.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatherChild {
    /// A nested `<Say>`.
    Say(Say),
    /// A nested `<Play>`.
    Play(Play),
    /// A nested `<Pause>`.
    Pause(Pause),
}

/// `<Gather>`: collect input, then request `action` with `Digits`/`SpeechResult`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gather {
    /// `input`: what to listen for; default `dtmf`.
    pub input: Vec<GatherInput>,
    /// `action`: where results go; default the current document URL.
    pub action: Option<String>,
    /// `method` for `action`; default POST.
    pub method: HttpMethod,
    /// `timeout`: seconds of silence before the gather ends; default 5.
    pub timeout: u32,
    /// `speechTimeout`: default: `timeout` applies.
    pub speech_timeout: Option<SpeechTimeout>,
    /// `maxSpeechTime`: seconds of speech at most; default 60.
    pub max_speech_time: u32,
    /// `profanityFilter`: mask profanities in `SpeechResult`; default true.
    pub profanity_filter: bool,
    /// `finishOnKey`: the key that ends input; default `#`; `""` (None) disables it.
    pub finish_on_key: Option<char>,
    /// `numDigits`: stop after this many digits; default unlimited.
    pub num_digits: Option<u32>,
    /// `partialResultCallback`: interim speech results go here.
    pub partial_result_callback: Option<String>,
    /// `partialResultCallbackMethod`; default POST.
    pub partial_result_callback_method: HttpMethod,
    /// `language` of expected speech; default `en-US`.
    pub language: String,
    /// `hints`: comma-separated words and phrases the caller is likely to say.
    pub hints: Option<String>,
    /// `bargeIn`: input stops the nested prompts; default true.
    pub barge_in: bool,
    /// `debug`; default false.
    pub debug: bool,
    /// `actionOnEmptyResult`: request `action` even with no input; default false.
    pub action_on_empty_result: bool,
    /// `speechModel`: recognizer model name.
    pub speech_model: Option<String>,
    /// `enhanced`: premium speech model; default false.
    pub enhanced: bool,
    /// The nested prompts, in order.
    pub children: Vec<GatherChild>,
}

impl Default for Gather {
    fn default() -> Self {
        Gather {
            input: vec![GatherInput::Dtmf],
            action: None,
            method: HttpMethod::Post,
            timeout: 5,
            speech_timeout: None,
            max_speech_time: 60,
            profanity_filter: true,
            finish_on_key: Some('#'),
            num_digits: None,
            partial_result_callback: None,
            partial_result_callback_method: HttpMethod::Post,
            language: DEFAULT_LANGUAGE.to_owned(),
            hints: None,
            barge_in: true,
            debug: false,
            action_on_empty_result: false,
            speech_model: None,
            enhanced: false,
            children: Vec::new(),
        }
    }
}

impl Gather {
    pub(crate) fn from_element(el: &Element) -> Result<Self, Error> {
        let mut attrs = Attrs::new(el);
        let d = Gather::default();
        let gather = Gather {
            input: attrs.keywords("input", SCHEMA)?.unwrap_or(d.input),
            action: attrs.string("action"),
            // 13312 "Gather: Invalid method value".
            method: attrs.method("method", 13312)?,
            // 13313 "Gather: Invalid timeout value".
            timeout: attrs.u32("timeout", 13313)?.unwrap_or(d.timeout),
            // 13327 "Gather: Invalid speechTimeout value" (a positive integer or auto).
            speech_timeout: attrs.parsed(
                "speechTimeout",
                13327,
                "a positive integer or `auto`",
                |v| match v {
                    "auto" => Some(SpeechTimeout::Auto),
                    _ => parse_u32(v).filter(|n| *n > 0).map(SpeechTimeout::Seconds),
                },
            )?,
            // 13328 "Gather: Invalid maxSpeechTime value".
            max_speech_time: attrs
                .positive_u32("maxSpeechTime", 13328)?
                .unwrap_or(d.max_speech_time),
            profanity_filter: attrs
                .bool("profanityFilter", SCHEMA)?
                .unwrap_or(d.profanity_filter),
            // 13310 "Gather: Invalid finishOnKey value": "The value of the
            // finishOnKey attribute must be one of the following characters
            // "0123456789#*"" — one key, or the empty string for none.
            finish_on_key: attrs
                .parsed(
                    "finishOnKey",
                    13310,
                    "one of 0-9, #, * or the empty string",
                    parse_finish_key,
                )?
                .unwrap_or(d.finish_on_key),
            // 13314 "Gather: Invalid numDigits value".
            num_digits: attrs.positive_u32("numDigits", 13314)?,
            partial_result_callback: attrs.string("partialResultCallback"),
            partial_result_callback_method: attrs.method("partialResultCallbackMethod", SCHEMA)?,
            language: attrs.string("language").unwrap_or(d.language),
            hints: attrs.string("hints"),
            barge_in: attrs.bool("bargeIn", SCHEMA)?.unwrap_or(d.barge_in),
            debug: attrs.bool("debug", SCHEMA)?.unwrap_or(d.debug),
            // 13338 "Gather: Invalid actionOnEmptyResult value".
            action_on_empty_result: attrs
                .bool("actionOnEmptyResult", 13338)?
                .unwrap_or(d.action_on_empty_result),
            speech_model: attrs.string("speechModel"),
            enhanced: attrs.bool("enhanced", SCHEMA)?.unwrap_or(d.enhanced),
            children: parse_children(el)?,
        };
        attrs.finish()?;
        Ok(gather)
    }

    pub(crate) fn write(&self, out: &mut String) {
        let d = Gather::default();
        let mut tag = Tag::open(out, "Gather");
        tag.keywords("input", &self.input, &d.input)
            .opt("action", self.action.as_deref())
            .method("method", self.method)
            .u32("timeout", self.timeout, d.timeout);
        match self.speech_timeout {
            Some(SpeechTimeout::Auto) => {
                tag.attr("speechTimeout", "auto");
            }
            Some(SpeechTimeout::Seconds(n)) => {
                tag.attr("speechTimeout", &n.to_string());
            }
            None => {}
        }
        tag.u32("maxSpeechTime", self.max_speech_time, d.max_speech_time)
            .bool("profanityFilter", self.profanity_filter, d.profanity_filter);
        if self.finish_on_key != d.finish_on_key {
            let key = self.finish_on_key.map(String::from).unwrap_or_default();
            tag.attr("finishOnKey", &key);
        }
        tag.opt_u32("numDigits", self.num_digits)
            .opt(
                "partialResultCallback",
                self.partial_result_callback.as_deref(),
            )
            .method(
                "partialResultCallbackMethod",
                self.partial_result_callback_method,
            );
        if self.language != d.language {
            tag.attr("language", &self.language);
        }
        tag.opt("hints", self.hints.as_deref())
            .bool("bargeIn", self.barge_in, d.barge_in)
            .bool("debug", self.debug, d.debug)
            .bool(
                "actionOnEmptyResult",
                self.action_on_empty_result,
                d.action_on_empty_result,
            )
            .opt("speechModel", self.speech_model.as_deref())
            .bool("enhanced", self.enhanced, d.enhanced);
        if self.children.is_empty() {
            tag.empty();
            return;
        }
        tag.body(|out| {
            for child in &self.children {
                match child {
                    GatherChild::Say(say) => say.write(out),
                    GatherChild::Play(play) => play.write(out),
                    GatherChild::Pause(pause) => pause.write(out),
                }
            }
        });
    }
}

fn parse_finish_key(value: &str) -> Option<Option<char>> {
    let mut chars = value.chars();
    match (chars.next(), chars.next()) {
        (None, _) => Some(None),
        (Some(c), None) if c.is_ascii_digit() || c == '#' || c == '*' => Some(Some(c)),
        _ => None,
    }
}

fn parse_children(el: &Element) -> Result<Vec<GatherChild>, Error> {
    el.expect_no_text()?;
    el.elements()
        .map(|child| match child.name.as_str() {
            "Say" => Say::from_element(child, true).map(GatherChild::Say),
            "Play" => Play::from_element(child).map(GatherChild::Play),
            "Pause" => Pause::from_element(child).map(GatherChild::Pause),
            _ => Err(Error::InvalidNesting {
                parent: el.name.clone(),
                child: child.name.clone(),
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keywords::Keyword;

    #[test]
    fn finish_key_is_one_key_or_nothing() {
        assert_eq!(parse_finish_key(""), Some(None));
        assert_eq!(parse_finish_key("*"), Some(Some('*')));
        assert_eq!(parse_finish_key("7"), Some(Some('7')));
        assert_eq!(parse_finish_key("xy"), None);
        assert_eq!(parse_finish_key("12"), None);
        assert_eq!(parse_finish_key("a"), None);
    }

    #[test]
    fn input_keyword_list() {
        assert_eq!(
            GatherInput::from_keyword("speech"),
            Some(GatherInput::Speech)
        );
        assert_eq!(GatherInput::from_keyword("voice"), None);
    }
}
