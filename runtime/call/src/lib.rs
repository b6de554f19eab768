//! The call layer of Switchyard.
//!
//! - [`Executor`]: runs an application's verbs one at a time for one call. It is sans-IO:
//!   the node feeds it documents, media completions, digits and the time, and polls the
//!   [`Action`]s it wants performed (fetch the next document, play a sound, answer, hang up).
//! - [`CallEvent`]: what every call transition and verb start/end publishes.
//! - [`modules`]: which module controls the call, span by span, and what each used.
//! - [`params`]: Twilio's call request parameters, with Twilio's names.
//! - [`template`]: `{Name}` in next-step URLs expanded from the request's parameters.

pub mod conference;
mod error;
pub mod events;
mod executor;
pub mod leg;
pub mod modules;
pub mod params;
pub mod queue;
pub mod template;
mod verbs;

pub use error::Error;
pub use events::{CallEvent, EventKind};
pub use executor::{
    app_url, Action, AppFailure, AppLimits, CallRecordSpec, ClientContact, ClientDirectory,
    ConferenceJoin, DialLeg, DialRequest, Document, Executor, FetchRequest, LegId, LegTarget,
    MediaSource, MediaToken, NoSuchRecording, RecordSpec, Recorded, RecordingCallback, RecordingId,
    StreamRequest, DOCUMENT_LIMIT, LOOP_STATUS, MAX_PARALLEL, MAX_STREAMS, PRE_ANSWER_STATUS,
};
