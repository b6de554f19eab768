//! `<Dial>`: connect the caller to another party.

use crate::attrs::Attrs;
use crate::error::{Error, SCHEMA};
use crate::keywords::{keyword_enum, HttpMethod, Keyword, RecordingEvent, RecordingTrack, Trim};
use crate::nouns::{Client, Conference, Number, Queue, Sip};
use crate::print::Tag;
use crate::xml::Element;

keyword_enum! {
    /// `record` on `<Dial>`.
    pub enum DialRecord {
        /// No recording (the default; legacy spelling `false`).
        DoNotRecord = "do-not-record",
        /// Record from answer, mixed (legacy spelling `true`).
        RecordFromAnswer = "record-from-answer",
        /// Record from ringing, mixed.
        RecordFromRinging = "record-from-ringing",
        /// Record from answer, one channel per party.
        RecordFromAnswerDual = "record-from-answer-dual",
        /// Record from ringing, one channel per party.
        RecordFromRingingDual = "record-from-ringing-dual",
    }
}

/// One party `<Dial>` rings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialTarget {
    /// `<Number>`, or a bare number as the `<Dial>` text.
    Number(Number),
    /// `<Sip>`.
    Sip(Sip),
    /// `<Client>`.
    Client(Client),
    /// `<Conference>`.
    Conference(Conference),
    /// `<Queue>`.
    Queue(Queue),
}

/// `<Dial>`: ring `targets` (in parallel unless `sequential`) and bridge the first
/// to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dial {
    /// `action`: requested with `DialCallStatus` when the dialed call ends;
    /// without it the document continues with the next verb.
    pub action: Option<String>,
    /// `method` for `action`; default POST.
    pub method: HttpMethod,
    /// `timeout`: seconds to ring; default 30.
    pub timeout: u32,
    /// `hangupOnStar`: the caller ends the bridge with `*`; default false.
    pub hangup_on_star: bool,
    /// `timeLimit`: longest bridge in seconds; default 14400.
    pub time_limit: u32,
    /// `callerId` presented to the called party; default the caller's.
    pub caller_id: Option<String>,
    /// `record`; default `do-not-record`.
    pub record: DialRecord,
    /// `trim`; default `do-not-trim`.
    pub trim: Trim,
    /// `recordingStatusCallback`.
    pub recording_status_callback: Option<String>,
    /// `recordingStatusCallbackMethod`; default POST.
    pub recording_status_callback_method: HttpMethod,
    /// `recordingStatusCallbackEvent`; default `completed`.
    pub recording_status_callback_event: Vec<RecordingEvent>,
    /// `recordingTrack`; default `both`.
    pub recording_track: RecordingTrack,
    /// `answerOnBridge`: keep the caller ringing until the far end answers;
    /// default false.
    pub answer_on_bridge: bool,
    /// `ringTone`: ringback by country code (`us`, `de`, …).
    pub ring_tone: Option<String>,
    /// `sequential`: ring targets one after another; default false.
    pub sequential: bool,
    /// `referUrl`: where a SIP REFER from the called party is reported.
    pub refer_url: Option<String>,
    /// `referMethod`; default POST.
    pub refer_method: HttpMethod,
    /// `recordingConfigurationId`.
    pub recording_configuration_id: Option<String>,
    /// Whom to ring; never empty in a parsed document.
    pub targets: Vec<DialTarget>,
}

impl Default for Dial {
    fn default() -> Self {
        Dial {
            action: None,
            method: HttpMethod::Post,
            timeout: 30,
            hangup_on_star: false,
            time_limit: 14400,
            caller_id: None,
            record: DialRecord::DoNotRecord,
            trim: Trim::DoNotTrim,
            recording_status_callback: None,
            recording_status_callback_method: HttpMethod::Post,
            recording_status_callback_event: vec![RecordingEvent::Completed],
            recording_track: RecordingTrack::Both,
            answer_on_bridge: false,
            ring_tone: None,
            sequential: false,
            refer_url: None,
            refer_method: HttpMethod::Post,
            recording_configuration_id: None,
            targets: Vec::new(),
        }
    }
}

impl Dial {
    /// A `<Dial>` of one target with Twilio's defaults.
    pub fn to(target: DialTarget) -> Self {
        Dial {
            targets: vec![target],
            ..Dial::default()
        }
    }

