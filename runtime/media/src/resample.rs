//! Streaming, anti-aliased sample-rate conversion between any two rates.
//!
//! The work is done by `rubato`'s synchronous FFT resampler: each block of input is
//! transformed, its spectrum truncated (down) or zero-extended (up) behind a
//! Blackman-Harris windowed-sinc low-pass whose cut-off sits just below the Nyquist
//! frequency of the *lower* rate, and transformed back, with overlap-add between
//! blocks. Downsampling 44.1 kHz music to 8 kHz therefore removes everything above
//! ~3.8 kHz instead of folding it back into the telephone band.
//!
//! This wrapper adds what the node needs on top: input in chunks of any size, the
//! filter's delay removed (output sample *n* is the signal at instant *n*, as if the
//! conversion were instantaneous) and an exact output length,
//! `ceil(inputs × out_rate / in_rate)`, once the stream is [finished](Resampler::finish).
//! Blocks are 20 ms (rounded up to the shortest block the two rates allow), so the
//! per-frame paths of a call (8 ⇄ 16 kHz) convert one frame per call with no
//! allocation after the first.

use rubato::{FftFixedInOut, Resampler as _};

/// Converts a mono `f32` stream from `in_rate` to `out_rate`, chunk by chunk.
pub struct Resampler {
    in_rate: u64,
    out_rate: u64,
    /// `None` when both rates are equal: samples pass through.
    fft: Option<FftFixedInOut<f32>>,
    /// Input not yet converted (less than one block after each call).
    pending: Vec<f32>,
    /// One block of output.
    block: Vec<f32>,
    /// Leading output samples still to drop: the filter's delay.
    delay_left: usize,
    /// Total input samples received.
    received: u64,
    /// Output samples handed out so far.
    produced: u64,
}

impl std::fmt::Debug for Resampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resampler")
            .field("in_rate", &self.in_rate)
            .field("out_rate", &self.out_rate)
            .field("received", &self.received)
            .field("produced", &self.produced)
            .finish_non_exhaustive()
    }
}

impl Resampler {
    /// A resampler from `in_rate` to `out_rate` (both in Hz; 0 is taken as 1).
    pub fn new(in_rate: u32, out_rate: u32) -> Self {
        let (in_rate, out_rate) = (in_rate.max(1), out_rate.max(1));
        let fft = (in_rate != out_rate).then(|| {
            FftFixedInOut::new(
                in_rate as usize,
                out_rate as usize,
                block_len(in_rate, out_rate),
                1,
            )
            .expect("non-zero sample rates")
        });
        let (block, delay_left, pending) = match &fft {
            Some(f) => (
                vec![0.0; f.output_frames_max()],
                f.output_delay(),
                Vec::with_capacity(f.input_frames_max() * 2),
            ),
            None => (Vec::new(), 0, Vec::new()),
        };
        Resampler {
            in_rate: u64::from(in_rate),
            out_rate: u64::from(out_rate),
            fft,
            pending,
            block,
            delay_left,
            received: 0,
            produced: 0,
        }
    }

    /// Input rate, in Hz.
    pub fn in_rate(&self) -> u32 {
        self.in_rate as u32
    }

    /// Output rate, in Hz.
    pub fn out_rate(&self) -> u32 {
        self.out_rate as u32
    }

    /// Feeds `input` and appends every output sample it completes to `out`.
    pub fn process(&mut self, input: &[f32], out: &mut Vec<f32>) {
        self.received += input.len() as u64;
        if self.fft.is_none() {
            out.extend_from_slice(input);
            self.produced += input.len() as u64;
            return;
        }
        self.pending.extend_from_slice(input);
        self.convert_pending(out, u64::MAX);
    }

    /// Ends the stream: appends the remaining output, treating the input after the
    /// end as silence. The total output is `ceil(inputs × out_rate / in_rate)`.
    pub fn finish(&mut self, out: &mut Vec<f32>) {
        let total = (self.received * self.out_rate).div_ceil(self.in_rate);
        let Some(fft) = &self.fft else { return };
        let block_in = fft.input_frames_max();
        while self.produced < total {
            let fill = block_in - self.pending.len() % block_in;
            self.pending.resize(self.pending.len() + fill, 0.0);
            self.convert_pending(out, total);
        }
        self.pending.clear();
    }

