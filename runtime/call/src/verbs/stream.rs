//! Media Streams: `<Start><Stream>` (a fork; the document goes on at once),
//! `<Stop><Stream name>` and `<Connect><Stream>` (the call is the server's until it
//! closes the socket, then `action` is requested or the document goes on).
//!
//! The executor keeps the call's streams and decides what their ends mean; the node
//! opens the sockets ([`Action::StartStream`]), closes them ([`Action::StopStream`]) and
//! reports what happened ([`Executor::stream_started`], [`Executor::stream_ended`]).
//! Twilio: "You can start up to four Media Streams per call."

use switchyard_instructions::{Connect, HttpMethod, Start, Stop, Stream, StreamTrack};
use switchyard_types::StreamSid;

use crate::events::EventKind;
use crate::executor::{Action, AppFailure, Executor, Step};

/// Most streams open on one call at once.
pub const MAX_STREAMS: usize = 4;

/// Twilio's code for a `<Stream>` URL that cannot be used ("Stream - Invalid URL" is
/// not in its dictionary; 11100 is its code for an invalid URL format).
const INVALID_URL: u32 = 11100;

/// A stream the node is asked to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRequest {
    pub sid: StreamSid,
    pub name: Option<String>,
    /// `wss://…`, or `ws://` to a loopback address.
    pub url: String,
    /// Which audio is sent (a `<Connect>` stream sends the caller's).
    pub track: StreamTrack,
    /// `customParameters` of the `start` message, in document order.
    pub parameters: Vec<(String, String)>,
    /// `<Connect>`: the server's audio is played to the caller, its digits go to it.
    pub bidirectional: bool,
}

/// A stream of this call, open or opening.
#[derive(Debug)]
pub(crate) struct OpenStream {
    sid: StreamSid,
    name: Option<String>,
    callback: Option<(String, HttpMethod)>,
}

/// `<Connect>` waits for its stream to end.
#[derive(Debug)]
pub(crate) struct ConnectState {
    sid: StreamSid,
    action: Option<String>,
    method: HttpMethod,
}

impl ConnectState {
    pub(crate) fn sid(&self) -> StreamSid {
        self.sid
    }
}

pub(super) fn start(exec: &mut Executor, start: Start) {
    if let Err(failure) = open(exec, start.stream, false) {
        exec.notify(failure);
    }
}

pub(super) fn stop(exec: &mut Executor, stop: Stop) {
    if !stop_by(exec, &stop.name) {
        exec.notify(AppFailure {
            code: super::NOT_EXECUTED,
            message: format!(
                "<Stop><Stream name={:?}>: no such stream on this call",
                stop.name
            ),
        });
    }
}

pub(super) fn connect(exec: &mut Executor, connect: Connect) {
    match open(exec, connect.stream, true) {
        Ok(sid) => {
            exec.step = Step::Connect(ConnectState {
                sid,
                action: connect.action,
                method: connect.method,
            });
        }
        // Twilio: the document goes on (or `action` is requested) with the error.
        Err(failure) => {
            exec.notify(failure.clone());
            after_connect(exec, connect.action, connect.method, Some(failure));
        }
    }
}

/// Checks `stream` and asks the node to open it.
pub(crate) fn open(
    exec: &mut Executor,
    stream: Stream,
    bidirectional: bool,
) -> Result<StreamSid, AppFailure> {
    if exec.streams.len() >= MAX_STREAMS {
        return Err(AppFailure {
            code: super::NOT_EXECUTED,
            message: format!("a call may have at most {MAX_STREAMS} streams; <Stream> ignored"),
        });
    }
    if let Some(name) = &stream.name {
        if exec.streams.iter().any(|s| s.name.as_ref() == Some(name)) {
            return Err(AppFailure {
                code: super::NOT_EXECUTED,
                message: format!("a stream named {name:?} is already open on this call"),
            });
        }
    }
    let url = websocket_url(&stream.url)?;
    let callback = match &stream.status_callback {
        Some(cb) => Some((
            exec.resolve(cb).map_err(|message| AppFailure {
                code: INVALID_URL,
                message,
            })?,
            stream.status_callback_method,
        )),
        None => None,
    };
    let sid = StreamSid::random();
    exec.streams.push(OpenStream {
        sid,
        name: stream.name.clone(),
        callback,
    });
    exec.push(Action::StartStream(StreamRequest {
        sid,
        name: stream.name,
        url,
        track: stream.track,
        parameters: stream
            .parameters
            .into_iter()
            .map(|p| (p.name, p.value))
            .collect(),
        bidirectional,
    }));
    Ok(sid)
}

/// The node opened the socket and sent `connected` and `start`.
pub(crate) fn started(exec: &mut Executor, sid: StreamSid) {
    if let Some(i) = exec.streams.iter().position(|s| s.sid == sid) {
        status(exec, i, "stream-started", None);
    }
}

