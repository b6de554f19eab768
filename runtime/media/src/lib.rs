//! Telephony media for the Switchyard node.
//!
//! A leg hears 20 ms frames of mono signed 16-bit PCM at its codec's rate: 8 kHz
//! ([`SAMPLE_RATE`], [`FRAME_SAMPLES`] samples a frame) for G.711, 16 kHz for Opus
//! (wideband). Prompts are kept wideband, at [`MEDIA_RATE`], so an Opus caller hears
//! speech up to 8 kHz, and are converted per leg by [`Player`]. This crate provides:
//!
//! - [`codec`]: the per-leg [`Encoder`](codec::Encoder) and [`Decoder`](codec::Decoder)
//!   for PCMU, PCMA and Opus, with loss concealment, and the [`Feed`](codec::Feed)
//!   that brings audio from another leg or rate to a leg's rate;
//! - [`g711`]: exact, table-driven µ-law and A-law (ITU-T G.711);
//! - [`decode`]: WAV and MP3 → 16 kHz mono, whole or streamed ([`StreamDecoder`]);
//! - [`resample`]: anti-aliased rate conversion (rubato's FFT resampler);
//! - [`tts`]: text-to-speech through the `espeak-ng` command-line tool;
//! - [`record`] and [`wav`]: recordings written as they are made, with silence
//!   detection and trimming, and the WAV header repaired after a crash;
//! - [`mp3`]: a recording's WAV encoded as MP3 with LAME;
//! - [`tone`]: DTMF tones (ITU-T Q.23), ringback and silence, at 8 kHz;
//! - [`cache`]: the persistent, content-addressed media cache whose entries are streamed
//!   to calls while they are still being fetched;
//! - [`Player`]: one sound at a time, frame by frame, at the rate the leg asks for;
//! - [`mix`]: a conference room's mixer (each participant hears all but itself);
//! - [`leg`]: one leg's media endpoint, sans-IO: its RTP session, codec, player, side
//!   of a bridge (relayed packets or decoded audio) and a transform on its audio path.

#![warn(missing_docs)]

pub mod cache;
pub mod codec;
pub mod decode;
mod error;
pub mod g711;
pub mod leg;
pub mod mix;
pub mod mp3;
mod player;
pub mod record;
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
pub use tone::{beep, dtmf_tone, hold_music, ringback, silence, wait_music};
pub use tts::synthesize;
pub use voices::espeak_voice;
pub use wav::wav_bytes;

/// Sample rate of narrowband telephony audio (G.711, tones), in Hz.
pub const SAMPLE_RATE: u32 = 8000;

/// Samples in one 20 ms frame at [`SAMPLE_RATE`].
pub const FRAME_SAMPLES: usize = 160;

/// Sample rate of the media cache (speech, fetched and inline sounds), in Hz:
/// wideband, the rate Opus legs speak at.
pub const MEDIA_RATE: u32 = 16_000;
