//! # switchyard-sdk: Switchyard call apps in Rust
//!
//! A Switchyard app is a WebAssembly component: for every step of a call the node asks
//! your handler what to do, and it answers with verbs, the same ones as TwiML. A hello
//! world:
//!
//! ```
//! use switchyard_sdk::{export_handler, AppError, Request, Response};
//!
//! fn hello(req: Request) -> Result<Response, AppError> {
//!     Ok(Response::new().say(format!("Hello, {}", req.from())).hangup())
//! }
//!
//! export_handler!(hello);
//! # fn main() {}
//! ```
//!
//! Build it as a `cdylib` with `cargo build --release --target wasm32-wasip2`; the
//! `.wasm` is a component the node runs directly.
//!
//! ## A step
//!
//! [`Request`] says which call (`call_sid()`, `from()`, `to()`) and which path of the
//! app is asked: `/` first, then the `action` of a Gather or the target of a Redirect.
//! Anything the last verb produced is there too: [`Request::digits`], or
//! [`Request::param`] by Twilio's name (`RecordingUrl`, `DialCallStatus` …). Your
//! handler returns a [`Response`], or an [`AppError`] (the call then goes to the
//! number's fallback). A panic, an endless loop or running out of memory kills the step
//! the same way.
//!
//! ## The verbs
//!
//! Every verb has a builder with Twilio's defaults; [`Response`] has a method for each.
//!
//! ```
//! use switchyard_sdk::*;
//!
//! let r = Response::new()
//!     // <Say voice="woman" language="en-GB" loop="2">
//!     .say(Say::new("Welcome").voice("woman").language("en-GB").loop_count(2))
//!     // <Play>: a URL, or DTMF digits
//!     .play("https://example.com/jingle.wav")
//!     .play(Play::digits("ww1#"))
//!     // <Pause length="2">
//!     .pause(2)
//!     // <Gather> with nested prompts; the digits go to /menu
//!     .gather(Gather::new().num_digits(1).action("/menu").timeout(5).say("Press 1"))
//!     // <Record>
//!     .record(Record::new().action("/voicemail").max_length(60))
//!     // <Dial>: a number, a SIP URI, a client, a conference or a queue
//!     .dial(Dial::number("+15550001111").timeout(20))
//!     .dial(Dial::sip("sip:desk@pbx.example.com"))
//!     .dial(Dial::client("agent-7"))
//!     .dial(Dial::conference("standup"))
//!     .dial(Dial::queue("support"))
//!     // <Enqueue> and <Leave>
//!     .enqueue(Enqueue::new("support").wait_url("/hold"))
//!     .leave()
//!     // <Message>: an SMS during the call
//!     .message(Message::new("Thanks for calling").to("+15550002222"))
//!     // <Refer>: hand the caller's SIP endpoint elsewhere
//!     .refer("sip:desk@pbx.example.com")
//!     // <Redirect>: a path of this app, another app, or a webhook
//!     .redirect(Redirect::to("/menu"))
//!     .redirect(Redirect::app("billing"))
//!     .redirect(Redirect::to("https://example.com/voice"))
//!     // <Reject>, <Reject reason="busy">, <Hangup>
//!     .reject()
//!     .reject_busy()
//!     .hangup();
//! assert_eq!(r.verbs().len(), 21);
//! ```
//!
//! ## Media Streams
//!
//! The call's live audio over a WebSocket, in Twilio's Media Streams protocol: fork it
//! to a server that listens ([`Response::start_stream`], `<Start><Stream>`), end a fork
//! by name ([`Response::stop_stream`], `<Stop><Stream>`), or hand the call to a server
//! that listens and talks back ([`Response::connect_stream`], `<Connect><Stream>`).
//!
//! ```
//! use switchyard_sdk::*;
//!
//! let r = Response::new()
//!     // A transcriber hears both sides while the app goes on.
//!     .start_stream(
//!         Stream::new("wss://transcribe.example.com/media")
//!             .name("transcript")
//!             .track(StreamTrack::Both)
//!             .status_callback("/stream-status")
//!             .parameter("lang", "en"),
//!     )
//!     .say("This call is transcribed.")
//!     // The voice bot has the call until it closes the socket, then /after runs.
//!     .connect_stream(Connect::new("wss://bot.example.com/talk").action("/after"));
//! assert_eq!(r.verbs().len(), 3);
//! # let _ = Response::new().stop_stream("transcript");
//! ```
//!
//! ## Recordings, conferences and queues
//!
//! [`Record`], [`Conference`], [`Enqueue`] and [`Queue`] carry every attribute of
//! Twilio's that the node executes: a voicemail with its recording status callbacks, a
//! room with its status callbacks and coaching, a queue with its size limit.
//!
//! ```
//! use switchyard_sdk::*;
//!
//! let r = Response::new()
//!     // <Record maxLength="10" timeout="2" finishOnKey="#" recordingStatusCallback…>
//!     .record(
//!         Record::new()
//!             .max_length(10)
//!             .timeout(2)
//!             .finish_on_key("#")
//!             .action("/saved")
//!             .recording_status_callback("https://example.com/recording")
//!             .recording_status_callback_event([RecordingEvent::InProgress, RecordingEvent::Completed]),
//!     )
//!     // <Dial action="/left"><Conference statusCallbackEvent="join leave" …>
//!     .dial(
//!         Dial::conference(
//!             Conference::new("standup")
//!                 .beep("onEnter")
//!                 .status_callback("https://example.com/room")
//!                 .status_callback_event([ConferenceEvent::Join, ConferenceEvent::Leave]),
//!         )
//!         .action("/left"),
//!     )
//!     // <Enqueue maxQueueSize="10" waitUrl="/hold" action="/after-queue">
//!     .enqueue(Enqueue::new("support").max_queue_size(10).wait_url("/hold").action("/after-queue"))
//!     // <Dial><Queue url="/whisper" method="GET">
//!     .dial(Dial::queue(Queue::new("support").url("/whisper").method(Method::Get)));
//! assert_eq!(r.verbs().len(), 4);
//! ```
//!
//! ## The worlds
//!
//! Media Streams and these attributes came after the first release of the WIT's `verb`,
//! which never changes: [`export_handler!`] exports the `instruction-handler` world,
//! whose `handle-instructions` answers with `instruction`s (a `step`, whose first case
//! is a `verb`, or one of the instructions appended since). The node also runs
//! components built before, which export `handle-steps` (world `step-handler`) or
//! `handle` (world `call-handler`).
//!
//! ## Host capabilities
//!
//! - [`log`], for logging: `log::info("…")`, `debug`, `warn`, `error` (the node keeps 100 lines
//!   and 64 KiB per step by default, then one notice of how many it dropped);
//! - [`session`], conversation state: `session::get/set/delete`, state kept per `(From, To)` across calls,
//!   within a quota per conversation ([`session::SessionError`] says which limit a refused `set` hit);
//! - [`clock`], the time: `clock::now_ms()`;
//! - [`http`], outbound requests: `http::get(url)`, `post`, `fetch`, to the hosts the app declared.
//!
//! Outside a node (e.g. `cargo test` on your machine) these have local stand-ins: logs
//! go to stderr, the session is a per-thread map, HTTP fails. So handlers are plain
//! functions you can unit-test with [`Request::from_params`].
//!
//! ## Event filters
//!
//! The same crate writes the other kind of app: an event filter, run by the event
//! router before it delivers an event to a subscription that names the filter. It gets
//! an [`Event`] and answers with a [`Decision`]: pass it, drop it, or replace it with an
//! edited copy. Here, subscribers see callers' numbers masked:
//!
//! ```
//! use switchyard_sdk::{export_filter, Decision, Event};
//!
//! fn mask_caller(mut event: Event) -> Decision {
//!     match event.get("From") {
//!         Some(from) if from.starts_with('+') => {
//!             event.set("From", "+***");
//!             Decision::Replace(event)
//!         }
//!         _ => Decision::Pass,
//!     }
//! }
//!
//! export_filter!(mask_caller);
//! # fn main() {}
//! ```
//!
//! A filter is a component of its own (the `event-filter` world): one crate exports a
//! handler with [`export_handler!`] or a filter with [`export_filter!`]. Filters may
//! use [`log`] and [`clock`], the imports of their world; [`session`] and [`http`] are
//! for call handlers only (the node does not link them for a filter, so it refuses a
//! filter that calls them when it is deployed). Deploy one with
//! `switchyard wasm deploy FILE --name NAME --kind event-filter`.
//!
//! ## Transcoders
//!
//! The third kind sits in a call's media path: a [`Transcoder`] gets every 20 ms of a
//! stream's audio as a [`Frame`] of 16-bit linear PCM and returns the frames to send
//! instead, keeping its state for the life of the stream (one instance per stream
//! direction). Each frame runs under a CPU budget (1 ms by default); a transcoder that
//! panics, overruns, runs out of memory or returns oversized frames is bypassed for
//! the rest of the stream, so the call goes on with untouched audio.
//!
//! ```
//! use switchyard_sdk::{export_transcoder, Frame, StreamFormat, Transcoder};
//!
//! /// Mutes everything: e.g. while a caller reads out a card number.
//! struct Mute;
//!
//! impl Transcoder for Mute {
//!     fn new(_input: StreamFormat, _output: StreamFormat) -> Self {
//!         Mute
//!     }
//!
//!     fn process(&mut self, frame: Frame) -> Vec<Frame> {
//!         let silence = vec![0; frame.samples.len()];
//!         vec![frame.with_samples(silence)]
//!     }
//! }
//!
//! export_transcoder!(Mute);
//! # fn main() {}
//! ```
//!
//! Transcoders may use [`log`] (their world's one import). Deploy one with
//! `switchyard wasm deploy FILE --name NAME --kind transcoder`; a number's
//! `VoiceTranscoder=app:NAME` or a `<Dial>` noun's `transcoder="NAME"` attaches it.

