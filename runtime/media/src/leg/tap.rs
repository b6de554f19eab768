//! Taps: what listens to a leg's audio without changing it (a recorder, a media
//! stream's fork). A tap is a node of the media graph like a bridge or a transform:
//! the leg hands it each 20 ms frame it receives (decoded, after its jitter buffer,
//! with loss concealed) and each frame it sends (before encoding).

/// Which way a frame goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Track {
    /// What the leg's far end says.
    Inbound,
    /// What the leg sends to its far end.
    Outbound,
}

/// How a tap ended, for the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TapReport {
    /// A recording was written: this many milliseconds, and whether any voice.
    Recorded {
        /// Milliseconds of audio kept.
        duration_ms: u64,
        /// Whether any frame held voice.
        voiced: bool,
    },
    /// The tap failed (a write error, a full disk): what went wrong.
    Failed(String),
    /// Nothing to say.
    Closed,
}

/// One listener to a leg's audio.
pub trait Tap: Send + std::fmt::Debug {
    /// One frame of the leg's audio at `rate` Hz. False when the tap has finished by
    /// itself (a recording's silence or maximum length): the leg then closes it.
    fn frame(&mut self, track: Track, rate: u32, pcm: &[i16]) -> bool;
    /// The tap is taken off the leg: stopped, finished by itself, or the leg is over.
    fn close(self: Box<Self>) -> TapReport;
}
