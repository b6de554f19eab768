//! Streaming, anti-aliased sample-rate conversion to (or from) any rate.
//!
//! A windowed-sinc interpolator: every output sample is the convolution of the input
//! with a low-pass kernel centred on the output instant. The cut-off sits just below
//! the Nyquist frequency of the *lower* of the two rates, so downsampling 44.1 kHz
//! music to 8 kHz removes everything above ~3.7 kHz instead of folding it back into
//! the telephone band. Output instants are computed with exact integer arithmetic,
//! so long files do not drift.

use std::f64::consts::PI;

/// Kernel zero crossings on each side of the centre: 16 gives a transition band of
/// about 7% of the cut-off and > 70 dB stop-band with the Blackman window.
const ZERO_CROSSINGS: f64 = 16.0;
/// Pass band as a fraction of the lower Nyquist frequency.
const CUTOFF: f64 = 0.92;
/// Kernel table resolution: sub-sample positions per input sample (linearly
/// interpolated between).
const PHASES: usize = 64;

/// Converts a mono `f32` stream from `in_rate` to `out_rate`, chunk by chunk.
#[derive(Debug)]
pub struct Resampler {
    in_rate: u64,
    out_rate: u64,
    /// Half kernel width, in input samples.
    half: usize,
    /// Kernel sampled every 1/PHASES input samples from 0 to `half`.
    table: Vec<f32>,
    /// Input not yet consumed; `buf[0]` is input sample number `buf_start`.
    buf: Vec<f32>,
    buf_start: u64,
    /// Total input samples received.
    received: u64,
    /// Output samples produced so far.
    produced: u64,
}

impl Resampler {
    /// A resampler from `in_rate` to `out_rate` (both in Hz, non-zero).
    pub fn new(in_rate: u32, out_rate: u32) -> Self {
        let (in_rate, out_rate) = (u64::from(in_rate.max(1)), u64::from(out_rate.max(1)));
        // Normalised cut-off, in cycles per input sample × 2 (1.0 = input Nyquist).
        let c = CUTOFF * (out_rate as f64 / in_rate as f64).min(1.0);
        let half = (ZERO_CROSSINGS / c).ceil() as usize;
        let table = (0..=half * PHASES)
            .map(|i| {
                let d = i as f64 / PHASES as f64;
                (c * sinc(c * d) * blackman(d / half as f64)) as f32
            })
            .collect();
        Resampler {
            in_rate,
            out_rate,
            half,
            table,
            buf: Vec::new(),
            buf_start: 0,
            received: 0,
            produced: 0,
        }
    }

    /// Feeds `input` and appends every output sample that no longer depends on
    /// future input to `out`.
    pub fn process(&mut self, input: &[f32], out: &mut Vec<f32>) {
        self.buf.extend_from_slice(input);
        self.received += input.len() as u64;
        self.emit(out, false);
    }

    /// Ends the stream: appends the remaining output, treating the input after the
    /// end as silence. The total output is `ceil(inputs × out_rate / in_rate)`.
    pub fn finish(&mut self, out: &mut Vec<f32>) {
        self.emit(out, true);
    }

    fn emit(&mut self, out: &mut Vec<f32>, last: bool) {
        let total_out = (self.received * self.out_rate).div_ceil(self.in_rate);
        let half = self.half as u64;
        while self.produced < total_out {
            let num = self.produced * self.in_rate;
            let centre = num / self.out_rate;
            let frac = (num % self.out_rate) as f64 / self.out_rate as f64;
            if !last && centre + half >= self.received {
                break;
            }
            out.push(if self.in_rate == self.out_rate {
                self.at(centre)
            } else {
                self.convolve(centre, frac)
            });
            self.produced += 1;
        }
        // Keep only what the next output still needs.
        let next_centre = self.produced * self.in_rate / self.out_rate;
        let keep_from = next_centre.saturating_sub(half).max(self.buf_start);
        let drop = (keep_from - self.buf_start) as usize;
        if drop > 0 {
            self.buf.drain(..drop.min(self.buf.len()));
            self.buf_start = keep_from;
        }
    }

    fn at(&self, index: u64) -> f32 {
        index
            .checked_sub(self.buf_start)
            .and_then(|i| self.buf.get(i as usize))
            .copied()
            .unwrap_or(0.0)
    }

