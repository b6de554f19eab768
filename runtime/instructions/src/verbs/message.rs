//! `<Message>` (and its older spelling `<Sms>`): send a text during a call.

use crate::attrs::Attrs;
use crate::error::Error;
use crate::keywords::HttpMethod;
use crate::print::Tag;
use crate::xml::Element;

/// `<Message>`/`<Sms>`: send `body` as an SMS.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    /// The text to send (the element's text).
    pub body: String,
    /// `to`; default the caller.
    pub to: Option<String>,
    /// `from`; default the called number.
    pub from: Option<String>,
    /// `action`: requested with `SmsStatus` once sent.
    pub action: Option<String>,
    /// `method` for `action`; default POST.
    pub method: HttpMethod,
    /// `statusCallback`: delivery status goes here.
    pub status_callback: Option<String>,
}

impl Message {
    /// A message with Twilio's defaults.
    pub fn new(body: impl Into<String>) -> Self {
        Message {
            body: body.into(),
            ..Message::default()
        }
    }

    pub(crate) fn from_element(el: &Element) -> Result<Self, Error> {
        let mut attrs = Attrs::new(el);
        let message = Message {
            body: el.text_only()?,
            to: attrs.string("to"),
            from: attrs.string("from"),
            action: attrs.string("action"),
            // 14104 "SMS method attribute invalid".
            method: attrs.method("method", 14104)?,
            status_callback: attrs.string("statusCallback"),
        };
        attrs.finish()?;
        if message.body.is_empty() {
            // 14103 "Message Invalid Body".
            return Err(Error::InvalidText {
                element: el.name.clone(),
                text: message.body,
                expected: "the message body",
                code: 14103,
            });
        }
        Ok(message)
    }

    /// Writes the message as `<Message>` or `<Sms>`.
    pub(crate) fn write(&self, out: &mut String, name: &'static str) {
        let mut tag = Tag::open(out, name);
        tag.opt("to", self.to.as_deref())
            .opt("from", self.from.as_deref())
            .opt("action", self.action.as_deref())
            .method("method", self.method)
            .opt("statusCallback", self.status_callback.as_deref());
        tag.text(&self.body);
    }
}