    /// Converts every whole block of `pending`, handing out at most up to sample
    /// number `limit`.
    fn convert_pending(&mut self, out: &mut Vec<f32>, limit: u64) {
        let Some(fft) = self.fft.as_mut() else { return };
        let block_in = fft.input_frames_max();
        let mut used = 0;
        while self.pending.len() - used >= block_in {
            let input = [&self.pending[used..used + block_in]];
            let (_, n) = fft
                .process_into_buffer(&input, &mut [&mut self.block[..]], None)
                .expect("buffers sized by the resampler");
            used += block_in;
            let skip = self.delay_left.min(n);
            self.delay_left -= skip;
            let room = usize::try_from(limit.saturating_sub(self.produced)).unwrap_or(usize::MAX);
            let take = (n - skip).min(room);
            out.extend_from_slice(&self.block[skip..skip + take]);
            self.produced += take as u64;
        }
        self.pending.drain(..used);
    }
}

/// Input samples per block: 20 ms, rounded up to a multiple of the shortest block
/// the two rates allow (`in_rate / gcd`), and even. The filter is centred on sample
/// `block / 2` of a block, so an even block puts its delay on a whole output sample
/// (`block_out / 2`) that [`Resampler`] can drop exactly; an odd one (441 at 22.05 kHz)
/// would leave a half-sample skew.
fn block_len(in_rate: u32, out_rate: u32) -> usize {
    let (a, b) = (in_rate as usize, out_rate as usize);
    let shortest = a / gcd(a, b);
    let mut blocks = (a / 50).max(1).div_ceil(shortest);
    if blocks * shortest % 2 == 1 {
        blocks += 1;
    }
    blocks * shortest
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Converts a float sample (nominal range ±1.0) to i16 with rounding and clipping.
pub fn to_i16(x: f32) -> i16 {
    (x * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

/// Converts an i16 sample to a float in [-1.0, 1.0).
pub fn to_f32(x: i16) -> f32 {
    f32::from(x) / 32768.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tone::goertzel_power;
    use std::f64::consts::PI;

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
        let mut up = Resampler::new(8000, 16_000);
        assert_eq!(run(&mut up, &vec![0.0; 1234], 160).len(), 2468);
    }

    #[test]
    fn chunking_does_not_change_the_result() {
        let input = sine(1000.0, 44_100, 10_000);
        let a = run(&mut Resampler::new(44_100, 8000), &input, 10_000);
        let b = run(&mut Resampler::new(44_100, 8000), &input, 37);
        assert_eq!(a, b);
    }

    #[test]
    fn in_band_tone_keeps_its_level_and_timing() {
        let input = sine(1000.0, 48_000, 48_000);
        let out = run(&mut Resampler::new(48_000, 8000), &input, 4096);
        // A 0.5-amplitude sine has RMS 0.354 × 32768.
        let body = &out[400..7600];
        let rms =
            (body.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / body.len() as f64).sqrt();
        assert!(
            (rms - 0.3536 * 32768.0).abs() < 0.02 * 0.3536 * 32768.0,
            "rms {rms}"
        );
        // The filter delay is removed: output sample n is input instant 6n.
        let expected: Vec<i16> = (400..7600).map(|n| to_i16(input[6 * n])).collect();
        let err = body
            .iter()
            .zip(&expected)
            .map(|(&a, &b)| (i32::from(a) - i32::from(b)).abs())
            .max()
            .unwrap();
        assert!(err < 200, "misaligned by up to {err}");
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

    #[test]
    fn one_frame_in_gives_one_frame_out_between_8_and_16_khz() {
        let mut up = Resampler::new(8000, 16_000);
        let mut out = Vec::new();
        up.process(&[0.1; 160], &mut out);
        up.process(&[0.1; 160], &mut out);
        // The first block also carries the filter's 10 ms delay.
        assert_eq!(out.len(), 2 * 320 - 160);
        let mut down = Resampler::new(16_000, 8000);
        out.clear();
        down.process(&[0.1; 320], &mut out);
        down.process(&[0.1; 320], &mut out);
        assert_eq!(out.len(), 2 * 160 - 80);
    }
}
