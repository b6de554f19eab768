//! `<Conference>`: join a named conference room.

use crate::attrs::{parse_u32, Attrs};
use crate::error::{Error, SCHEMA};
use crate::keywords::{keyword_enum, HttpMethod, RecordingEvent, Trim};
use crate::print::Tag;
use crate::xml::Element;

keyword_enum! {
    /// `beep`: when the room hears a tone as participants come and go.
    pub enum ConferenceBeep {
        /// On every entry and exit (the default).
        True = "true",
        /// Never.
        False = "false",
        /// Only when someone enters.
        OnEnter = "onEnter",
        /// Only when someone leaves.
        OnExit = "onExit",
    }
}

keyword_enum! {
    /// `record` on `<Conference>`.
    pub enum ConferenceRecord {
        /// No recording (the default).
        DoNotRecord = "do-not-record",
        /// Record the mixed room from when it starts.
        RecordFromStart = "record-from-start",
    }
}

keyword_enum! {
    /// `statusCallbackEvent` values of a conference.
    pub enum ConferenceEvent {
        /// The conference started.
        Start = "start",
        /// The conference ended.
        End = "end",
        /// A participant joined.
        Join = "join",
        /// A participant left.
        Leave = "leave",
        /// A participant was muted or unmuted.
        Mute = "mute",
        /// A participant was held or unheld.
        Hold = "hold",
        /// A participant's settings changed.
        Modify = "modify",
        /// A participant started or stopped speaking.
        Speaker = "speaker",
        /// An announcement finished.
        Announcement = "announcement",
    }
}

keyword_enum! {
    /// `jitterBufferSize` of a participant.
    pub enum JitterBufferSize {
        /// The default.
        Large = "large",
        /// Medium.
        Medium = "medium",
        /// Small.
        Small = "small",
        /// No jitter buffer.
        Off = "off",
    }
}

/// Twilio's ceiling for `maxParticipants`.
pub const MAX_PARTICIPANTS: u32 = 250;

/// `<Conference>`: put the call in room `name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conference {
    /// The room name (the element's text).
    pub name: String,
    /// `muted`: join unable to speak; default false.
    pub muted: bool,
    /// `beep`; default `true`.
    pub beep: ConferenceBeep,
    /// `startConferenceOnEnter`; default true.
    pub start_conference_on_enter: bool,
    /// `endConferenceOnExit`; default false.
    pub end_conference_on_exit: bool,
    /// `waitUrl`: what to play before the room starts; `None` is Twilio's hold
    /// music, `Some("")` is silence.
    pub wait_url: Option<String>,
    /// `waitMethod`; default POST.
    pub wait_method: HttpMethod,
    /// `maxParticipants`: 2 to 250; default 250.
    pub max_participants: u32,
    /// `record`; default `do-not-record`.
    pub record: ConferenceRecord,
    /// `region` where the room is mixed.
    pub region: Option<String>,
    /// `coach`: the call SID this participant coaches.
    pub coach: Option<String>,
    /// `trim`; default `trim-silence`.
    pub trim: Trim,
    /// `statusCallbackEvent`; default none listed.
    pub status_callback_event: Vec<ConferenceEvent>,
    /// `statusCallback`: conference events go here.
    pub status_callback: Option<String>,
    /// `statusCallbackMethod`; default POST.
    pub status_callback_method: HttpMethod,
    /// `recordingStatusCallback`.
    pub recording_status_callback: Option<String>,
    /// `recordingStatusCallbackMethod`; default POST.
    pub recording_status_callback_method: HttpMethod,
    /// `recordingStatusCallbackEvent`; default `completed`.
    pub recording_status_callback_event: Vec<RecordingEvent>,
    /// `eventCallbackUrl` (legacy).
    pub event_callback_url: Option<String>,
    /// `jitterBufferSize`; default `large`.
    pub jitter_buffer_size: JitterBufferSize,
    /// `participantLabel`: a name for this participant.
    pub participant_label: Option<String>,
    /// `recordingConfigurationId`.
    pub recording_configuration_id: Option<String>,
}

impl Default for Conference {
    fn default() -> Self {
        Conference {
            name: String::new(),
            muted: false,
            beep: ConferenceBeep::True,
            start_conference_on_enter: true,
            end_conference_on_exit: false,
            wait_url: None,
            wait_method: HttpMethod::Post,
            max_participants: MAX_PARTICIPANTS,
            record: ConferenceRecord::DoNotRecord,
            region: None,
            coach: None,
            trim: Trim::TrimSilence,
            status_callback_event: Vec::new(),
            status_callback: None,
            status_callback_method: HttpMethod::Post,
            recording_status_callback: None,
            recording_status_callback_method: HttpMethod::Post,
            recording_status_callback_event: vec![RecordingEvent::Completed],
            event_callback_url: None,
            jitter_buffer_size: JitterBufferSize::Large,
            participant_label: None,
            recording_configuration_id: None,
        }
    }
}