/// The SID and name of the stream named `name_or_sid` (or with that SID).
pub(crate) fn find(exec: &Executor, name_or_sid: &str) -> Option<(StreamSid, Option<String>)> {
    exec.streams
        .iter()
        .find(|s| s.name.as_deref() == Some(name_or_sid) || s.sid.to_string() == name_or_sid)
        .map(|s| (s.sid, s.name.clone()))
}

/// Ask the node to close the stream named `name_or_sid`, and report it stopped.
pub(crate) fn stop_by(exec: &mut Executor, name_or_sid: &str) -> bool {
    let Some(i) = exec
        .streams
        .iter()
        .position(|s| s.name.as_deref() == Some(name_or_sid) || s.sid.to_string() == name_or_sid)
    else {
        return false;
    };
    let sid = exec.streams[i].sid;
    exec.push(Action::StopStream(sid));
    ended(exec, sid, None);
    true
}

/// Every stream of the call closes (the call ended).
pub(crate) fn stop_all(exec: &mut Executor) {
    while let Some(s) = exec.streams.first() {
        let sid = s.sid;
        exec.push(Action::StopStream(sid));
        ended(exec, sid, None);
    }
}

/// The stream is over: closed by its server, by us, or failed with `error`.
pub(crate) fn ended(exec: &mut Executor, sid: StreamSid, error: Option<AppFailure>) {
    let Some(i) = exec.streams.iter().position(|s| s.sid == sid) else {
        return;
    };
    match &error {
        Some(failure) => {
            status(exec, i, "stream-error", Some(&failure.message));
            exec.notify(failure.clone());
        }
        None => status(exec, i, "stream-stopped", None),
    }
    exec.streams.remove(i);
    if let Step::Connect(state) = &exec.step {
        if state.sid == sid {
            let Step::Connect(state) = std::mem::replace(&mut exec.step, Step::Idle) else {
                unreachable!("matched above")
            };
            after_connect(exec, state.action, state.method, error);
        }
    }
}

/// A key the caller pressed during `<Connect>` goes to the server.
pub(crate) fn digit(exec: &mut Executor, digit: char) {
    if let Step::Connect(state) = &exec.step {
        let sid = state.sid;
        exec.push(Action::StreamDigit { sid, digit });
    }
}

/// The `<Connect>` is over: its `action`, or the next verb (the caller advances).
fn after_connect(
    exec: &mut Executor,
    action: Option<String>,
    method: HttpMethod,
    error: Option<AppFailure>,
) {
    exec.event(
        EventKind::VerbEnded,
        vec![("Verb".into(), "Connect".into())],
    );
    match action {
        Some(url) => {
            let params = error
                .map(|e| {
                    vec![
                        ("ErrorCode".to_owned(), e.code.to_string()),
                        ("ErrorMessage".to_owned(), e.message),
                    ]
                })
                .unwrap_or_default();
            exec.verbs.clear();
            exec.fetch(url, method, params, false);
        }
        None => exec.step = Step::Idle,
    }
}

/// A `stream-…` status callback (when the stream has one) and its event.
fn status(exec: &mut Executor, i: usize, event: &str, error: Option<&str>) {
    let s = &exec.streams[i];
    let mut params = vec![
        ("StreamSid".to_owned(), s.sid.to_string()),
        (
            "StreamName".to_owned(),
            s.name.clone().unwrap_or_else(|| s.sid.to_string()),
        ),
        ("StreamEvent".to_owned(), event.to_owned()),
    ];
    if let Some(e) = error {
        params.push(("StreamError".to_owned(), e.to_owned()));
    }
    if let Some((url, method)) = s.callback.clone() {
        exec.push(Action::Callback {
            url,
            method,
            params: params.clone(),
        });
    }
    let kind = match event {
        "stream-started" => EventKind::StreamStarted,
        "stream-stopped" => EventKind::StreamStopped,
        _ => EventKind::StreamError,
    };
    exec.event(kind, params);
}

/// The stream's URL: `wss://`, or `ws://` only to a loopback address (audio in clear
/// text never leaves the machine).
fn websocket_url(raw: &str) -> Result<String, AppFailure> {
    let invalid = |why: String| AppFailure {
        code: INVALID_URL,
        message: format!("<Stream url={raw:?}>: {why}"),
    };
    let url = url::Url::parse(raw.trim()).map_err(|e| invalid(e.to_string()))?;
    match url.scheme() {
        "wss" => Ok(url.to_string()),
        "ws" if is_loopback(&url) => Ok(url.to_string()),
        "ws" => Err(invalid(
            "ws:// is allowed only to a loopback address; use wss://".into(),
        )),
        other => Err(invalid(format!(
            "scheme {other:?} is not a WebSocket (wss://)"
        ))),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    }
}
