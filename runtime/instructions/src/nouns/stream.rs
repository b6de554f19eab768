//! `<Stream>`: the call's audio over a WebSocket (Twilio Media Streams), inside
//! `<Start>` (a one-way fork), `<Connect>` (the call handed to the server, both ways)
//! or `<Stop>` (end a fork by name).

use crate::attrs::Attrs;
use crate::error::{Error, SCHEMA};
use crate::keywords::{keyword_enum, HttpMethod};
use crate::nouns::common::Parameter;
use crate::print::Tag;
use crate::xml::Element;

keyword_enum! {
    /// `track` on `<Stream>`: which of the call's audio is sent.
    #[derive(Default)]
    pub enum StreamTrack {
        /// What the caller says (the default; the only one `<Connect>` takes).
        #[default]
        Inbound = "inbound_track",
        /// What the caller hears.
        Outbound = "outbound_track",
        /// Both, as two tracks of the same stream.
        Both = "both_tracks",
    }
}

impl StreamTrack {
    /// Whether the caller's audio is sent.
    pub fn inbound(self) -> bool {
        matches!(self, StreamTrack::Inbound | StreamTrack::Both)
    }

    /// Whether what the caller hears is sent.
    pub fn outbound(self) -> bool {
        matches!(self, StreamTrack::Outbound | StreamTrack::Both)
    }
}

/// `<Stream url name track statusCallback statusCallbackMethod>` with its
/// `<Parameter>` children.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stream {
    /// `url`: the WebSocket server, `wss://` (or `ws://` to a loopback address).
    pub url: String,
    /// `name`: unique per call; `<Stop>` and the REST API end the stream by it.
    pub name: Option<String>,
    /// `track`; default `inbound_track`.
    pub track: StreamTrack,
    /// `statusCallback`: `stream-started`, `stream-stopped` and `stream-error` go here.
    pub status_callback: Option<String>,
    /// `statusCallbackMethod`; default POST.
    pub status_callback_method: HttpMethod,
    /// `<Parameter>` children: `customParameters` of the `start` message.
    pub parameters: Vec<Parameter>,
}

impl Stream {
    /// A stream to `url` with Twilio's defaults.
    pub fn new(url: impl Into<String>) -> Self {
        Stream {
            url: url.into(),
            ..Stream::default()
        }
    }

    pub(crate) fn from_element(el: &Element) -> Result<Self, Error> {
        let mut attrs = Attrs::new(el);
        let url = attrs.string("url");
        let stream = Stream {
            url: String::new(),
            name: attrs.string("name"),
            track: attrs.keyword("track", SCHEMA)?.unwrap_or_default(),
            status_callback: attrs.string("statusCallback"),
            status_callback_method: attrs.method("statusCallbackMethod", SCHEMA)?,
            parameters: parameters(el)?,
        };
        attrs.finish()?;
        el.expect_no_text()?;
        let url = url
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| Error::MissingAttribute {
                element: el.name.clone(),
                attribute: "url",
            })?;
        Ok(Stream { url, ..stream })
    }

    pub(crate) fn write(&self, out: &mut String) {
        let mut tag = Tag::open(out, "Stream");
        tag.attr("url", &self.url)
            .opt("name", self.name.as_deref())
            .keyword("track", self.track, StreamTrack::Inbound)
            .opt("statusCallback", self.status_callback.as_deref())
            .method("statusCallbackMethod", self.status_callback_method);
        if self.parameters.is_empty() {
            tag.empty();
        } else {
            tag.body(|out| self.parameters.iter().for_each(|p| p.write(out)));
        }
    }
}

/// The `<Parameter>` children of a `<Stream>`; nothing else may be inside it.
fn parameters(el: &Element) -> Result<Vec<Parameter>, Error> {
    el.elements()
        .map(|child| match child.name.as_str() {
            "Parameter" => Parameter::from_element(child),
            _ => Err(Error::InvalidNesting {
                parent: el.name.clone(),
                child: child.name.clone(),
            }),
        })
        .collect()
}
