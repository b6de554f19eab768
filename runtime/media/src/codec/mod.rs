//! Per-leg audio codecs: what a leg speaks on the wire ([`Payload`]), and the
//! [`Encoder`] and [`Decoder`] that turn its 20 ms frames into payloads and back.
//!
//! G.711 (PCMU, PCMA) works on 8 kHz PCM; Opus on 16 kHz mono PCM (wideband: the
//! speech band up to 8 kHz, which is what telephony Opus peers send and what our
//! prompts hold). Whatever a leg's rate, [`Feed`] converts audio from elsewhere (the
//! other leg of a bridge, a prompt) into it.

mod feed;
mod g711_plc;
mod opus;

pub use feed::{Feed, FeedStats};

use crate::g711::{self, G711};
use crate::Error;
use g711_plc::FadeOut;

/// Rate of G.711 PCM, in Hz.
pub const NARROWBAND_RATE: u32 = 8000;
/// Rate of the PCM the Opus encoder takes and its decoder gives, in Hz.
pub const WIDEBAND_RATE: u32 = 16_000;

/// What a leg speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    /// G.711 µ-law.
    Pcmu,
    /// G.711 A-law.
    Pcma,
    /// Opus (RFC 7587), with the peer's format parameters.
    Opus(OpusParams),
}

impl Payload {
    /// The RTP clock rate: 8000 for G.711; 48000 for Opus whatever the audio
    /// bandwidth (RFC 7587 §4.1), so a 20 ms frame advances the timestamp by 960.
    pub fn rtp_clock_rate(&self) -> u32 {
        match self {
            Payload::Pcmu | Payload::Pcma => 8000,
            Payload::Opus(_) => 48_000,
        }
    }

    /// The rate of the PCM its [`Encoder`] takes and its [`Decoder`] gives.
    pub fn pcm_rate(&self) -> u32 {
        match self {
            Payload::Pcmu | Payload::Pcma => NARROWBAND_RATE,
            Payload::Opus(_) => WIDEBAND_RATE,
        }
    }
}

/// The Opus format parameters of RFC 7587 §6.1 that shape what we send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpusParams {
    /// `useinbandfec=1`: the peer's decoder uses in-band FEC, so our encoder adds it
    /// (and our decoder recovers a lost packet from the next one).
    pub fec: bool,
    /// `maxaveragebitrate`: the most the peer wants to receive, in bit/s.
    pub max_average_bitrate: Option<u32>,
    /// `stereo=1`: the peer prefers stereo. We always encode mono, which every Opus
    /// decoder plays (RFC 7587 §6.1: the parameter is a preference, not a constraint).
    pub stereo: bool,
}

impl Default for OpusParams {
    /// FEC on (RFC 7587 recommends it where loss is expected), no cap, mono.
    fn default() -> Self {
        OpusParams {
            fec: true,
            max_average_bitrate: None,
            stereo: false,
        }
    }
}

/// Turns a leg's 20 ms PCM frames into payloads.
#[derive(Debug)]
pub struct Encoder {
    kind: EncoderKind,
}

#[derive(Debug)]
enum EncoderKind {
    G711(G711),
    /// Boxed: its state is far larger than G.711's.
    Opus(Box<opus::OpusEncoder>),
}

impl Encoder {
    /// An encoder for `p`.
    pub fn new(p: &Payload) -> Result<Encoder, Error> {
        let kind = match p {
            Payload::Pcmu => EncoderKind::G711(G711::Ulaw),
            Payload::Pcma => EncoderKind::G711(G711::Alaw),
            Payload::Opus(params) => EncoderKind::Opus(Box::new(opus::OpusEncoder::new(params)?)),
        };
        Ok(Encoder { kind })
    }

    /// The rate of the PCM it takes, in Hz: 8000 for G.711, 16000 for Opus.
    pub fn rate(&self) -> u32 {
        match self.kind {
            EncoderKind::G711(_) => NARROWBAND_RATE,
            EncoderKind::Opus(_) => WIDEBAND_RATE,
        }
    }

