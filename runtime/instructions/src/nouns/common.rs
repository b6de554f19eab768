//! Attribute groups shared by several `<Dial>` nouns.

use crate::attrs::Attrs;
use crate::error::{Error, SCHEMA};
use crate::keywords::{keyword_enum, CallEvent, HttpMethod};
use crate::print::Tag;
use crate::xml::Element;

/// `transcoder` on a dialled noun (`<Number>`, `<Sip>`, `<Client>`), a Switchyard
/// extension: `app:NAME`, the tenant's transcoder app applied to that leg's audio in both
/// directions. Kept as the app's name; whether it exists and is a transcoder is known only
/// when the leg is placed. A value that is not `app:NAME` is a schema warning (12200).
pub(crate) fn take_transcoder(attrs: &mut Attrs<'_>) -> Result<Option<String>, Error> {
    attrs.parsed(
        "transcoder",
        SCHEMA,
        "app:NAME (a transcoder app's name: 1-64 letters, digits, '-', '_')",
        |v| switchyard_types::app_reference(v).map(str::to_owned),
    )
}

/// Prints `transcoder` back in its `app:NAME` form.
pub(crate) fn write_transcoder(tag: &mut Tag<'_>, transcoder: Option<&str>) {
    tag.opt(
        "transcoder",
        transcoder.map(|name| format!("app:{name}")).as_deref(),
    );
}

/// The callbacks of a dialed leg (`<Number>`, `<Sip>`, `<Client>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegCallbacks {
    /// `url`: TwiML run on the called party once it answers, before bridging.
    pub url: Option<String>,
    /// `method` for `url`; default POST.
    pub method: HttpMethod,
    /// `statusCallback`: the leg's progress events go here.
    pub status_callback: Option<String>,
    /// `statusCallbackMethod`; default POST.
    pub status_callback_method: HttpMethod,
    /// `statusCallbackEvent`; default `completed` only.
    pub status_callback_event: Vec<CallEvent>,
}

impl Default for LegCallbacks {
    fn default() -> Self {
        LegCallbacks {
            url: None,
            method: HttpMethod::Post,
            status_callback: None,
            status_callback_method: HttpMethod::Post,
            status_callback_event: vec![CallEvent::Completed],
        }
    }
}

impl LegCallbacks {
    /// Reads the group; `method_code` is the noun's Twilio code for a bad `method`.
    pub(crate) fn take(attrs: &mut Attrs<'_>, method_code: u32) -> Result<Self, Error> {
        Ok(LegCallbacks {
            url: attrs.string("url"),
            method: attrs.method("method", method_code)?,
            status_callback: attrs.string("statusCallback"),
            status_callback_method: attrs.method("statusCallbackMethod", SCHEMA)?,
            status_callback_event: attrs
                .keywords("statusCallbackEvent", SCHEMA)?
                .unwrap_or_else(|| vec![CallEvent::Completed]),
        })
    }

    pub(crate) fn write(&self, tag: &mut Tag<'_>) {
        tag.opt("url", self.url.as_deref())
            .method("method", self.method)
            .opt("statusCallback", self.status_callback.as_deref())
            .method("statusCallbackMethod", self.status_callback_method)
            .keywords(
                "statusCallbackEvent",
                &self.status_callback_event,
                &[CallEvent::Completed],
            );
    }
}

keyword_enum! {
    /// `machineDetection`: answering machine detection mode.
    pub enum MachineDetection {
        /// Report human or machine as soon as it is known.
        Enable = "Enable",
        /// Wait for the end of a machine's greeting before reporting.
        DetectMessageEnd = "DetectMessageEnd",
    }
}

