//! What a `<Dial>` connects to: `<Number>`, `<Sip>`, `<Client>`, `<Conference>`, `<Queue>`.

use super::{Method, RecordingEvent};

/// A phone number to dial.
///
/// ```
/// use switchyard_sdk::{Dial, Number};
/// let dial = Dial::new().target(Number::new("+15550001111").send_digits("ww42"));
/// assert_eq!(dial.targets.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number {
    /// E.164, e.g. `+15550001111`.
    pub number: String,
    /// DTMF sent once the number answers.
    pub send_digits: Option<String>,
    /// A document or app path run for the called party before bridging.
    pub url: Option<String>,
}

impl Number {
    /// Dials `number`.
    pub fn new(number: impl Into<String>) -> Self {
        Number {
            number: number.into(),
            send_digits: None,
            url: None,
        }
    }

    /// DTMF sent once the number answers (`w` = half a second's wait).
    pub fn send_digits(mut self, digits: impl Into<String>) -> Self {
        self.send_digits = Some(digits.into());
        self
    }

    /// Run this for the called party before bridging (a whisper).
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }
}

/// A SIP URI to dial.
///
/// ```
/// use switchyard_sdk::Sip;
/// let pbx = Sip::new("sip:alice@pbx.example.com").credentials("alice", "secret");
/// assert_eq!(pbx.username.as_deref(), Some("alice"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sip {
    /// `sip:user@host`.
    pub uri: String,
    /// Digest username, if the far end challenges.
    pub username: Option<String>,
    /// Digest password.
    pub password: Option<String>,
}

impl Sip {
    /// Dials `uri`.
    pub fn new(uri: impl Into<String>) -> Self {
        Sip {
            uri: uri.into(),
            username: None,
            password: None,
        }
    }

    /// Answers a digest challenge with these credentials.
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self.password = Some(password.into());
        self
    }
}

/// A registered client to dial.
///
/// ```
/// use switchyard_sdk::Client;
/// let agent = Client::new("agent-7").parameter("ticket", "1234");
/// assert_eq!(agent.parameters, vec![("ticket".to_owned(), "1234".to_owned())]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// The client's identity.
    pub identity: String,
    /// Custom parameters passed to the client.
    pub parameters: Vec<(String, String)>,
}

impl Client {
    /// Dials the client registered as `identity`.
    pub fn new(identity: impl Into<String>) -> Self {
        Client {
            identity: identity.into(),
            parameters: Vec::new(),
        }
    }

    /// Adds a custom parameter.
    pub fn parameter(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parameters.push((name.into(), value.into()));
        self
    }
}

/// The events of a conference room a status callback may ask for
/// ([`Conference::status_callback_event`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConferenceEvent {
    /// The conference started.
    Start,
    /// The conference ended.
    End,
    /// A participant joined.
    Join,
    /// A participant left.
    Leave,
    /// A participant was muted or unmuted.
    Mute,
    /// A participant was held or unheld.
    Hold,
    /// A participant's settings changed.
    Modify,
    /// The loudest participant changed.
    Speaker,
    /// An announcement finished.
    Announcement,
}

/// A conference room to join, with every attribute of Twilio's `<Conference>` that the
/// node executes. The Dial around it lends its `action`, `method`, `hangup_on_star` and
/// `time_limit`.
///
/// ```
/// use switchyard_sdk::{Conference, ConferenceEvent};
/// let room = Conference::new("standup")
///     .muted(true)
///     .end_conference_on_exit(true)
///     .status_callback("/room-events")
///     .status_callback_event([ConferenceEvent::Join, ConferenceEvent::Leave]);
/// assert!(room.muted);
/// assert_eq!(room.status_callback_event.len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conference {
    /// The room's name, unique within the account.
    pub name: String,
    /// Join muted; default false.
    pub muted: bool,
    /// `true` (default), `false`, `onEnter`, `onExit`.
    pub beep: String,
    /// Start the conference when this participant joins; default true.
    pub start_conference_on_enter: bool,
    /// End the conference when this participant leaves; default false.
    pub end_conference_on_exit: bool,
    /// What to play while waiting for the conference to start (`""` = silence; `None`
    /// = the built-in music).
    pub wait_url: Option<String>,
    /// How `wait_url` is requested (POST).
    pub wait_method: Method,
    /// The most participants; default 250.
    pub max_participants: u32,
    /// Record the mixed room from its start (`record="record-from-start"`).
    pub record_from_start: bool,
    /// Trim the room recording's leading and trailing silence; default true.
    pub trim_silence: bool,
    /// The call SID of the participant this one coaches: heard by it alone.
    pub coach: Option<String>,
    /// Where the room's events go.
    pub status_callback: Option<String>,
    /// How `status_callback` is requested (POST).
    pub status_callback_method: Method,
    /// The events requested at `status_callback`.
    pub status_callback_event: Vec<ConferenceEvent>,
    /// Where the room recording's states go.
    pub recording_status_callback: Option<String>,
    /// How `recording_status_callback` is requested (POST).
    pub recording_status_callback_method: Method,
    /// The recording states requested; empty = `completed` alone (the default).
    pub recording_status_callback_event: Vec<RecordingEvent>,
}