    /// Samples in one 20 ms frame at [`rate`](Self::rate).
    pub fn frame_samples(&self) -> usize {
        self.rate() as usize / 50
    }

    /// Encodes one 20 ms frame of [`frame_samples`](Self::frame_samples) samples
    /// (shorter input is padded with silence, longer is cut) and appends the payload
    /// to `out`.
    pub fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) {
        let n = self.frame_samples();
        match &mut self.kind {
            EncoderKind::G711(law) => {
                let pcm = &pcm[..pcm.len().min(n)];
                g711::encode_frame(*law, pcm, out);
                // A short frame still fills its 20 ms on the wire.
                g711::encode_frame(*law, &[0; 160][..n - pcm.len()], out);
            }
            EncoderKind::Opus(e) => e.encode(pcm, out),
        }
    }

    /// Tells the Opus encoder how much loss the peer reports (RTCP receiver reports,
    /// in percent), so it spends more of its bitrate on FEC when loss is high. No
    /// effect on G.711.
    pub fn set_packet_loss(&mut self, percent: u8) {
        if let EncoderKind::Opus(e) = &mut self.kind {
            e.set_packet_loss(percent);
        }
    }
}

/// Turns a leg's payloads back into PCM, and covers for lost ones.
#[derive(Debug)]
pub struct Decoder {
    kind: DecoderKind,
}

#[derive(Debug)]
enum DecoderKind {
    /// Boxed: the remembered frame is far larger than the Opus handle.
    G711(G711, Box<FadeOut>),
    Opus(opus::OpusDecoder),
}

impl Decoder {
    /// A decoder for `p`.
    pub fn new(p: &Payload) -> Result<Decoder, Error> {
        let kind = match p {
            Payload::Pcmu => DecoderKind::G711(G711::Ulaw, Box::default()),
            Payload::Pcma => DecoderKind::G711(G711::Alaw, Box::default()),
            Payload::Opus(params) => DecoderKind::Opus(opus::OpusDecoder::new(params)?),
        };
        Ok(Decoder { kind })
    }

    /// The rate of the PCM it gives, in Hz: 8000 for G.711, 16000 for Opus.
    pub fn rate(&self) -> u32 {
        match self.kind {
            DecoderKind::G711(..) => NARROWBAND_RATE,
            DecoderKind::Opus(_) => WIDEBAND_RATE,
        }
    }

    /// Decodes one payload and appends its samples to `out`: one sample per byte
    /// for G.711, every frame of the packet for Opus (at 16 kHz whatever bandwidth the
    /// peer encoded, a stereo packet mixed down to mono by libopus). A corrupt Opus
    /// packet is concealed like a lost one.
    pub fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) {
        match &mut self.kind {
            DecoderKind::G711(law, fade) => {
                let start = out.len();
                g711::decode_frame(*law, payload, out);
                fade.received(&out[start..]);
            }
            DecoderKind::Opus(d) => d.decode(payload, out),
        }
    }

    /// Appends a replacement for one lost 20 ms frame to `out`.
    ///
    /// Opus: when `next` (the packet after the lost one) is given and FEC is on, the
    /// lost frame is rebuilt from the redundancy the encoder put in `next` (RFC 6716
    /// §2.1.7; decode `next` itself afterwards as usual); otherwise the decoder's
    /// packet-loss concealment extrapolates it. G.711 has neither, so the last
    /// frame received is repeated, fading out over the next three losses (see
    /// `g711_plc`).
    pub fn conceal(&mut self, next: Option<&[u8]>, out: &mut Vec<i16>) {
        match &mut self.kind {
            DecoderKind::G711(_, fade) => fade.conceal(out),
            DecoderKind::Opus(d) => d.conceal(next, out),
        }
    }
}

#[cfg(test)]
mod tests;
