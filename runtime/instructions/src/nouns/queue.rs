//! `<Queue>`: connect to the caller at the head of a queue.

use crate::attrs::Attrs;
use crate::error::Error;
use crate::keywords::HttpMethod;
use crate::print::Tag;
use crate::xml::Element;

/// Longest queue name Twilio accepts (14205/14213 "Queue name too long").
pub const MAX_QUEUE_NAME: usize = 64;

/// `<Queue>`: bridge to the first caller waiting in queue `name`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Queue {
    /// The queue name (the element's text).
    pub name: String,
    /// `url`: TwiML played to the dequeued caller before bridging (a whisper).
    pub url: Option<String>,
    /// `method` for `url`; default POST.
    pub method: HttpMethod,
    /// `reservationSid`: TaskRouter reservation to accept.
    pub reservation_sid: Option<String>,
    /// `postWorkActivitySid`: TaskRouter activity after the call.
    pub post_work_activity_sid: Option<String>,
}

impl Queue {
    /// A `<Queue>` with Twilio's defaults.
    pub fn new(name: impl Into<String>) -> Self {
        Queue {
            name: name.into(),
            ..Queue::default()
        }
    }

    pub(crate) fn from_element(el: &Element) -> Result<Self, Error> {
        let mut attrs = Attrs::new(el);
        let queue = Queue {
            name: el.text_only()?,
            url: attrs.string("url"),
            // 14210 "Dial->Queue: Invalid whisper method".
            method: attrs.method("method", 14210)?,
            reservation_sid: attrs.string("reservationSid"),
            post_work_activity_sid: attrs.string("postWorkActivitySid"),
        };
        attrs.finish()?;
        // 14212 "Dial->Queue: Queue name too short", 14213 "… too long".
        check_queue_name(el, &queue.name, 14212, 14213)?;
        Ok(queue)
    }

    pub(crate) fn write(&self, out: &mut String) {
        let mut tag = Tag::open(out, "Queue");
        tag.opt("url", self.url.as_deref())
            .method("method", self.method)
            .opt("reservationSid", self.reservation_sid.as_deref())
            .opt(
                "postWorkActivitySid",
                self.post_work_activity_sid.as_deref(),
            );
        tag.text(&self.name);
    }
}

/// Checks a queue name's length, reporting with the caller's Twilio codes.
pub(crate) fn check_queue_name(
    el: &Element,
    name: &str,
    too_short: u32,
    too_long: u32,
) -> Result<(), Error> {
    let code = if name.is_empty() {
        too_short
    } else if name.chars().count() > MAX_QUEUE_NAME {
        too_long
    } else {
        return Ok(());
    };
    Err(Error::InvalidText {
        element: el.name.clone(),
        text: name.to_owned(),
        expected: "a queue name of 1 to 64 characters",
        code,
    })
}
