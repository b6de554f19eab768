//! DTMF mute: removes in-band DTMF tones from a stream, e.g. so a recording never
//! holds the card number a caller keyed in, while speech and other tones pass.
//!
//! Each 20 ms frame is tested with the Goertzel algorithm at the eight DTMF
//! frequencies (ITU-T Q.23: 697, 770, 852, 941 Hz and 1209, 1336, 1477, 1633 Hz). A
//! frame holds a digit when one low and one high frequency together carry most of its
//! energy ([`MIN_PAIR_SHARE`]), each a fair part of it ([`MIN_TONE_SHARE`]), within
//! ±8 dB of each other (twist), each well above its group's runner-up, and the frame
//! is not near-silent. A digit rarely starts or ends on a frame boundary, so output is
//! one frame late: a frame is muted when it, the frame after it or the frame before it
//! holds a digit, which covers the partial frames at both edges of the tone.
//!
//! Deploy with `switchyard wasm deploy dtmf_mute.wasm --name dtmf-mute --kind transcoder`.

use switchyard_sdk::{export_transcoder, Frame, StreamFormat, Transcoder};

/// The DTMF row (low group) frequencies, Hz.
pub const LOW: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
/// The DTMF column (high group) frequencies, Hz.
pub const HIGH: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
/// Least share of a frame's energy the two tones of a digit carry together.
pub const MIN_PAIR_SHARE: f32 = 0.6;
/// Least share each tone carries.
pub const MIN_TONE_SHARE: f32 = 0.15;
/// Most the two tones' levels may differ (8 dB, as a power ratio).
pub const MAX_TWIST: f32 = 6.3;
/// How many times stronger the strongest tone of a group is than the next.
pub const MIN_GROUP_MARGIN: f32 = 4.0;
/// Frames below this mean square (−50 dBFS RMS) are not tested.
pub const MIN_MEAN_SQUARE: f32 = 32768.0 * 32768.0 * 1e-5;

