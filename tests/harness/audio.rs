//! Checking what a peer heard: WAV reading, loudness and single-tone detection.

use anyhow::{bail, ensure, Context, Result};
use std::path::Path;

/// A decoded 16-bit PCM WAV (first channel only).
#[derive(Debug, Clone)]
pub struct Wav {
    /// Samples per second.
    pub rate: u32,
    /// Samples of the first channel.
    pub samples: Vec<i16>,
    /// Samples of every channel (the first is [`Wav::samples`] again).
    pub channels: Vec<Vec<i16>>,
}

impl Wav {
    /// Reads a 16-bit PCM WAV file (what pjsua2's recorder and the webhook write).
    pub fn read(path: &Path) -> Result<Wav> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        Wav::parse(&bytes)
    }

    /// Parses WAV bytes: RIFF/WAVE with a PCM `fmt ` chunk and 16-bit samples.
    pub fn parse(bytes: &[u8]) -> Result<Wav> {
        ensure!(
            bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WAVE",
            "not a WAV file"
        );
        let mut at = 12;
        let mut format: Option<(u16, u16, u32, u16)> = None;
        while at + 8 <= bytes.len() {
            let id = &bytes[at..at + 4];
            let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into()?) as usize;
            let body = bytes
                .get(at + 8..(at + 8 + size).min(bytes.len()))
                .context("chunk")?;
            if id == b"fmt " && body.len() >= 16 {
                let u16_at = |i: usize| u16::from_le_bytes([body[i], body[i + 1]]);
                let rate = u32::from_le_bytes(body[4..8].try_into()?);
                format = Some((u16_at(0), u16_at(2), rate, u16_at(14)));
            } else if id == b"data" {
                let (tag, channels, rate, bits) = format.context("data before fmt")?;
                ensure!(
                    tag == 1 && bits == 16,
                    "only 16-bit PCM is supported (tag {tag}, {bits} bits)"
                );
                let n = usize::from(channels.max(1));
                let frames: Vec<&[u8]> = body.chunks_exact(2 * n).collect();
                let channels: Vec<Vec<i16>> = (0..n)
                    .map(|c| {
                        frames
                            .iter()
                            .map(|f| i16::from_le_bytes([f[2 * c], f[2 * c + 1]]))
                            .collect()
                    })
                    .collect();
                return Ok(Wav {
                    rate,
                    samples: channels[0].clone(),
                    channels,
                });
            }
            at += 8 + size + (size & 1);
        }
        bail!("WAV without data chunk")
    }

    /// Length in seconds.
    pub fn seconds(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.rate)
    }
}

/// Root mean square of the samples, 0..=32768.
pub fn rms(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let sum: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    (sum / samples.len() as f64).sqrt()
}

/// Share (0..=1) of the signal's energy at `freq` Hz, by the Goertzel algorithm:
/// near 1 for a pure tone at `freq`, near 0 for silence, noise or another tone.
pub fn tone_share(samples: &[i16], rate: u32, freq: f64) -> f64 {
    let n = samples.len();
    if n == 0 {
        return 0.0;
    }
    let w = 2.0 * std::f64::consts::PI * freq / f64::from(rate);
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    let mut energy = 0.0f64;
    for &x in samples {
        let x = f64::from(x);
        energy += x * x;
        let s0 = x + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    if energy == 0.0 {
        return 0.0;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    // A pure sinusoid of energy E yields a Goertzel power of about E * N / 2.
    (2.0 * power / (n as f64 * energy)).min(1.0)
}

/// Share (0..=1) of the signal's energy between `band.start` and `band.end` Hz, from
/// the spectrum of consecutive Hann-windowed 20 ms frames (a DFT restricted to the
/// band's bins; by Parseval, a one-sided bin k holds 2|X_k|²/N of the frame's energy).
pub fn band_share(samples: &[i16], rate: u32, band: std::ops::Range<f64>) -> f64 {
    let n = (rate / 50) as usize;
    let (mut in_band, mut total) = (0.0f64, 0.0f64);
    for frame in samples.chunks_exact(n) {
        // A Hann window keeps strong low frequencies from leaking into the band.
        let x: Vec<f64> = frame
            .iter()
            .enumerate()
            .map(|(i, &s)| {
                let w = 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / n as f64).cos();
                f64::from(s) * w
            })
            .collect();
        total += x.iter().map(|v| v * v).sum::<f64>();
        let bin_hz = f64::from(rate) / n as f64;
        let first = (band.start / bin_hz).ceil() as usize;
        let last = ((band.end / bin_hz).floor() as usize).min(n / 2 - 1);
        for k in first..=last {
            let w = std::f64::consts::TAU * k as f64 / n as f64;
            let (re, im) = x.iter().enumerate().fold((0.0, 0.0), |(re, im), (i, v)| {
                (re + v * (w * i as f64).cos(), im - v * (w * i as f64).sin())
            });
            in_band += 2.0 * (re * re + im * im) / n as f64;
        }
    }
    if total == 0.0 {
        0.0
    } else {
        (in_band / total).min(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, rate: u32, n: usize, amp: f64) -> Vec<i16> {
        (0..n)
            .map(|i| {
                (amp * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin())
                    as i16
            })
            .collect()
    }

    #[test]
    fn band_share_finds_a_tone_in_its_band_only() {
        let tone = sine(5000.0, 16000, 16000, 10000.0);
        assert!(band_share(&tone, 16000, 4000.0..8000.0) > 0.95);
        assert!(band_share(&tone, 16000, 0.0..4000.0) < 0.02);
        let low = sine(1000.0, 16000, 16000, 10000.0);
        assert!(band_share(&low, 16000, 4000.0..8000.0) < 0.02);
    }

    #[test]
    fn tone_share_separates_tones() {
        let tone = sine(440.0, 8000, 8000, 10000.0);
        assert!(tone_share(&tone, 8000, 440.0) > 0.9);
        assert!(tone_share(&tone, 8000, 1000.0) < 0.05);
        assert_eq!(tone_share(&[0; 800], 8000, 440.0), 0.0);
        let r = rms(&tone);
        assert!((r - 10000.0 / 2f64.sqrt()).abs() < 50.0, "rms {r}");
    }

    #[test]
    fn parses_pcm_wav() {
        let samples: Vec<i16> = vec![1, -2, 300, -32768];
        let mut b = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
        b.extend(16u32.to_le_bytes());
        b.extend([1, 0, 1, 0]);
        b.extend(8000u32.to_le_bytes());
        b.extend(16000u32.to_le_bytes());
        b.extend([2, 0, 16, 0]);
        b.extend(b"data");
        b.extend(8u32.to_le_bytes());
        samples.iter().for_each(|s| b.extend(s.to_le_bytes()));
        let w = Wav::parse(&b).unwrap();
        assert_eq!(w.rate, 8000);
        assert_eq!(w.samples, samples);
        assert!(Wav::parse(b"RIFF....AVI ").is_err());
    }
}
