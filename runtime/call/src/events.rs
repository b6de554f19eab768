//! Call events: every call transition and every verb start and end is published as one.
//!
//! The node stamps each event with its account, call and time and hands it to the event
//! bus; the event router (another layer) delivers them to subscribers.

use std::time::SystemTime;
use switchyard_types::{AccountSid, CallSid};

/// The type of an event, spelled on the wire as `call.answered`, `gather.ended`, ….
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    CallInitiated,
    CallRinging,
    CallAnswered,
    CallCompleted,
    CallFailed,
    VerbStarted,
    VerbEnded,
    AppError,
    WebhookFailed,
    Notification,
    /// A client published an event to the call.
    ClientEvent,
    /// A Media Stream's socket is open and its `start` sent.
    StreamStarted,
    /// A Media Stream ended.
    StreamStopped,
    /// A Media Stream failed (and ended).
    StreamError,
    /// A module (Wasm app, webhook application, built-ins) took control of the call.
    ModuleEntered,
    /// A module handed the call on (or the call ended), with what it used.
    ModuleLeft,
    /// A whole-call recording started.
    RecordingStarted,
    /// A whole-call recording was paused, resumed or stopped through the API.
    RecordingUpdated,
    /// A whole-call recording is finished (`completed` or `absent`).
    RecordingCompleted,
    /// The caller joined a queue (`<Enqueue>`).
    QueueJoined,
    /// The caller left its queue, with its `QueueResult`.
    QueueLeft,
    /// An agent's `<Dial><Queue>` took the caller and the two are bridged.
    QueueBridged,
    /// A conference room started (its participants hear each other).
    ConferenceStarted,
    /// A conference room ended.
    ConferenceEnded,
    /// A participant joined a conference.
    ParticipantJoined,
    /// A participant left a conference.
    ParticipantLeft,
    /// A participant was muted, held, or made a coach (or the reverse).
    ParticipantUpdated,
    /// A participant started or stopped speaking.
    ParticipantSpeech,
}

impl EventKind {
    /// The dotted wire name; verb events are named by their verb (see [`CallEvent::event_type`]).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CallInitiated => "call.initiated",
            Self::CallRinging => "call.ringing",
            Self::CallAnswered => "call.answered",
            Self::CallCompleted => "call.completed",
            Self::CallFailed => "call.failed",
            Self::VerbStarted => "verb.started",
            Self::VerbEnded => "verb.ended",
            Self::AppError => "app.error",
            Self::WebhookFailed => "webhook.failed",
            Self::Notification => "notification",
            Self::ClientEvent => "client.event",
            Self::StreamStarted => "stream.started",
            Self::StreamStopped => "stream.stopped",
            Self::StreamError => "stream.error",
            Self::ModuleEntered => "call.module.entered",
            Self::ModuleLeft => "call.module.left",
            Self::RecordingStarted => "recording.started",
            Self::RecordingUpdated => "recording.updated",
            Self::RecordingCompleted => "recording.completed",
            Self::QueueJoined => "queue.joined",
            Self::QueueLeft => "queue.left",
            Self::QueueBridged => "queue.bridged",
            Self::ConferenceStarted => "conference.started",
            Self::ConferenceEnded => "conference.ended",
            Self::ParticipantJoined => "conference.participant.joined",
            Self::ParticipantLeft => "conference.participant.left",
            Self::ParticipantUpdated => "conference.participant.updated",
            Self::ParticipantSpeech => "conference.participant.speech",
        }
    }
}

/// One event of one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEvent {
    pub account_sid: AccountSid,
    pub call_sid: Option<CallSid>,
    pub kind: EventKind,
    pub timestamp: SystemTime,
    /// Free-form fields, with Twilio's parameter names where one exists (`Digits`, `ErrorCode`).
    pub data: Vec<(String, String)>,
}

impl CallEvent {
    /// The catalogue name: `say.started`, `gather.ended`, … for verb events (the `Verb`
    /// field names the verb), the kind's own name for the others.
    pub fn event_type(&self) -> String {
        let verb = || {
            self.data
                .iter()
                .find(|(k, _)| k == "Verb")
                .map(|(_, v)| v.to_ascii_lowercase())
        };
        match (self.kind, verb()) {
            (EventKind::VerbStarted, Some(v)) => format!("{v}.started"),
            (EventKind::VerbEnded, Some(v)) => format!("{v}.ended"),
            (kind, _) => kind.as_str().to_owned(),
        }
    }
}
