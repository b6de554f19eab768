//! `<Record>`: record the caller's voice.

use crate::attrs::Attrs;
use crate::error::{Error, SCHEMA};
use crate::keywords::{HttpMethod, RecordingEvent, Trim};
use crate::print::Tag;
use crate::xml::Element;

/// Twilio's default `finishOnKey` for `<Record>`: any key ends the recording.
pub const RECORD_FINISH_KEYS: &str = "1234567890*#";

/// `<Record>`: record until silence, a key, or `max_length`, then request `action`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// `action`: where `RecordingUrl` goes; default the current document URL.
    pub action: Option<String>,
    /// `method` for `action`; default POST.
    pub method: HttpMethod,
    /// `timeout`: seconds of silence that end the recording; 0 disables; default 5.
    pub timeout: u32,
    /// `finishOnKey`: keys that end the recording; default `1234567890*#`;
    /// empty means no key does.
    pub finish_on_key: String,
    /// `maxLength`: seconds; default 3600.
    pub max_length: u32,
    /// `playBeep` before recording; default true.
    pub play_beep: bool,
    /// `trim`; default `trim-silence`.
    pub trim: Trim,
    /// `recordingStatusCallback`: recording state changes go here.
    pub recording_status_callback: Option<String>,
    /// `recordingStatusCallbackMethod`; default POST.
    pub recording_status_callback_method: HttpMethod,
    /// `recordingStatusCallbackEvent`; default `completed`.
    pub recording_status_callback_event: Vec<RecordingEvent>,
    /// `transcribe` the recording; default false.
    pub transcribe: bool,
    /// `transcribeCallback`: the transcription goes here (implies `transcribe`).
    pub transcribe_callback: Option<String>,
    /// `recordingConfigurationId`.
    pub recording_configuration_id: Option<String>,
}

impl Default for Record {
    fn default() -> Self {
        Record {
            action: None,
            method: HttpMethod::Post,
            timeout: 5,
            finish_on_key: RECORD_FINISH_KEYS.to_owned(),
            max_length: 3600,
            play_beep: true,
            trim: Trim::TrimSilence,
            recording_status_callback: None,
            recording_status_callback_method: HttpMethod::Post,
            recording_status_callback_event: vec![RecordingEvent::Completed],
            transcribe: false,
            transcribe_callback: None,
            recording_configuration_id: None,
        }
    }
}

impl Record {
    pub(crate) fn from_element(el: &Element) -> Result<Self, Error> {
        let mut attrs = Attrs::new(el);
        let d = Record::default();
        let record = Record {
            action: attrs.string("action"),
            // 13610 "Record: Invalid method value".
            method: attrs.method("method", 13610)?,
            // 13611 "Record: Invalid timeout value".
            timeout: attrs.u32("timeout", 13611)?.unwrap_or(d.timeout),
            // 13613 "Record: Invalid finishOnKey value": "must be one of the
            // following characters "0123456789#*"".
            finish_on_key: attrs
                .parsed("finishOnKey", 13613, "keys from 0-9, # and *", |v| {
                    v.chars()
                        .all(|c| c.is_ascii_digit() || c == '#' || c == '*')
                        .then(|| v.to_owned())
                })?
                .unwrap_or(d.finish_on_key),
            // 13612 "Record: Invalid maxLength value".
            max_length: attrs
                .positive_u32("maxLength", 13612)?
                .unwrap_or(d.max_length),
            // 13616 "Record: playBeep must be true or false".
            play_beep: attrs.bool("playBeep", 13616)?.unwrap_or(d.play_beep),
            trim: attrs.keyword("trim", SCHEMA)?.unwrap_or(d.trim),
            recording_status_callback: attrs.string("recordingStatusCallback"),
            recording_status_callback_method: attrs
                .method("recordingStatusCallbackMethod", SCHEMA)?,
            recording_status_callback_event: attrs
                .keywords("recordingStatusCallbackEvent", SCHEMA)?
                .unwrap_or(d.recording_status_callback_event),
            // 13614 "Record: Invalid transcribe value".
            transcribe: attrs.bool("transcribe", 13614)?.unwrap_or(d.transcribe),
            transcribe_callback: attrs.string("transcribeCallback"),
            recording_configuration_id: attrs.string("recordingConfigurationId"),
        };
        attrs.finish()?;
        el.expect_empty()?;
        Ok(record)
    }

    pub(crate) fn write(&self, out: &mut String) {
        let d = Record::default();
        let mut tag = Tag::open(out, "Record");
        tag.opt("action", self.action.as_deref())
            .method("method", self.method)
            .u32("timeout", self.timeout, d.timeout);
        if self.finish_on_key != d.finish_on_key {
            tag.attr("finishOnKey", &self.finish_on_key);
        }
        tag.u32("maxLength", self.max_length, d.max_length)
            .bool("playBeep", self.play_beep, d.play_beep)
            .keyword("trim", self.trim, d.trim)
            .opt(
                "recordingStatusCallback",
                self.recording_status_callback.as_deref(),
            )
            .method(
                "recordingStatusCallbackMethod",
                self.recording_status_callback_method,
            )
            .keywords(
                "recordingStatusCallbackEvent",
                &self.recording_status_callback_event,
                &d.recording_status_callback_event,
            )
            .bool("transcribe", self.transcribe, d.transcribe)
            .opt("transcribeCallback", self.transcribe_callback.as_deref())
            .opt(
                "recordingConfigurationId",
                self.recording_configuration_id.as_deref(),
            );
        tag.empty();
    }
}
