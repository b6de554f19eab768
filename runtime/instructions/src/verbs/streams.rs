//! `<Start>`, `<Stop>` and `<Connect>`: the three verbs that hold a `<Stream>`, in one
//! file because they share what they hold and how the other nouns Twilio allows there
//! are reported.

use crate::attrs::Attrs;
use crate::error::{Error, SCHEMA};
use crate::keywords::HttpMethod;
use crate::nouns::{Stream, StreamTrack};
use crate::print::Tag;
use crate::xml::Element;

/// `<Start>`: fork the call's audio to a WebSocket server; the document goes on at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Start {
    /// `action`: requested if the fork cannot start (Twilio's `<Start action>`).
    pub action: Option<String>,
    /// `method` for `action`; default POST.
    pub method: HttpMethod,
    /// The fork.
    pub stream: Stream,
}

/// `<Stop><Stream name/></Stop>`: end the fork started with that name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    /// The stream's `name`.
    pub name: String,
}

/// `<Connect>`: hand the call to a WebSocket server until it closes the socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connect {
    /// `action`: requested when the stream ends; without it the document goes on.
    pub action: Option<String>,
    /// `method` for `action`; default POST.
    pub method: HttpMethod,
    /// The bidirectional stream (its `track` is always `inbound_track`).
    pub stream: Stream,
}

/// Nouns Twilio allows in `<Start>`/`<Stop>`: named apart so the error says "not
/// supported" rather than "misplaced".
const OTHER_START_NOUNS: &[&str] = &["Siprec", "Transcription", "ConversationRelay"];
/// Nouns Twilio allows in `<Connect>` besides `<Stream>`.
const OTHER_CONNECT_NOUNS: &[&str] = &[
    "Room",
    "Conversation",
    "VirtualAgent",
    "ConversationRelay",
    "Autopilot",
    "AiSession",
    "Assistant",
];

impl Start {
    /// A `<Start>` of `stream`.
    pub fn new(stream: Stream) -> Self {
        Start {
            action: None,
            method: HttpMethod::Post,
            stream,
        }
    }

    pub(crate) fn from_element(el: &Element) -> Result<Self, Error> {
        let mut attrs = Attrs::new(el);
        let action = attrs.string("action");
        let method = attrs.method("method", SCHEMA)?;
        attrs.finish()?;
        let stream = Stream::from_element(only_stream(el, OTHER_START_NOUNS)?)?;
        Ok(Start {
            action,
            method,
            stream,
        })
    }

    pub(crate) fn write(&self, out: &mut String) {
        let mut tag = Tag::open(out, "Start");
        tag.opt("action", self.action.as_deref())
            .method("method", self.method);
        tag.body(|out| self.stream.write(out));
    }
}

impl Stop {
    pub(crate) fn from_element(el: &Element) -> Result<Self, Error> {
        Attrs::new(el).finish()?;
        let stream = only_stream(el, OTHER_START_NOUNS)?;
        let mut attrs = Attrs::new(stream);
        let name = attrs.string("name");
        attrs.finish()?;
        stream.expect_empty()?;
        let name = name.ok_or(Error::MissingAttribute {
            element: "Stream".into(),
            attribute: "name",
        })?;
        Ok(Stop { name })
    }

    pub(crate) fn write(&self, out: &mut String) {
        Tag::open(out, "Stop").body(|out| {
            let mut tag = Tag::open(out, "Stream");
            tag.attr("name", &self.name);
            tag.empty();
        });
    }
}

impl Connect {
    /// A `<Connect>` to `stream`, going on with the document when it ends.
    pub fn new(stream: Stream) -> Self {
        Connect {
            action: None,
            method: HttpMethod::Post,
            stream,
        }
    }

    pub(crate) fn from_element(el: &Element) -> Result<Self, Error> {
        let mut attrs = Attrs::new(el);
        let action = attrs.string("action");
        let method = attrs.method("method", SCHEMA)?;
        attrs.finish()?;
        let child = only_stream(el, OTHER_CONNECT_NOUNS)?;
        let stream = Stream::from_element(child)?;
        // Twilio: "Bidirectional Streams only support the inbound_track value".
        if stream.track != StreamTrack::Inbound {
            return Err(Error::InvalidAttributeValue {
                element: child.name.clone(),
                attribute: "track",
                value: stream.track.as_str().into(),
                expected: "`inbound_track` (the only track of a <Connect><Stream>)",
                code: SCHEMA,
            });
        }
        Ok(Connect {
            action,
            method,
            stream,
        })
    }

    pub(crate) fn write(&self, out: &mut String) {
        let mut tag = Tag::open(out, "Connect");
        tag.opt("action", self.action.as_deref())
            .method("method", self.method);
        tag.body(|out| self.stream.write(out));
    }
}

/// The one `<Stream>` child of `el`; Twilio's other nouns there are unsupported (a
/// 12200 warning), anything else is misplaced.
fn only_stream<'e>(el: &'e Element, others: &[&str]) -> Result<&'e Element, Error> {
    el.expect_no_text()?;
    let children: Vec<&Element> = el.elements().collect();
    for child in &children {
        if others.contains(&child.name.as_str()) {
            return Err(Error::UnsupportedNoun {
                parent: el.name.clone(),
                noun: child.name.clone(),
            });
        }
    }
    let misplaced = |child: &Element| Error::InvalidNesting {
        parent: el.name.clone(),
        child: child.name.clone(),
    };
    match children.as_slice() {
        [] => Err(Error::MissingTarget {
            element: el.name.clone(),
            expected: "a <Stream>",
        }),
        [only] if only.name == "Stream" => Ok(only),
        [only] => Err(misplaced(only)),
        [_, second, ..] => Err(misplaced(second)),
    }
}