impl Conference {
    /// A `<Conference>` with Twilio's defaults.
    pub fn new(name: impl Into<String>) -> Self {
        Conference {
            name: name.into(),
            ..Conference::default()
        }
    }

    pub(crate) fn from_element(el: &Element) -> Result<Self, Error> {
        let mut attrs = Attrs::new(el);
        let d = Conference::default();
        let conference = Conference {
            name: el.text_only()?,
            // 13230 "Dial->Conference: Invalid muted value".
            muted: attrs.bool("muted", 13230)?.unwrap_or(d.muted),
            // 13235 "Dial->Conference: Invalid beep value".
            beep: attrs.keyword("beep", 13235)?.unwrap_or(d.beep),
            // 13232 "Dial->Conference: Invalid startConferenceOnEnter value".
            start_conference_on_enter: attrs
                .bool("startConferenceOnEnter", 13232)?
                .unwrap_or(d.start_conference_on_enter),
            // 13231 "Dial->Conference: Invalid endConferenceOnExit value".
            end_conference_on_exit: attrs
                .bool("endConferenceOnExit", 13231)?
                .unwrap_or(d.end_conference_on_exit),
            wait_url: attrs.string("waitUrl"),
            // 13234 "Dial->Conference: Invalid waitMethod value".
            wait_method: attrs.method("waitMethod", 13234)?,
            max_participants: attrs
                .parsed("maxParticipants", SCHEMA, "an integer from 2 to 250", |v| {
                    parse_u32(v).filter(|n| (2..=MAX_PARTICIPANTS).contains(n))
                })?
                .unwrap_or(d.max_participants),
            record: attrs.keyword("record", SCHEMA)?.unwrap_or(d.record),
            region: attrs.string("region"),
            coach: attrs.string("coach"),
            trim: attrs.keyword("trim", SCHEMA)?.unwrap_or(d.trim),
            status_callback_event: attrs
                .keywords("statusCallbackEvent", SCHEMA)?
                .unwrap_or_default(),
            status_callback: attrs.string("statusCallback"),
            status_callback_method: attrs.method("statusCallbackMethod", SCHEMA)?,
            recording_status_callback: attrs.string("recordingStatusCallback"),
            recording_status_callback_method: attrs
                .method("recordingStatusCallbackMethod", SCHEMA)?,
            recording_status_callback_event: attrs
                .keywords("recordingStatusCallbackEvent", SCHEMA)?
                .unwrap_or(d.recording_status_callback_event),
            event_callback_url: attrs.string("eventCallbackUrl"),
            jitter_buffer_size: attrs
                .keyword("jitterBufferSize", SCHEMA)?
                .unwrap_or(d.jitter_buffer_size),
            participant_label: attrs.string("participantLabel"),
            recording_configuration_id: attrs.string("recordingConfigurationId"),
        };
        attrs.finish()?;
        if conference.name.is_empty() {
            // 13237 "Dial->Conference: Invalid conference name".
            return Err(Error::InvalidText {
                element: el.name.clone(),
                text: conference.name,
                expected: "a conference room name",
                code: 13237,
            });
        }
        Ok(conference)
    }

    pub(crate) fn write(&self, out: &mut String) {
        let d = Conference::default();
        let mut tag = Tag::open(out, "Conference");
        tag.bool("muted", self.muted, d.muted)
            .keyword("beep", self.beep, d.beep)
            .bool(
                "startConferenceOnEnter",
                self.start_conference_on_enter,
                d.start_conference_on_enter,
            )
            .bool(
                "endConferenceOnExit",
                self.end_conference_on_exit,
                d.end_conference_on_exit,
            )
            .opt("waitUrl", self.wait_url.as_deref())
            .method("waitMethod", self.wait_method)
            .u32("maxParticipants", self.max_participants, d.max_participants)
            .keyword("record", self.record, d.record)
            .opt("region", self.region.as_deref())
            .opt("coach", self.coach.as_deref())
            .keyword("trim", self.trim, d.trim)
            .keywords(
                "statusCallbackEvent",
                &self.status_callback_event,
                &d.status_callback_event,
            )
            .opt("statusCallback", self.status_callback.as_deref())
            .method("statusCallbackMethod", self.status_callback_method)
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
            .opt("eventCallbackUrl", self.event_callback_url.as_deref())
            .keyword(
                "jitterBufferSize",
                self.jitter_buffer_size,
                d.jitter_buffer_size,
            )
            .opt("participantLabel", self.participant_label.as_deref())
            .opt(
                "recordingConfigurationId",
                self.recording_configuration_id.as_deref(),
            );
        tag.text(&self.name);
    }
}
