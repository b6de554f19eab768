//! Taps and sources: how other parts of the media graph hear a leg and speak to it.
//!
//! A [`Tap`] receives each 20 ms frame of what the leg received (inbound) and of what it
//! sends (outbound), as PCM at the leg's rate; a Media Stream and a recorder are taps.
//! A [`Source`] supplies what the leg sends in place of its player (the audio a
//! bidirectional Media Stream's server sends back). Both are called on the leg's tick,
//! on the media thread, so they must only copy or queue, never wait.

/// A consumer of a leg's audio.
pub trait Tap: Send {
    /// Whether it wants what the leg receives (the leg then decodes it).
    fn wants_inbound(&self) -> bool;
    /// One frame the leg received, decoded, at `rate` Hz.
    fn inbound(&mut self, rate: u32, pcm: &[i16]);
    /// One frame the leg sends, before encoding, at `rate` Hz.
    fn outbound(&mut self, rate: u32, pcm: &[i16]);
    /// Whether it has ended by itself (a recording's silence or maximum length): the
    /// leg then takes it off and reports [`Tap::close`].
    fn finished(&self) -> bool {
        false
    }
    /// It is taken off the leg (removed, finished, or the leg is over): how it ended.
    fn close(self: Box<Self>) -> TapReport {
        TapReport::Closed
    }
}

/// How a tap ended, for the call ([`super::LegEvent::TapClosed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TapReport {
    /// A recording was written: this many milliseconds, and whether any voice.
    Recorded {
        /// Milliseconds of audio kept.
        duration_ms: u64,
        /// Whether any frame held voice.
        voiced: bool,
    },
    /// It failed (a write error, a full disk): what went wrong.
    Failed(String),
    /// Nothing to report.
    Closed,
}

/// What the leg sends instead of its player's sound.
pub trait Source: Send {
    /// Fills `pcm` (one frame at `rate` Hz) and returns true, or returns false when it
    /// has nothing this tick (the leg then sends silence).
    fn next_frame(&mut self, rate: u32, pcm: &mut [i16]) -> bool;
}