#![deny(unsafe_code)]
#![warn(missing_docs)]

#[doc(hidden)]
#[allow(unsafe_code, missing_docs, missing_debug_implementations)]
#[allow(clippy::all)]
pub mod bindings;
mod convert;
mod error;
mod event;
mod filter;
#[doc(hidden)]
#[allow(unsafe_code, missing_docs, missing_debug_implementations)]
#[allow(clippy::all)]
pub mod filter_bindings;
mod host;
mod instructions;
#[doc(hidden)]
#[allow(unsafe_code, missing_docs, missing_debug_implementations)]
#[allow(clippy::all)]
pub mod instructions_bindings;
mod request;
mod response;
#[doc(hidden)]
#[allow(unsafe_code, missing_docs, missing_debug_implementations)]
#[allow(clippy::all)]
pub mod steps_bindings;
mod transcoder;
#[doc(hidden)]
#[allow(unsafe_code, missing_docs, missing_debug_implementations)]
#[allow(clippy::all)]
pub mod transcoder_bindings;
mod verbs;

pub use error::AppError;
pub use event::Event;
pub use filter::Decision;
pub use host::{clock, http, log, session};
pub use request::{CallStatus, Direction, Request};
pub use response::Response;
pub use transcoder::{Frame, StreamFormat, Transcoder};
pub use verbs::{
    hangup, leave, refer, reject, reject_busy, Client, Conference, ConferenceEvent, Connect, Dial,
    DialTarget, Enqueue, Gather, GatherChild, GatherInput, Message, Method, Number, Pause, Play,
    Queue, Record, RecordingEvent, Redirect, RejectReason, Say, Sip, Stream, StreamTrack, Verb,
};