impl Conference {
    /// Joins the room `name` with Twilio's defaults.
    pub fn new(name: impl Into<String>) -> Self {
        Conference {
            name: name.into(),
            muted: false,
            beep: "true".to_owned(),
            start_conference_on_enter: true,
            end_conference_on_exit: false,
            wait_url: None,
            wait_method: Method::Post,
            max_participants: 250,
            record_from_start: false,
            trim_silence: true,
            coach: None,
            status_callback: None,
            status_callback_method: Method::Post,
            status_callback_event: Vec::new(),
            recording_status_callback: None,
            recording_status_callback_method: Method::Post,
            recording_status_callback_event: Vec::new(),
        }
    }

    /// Join muted.
    pub fn muted(mut self, muted: bool) -> Self {
        self.muted = muted;
        self
    }

    /// `true`, `false`, `onEnter` or `onExit`.
    pub fn beep(mut self, beep: impl Into<String>) -> Self {
        self.beep = beep.into();
        self
    }

    /// Whether this participant's arrival starts the conference.
    pub fn start_conference_on_enter(mut self, start: bool) -> Self {
        self.start_conference_on_enter = start;
        self
    }

    /// Whether this participant's departure ends the conference.
    pub fn end_conference_on_exit(mut self, end: bool) -> Self {
        self.end_conference_on_exit = end;
        self
    }

    /// What to play while waiting.
    pub fn wait_url(mut self, url: impl Into<String>) -> Self {
        self.wait_url = Some(url.into());
        self
    }

    /// How `wait_url` is requested.
    pub fn wait_method(mut self, method: Method) -> Self {
        self.wait_method = method;
        self
    }

    /// The most participants.
    pub fn max_participants(mut self, max: u32) -> Self {
        self.max_participants = max;
        self
    }

    /// Record the mixed room from its start.
    pub fn record_from_start(mut self, record: bool) -> Self {
        self.record_from_start = record;
        self
    }

    /// Whether the room recording's leading and trailing silence is trimmed.
    pub fn trim_silence(mut self, trim: bool) -> Self {
        self.trim_silence = trim;
        self
    }

    /// Coach the participant whose call SID is `call_sid`.
    pub fn coach(mut self, call_sid: impl Into<String>) -> Self {
        self.coach = Some(call_sid.into());
        self
    }

    /// Where the room's events go.
    pub fn status_callback(mut self, url: impl Into<String>) -> Self {
        self.status_callback = Some(url.into());
        self
    }

    /// How the room's events are requested.
    pub fn status_callback_method(mut self, method: Method) -> Self {
        self.status_callback_method = method;
        self
    }

    /// The room's events to request.
    pub fn status_callback_event(
        mut self,
        events: impl IntoIterator<Item = ConferenceEvent>,
    ) -> Self {
        self.status_callback_event = events.into_iter().collect();
        self
    }

    /// Where the room recording's states go.
    pub fn recording_status_callback(mut self, url: impl Into<String>) -> Self {
        self.recording_status_callback = Some(url.into());
        self
    }

    /// How the room recording's states are requested.
    pub fn recording_status_callback_method(mut self, method: Method) -> Self {
        self.recording_status_callback_method = method;
        self
    }

    /// The room recording's states to request.
    pub fn recording_status_callback_event(
        mut self,
        events: impl IntoIterator<Item = RecordingEvent>,
    ) -> Self {
        self.recording_status_callback_event = events.into_iter().collect();
        self
    }
}

/// A queue to take the longest-waiting caller from. The Dial around it lends its
/// `action`, `method`, `timeout` (how long to wait for a caller in an empty queue) and
/// `time_limit`.
///
/// ```
/// use switchyard_sdk::{Method, Queue};
/// let q = Queue::new("support").url("/whisper").method(Method::Get);
/// assert_eq!(q.url.as_deref(), Some("/whisper"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queue {
    /// The queue's name.
    pub name: String,
    /// Run for the dequeued caller before bridging.
    pub url: Option<String>,
    /// How `url` is requested (POST).
    pub method: Method,
}

impl Queue {
    /// Dequeues from `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Queue {
            name: name.into(),
            url: None,
            method: Method::Post,
        }
    }

    /// Run this for the dequeued caller before bridging.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// How `url` is requested.
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }
}

macro_rules! named {
    ($($noun:ident),*) => {$(
        impl From<&str> for $noun {
            fn from(name: &str) -> Self {
                $noun::new(name)
            }
        }

        impl From<String> for $noun {
            fn from(name: String) -> Self {
                $noun::new(name)
            }
        }
    )*};
}

named!(Conference, Queue);

/// What a Dial connects to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialTarget {
    /// A phone number.
    Number(Number),
    /// A SIP URI.
    Sip(Sip),
    /// A registered client.
    Client(Client),
    /// A conference room.
    Conference(Conference),
    /// A queue.
    Queue(Queue),
}

macro_rules! into_target {
    ($($noun:ident),*) => {$(
        impl From<$noun> for DialTarget {
            fn from(noun: $noun) -> Self {
                DialTarget::$noun(noun)
            }
        }
    )*};
}

into_target!(Number, Sip, Client, Conference, Queue);