    fn convolve(&self, centre: u64, frac: f64) -> f32 {
        let half = self.half as i64;
        let mut acc = 0.0f32;
        for k in (1 - half)..=half {
            let index = centre as i64 + k;
            if index < 0 {
                continue;
            }
            // Distance from the output instant to input sample `index`.
            let d = (k as f64 - frac).abs();
            acc += self.at(index as u64) * self.kernel(d);
        }
        acc
    }

    fn kernel(&self, d: f64) -> f32 {
        let pos = d * PHASES as f64;
        let i = pos as usize;
        if i + 1 >= self.table.len() {
            return 0.0;
        }
        let t = (pos - i as f64) as f32;
        self.table[i] * (1.0 - t) + self.table[i + 1] * t
    }
}

fn sinc(x: f64) -> f64 {
    if x.abs() < 1e-12 {
        1.0
    } else {
        (PI * x).sin() / (PI * x)
    }
}

/// Blackman window over `x` in [-1, 1].
fn blackman(x: f64) -> f64 {
    if x.abs() >= 1.0 {
        0.0
    } else {
        0.42 + 0.5 * (PI * x).cos() + 0.08 * (2.0 * PI * x).cos()
    }
}

/// Converts a float sample (nominal range ±1.0) to i16 with rounding and clipping.
pub fn to_i16(x: f32) -> i16 {
    (x * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tone::goertzel_power;

    fn sine(freq: f64, rate: u32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (0.5 * (2.0 * PI * freq * i as f64 / f64::from(rate)).sin()) as f32)
            .collect()
    }

    fn run(r: &mut Resampler, input: &[f32], chunk: usize) -> Vec<i16> {
        let mut out = Vec::new();
        for c in input.chunks(chunk) {
            r.process(c, &mut out);
        }
        r.finish(&mut out);
        out.into_iter().map(to_i16).collect()
    }

    #[test]
    fn output_length_is_exact() {
        for (rate, n) in [(44_100, 44_100), (48_000, 12_345), (22_050, 7), (16_000, 1)] {
            let mut r = Resampler::new(rate, 8000);
            let out = run(&mut r, &vec![0.0; n], 1000);
            assert_eq!(
                out.len() as u64,
                (n as u64 * 8000).div_ceil(rate as u64),
                "{rate}"
            );
        }
    }

    #[test]
    fn chunking_does_not_change_the_result() {
        let input = sine(1000.0, 44_100, 10_000);
        let a = run(&mut Resampler::new(44_100, 8000), &input, 10_000);
        let b = run(&mut Resampler::new(44_100, 8000), &input, 37);
        assert_eq!(a, b);
    }

    #[test]
    fn in_band_tone_keeps_its_level() {
        let out = run(
            &mut Resampler::new(48_000, 8000),
            &sine(1000.0, 48_000, 48_000),
            4096,
        );
        // A 0.5-amplitude sine has RMS 0.354 × 32768.
        let body = &out[400..7600];
        let rms =
            (body.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / body.len() as f64).sqrt();
        assert!(
            (rms - 0.3536 * 32768.0).abs() < 0.02 * 0.3536 * 32768.0,
            "rms {rms}"
        );
    }

    #[test]
    fn out_of_band_tone_is_removed_not_aliased() {
        // 6 kHz would alias to 2 kHz at 8 kHz without the low-pass filter.
        let out = run(
            &mut Resampler::new(44_100, 8000),
            &sine(6000.0, 44_100, 44_100),
            4096,
        );
        let body = &out[400..7600];
        let peak = body.iter().map(|s| s.unsigned_abs()).max().unwrap();
        assert!(peak < 100, "aliased energy, peak {peak}");
        assert!(goertzel_power(body, 2000.0, 8000) < 1.0);
    }

    #[test]
    fn same_rate_is_identity() {
        let input: Vec<f32> = (0..500).map(|i| (i as f32 - 250.0) / 300.0).collect();
        let mut r = Resampler::new(8000, 8000);
        let out = run(&mut r, &input, 64);
        let expected: Vec<i16> = input.iter().map(|&x| to_i16(x)).collect();
        assert_eq!(out, expected);
    }
}
