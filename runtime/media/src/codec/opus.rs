//! Opus through libopus: mono, wideband (16 kHz PCM), 20 ms frames, tuned for
//! speech over lossy networks.

use super::{OpusParams, WIDEBAND_RATE};
use crate::Error;
use opus::{Application, Bandwidth, Bitrate, Channels, Signal};

/// Samples in one 20 ms frame at 16 kHz.
const FRAME: usize = WIDEBAND_RATE as usize / 50;
/// The longest packet duration Opus allows (120 ms), in samples at 16 kHz.
const MAX_PACKET_SAMPLES: usize = FRAME * 6;
/// The largest payload of one Opus frame (RFC 6716 §3.2.1), in bytes.
const MAX_PAYLOAD: usize = 1275;
/// Our bitrate when the peer sets no cap: SILK at 24 kbit/s is transparent for
/// wideband speech and leaves room for in-band FEC.
const DEFAULT_BITRATE: u32 = 24_000;
/// RFC 7587 §6.1: `maxaveragebitrate` ranges from 6000 to 510000.
const MIN_BITRATE: u32 = 6000;
/// Loss the encoder plans for before the peer reports any: libopus only puts FEC
/// in packets when it expects some loss.
const DEFAULT_LOSS_PERCENT: u8 = 5;

fn codec_error(e: opus::Error) -> Error {
    Error::Codec {
        codec: "opus",
        reason: e.to_string(),
    }
}

/// The bitrate we send at for `params`.
pub(super) fn bitrate(params: &OpusParams) -> u32 {
    params.max_average_bitrate.map_or(DEFAULT_BITRATE, |max| {
        max.clamp(MIN_BITRATE, DEFAULT_BITRATE)
    })
}

pub(super) struct OpusEncoder {
    inner: opus::Encoder,
    fec: bool,
    /// Zero-padded copy of a short input frame.
    frame: [i16; FRAME],
}

impl std::fmt::Debug for OpusEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusEncoder")
            .field("fec", &self.fec)
            .finish_non_exhaustive()
    }
}

impl OpusEncoder {
    pub(super) fn new(params: &OpusParams) -> Result<Self, Error> {
        let mut inner = opus::Encoder::new(WIDEBAND_RATE, Channels::Mono, Application::Voip)
            .map_err(codec_error)?;
        inner
            .set_bitrate(Bitrate::Bits(bitrate(params) as i32))
            .map_err(codec_error)?;
        inner
            .set_max_bandwidth(Bandwidth::Wideband)
            .map_err(codec_error)?;
        inner.set_signal(Signal::Voice).map_err(codec_error)?;
        inner.set_inband_fec(params.fec).map_err(codec_error)?;
        let mut e = OpusEncoder {
            inner,
            fec: params.fec,
            frame: [0; FRAME],
        };
        e.set_packet_loss(DEFAULT_LOSS_PERCENT);
        Ok(e)
    }

    pub(super) fn set_packet_loss(&mut self, percent: u8) {
        // Only meaningful with FEC; without it the hint would just lower quality.
        let percent = if self.fec { percent.min(100) } else { 0 };
        let _ = self.inner.set_packet_loss_perc(i32::from(percent));
    }

    pub(super) fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) {
        let input = if pcm.len() == FRAME {
            pcm
        } else {
            let n = pcm.len().min(FRAME);
            self.frame[..n].copy_from_slice(&pcm[..n]);
            self.frame[n..].fill(0);
            &self.frame[..]
        };
        let start = out.len();
        out.resize(start + MAX_PAYLOAD, 0);
        match self.inner.encode(input, &mut out[start..]) {
            Ok(n) => out.truncate(start + n),
            Err(e) => {
                // Cannot happen with a valid 20 ms frame; send nothing rather than junk.
                tracing::warn!(error = %e, "opus encode failed");
                out.truncate(start);
            }
        }
    }
}

pub(super) struct OpusDecoder {
    inner: opus::Decoder,
    fec: bool,
}

impl std::fmt::Debug for OpusDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusDecoder")
            .field("fec", &self.fec)
            .finish_non_exhaustive()
    }
}

impl OpusDecoder {
    pub(super) fn new(params: &OpusParams) -> Result<Self, Error> {
        Ok(OpusDecoder {
            inner: opus::Decoder::new(WIDEBAND_RATE, Channels::Mono).map_err(codec_error)?,
            fec: params.fec,
        })
    }

    pub(super) fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) {
        if payload.is_empty() {
            // An empty payload would mean "lost" to libopus; treat it as such.
            return self.conceal(None, out);
        }
        if self
            .decode_into(payload, false, MAX_PACKET_SAMPLES, out)
            .is_err()
        {
            self.conceal(None, out);
        }
    }

    pub(super) fn conceal(&mut self, next: Option<&[u8]>, out: &mut Vec<i16>) {
        // libopus decodes exactly the requested duration for FEC and PLC.
        if let Some(next) = next.filter(|p| self.fec && !p.is_empty()) {
            if self.decode_into(next, true, FRAME, out).is_ok() {
                return;
            }
        }
        if self.decode_into(&[], false, FRAME, out).is_err() {
            out.resize(out.len() + FRAME, 0);
        }
    }

    /// Decodes into `room` new samples at the end of `out`, keeping what was decoded.
    fn decode_into(
        &mut self,
        payload: &[u8],
        fec: bool,
        room: usize,
        out: &mut Vec<i16>,
    ) -> Result<(), opus::Error> {
        let start = out.len();
        out.resize(start + room, 0);
        match self.inner.decode(payload, &mut out[start..], fec) {
            Ok(n) => {
                out.truncate(start + n);
                Ok(())
            }
            Err(e) => {
                out.truncate(start);
                Err(e)
            }
        }
    }
}