/// Answering machine detection on a dialed leg (`<Number>`, `<Sip>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnsweringMachineDetection {
    /// `machineDetection`; `None` disables detection.
    pub machine_detection: Option<MachineDetection>,
    /// `amdStatusCallback`: the result goes here asynchronously.
    pub amd_status_callback: Option<String>,
    /// `amdStatusCallbackMethod`; default POST.
    pub amd_status_callback_method: HttpMethod,
    /// `machineDetectionTimeout`: seconds; default 30.
    pub machine_detection_timeout: u32,
    /// `machineDetectionSpeechThreshold`: milliseconds; default 2400.
    pub machine_detection_speech_threshold: u32,
    /// `machineDetectionSpeechEndThreshold`: milliseconds; default 1200.
    pub machine_detection_speech_end_threshold: u32,
    /// `machineDetectionSilenceTimeout`: milliseconds; default 5000.
    pub machine_detection_silence_timeout: u32,
}

impl Default for AnsweringMachineDetection {
    fn default() -> Self {
        AnsweringMachineDetection {
            machine_detection: None,
            amd_status_callback: None,
            amd_status_callback_method: HttpMethod::Post,
            machine_detection_timeout: 30,
            machine_detection_speech_threshold: 2400,
            machine_detection_speech_end_threshold: 1200,
            machine_detection_silence_timeout: 5000,
        }
    }
}

impl AnsweringMachineDetection {
    pub(crate) fn take(attrs: &mut Attrs<'_>) -> Result<Self, Error> {
        let d = AnsweringMachineDetection::default();
        Ok(AnsweringMachineDetection {
            machine_detection: attrs.keyword("machineDetection", SCHEMA)?,
            amd_status_callback: attrs.string("amdStatusCallback"),
            amd_status_callback_method: attrs.method("amdStatusCallbackMethod", SCHEMA)?,
            machine_detection_timeout: attrs
                .u32("machineDetectionTimeout", SCHEMA)?
                .unwrap_or(d.machine_detection_timeout),
            machine_detection_speech_threshold: attrs
                .u32("machineDetectionSpeechThreshold", SCHEMA)?
                .unwrap_or(d.machine_detection_speech_threshold),
            machine_detection_speech_end_threshold: attrs
                .u32("machineDetectionSpeechEndThreshold", SCHEMA)?
                .unwrap_or(d.machine_detection_speech_end_threshold),
            machine_detection_silence_timeout: attrs
                .u32("machineDetectionSilenceTimeout", SCHEMA)?
                .unwrap_or(d.machine_detection_silence_timeout),
        })
    }

    pub(crate) fn write(&self, tag: &mut Tag<'_>) {
        let d = AnsweringMachineDetection::default();
        tag.opt(
            "machineDetection",
            self.machine_detection.map(|m| m.as_str()),
        )
        .opt("amdStatusCallback", self.amd_status_callback.as_deref())
        .method("amdStatusCallbackMethod", self.amd_status_callback_method)
        .u32(
            "machineDetectionTimeout",
            self.machine_detection_timeout,
            d.machine_detection_timeout,
        )
        .u32(
            "machineDetectionSpeechThreshold",
            self.machine_detection_speech_threshold,
            d.machine_detection_speech_threshold,
        )
        .u32(
            "machineDetectionSpeechEndThreshold",
            self.machine_detection_speech_end_threshold,
            d.machine_detection_speech_end_threshold,
        )
        .u32(
            "machineDetectionSilenceTimeout",
            self.machine_detection_silence_timeout,
            d.machine_detection_silence_timeout,
        );
    }
}

/// A `<Parameter name value/>`: a custom key passed to the called application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    /// `name`.
    pub name: String,
    /// `value`.
    pub value: String,
}

impl Parameter {
    pub(crate) fn from_element(el: &Element) -> Result<Self, Error> {
        let mut attrs = Attrs::new(el);
        let name = attrs.string("name");
        let value = attrs.string("value");
        attrs.finish()?;
        el.expect_empty()?;
        let missing = |attribute| Error::MissingAttribute {
            element: el.name.clone(),
            attribute,
        };
        Ok(Parameter {
            name: name.ok_or_else(|| missing("name"))?,
            value: value.ok_or_else(|| missing("value"))?,
        })
    }

    pub(crate) fn write(&self, out: &mut String) {
        let mut tag = Tag::open(out, "Parameter");
        tag.attr("name", &self.name).attr("value", &self.value);
        tag.empty();
    }
}