/// Not public API: what [`export_handler!`], [`export_filter!`] and
/// [`export_transcoder!`] expand to.
#[doc(hidden)]
pub mod __private {
    pub use crate::bindings;
    pub use crate::convert::{dispatch, dispatch_filter, dispatch_transcoder};
    pub use crate::filter_bindings;
    pub use crate::instructions_bindings;
    pub use crate::steps_bindings;
    pub use crate::transcoder_bindings;
}

/// Exports `handler` as the app's `handle-instructions` function (the
/// `instruction-handler` world, whose answer holds every verb and the instructions
/// added since: Media Streams, and `<Record>`, conferences and queues with all their
/// attributes). The handler is any `fn(Request) -> Result<Response, AppError>`; use this
/// once per app.
///
/// ```
/// use switchyard_sdk::{AppError, Request, Response};
///
/// fn app(req: Request) -> Result<Response, AppError> {
///     match req.path() {
///         "/" => Ok(Response::new().say("Hi").hangup()),
///         other => Err(AppError::new(12100, format!("no such path {other}"))),
///     }
/// }
///
/// switchyard_sdk::export_handler!(app);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! export_handler {
    ($handler:path) => {
        // Natively (unit tests of the app) there is no component to export to: only
        // check the handler's type, so the same crate builds and tests on both.
        #[cfg(not(target_arch = "wasm32"))]
        const _: fn($crate::Request) -> ::core::result::Result<$crate::Response, $crate::AppError> =
            $handler;

        #[cfg(target_arch = "wasm32")]
        const _: () = {
            struct SwitchyardHandler;

            impl $crate::__private::instructions_bindings::Guest for SwitchyardHandler {
                fn handle_instructions(
                    request: $crate::__private::bindings::CallRequest,
                ) -> ::core::result::Result<
                    ::std::vec::Vec<$crate::__private::bindings::wit::Instruction>,
                    $crate::__private::bindings::AppError,
                > {
                    $crate::__private::dispatch(request, $handler)
                }
            }

            $crate::__private::instructions_bindings::__export_instruction_handler!(
                SwitchyardHandler with_types_in $crate::__private::instructions_bindings
            );
        };
    };
}
