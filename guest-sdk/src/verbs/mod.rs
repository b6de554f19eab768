//! The verbs an app answers with: the same model as TwiML, one type per verb.

mod dial;
mod gather;
mod message;
mod method;
mod nouns;
mod play;
mod queueing;
mod record;
mod redirect;
mod say;
mod stream;

pub use dial::Dial;
pub use gather::{Gather, GatherChild, GatherInput};
pub use message::Message;
pub use method::Method;
pub use nouns::{Client, Conference, ConferenceEvent, DialTarget, Number, Queue, Sip};
pub use play::{Pause, Play};
pub use queueing::Enqueue;
pub use record::{Record, RecordingEvent};
pub use redirect::Redirect;
pub use say::Say;
pub use stream::{Connect, Stream, StreamTrack};

/// Why a call is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RejectReason {
    /// "Not in service" (the default).
    #[default]
    Rejected,
    /// A busy signal.
    Busy,
}

/// One instruction. Build them with the verb types ([`Say`], [`Gather`] …) or the
/// functions [`hangup`], [`reject`], [`reject_busy`], [`leave`], [`refer`]; most apps
/// use [`crate::Response`]'s methods instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verb {
    /// `<Say>`.
    Say(Say),
    /// `<Play>`.
    Play(Play),
    /// `<Pause>`.
    Pause(Pause),
    /// `<Gather>`.
    Gather(Gather),
    /// `<Record>`.
    Record(Record),
    /// `<Dial>`.
    Dial(Dial),
    /// `<Redirect>`.
    Redirect(Redirect),
    /// `<Hangup>`: end the call.
    Hangup,
    /// `<Reject>`: refuse the call (without answering, when it is the first verb).
    Reject(RejectReason),
    /// `<Enqueue>`.
    Enqueue(Enqueue),
    /// `<Leave>`: take the caller out of its queue.
    Leave,
    /// `<Message>`.
    Message(Message),
    /// `<Refer>` the caller to this SIP URI.
    Refer(String),
    /// `<Start><Stream>`: fork the call's audio to a WebSocket; the next verb runs at
    /// once.
    StartStream(Stream),
    /// `<Stop><Stream name>`: end the fork of that name.
    StopStream(String),
    /// `<Connect><Stream>`: hand the call to a WebSocket server.
    ConnectStream(Connect),
}

macro_rules! into_verb {
    ($($verb:ident),*) => {$(
        impl From<$verb> for Verb {
            fn from(verb: $verb) -> Self {
                Verb::$verb(verb)
            }
        }
    )*};
}

into_verb!(Say, Play, Pause, Gather, Record, Dial, Redirect, Enqueue, Message);

/// `<Hangup>`.
///
/// ```
/// assert_eq!(switchyard_sdk::hangup(), switchyard_sdk::Verb::Hangup);
/// ```
pub fn hangup() -> Verb {
    Verb::Hangup
}

/// `<Reject>`: "not in service".
///
/// ```
/// use switchyard_sdk::{reject, RejectReason, Verb};
/// assert_eq!(reject(), Verb::Reject(RejectReason::Rejected));
/// ```
pub fn reject() -> Verb {
    Verb::Reject(RejectReason::Rejected)
}

/// `<Reject reason="busy">`.
///
/// ```
/// use switchyard_sdk::{reject_busy, RejectReason, Verb};
/// assert_eq!(reject_busy(), Verb::Reject(RejectReason::Busy));
/// ```
pub fn reject_busy() -> Verb {
    Verb::Reject(RejectReason::Busy)
}

/// `<Leave>`: take the caller out of its queue; the Enqueue's `action` runs next.
///
/// ```
/// assert_eq!(switchyard_sdk::leave(), switchyard_sdk::Verb::Leave);
/// ```
pub fn leave() -> Verb {
    Verb::Leave
}

/// `<Refer>`: ask the caller's SIP endpoint to call `uri` instead.
///
/// ```
/// use switchyard_sdk::{refer, Verb};
/// assert_eq!(refer("sip:desk@pbx.example.com"), Verb::Refer("sip:desk@pbx.example.com".into()));
/// ```
pub fn refer(uri: impl Into<String>) -> Verb {
    Verb::Refer(uri.into())
}
