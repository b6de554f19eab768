//! Media Streams: `<Start><Stream>`, `<Stop><Stream>` and `<Connect><Stream>`, the
//! call's audio over a WebSocket in Twilio's protocol.

use super::Method;

/// Which audio of the call a stream carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StreamTrack {
    /// What the caller says (the default; the only track of a connected stream).
    #[default]
    Inbound,
    /// What the caller hears.
    Outbound,
    /// Both, as two tracks of one stream.
    Both,
}

/// `<Stream>`: where a stream goes and what it carries. Started with
/// [`crate::Response::start_stream`] (a fork; the next verb runs at once) or handed
/// the call with [`Connect`].
///
/// ```
/// use switchyard_sdk::{Stream, StreamTrack};
/// let fork = Stream::new("wss://bot.example.com/media")
///     .name("transcriber")
///     .track(StreamTrack::Both)
///     .status_callback("/stream-status")
///     .parameter("agent", "7");
/// assert_eq!(fork.parameters, vec![("agent".to_owned(), "7".to_owned())]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    /// `wss://…` (or `ws://` to a loopback address).
    pub url: String,
    /// Unique per call; [`crate::Response::stop_stream`] ends the stream by it.
    pub name: Option<String>,
    /// See [`StreamTrack`].
    pub track: StreamTrack,
    /// Where `stream-started`, `stream-stopped` and `stream-error` are requested.
    pub status_callback: Option<String>,
    /// How the status callback is requested (POST).
    pub status_callback_method: Method,
    /// `<Parameter>`s: the `customParameters` of the `start` message, in order.
    pub parameters: Vec<(String, String)>,
}

impl Stream {
    /// A stream to `url` with Twilio's defaults (inbound track, no name).
    pub fn new(url: impl Into<String>) -> Self {
        Stream {
            url: url.into(),
            name: None,
            track: StreamTrack::Inbound,
            status_callback: None,
            status_callback_method: Method::Post,
            parameters: Vec::new(),
        }
    }

    /// Names the stream (unique per call).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Which audio it carries.
    pub fn track(mut self, track: StreamTrack) -> Self {
        self.track = track;
        self
    }

    /// Where the stream's status callbacks go.
    pub fn status_callback(mut self, url: impl Into<String>) -> Self {
        self.status_callback = Some(url.into());
        self
    }

    /// How the status callbacks are requested.
    pub fn status_callback_method(mut self, method: Method) -> Self {
        self.status_callback_method = method;
        self
    }

    /// Adds a custom parameter of the `start` message.
    pub fn parameter(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parameters.push((name.into(), value.into()));
        self
    }
}

impl From<&str> for Stream {
    fn from(url: &str) -> Self {
        Stream::new(url)
    }
}

impl From<String> for Stream {
    fn from(url: String) -> Self {
        Stream::new(url)
    }
}

/// `<Connect><Stream>`: the call is the server's (it hears the caller and talks back)
/// until it closes the socket; then `action` is requested, or the next verb runs.
///
/// ```
/// use switchyard_sdk::{Connect, Response, Stream};
/// let r = Response::new().connect_stream(Connect::new("wss://bot.example.com/talk").action("/after"));
/// # let _ = r;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connect {
    /// The stream (its track is always the inbound one).
    pub stream: Stream,
    /// Requested when the stream ends.
    pub action: Option<String>,
    /// How `action` is requested (POST).
    pub method: Method,
}

impl Connect {
    /// Hands the call to `stream` (a URL or a [`Stream`]).
    pub fn new(stream: impl Into<Stream>) -> Self {
        Connect {
            stream: stream.into(),
            action: None,
            method: Method::Post,
        }
    }

    /// Where the call goes when the stream ends.
    pub fn action(mut self, url: impl Into<String>) -> Self {
        self.action = Some(url.into());
        self
    }

    /// How `action` is requested.
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }
}

impl From<Stream> for Connect {
    fn from(stream: Stream) -> Self {
        Connect::new(stream)
    }
}

impl From<&str> for Connect {
    fn from(url: &str) -> Self {
        Connect::new(url)
    }
}

impl From<String> for Connect {
    fn from(url: String) -> Self {
        Connect::new(url)
    }
}
