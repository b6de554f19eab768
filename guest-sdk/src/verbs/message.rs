//! `<Message>`: send a text message during the call.

/// Sends an SMS while the call goes on.
///
/// ```
/// use switchyard_sdk::Message;
/// let sms = Message::new("Your code is 1234").to("+15550001111");
/// assert_eq!(sms.to.as_deref(), Some("+15550001111"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The text.
    pub body: String,
    /// The recipient; default the caller.
    pub to: Option<String>,
    /// The sender; default the number called.
    pub from: Option<String>,
    /// Told the message's status.
    pub action: Option<String>,
}

impl Message {
    /// Texts `body` to the caller.
    pub fn new(body: impl Into<String>) -> Self {
        Message {
            body: body.into(),
            to: None,
            from: None,
            action: None,
        }
    }

    /// The recipient.
    pub fn to(mut self, to: impl Into<String>) -> Self {
        self.to = Some(to.into());
        self
    }

    /// The sender.
    pub fn from(mut self, from: impl Into<String>) -> Self {
        self.from = Some(from.into());
        self
    }

    /// Told the message's status.
    pub fn action(mut self, action: impl Into<String>) -> Self {
        self.action = Some(action.into());
        self
    }
}

impl From<&str> for Message {
    fn from(body: &str) -> Self {
        Message::new(body)
    }
}

impl From<String> for Message {
    fn from(body: String) -> Self {
        Message::new(body)
    }
}
