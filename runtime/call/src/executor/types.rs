//! What goes in and out of the executor.

use std::sync::Arc;

use switchyard_instructions::HttpMethod;

use crate::events::EventKind;

/// Names one [`Action::Play`], so its completion can be matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MediaToken(pub u64);

/// A sound to play.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaSource {
    /// Text-to-speech.
    Speech {
        text: String,
        voice: String,
        language: String,
    },
    /// An audio file at an absolute URL.
    Url(String),
    /// DTMF digits (`0-9*#`, `w` = half a second of silence).
    Digits(String),
    /// Audio the application answered with directly (`audio/*` body).
    Inline {
        bytes: Arc<Vec<u8>>,
        content_type: String,
    },
    /// Silence for this many milliseconds (a Pause nested in Gather).
    Silence(u32),
    /// The beep before a `<Record>`.
    Beep,
    /// The built-in music a conference participant hears while it waits for the room
    /// to start or is on hold.
    WaitMusic,
    /// The ringback tone of a country (`ringTone`, ISO 3166 alpha-2; `us` by default)
    /// while a `<Dial>` rings.
    Ringback(String),
    /// The built-in hold music of a queued caller whose `<Enqueue>` has no `waitUrl`.
    HoldMusic,
}

/// A request for the next document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRequest {
    /// Absolute URL.
    pub url: String,
    pub method: HttpMethod,
    /// What the last verb produced (`Digits`, …); the node adds the call's own parameters.
    pub params: Vec<(String, String)>,
    /// Whether the number's fallback URL applies if this fetch fails (the first request).
    pub use_fallback: bool,
}

/// An application's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Document {
    Verbs(Vec<switchyard_instructions::Verb>),
    /// A `text/plain` answer: spoken.
    Text(String),
    /// An `audio/*` answer: played.
    Audio {
        bytes: Arc<Vec<u8>>,
        content_type: String,
    },
}

/// Why the application could not be used, with Twilio's error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppFailure {
    pub code: u32,
    pub message: String,
}

/// What the executor asks the node to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Fetch a document and pass it to [`super::Executor::document`].
    Fetch(FetchRequest),
    /// Answer the call (200 OK) before the next media.
    Answer,
    /// Refuse the call without answering: `486 Busy Here` or `603 Decline` for a first
    /// `<Reject>`, [`super::LOOP_STATUS`] or [`super::PRE_ANSWER_STATUS`] when the
    /// application went past a bound before answering.
    Reject { status: u16 },
    /// Play a sound `repeat` times (0 = until stopped), then report
    /// [`super::Executor::media_done`] with this token.
    Play {
        token: MediaToken,
        source: MediaSource,
        repeat: u32,
    },
    /// Stop whatever is playing, without reporting it done.
    StopMedia,
    /// Record what the caller says (report its start with
    /// [`super::Executor::record_started`] and its end, by itself or after
    /// [`Action::StopRecording`], with [`super::Executor::record_done`]).
    Record {
        token: MediaToken,
        spec: crate::verbs::record::RecordSpec,
    },
    /// Finish the recording with this token now.
    StopRecording(MediaToken),
    /// Record the whole call, both sides (report its start with
    /// [`super::Executor::record_started`] and its end with
    /// [`super::Executor::record_done`]); a bridged leg's party is the other side while
    /// the call is bridged.
    RecordCall {
        token: MediaToken,
        spec: super::CallRecordSpec,
    },
    /// Stop writing the call recording with this token: nothing (`skip`) or silence is
    /// written until [`Action::ResumeRecording`].
    PauseRecording { token: MediaToken, skip: bool },
    /// Write the paused call recording with this token again.
    ResumeRecording(MediaToken),
    /// Deliver a status callback (a recording's, a stream's): request `url` and ignore
    /// its answer. The node adds `AccountSid`, `CallSid` and `Timestamp`, signs it like
    /// every request and delivers a call's callbacks in order.
    Callback {
        url: String,
        method: HttpMethod,
        params: Vec<(String, String)>,
    },
    /// End the call (BYE).
    Hangup,
    /// Record a notification (an error or warning with Twilio's code).
    Notify(AppFailure),
    /// Place the legs of a `<Dial>` (each reported back with
    /// [`super::Executor::leg_ringing`], [`super::Executor::leg_answered`],
    /// [`super::Executor::leg_ended`]).
    Dial(crate::verbs::dial::DialRequest),
    /// End a leg: CANCEL while it rings, BYE once answered. `status` is what its record
    /// says (`canceled` for a party that lost the race, `no-answer` at the ring timeout).
    EndLeg {
        leg: crate::verbs::dial::LegId,
        status: switchyard_types::CallStatus,
    },
    /// Tell the unanswered caller the far end rings (`answerOnBridge`): 180, or 183 with
    /// the leg's early media.
    Ringback(crate::verbs::dial::LegId),
    /// Tell the unanswered caller the call progresses with media: 183 with our SDP
    /// answer, so it hears what is bridged to it (a leg's early media).
    Progress,
    /// Send DTMF to an answered leg before it is bridged (`sendDigits`).
    SendLegDigits {
        leg: crate::verbs::dial::LegId,
        digits: String,
    },
    /// Run the whisper at `url` on the answered leg, then report
    /// [`super::Executor::whisper_done`].
    Whisper {
        leg: crate::verbs::dial::LegId,
        url: String,
        method: HttpMethod,
    },
    /// The whisper started with [`super::Executor::whisper`] ran to its end: the leg
    /// may be bridged.
    WhisperEnded,
    /// Connect the caller's media and the leg's, both ways.
    Bridge(crate::verbs::dial::LegId),
    /// Disconnect them again; the caller's media returns to the executor's verbs.
    Unbridge(crate::verbs::dial::LegId),
    /// Open a Media Stream: connect to its server, send `connected` and `start`, then
    /// report [`super::Executor::stream_started`]; report
    /// [`super::Executor::stream_ended`] when it ends on its own or fails.
    StartStream(crate::verbs::stream::StreamRequest),
    /// Close a stream: send `stop` and close its socket (nothing to report back).
    StopStream(switchyard_types::StreamSid),
    /// Send a `dtmf` message on the `<Connect>` stream.
    StreamDigit {
        sid: switchyard_types::StreamSid,
        digit: char,
    },
    /// A queue's member and agent reach each other (see [`crate::queue::QueueAction`]).
    Queue(crate::queue::QueueAction),
    /// Put the call in a conference room and report
    /// [`super::Executor::conference_joined`]; the room's notices come back through
    /// [`super::Executor::conference_notice`].
    JoinConference(crate::verbs::dial::ConferenceJoin),
    /// Hear and speak in the room's mix (true), or not (false: the call plays its own
    /// sounds, the wait or hold music).
    ConferenceMedia(bool),
    /// Take the call out of its conference room.
    LeaveConference,
    /// Publish a call event.
    Event {
        kind: EventKind,
        data: Vec<(String, String)>,
    },
}
