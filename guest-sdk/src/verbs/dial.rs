//! `<Dial>`: connect the caller to another party.

use super::nouns::{Client, Conference, DialTarget, Number, Queue, Sip};
use super::Method;

/// Connects the caller to one or more targets (all ring at once; the first to answer
/// wins).
///
/// ```
/// use switchyard_sdk::{Dial, Sip};
/// let simple = Dial::number("+15550001111").timeout(20).caller_id("+15550009999");
/// let room = Dial::conference("standup");
/// let both = Dial::number("+15550001111").target(Sip::new("sip:desk@pbx.example.com"));
/// assert_eq!(both.targets.len(), 2);
/// # let _ = (simple, room);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dial {
    /// Where `DialCallStatus` goes; `None` = continue with the next verb.
    pub action: Option<String>,
    /// How `action` is requested.
    pub method: Method,
    /// Seconds to ring; default 30.
    pub timeout: u32,
    /// The caller may press `*` to leave the bridge; default false.
    pub hangup_on_star: bool,
    /// The longest call in seconds; default 14400.
    pub time_limit: u32,
    /// The caller id shown to the called party.
    pub caller_id: Option<String>,
    /// `do-not-record` (default), `record-from-answer`, `record-from-ringing`, …
    pub record: String,
    /// Answer the caller only when the called party answers; default false.
    pub answer_on_bridge: bool,
    /// The ringback tone's country code, e.g. `us`, `de`.
    pub ring_tone: Option<String>,
    /// Who to ring.
    pub targets: Vec<DialTarget>,
}

impl Default for Dial {
    fn default() -> Self {
        Dial {
            action: None,
            method: Method::Post,
            timeout: 30,
            hangup_on_star: false,
            time_limit: 14400,
            caller_id: None,
            record: "do-not-record".to_owned(),
            answer_on_bridge: false,
            ring_tone: None,
            targets: Vec::new(),
        }
    }
}

impl Dial {
    /// A Dial with Twilio's defaults and no target yet (add them with [`Dial::target`]).
    pub fn new() -> Self {
        Dial::default()
    }

    /// Dials a phone number.
    pub fn number(number: impl Into<String>) -> Self {
        Dial::new().target(Number::new(number))
    }

    /// Dials a SIP URI.
    pub fn sip(uri: impl Into<String>) -> Self {
        Dial::new().target(Sip::new(uri))
    }

    /// Dials a registered client.
    pub fn client(identity: impl Into<String>) -> Self {
        Dial::new().target(Client::new(identity))
    }

    /// Joins a conference room: a name or a configured [`Conference`].
    pub fn conference(room: impl Into<Conference>) -> Self {
        Dial::new().target(room.into())
    }

    /// Takes the longest-waiting caller from a queue: a name or a configured [`Queue`].
    pub fn queue(queue: impl Into<Queue>) -> Self {
        Dial::new().target(queue.into())
    }

    /// Adds a target: a [`Number`], [`Sip`], [`Client`], [`Conference`] or [`Queue`].
    pub fn target(mut self, target: impl Into<DialTarget>) -> Self {
        self.targets.push(target.into());
        self
    }

    /// Where `DialCallStatus` goes when the dialled leg ends.
    pub fn action(mut self, action: impl Into<String>) -> Self {
        self.action = Some(action.into());
        self
    }

    /// How `action` is requested.
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// Seconds to ring.
    pub fn timeout(mut self, seconds: u32) -> Self {
        self.timeout = seconds;
        self
    }

    /// Let the caller press `*` to leave the bridge.
    pub fn hangup_on_star(mut self, yes: bool) -> Self {
        self.hangup_on_star = yes;
        self
    }

    /// The longest call in seconds.
    pub fn time_limit(mut self, seconds: u32) -> Self {
        self.time_limit = seconds;
        self
    }

    /// The caller id shown to the called party.
    pub fn caller_id(mut self, caller_id: impl Into<String>) -> Self {
        self.caller_id = Some(caller_id.into());
        self
    }

    /// `do-not-record`, `record-from-answer`, `record-from-ringing`, …
    pub fn record(mut self, mode: impl Into<String>) -> Self {
        self.record = mode.into();
        self
    }

    /// Answer the caller only when the called party answers.
    pub fn answer_on_bridge(mut self, yes: bool) -> Self {
        self.answer_on_bridge = yes;
        self
    }

    /// The ringback tone's country code.
    pub fn ring_tone(mut self, country: impl Into<String>) -> Self {
        self.ring_tone = Some(country.into());
        self
    }
}

impl From<&str> for Dial {
    fn from(number: &str) -> Self {
        Dial::number(number)
    }
}

impl From<String> for Dial {
    fn from(number: String) -> Self {
        Dial::number(number)
    }
}
