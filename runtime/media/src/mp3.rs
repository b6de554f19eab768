//! A recording as MP3: the WAV's 16-bit PCM encoded with LAME (the reference MP3
//! encoder, through the `mp3lame-encoder` binding) at the WAV's own rate and channels.
//!
//! Twilio: "MP3 files have a bitrate of 32kbps": that is 4 bits a sample of its 8 kHz
//! recordings (MPEG-2.5), and wider recordings keep their rate at the same 4 bits a
//! sample ([`bitrate`]). The first frame carries LAME's Info tag (encoder delay and
//! padding), so a gapless decoder gives back exactly the WAV's length; the tag needs a
//! frame larger than 32 kbps makes at 16 kHz, which the scaled bitrate also gives.
//!
//! Encoding is CPU work of about real time / 100: callers on an async runtime run it
//! on a blocking thread.

use std::io::{self, Read};
use std::num::NonZeroU32;

pub use mp3lame_encoder::Bitrate;
use mp3lame_encoder::{Builder, FlushGap, InterleavedPcm, Mode, MonoPcm, Quality};

use crate::wav::{parse_header, HEADER_LEN};

/// The constant bitrate of a recording at `rate` Hz: Twilio's 32 kbps at 8 kHz, the
/// same 4 bits a sample above (within what each MPEG version offers).
pub fn bitrate(rate: u32) -> Bitrate {
    match rate {
        ..=12_000 => Bitrate::Kbps32,
        12_001..=16_000 => Bitrate::Kbps64,
        16_001..=24_000 => Bitrate::Kbps96,
        _ => Bitrate::Kbps128,
    }
}

/// Sample frames encoded per call into LAME (8 MP3 frames of 1152).
const CHUNK_FRAMES: usize = 1152 * 8;

/// Why a WAV could not be turned into an MP3.
#[derive(Debug, thiserror::Error)]
pub enum Mp3Error {
    /// Reading the WAV failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// It is not a canonical 16-bit PCM WAV (what recordings are written as).
    #[error("not a canonical 16-bit PCM WAV")]
    NotCanonical,
    /// LAME refused the format (a rate or channel count MP3 does not have).
    #[error("LAME cannot encode {channels} channel(s) at {rate} Hz: {reason}")]
    Unsupported {
        /// The WAV's rate.
        rate: u32,
        /// The WAV's channels.
        channels: u16,
        /// LAME's reason.
        reason: String,
    },
    /// LAME failed while encoding.
    #[error("LAME: {0}")]
    Encode(String),
}

/// Encode the WAV read from `wav` (a canonical 16-bit PCM one, mono or stereo) as a
/// constant-bitrate MP3 ([`bitrate`]) at the WAV's rate.
pub fn encode_wav(mut wav: impl Read) -> Result<Vec<u8>, Mp3Error> {
    let mut h = [0u8; HEADER_LEN as usize];
    wav.read_exact(&mut h).map_err(|_| Mp3Error::NotCanonical)?;
    let format = parse_header(&h).ok_or(Mp3Error::NotCanonical)?;
    let unsupported = |reason: String| Mp3Error::Unsupported {
        rate: format.rate,
        channels: format.channels,
        reason,
    };
    let channels = u8::try_from(format.channels)
        .ok()
        .filter(|c| (1..=2).contains(c))
        .ok_or_else(|| unsupported("MP3 has one or two channels".into()))?;
    let mut builder =
        Builder::new().ok_or_else(|| Mp3Error::Encode("could not allocate an encoder".into()))?;
    let configure = |b: &mut Builder| {
        b.set_num_channels(channels)?;
        b.set_sample_rate(format.rate)?;
        b.set_output_sample_rate(NonZeroU32::new(format.rate))?;
        b.set_brate(bitrate(format.rate))?;
        b.set_mode(if channels == 1 {
            Mode::Mono
        } else {
            Mode::Stereo
        })?;
        b.set_quality(Quality::Good)?;
        b.set_to_write_vbr_tag(true)
    };
    configure(&mut builder).map_err(|e| unsupported(format!("{e:?}")))?;
    let mut encoder = builder.build().map_err(|e| unsupported(format!("{e:?}")))?;

    let frame_bytes = usize::from(channels) * 2;
    let mut left = u64::from(format.data_len);
    let mut bytes = vec![0u8; CHUNK_FRAMES * frame_bytes];
    let mut samples: Vec<i16> = Vec::with_capacity(CHUNK_FRAMES * usize::from(channels));
    let mut out = Vec::new();
    loop {
        let want = (bytes.len() as u64).min(left) as usize;
        let got = read_up_to(&mut wav, &mut bytes[..want])?;
        let whole = got / frame_bytes * frame_bytes;
        if whole == 0 {
            break;
        }
        left -= got as u64;
        samples.clear();
        samples.extend(
            bytes[..whole]
                .chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]])),
        );
        let frames = whole / frame_bytes;
        // LAME's documented worst case for one call: 1.25 × samples + 7200 bytes.
        out.reserve(frames * 5 / 4 + 7200);
        let encoded = if channels == 1 {
            encoder.encode_to_vec(MonoPcm(&samples[..]), &mut out)
        } else {
            encoder.encode_to_vec(InterleavedPcm(&samples[..]), &mut out)
        };
        encoded.map_err(|e| Mp3Error::Encode(format!("{e:?}")))?;
        if got < want {
            break;
        }
    }
    out.reserve(7200);
    encoder
        .flush_to_vec::<FlushGap>(&mut out)
        .map_err(|e| Mp3Error::Encode(format!("{e:?}")))?;
    // LAME left room for its Info tag at the start (after an ID3 tag, of which there is
    // none); now that the length is known, write it there.
    let mut tag = Vec::with_capacity(encoder.lame_tag_size());
    if encoder.lame_tag_encode_to_vec(&mut tag).is_some() {
        let at = encoder.id3v2_tag_size();
        if let Some(slot) = out.get_mut(at..at + tag.len()) {
            slot.copy_from_slice(&tag);
        }
    }
    Ok(out)
}

