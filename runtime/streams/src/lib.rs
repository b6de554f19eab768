//! Twilio Media Streams, sans-IO.
//!
//! A stream carries one call's audio over a WebSocket: `<Start><Stream>` forks it one
//! way, `<Connect><Stream>` hands the call to the server, which talks back. This crate
//! holds what the protocol decides, with no socket and no clock of its own:
//!
//! - [`Outgoing`]: the node → server messages, byte for byte as Twilio's "Media Streams -
//!   WebSocket Messages" page specifies them (`connected`, `start`, `media`, `dtmf`,
//!   `mark`, `stop`), with their sequence numbers, chunk counters and timestamps;
//! - [`parse`]: the server → node messages (`media`, `mark`, `clear`), with a named
//!   [`ProtocolError`] for anything else;
//! - [`Playback`]: what the server sent, played back in 20 ms frames of µ-law, marks
//!   returned once the audio before them has played, `clear` dropping it all at once;
//! - [`DropOldest`]: a bounded queue that drops the oldest item when full and counts
//!   what it dropped, so a slow server never holds up the call's media.
//!
//! It is a crate of its own rather than a module of `switchyard-call`: the call's
//! executor only starts and stops streams, while these types run on the media path
//! (the playback queue is a source of a leg's audio) and in the node's WebSocket task.

mod incoming;
mod outgoing;
mod playback;
mod queue;

pub use incoming::{parse, Incoming, ProtocolError, MAX_MESSAGE};
pub use outgoing::{Outgoing, StreamStart, Track};
pub use playback::{Playback, PlaybackFull, MAX_QUEUED_BYTES};
pub use queue::DropOldest;

/// Bytes in one 20 ms frame of 8 kHz µ-law: the unit of every `media` message sent.
pub const FRAME_BYTES: usize = 160;

/// The length of one frame, in milliseconds.
pub const FRAME_MS: u64 = 20;

/// µ-law silence (the code of a zero sample).
pub const MULAW_SILENCE: u8 = 0xFF;

/// Most streams one call may have at once (Twilio: "You can start up to four Media
/// Streams per call").
pub const MAX_STREAMS_PER_CALL: usize = 4;

/// Twilio's error codes for what can go wrong with a stream.
pub mod codes {
    /// "Stream - WebSocket - Connection Timeout": no answer to the connection request.
    pub const CONNECTION_TIMEOUT: u32 = 31901;
    /// "Stream - WebSocket - Connection Broken Pipe": the connection broke mid-stream.
    pub const BROKEN_PIPE: u32 = 31903;
    /// "Stream - WebSocket - Handshake Error": the server did not upgrade (not 101).
    pub const HANDSHAKE: u32 = 31920;
    /// "Stream - Websocket - Protocol Error": a malformed or unsupported message.
    pub const PROTOCOL: u32 = 31924;
    /// "Stream - Media - Buffer Overflow" (a warning): the server fell behind and the
    /// oldest audio was discarded; also the error when it stops reading altogether.
    pub const BUFFER_OVERFLOW: u32 = 31930;
}
