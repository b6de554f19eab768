//! What a `<Dial>` connects to: `<Number>`, `<Sip>`, `<Client>`, `<Conference>`, `<Queue>`.

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

/// A conference room to join.
///
/// ```
/// use switchyard_sdk::Conference;
/// let room = Conference::new("standup").muted(true).end_conference_on_exit(true);
/// assert!(room.muted);
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
    /// What to play while waiting for the conference to start.
    pub wait_url: Option<String>,
    /// The most participants; default 250.
    pub max_participants: u32,
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
            max_participants: 250,
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

    /// The most participants.
    pub fn max_participants(mut self, max: u32) -> Self {
        self.max_participants = max;
        self
    }
}

/// A queue to take the longest-waiting caller from.
///
/// ```
/// use switchyard_sdk::Queue;
/// assert_eq!(Queue::new("support").url("/whisper").url.as_deref(), Some("/whisper"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queue {
    /// The queue's name.
    pub name: String,
    /// Run for the dequeued caller before bridging.
    pub url: Option<String>,
}

impl Queue {
    /// Dequeues from `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Queue {
            name: name.into(),
            url: None,
        }
    }

    /// Run this for the dequeued caller before bridging.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }
}

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
