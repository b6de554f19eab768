//! Telephony media for the Switchyard node.
//!
//! Everything the node plays to a caller ends up as 8 kHz mono signed 16-bit PCM
//! ([`SAMPLE_RATE`]) cut into 20 ms frames of [`FRAME_SAMPLES`] samples, and is encoded
//! with G.711 on the wire. This crate provides:
//!
//! - [`g711`]: exact, table-driven µ-law and A-law (ITU-T G.711);
//! - [`decode`]: WAV and MP3 → 8 kHz mono, whole or streamed ([`StreamDecoder`]);
//! - [`resample`]: anti-aliased rate conversion (rubato's FFT resampler);
//! - [`tts`]: text-to-speech through the `espeak-ng` command-line tool;
//! - [`tone`]: DTMF tones (ITU-T Q.23) and silence;
//! - [`cache`]: the persistent, content-addressed media cache whose entries are streamed
//!   to calls while they are still being fetched.

#![warn(missing_docs)]

pub mod cache;
pub mod codec;
pub mod decode;
mod error;
pub mod g711;
mod player;
pub mod resample;
pub mod tone;
pub mod tts;
mod voices;
pub mod wav;

pub use cache::{AudioStream, CacheConfig, CacheStats, FrameStatus, MediaCache};
pub use decode::{decode_all, StreamDecoder};
pub use error::Error;
pub use g711::{alaw_decode, alaw_encode, encode_frame, ulaw_decode, ulaw_encode, G711};
pub use player::{Played, Player};
pub use tone::{dtmf_tone, ringback, silence};
pub use tts::synthesize;
pub use voices::espeak_voice;
pub use wav::wav_bytes;

/// Sample rate of all telephony audio in the node, in Hz.
pub const SAMPLE_RATE: u32 = 8000;

/// Samples in one 20 ms frame at [`SAMPLE_RATE`].
pub const FRAME_SAMPLES: usize = 160;
