//! Test helpers: a WAV writer and a tiny HTTP/1.1 origin server on 127.0.0.1.

#![allow(dead_code)] // each test binary uses a different subset

pub mod server;

use std::f64::consts::TAU;

/// Sample encodings the WAV writer supports.
#[derive(Debug, Clone, Copy)]
pub enum WavFormat {
    Pcm8,
    Pcm16,
    Pcm24,
    Pcm32,
    Float32,
    Ulaw,
    Alaw,
}

/// A WAV file of `frames` (each with one value per channel, nominal ±1.0).
pub fn wav(format: WavFormat, rate: u32, channels: u16, frames: &[Vec<f64>]) -> Vec<u8> {
    let (tag, bits): (u16, u16) = match format {
        WavFormat::Pcm8 => (1, 8),
        WavFormat::Pcm16 => (1, 16),
        WavFormat::Pcm24 => (1, 24),
        WavFormat::Pcm32 => (1, 32),
        WavFormat::Float32 => (3, 32),
        WavFormat::Ulaw => (7, 8),
        WavFormat::Alaw => (6, 8),
    };
    let mut data = Vec::new();
    for frame in frames {
        for &x in frame {
            let s16 = (x * 32767.0).round() as i16;
            match format {
                WavFormat::Pcm8 => data.push(((x * 127.0).round() as i16 + 128) as u8),
                WavFormat::Pcm16 => data.extend_from_slice(&s16.to_le_bytes()),
                WavFormat::Pcm24 => {
                    let v = (x * 8_388_607.0).round() as i32;
                    data.extend_from_slice(&v.to_le_bytes()[..3]);
                }
                WavFormat::Pcm32 => {
                    data.extend_from_slice(&((x * 2_147_483_647.0).round() as i32).to_le_bytes())
                }
                WavFormat::Float32 => data.extend_from_slice(&(x as f32).to_le_bytes()),
                WavFormat::Ulaw => data.push(switchyard_media::ulaw_encode(s16)),
                WavFormat::Alaw => data.push(switchyard_media::alaw_encode(s16)),
            }
        }
    }
    let block = channels * bits / 8;
    // Non-PCM formats carry a cbSize field (WAVE format specification).
    let fmt_len: u32 = if tag == 1 { 16 } else { 18 };
    let mut v = Vec::new();
    v.extend_from_slice(b"RIFF");
    v.extend_from_slice(&(4 + 8 + fmt_len + 8 + data.len() as u32).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt ");
    v.extend_from_slice(&fmt_len.to_le_bytes());
    v.extend_from_slice(&tag.to_le_bytes());
    v.extend_from_slice(&channels.to_le_bytes());
    v.extend_from_slice(&rate.to_le_bytes());
    v.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
    v.extend_from_slice(&block.to_le_bytes());
    v.extend_from_slice(&bits.to_le_bytes());
    if fmt_len == 18 {
        v.extend_from_slice(&0u16.to_le_bytes());
    }
    if tag != 1 {
        // Non-PCM WAVs must have a fact chunk with the sample count.
        v.extend_from_slice(b"fact");
        v.extend_from_slice(&4u32.to_le_bytes());
        v.extend_from_slice(&(frames.len() as u32).to_le_bytes());
        let riff_len = (v.len() - 8 + 8 + data.len()) as u32;
        v[4..8].copy_from_slice(&riff_len.to_le_bytes());
    }
    v.extend_from_slice(b"data");
    v.extend_from_slice(&(data.len() as u32).to_le_bytes());
    v.extend_from_slice(&data);
    v
}

/// `seconds` of a sine at `freq` Hz, amplitude `amp`, on `channels` identical channels.
pub fn sine_frames(freq: f64, rate: u32, seconds: f64, amp: f64, channels: u16) -> Vec<Vec<f64>> {
    let n = (seconds * f64::from(rate)).round() as usize;
    (0..n)
        .map(|i| {
            let x = amp * (TAU * freq * i as f64 / f64::from(rate)).sin();
            vec![x; usize::from(channels)]
        })
        .collect()
}

/// A 16-bit mono 8 kHz WAV of a sine: the usual payload of the cache tests.
pub fn sine_wav_8k(freq: f64, seconds: f64) -> Vec<u8> {
    wav(
        WavFormat::Pcm16,
        8000,
        1,
        &sine_frames(freq, 8000, seconds, 0.5, 1),
    )
}

/// Which of `candidates` (Hz) has the most energy in `samples` (decoded or cached
/// audio, at [`MEDIA_RATE`](switchyard_media::MEDIA_RATE)).
pub fn dominant(samples: &[i16], candidates: &[f64]) -> f64 {
    candidates
        .iter()
        .copied()
        .max_by(|a, b| {
            let pa =
                switchyard_media::tone::goertzel_power(samples, *a, switchyard_media::MEDIA_RATE);
            let pb =
                switchyard_media::tone::goertzel_power(samples, *b, switchyard_media::MEDIA_RATE);
            pa.total_cmp(&pb)
        })
        .unwrap()
}

/// Power of `samples` (at `rate` Hz) in the band `lo..hi` Hz: the sum of Goertzel
/// powers every 50 Hz, scaled by the length so that signals of equal duration at
/// different rates compare.
pub fn band_power(samples: &[i16], rate: u32, lo: f64, hi: f64) -> f64 {
    let mut f = lo;
    let mut sum = 0.0;
    while f < hi {
        sum += switchyard_media::tone::goertzel_power(samples, f, rate);
        f += 50.0;
    }
    sum * samples.len() as f64 / f64::from(rate)
}

/// Root-mean-square of samples.
pub fn rms(samples: &[i16]) -> f64 {
    (samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / samples.len().max(1) as f64)
        .sqrt()
}