/// Goertzel power `|X(f)|²` of `samples` at `freq` for a stream at `rate` Hz.
pub fn goertzel_power(samples: &[i16], freq: f32, rate: u32) -> f32 {
    let coeff = 2.0 * (2.0 * std::f32::consts::PI * freq / rate as f32).cos();
    let (mut s1, mut s2) = (0.0f32, 0.0f32);
    for &x in samples {
        let s0 = f32::from(x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    s1 * s1 + s2 * s2 - coeff * s1 * s2
}

/// The share of the frame's energy at `freq`: 1 for a pure sine at `freq`,
/// (2·|X|²)/(N·Σx²).
fn share(samples: &[i16], energy: f32, freq: f32, rate: u32) -> f32 {
    2.0 * goertzel_power(samples, freq, rate) / (samples.len() as f32 * energy)
}

/// The strongest frequency's share in `group` and the runner-up's.
fn strongest(samples: &[i16], energy: f32, group: &[f32; 4], rate: u32) -> (f32, f32) {
    let mut shares = group.map(|f| share(samples, energy, f, rate));
    shares.sort_by(|a, b| b.total_cmp(a));
    (shares[0], shares[1])
}

/// Whether `samples` (one frame at `rate`) hold a DTMF digit.
pub fn is_dtmf(samples: &[i16], rate: u32) -> bool {
    if samples.is_empty() {
        return false;
    }
    let energy: f32 = samples.iter().map(|&s| f32::from(s) * f32::from(s)).sum();
    if energy / (samples.len() as f32) < MIN_MEAN_SQUARE {
        return false;
    }
    let (low, low_next) = strongest(samples, energy, &LOW, rate);
    let (high, high_next) = strongest(samples, energy, &HIGH, rate);
    low >= MIN_TONE_SHARE
        && high >= MIN_TONE_SHARE
        && low + high >= MIN_PAIR_SHARE
        && low <= high * MAX_TWIST
        && high <= low * MAX_TWIST
        && low >= low_next * MIN_GROUP_MARGIN
        && high >= high_next * MIN_GROUP_MARGIN
}

/// The mute of one stream: the frame held back and whether digits were heard around it.
#[derive(Debug, Clone)]
pub struct DtmfMute {
    rate: u32,
    held: Option<Frame>,
    held_is_dtmf: bool,
    before_held_was_dtmf: bool,
}

impl Transcoder for DtmfMute {
    fn new(input: StreamFormat, _output: StreamFormat) -> Self {
        DtmfMute {
            rate: input.rate,
            held: None,
            held_is_dtmf: false,
            before_held_was_dtmf: false,
        }
    }

    fn process(&mut self, frame: Frame) -> Vec<Frame> {
        let now_dtmf = is_dtmf(&frame.samples, self.rate);
        let len = frame.samples.len();
        let out = match self.held.replace(frame) {
            // The first frame: one frame of silence starts the delay.
            None => Frame::new(vec![0; len]),
            Some(held) if now_dtmf || self.held_is_dtmf || self.before_held_was_dtmf => {
                let silence = vec![0; held.samples.len()];
                held.with_samples(silence)
            }
            Some(held) => held,
        };
        self.before_held_was_dtmf = self.held_is_dtmf;
        self.held_is_dtmf = now_dtmf;
        vec![out]
    }
}

export_transcoder!(DtmfMute);

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 8000;
    const N: usize = 160;

    /// `samples` samples of the sum of `tones` (Hz, amplitude), from sample `start`.
    fn tones(tones: &[(f32, f32)], start: usize, samples: usize) -> Vec<i16> {
        (start..start + samples)
            .map(|i| {
                let t = i as f32 / RATE as f32;
                let v: f32 = tones
                    .iter()
                    .map(|(f, a)| a * (2.0 * std::f32::consts::PI * f * t).sin())
                    .sum();
                v as i16
            })
            .collect()
    }

    /// Vowel-like audio: 30 harmonics of a 130 Hz voice shaped by two formants.
    fn speech(start: usize, samples: usize) -> Vec<i16> {
        let harmonics: Vec<(f32, f32)> = (1..=30)
            .map(|k| {
                let f = 130.0 * k as f32;
                let formant = |c: f32| 1.0 / (1.0 + ((f - c) / 150.0).powi(2));
                (
                    f,
                    2500.0 * (formant(700.0) + formant(1200.0)) + 300.0 / k as f32,
                )
            })
            .collect();
        tones(&harmonics, start, samples)
    }

    fn run(samples: &[i16]) -> Vec<i16> {
        let mut mute = DtmfMute::new(StreamFormat::l16(RATE), StreamFormat::l16(RATE));
        let mut out = Vec::new();
        for frame in samples.chunks(N) {
            let mut frames = mute.process(Frame::new(frame.to_vec()));
            assert_eq!(frames.len(), 1);
            out.append(&mut frames[0].samples);
        }
        out
    }

    #[test]
    fn goertzel_finds_a_tone_in_its_bin() {
        let digit_5 = tones(&[(770.0, 8000.0), (1336.0, 8000.0)], 0, N);
        let energy: f32 = digit_5.iter().map(|&s| f32::from(s).powi(2)).sum();
        assert!(share(&digit_5, energy, 770.0, RATE) > 0.45);
        assert!(share(&digit_5, energy, 1336.0, RATE) > 0.45);
        assert!(share(&digit_5, energy, 697.0, RATE) < 0.05);
        assert!(is_dtmf(&digit_5, RATE));
    }

    #[test]
    fn every_digit_is_detected_and_lone_tones_speech_and_silence_are_not() {
        for low in LOW {
            for high in HIGH {
                assert!(is_dtmf(
                    &tones(&[(low, 6000.0), (high, 5000.0)], 0, N),
                    RATE
                ));
            }
        }
        assert!(!is_dtmf(&tones(&[(1209.0, 8000.0)], 0, N), RATE));
        assert!(!is_dtmf(&tones(&[(1000.0, 8000.0)], 0, N), RATE));
        // The North American dial tone: 350 + 440 Hz.
        assert!(!is_dtmf(
            &tones(&[(350.0, 6000.0), (440.0, 6000.0)], 0, N),
            RATE
        ));
        for f in 0..25 {
            assert!(!is_dtmf(&speech(f * N, N), RATE), "speech frame {f}");
        }
        assert!(!is_dtmf(&[0; N], RATE));
    }

    #[test]
    fn a_digit_inside_speech_is_removed_and_the_speech_kept() {
        // 200 ms speech, a 90 ms '8' (852 + 1336 Hz) ending mid-frame, 200 ms speech.
        let mut input = speech(0, 10 * N);
        input.extend(tones(&[(852.0, 7000.0), (1336.0, 6000.0)], 0, 720));
        let rest = 20 * N + 80 - input.len();
        input.extend(speech(input.len(), rest));
        assert_eq!(input.len() % N, 80);
        input.extend(speech(input.len(), N - 80));
        let out = run(&input);
        assert_eq!(out.len(), input.len());
        // The output is one frame late.
        let delayed = &out[N..];
        let digit = 10 * N..10 * N + 720;
        let level_in = goertzel_power(&input[digit.clone()], 852.0, RATE)
            + goertzel_power(&input[digit.clone()], 1336.0, RATE);
        let level_out = goertzel_power(&delayed[digit.clone()], 852.0, RATE)
            + goertzel_power(&delayed[digit.clone()], 1336.0, RATE);
        assert!(level_out < level_in * 1e-4, "{level_out} vs {level_in}");
        assert!(delayed[digit].iter().all(|&s| s == 0));
        // Speech well away from the digit passes untouched.
        assert_eq!(&delayed[..9 * N], &input[..9 * N]);
        assert_eq!(&delayed[16 * N..], &input[16 * N..input.len() - N]);
    }
}
