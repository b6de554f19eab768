//! The verbs a `<Response>` holds, one file each.

mod dial;
mod enqueue;
mod gather;
mod message;
mod pause;
mod play;
mod record;
mod redirect;
mod refer;
mod reject;
mod say;
mod ssml;
mod streams;

pub use dial::{Dial, DialRecord, DialTarget};
pub use enqueue::{Enqueue, Task};
pub use gather::{Gather, GatherChild, GatherInput, SpeechTimeout};
pub use message::Message;
pub use pause::Pause;
pub use play::Play;
pub use record::{Record, RECORD_FINISH_KEYS};
pub use redirect::Redirect;
pub use refer::Refer;
pub use reject::{Reject, RejectReason};
pub use say::{Say, DEFAULT_LANGUAGE, DEFAULT_VOICE};
pub use ssml::{SsmlElement, SsmlNode, SsmlTag};
pub use streams::{Connect, Start, Stop};

use crate::error::Error;
use crate::print::Tag;
use crate::xml::Element;

/// One instruction of a call's script, whichever front door it came through.
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
    /// `<Hangup>`.
    Hangup,
    /// `<Reject>`.
    Reject(Reject),
    /// `<Enqueue>`.
    Enqueue(Enqueue),
    /// `<Leave>`: leave the queue the caller waits in.
    Leave,
    /// `<Message>`.
    Message(Message),
    /// `<Sms>`: the older spelling of `<Message>`, kept so printing round-trips.
    Sms(Message),
    /// `<Refer>`.
    Refer(Refer),
    /// `<Start>`: fork the call's audio to a stream.
    Start(Start),
    /// `<Stop>`: end a fork.
    Stop(Stop),
    /// `<Connect>`: hand the call to a stream.
    Connect(Connect),
}

/// Real TwiML voice verbs outside this model; named apart from typos so the
/// error says "not supported" rather than "unknown".
const UNSUPPORTED: &[&str] = &["Pay", "Prompt", "Echo"];

impl Verb {
    /// The TwiML element name (`"Say"`, `"Gather"`, …), for events and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Verb::Say(_) => "Say",
            Verb::Play(_) => "Play",
            Verb::Pause(_) => "Pause",
            Verb::Gather(_) => "Gather",
            Verb::Record(_) => "Record",
            Verb::Dial(_) => "Dial",
            Verb::Redirect(_) => "Redirect",
            Verb::Hangup => "Hangup",
            Verb::Reject(_) => "Reject",
            Verb::Enqueue(_) => "Enqueue",
            Verb::Leave => "Leave",
            Verb::Message(_) => "Message",
            Verb::Sms(_) => "Sms",
            Verb::Refer(_) => "Refer",
            Verb::Start(_) => "Start",
            Verb::Stop(_) => "Stop",
            Verb::Connect(_) => "Connect",
        }
    }

    /// Parses one child element of `<Response>`.
    pub(crate) fn from_element(el: &Element) -> Result<Self, Error> {
        Ok(match el.name.as_str() {
            "Say" => Verb::Say(Say::from_element(el, false)?),
            "Play" => Verb::Play(Play::from_element(el)?),
            "Pause" => Verb::Pause(Pause::from_element(el)?),
            "Gather" => Verb::Gather(Gather::from_element(el)?),
            "Record" => Verb::Record(Record::from_element(el)?),
            "Dial" => Verb::Dial(Dial::from_element(el)?),
            "Redirect" => Verb::Redirect(Redirect::from_element(el)?),
            "Hangup" => {
                bare(el)?;
                Verb::Hangup
            }
            "Reject" => Verb::Reject(Reject::from_element(el)?),
            "Enqueue" => Verb::Enqueue(Enqueue::from_element(el)?),
            "Leave" => {
                bare(el)?;
                Verb::Leave
            }
            "Message" => Verb::Message(Message::from_element(el)?),
            "Sms" => Verb::Sms(Message::from_element(el)?),
            "Refer" => Verb::Refer(Refer::from_element(el)?),
            "Start" => Verb::Start(Start::from_element(el)?),
            "Stop" => Verb::Stop(Stop::from_element(el)?),
            "Connect" => Verb::Connect(Connect::from_element(el)?),
            // Nouns are verbs' children, never the document's.
            "Number" | "Sip" | "Client" | "Conference" | "Queue" | "Task" | "Parameter"
            | "Stream" => {
                return Err(Error::InvalidNesting {
                    parent: "Response".into(),
                    child: el.name.clone(),
                })
            }
            name if UNSUPPORTED.contains(&name) => {
                return Err(Error::UnsupportedVerb {
                    verb: el.name.clone(),
                })
            }
            _ => {
                return Err(Error::UnknownVerb {
                    verb: el.name.clone(),
                })
            }
        })
    }

    pub(crate) fn write(&self, out: &mut String) {
        match self {
            Verb::Say(v) => v.write(out),
            Verb::Play(v) => v.write(out),
            Verb::Pause(v) => v.write(out),
            Verb::Gather(v) => v.write(out),
            Verb::Record(v) => v.write(out),
            Verb::Dial(v) => v.write(out),
            Verb::Redirect(v) => v.write(out),
            Verb::Hangup => Tag::open(out, "Hangup").empty(),
            Verb::Reject(v) => v.write(out),
            Verb::Enqueue(v) => v.write(out),
            Verb::Leave => Tag::open(out, "Leave").empty(),
            Verb::Message(v) => v.write(out, "Message"),
            Verb::Sms(v) => v.write(out, "Sms"),
            Verb::Refer(v) => v.write(out),
            Verb::Start(v) => v.write(out),
            Verb::Stop(v) => v.write(out),
            Verb::Connect(v) => v.write(out),
        }
    }
}

/// `<Hangup>` and `<Leave>` take no attributes and no content.
fn bare(el: &Element) -> Result<(), Error> {
    crate::attrs::Attrs::new(el).finish()?;
    el.expect_empty()
}