    pub(crate) fn from_element(el: &Element) -> Result<Self, Error> {
        let mut attrs = Attrs::new(el);
        let d = Dial::default();
        let dial = Dial {
            action: attrs.string("action"),
            // 13210 "Dial: Invalid method value".
            method: attrs.method("method", 13210)?,
            // 13212 "Dial: Invalid timeout value".
            timeout: attrs.positive_u32("timeout", 13212)?.unwrap_or(d.timeout),
            // 13213 "Dial: Invalid hangupOnStar value".
            hangup_on_star: attrs
                .bool("hangupOnStar", 13213)?
                .unwrap_or(d.hangup_on_star),
            // 13216 "Dial: Invalid timeLimit value".
            time_limit: attrs
                .positive_u32("timeLimit", 13216)?
                .unwrap_or(d.time_limit),
            // 13214 "Dial: Invalid callerId value".
            caller_id: attrs.parsed("callerId", 13214, "a caller id", |v| {
                (!v.is_empty()).then(|| v.to_owned())
            })?,
            // 13217 "Dial: Invalid record value".
            record: attrs
                .parsed("record", 13217, DialRecord::EXPECTED, parse_record)?
                .unwrap_or(d.record),
            trim: attrs.keyword("trim", SCHEMA)?.unwrap_or(d.trim),
            recording_status_callback: attrs.string("recordingStatusCallback"),
            recording_status_callback_method: attrs
                .method("recordingStatusCallbackMethod", SCHEMA)?,
            recording_status_callback_event: attrs
                .keywords("recordingStatusCallbackEvent", SCHEMA)?
                .unwrap_or(d.recording_status_callback_event),
            recording_track: attrs
                .keyword("recordingTrack", SCHEMA)?
                .unwrap_or(d.recording_track),
            answer_on_bridge: attrs
                .bool("answerOnBridge", SCHEMA)?
                .unwrap_or(d.answer_on_bridge),
            ring_tone: attrs.string("ringTone"),
            sequential: attrs.bool("sequential", SCHEMA)?.unwrap_or(d.sequential),
            refer_url: attrs.string("referUrl"),
            refer_method: attrs.method("referMethod", SCHEMA)?,
            recording_configuration_id: attrs.string("recordingConfigurationId"),
            targets: parse_targets(el)?,
        };
        attrs.finish()?;
        Ok(dial)
    }

    pub(crate) fn write(&self, out: &mut String) {
        let d = Dial::default();
        let mut tag = Tag::open(out, "Dial");
        tag.opt("action", self.action.as_deref())
            .method("method", self.method)
            .u32("timeout", self.timeout, d.timeout)
            .bool("hangupOnStar", self.hangup_on_star, d.hangup_on_star)
            .u32("timeLimit", self.time_limit, d.time_limit)
            .opt("callerId", self.caller_id.as_deref())
            .keyword("record", self.record, d.record)
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
            .keyword("recordingTrack", self.recording_track, d.recording_track)
            .bool("answerOnBridge", self.answer_on_bridge, d.answer_on_bridge)
            .opt("ringTone", self.ring_tone.as_deref())
            .bool("sequential", self.sequential, d.sequential)
            .opt("referUrl", self.refer_url.as_deref())
            .method("referMethod", self.refer_method)
            .opt(
                "recordingConfigurationId",
                self.recording_configuration_id.as_deref(),
            );
        tag.body(|out| {
            for target in &self.targets {
                match target {
                    DialTarget::Number(n) => n.write(out),
                    DialTarget::Sip(s) => s.write(out),
                    DialTarget::Client(c) => c.write(out),
                    DialTarget::Conference(c) => c.write(out),
                    DialTarget::Queue(q) => q.write(out),
                }
            }
        });
    }
}

/// Accepts the current keywords and the legacy boolean spelling.
fn parse_record(value: &str) -> Option<DialRecord> {
    match value {
        "true" => Some(DialRecord::RecordFromAnswer),
        "false" => Some(DialRecord::DoNotRecord),
        _ => DialRecord::from_keyword(value),
    }
}

/// `<Dial>` holds either a bare number as text or noun elements, not both.
fn parse_targets(el: &Element) -> Result<Vec<DialTarget>, Error> {
    if el.elements().next().is_none() {
        let number = el.raw_text().trim().to_owned();
        if number.is_empty() {
            return Err(Error::MissingTarget {
                element: el.name.clone(),
                expected: "a number as text or a Number, Sip, Client, Conference or Queue noun",
            });
        }
        return Ok(vec![DialTarget::Number(Number::new(number))]);
    }
    el.expect_no_text()?;
    el.elements()
        .map(|child| match child.name.as_str() {
            "Number" => Number::from_element(child).map(DialTarget::Number),
            "Sip" => Sip::from_element(child).map(DialTarget::Sip),
            "Client" => Client::from_element(child).map(DialTarget::Client),
            "Conference" => Conference::from_element(child).map(DialTarget::Conference),
            "Queue" => Queue::from_element(child).map(DialTarget::Queue),
            _ => Err(Error::InvalidNesting {
                parent: el.name.clone(),
                child: child.name.clone(),
            }),
        })
        .collect()
}
