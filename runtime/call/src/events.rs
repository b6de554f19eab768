//! Call events: every call transition and every verb start and end is published as one.
//!
//! The node stamps each event with its account, call and time and hands it to the event
//! bus; the event router (another layer) delivers them to subscribers.

use std::time::SystemTime;
use switchyard_types::{AccountSid, CallSid};

/// The type of an event, spelled on the wire as `call.answered`, `gather.completed`, ….
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    CallInitiated,
    CallRinging,
    CallAnswered,
    CallCompleted,
    CallFailed,
    VerbStarted,
    VerbEnded,
    GatherCompleted,
    AppError,
    WebhookFailed,
    Notification,
}

impl EventKind {
    /// The dotted wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CallInitiated => "call.initiated",
            Self::CallRinging => "call.ringing",
            Self::CallAnswered => "call.answered",
            Self::CallCompleted => "call.completed",
            Self::CallFailed => "call.failed",
            Self::VerbStarted => "verb.started",
            Self::VerbEnded => "verb.ended",
            Self::GatherCompleted => "gather.completed",
            Self::AppError => "app.error",
            Self::WebhookFailed => "webhook.failed",
            Self::Notification => "notification",
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