/// Read until `buf` is full or the input ends; how many bytes were read.
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use symphonia::core::codecs::DecoderOptions;
    use symphonia::core::formats::FormatOptions;
    use symphonia::core::io::MediaSourceStream;
    use symphonia::core::probe::Hint;

    use super::*;
    use crate::wav::{header, wav_bytes};

    /// Sample frames, rate and channels of an MP3, decoded gaplessly.
    fn decoded_frames(mp3: Vec<u8>) -> (u64, u32, usize) {
        let mss = MediaSourceStream::new(Box::new(Cursor::new(mp3)), Default::default());
        let mut hint = Hint::new();
        hint.with_extension("mp3");
        let opts = FormatOptions {
            enable_gapless: true,
            ..Default::default()
        };
        let probed = symphonia::default::get_probe()
            .format(&hint, mss, &opts, &Default::default())
            .unwrap();
        let mut format = probed.format;
        let track = format.default_track().unwrap().clone();
        let mut decoder = symphonia::default::get_codecs()
            .make(&track.codec_params, &DecoderOptions::default())
            .unwrap();
        let (mut frames, mut rate, mut channels) = (0, 0, 0);
        while let Ok(packet) = format.next_packet() {
            let audio = decoder.decode(&packet).unwrap();
            frames += audio.frames() as u64;
            rate = audio.spec().rate;
            channels = audio.spec().channels.count();
        }
        (frames, rate, channels)
    }

    fn tone(rate: u32, ms: u32) -> Vec<i16> {
        let n = rate * ms / 1000;
        (0..n)
            .map(|i| {
                let t = f64::from(i) / f64::from(rate);
                (8000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as i16
            })
            .collect()
    }

    #[test]
    fn an_8_khz_mono_recording_keeps_its_rate_and_length() {
        let wav = wav_bytes(&tone(8000, 2_345), 8000);
        let mp3 = encode_wav(Cursor::new(wav)).unwrap();
        // 32 kbps: about 4 KB a second.
        assert!((8_000..12_000).contains(&mp3.len()), "{} bytes", mp3.len());
        let (frames, rate, channels) = decoded_frames(mp3);
        assert_eq!((rate, channels), (8000, 1));
        // The Info tag's delay and padding let a gapless decoder trim exactly.
        assert_eq!(frames, 8 * 2_345);
    }

    #[test]
    fn a_two_channel_16_khz_recording_stays_two_channels() {
        let mono = tone(16_000, 1_000);
        let interleaved: Vec<i16> = mono.iter().flat_map(|s| [*s, s / 2]).collect();
        let mut wav = header(16_000, 2, (interleaved.len() * 2) as u32).to_vec();
        wav.extend(interleaved.iter().flat_map(|s| s.to_le_bytes()));
        let (frames, rate, channels) = decoded_frames(encode_wav(Cursor::new(wav)).unwrap());
        assert_eq!((rate, channels), (16_000, 2));
        assert_eq!(frames, 16_000);
    }

    #[test]
    fn what_is_not_a_recording_wav_is_refused() {
        assert!(matches!(
            encode_wav(Cursor::new(b"ID3 not a wav".to_vec())),
            Err(Mp3Error::NotCanonical)
        ));
        let three = header(8000, 3, 0).to_vec();
        assert!(matches!(
            encode_wav(Cursor::new(three)),
            Err(Mp3Error::Unsupported { channels: 3, .. })
        ));
    }
}
