//! DTMF tones and silence at 8 kHz.

use crate::SAMPLE_RATE;
use std::f64::consts::TAU;

/// Peak amplitude of each of the two sinusoids: together they peak at about -6 dBFS,
/// loud enough for any DTMF receiver and far from clipping after G.711.
const TONE_AMPLITUDE: f64 = 0.25 * 32767.0;

/// Onset/decay ramp, so that tone edges do not splatter energy across the band.
const RAMP_SAMPLES: usize = 40; // 5 ms

/// The (low, high) frequency pair of a DTMF key (ITU-T Q.23), or `None` for a
/// character that is not a key. Letters are accepted in either case.
pub fn dtmf_frequencies(digit: char) -> Option<(f64, f64)> {
    const LOW: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
    const HIGH: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
    let (row, col) = match digit.to_ascii_uppercase() {
        '1' => (0, 0),
        '2' => (0, 1),
        '3' => (0, 2),
        'A' => (0, 3),
        '4' => (1, 0),
        '5' => (1, 1),
        '6' => (1, 2),
        'B' => (1, 3),
        '7' => (2, 0),
        '8' => (2, 1),
        '9' => (2, 2),
        'C' => (2, 3),
        '*' => (3, 0),
        '0' => (3, 1),
        '#' => (3, 2),
        'D' => (3, 3),
        _ => return None,
    };
    Some((LOW[row], HIGH[col]))
}

/// `duration_ms` of the DTMF tone for `digit` (0-9, `*`, `#`, A-D) at 8 kHz, or `None`
/// when `digit` is not a DTMF key. The `w` pause of `sendDigits` is the caller's
/// business ([`silence`] of 500 ms).
pub fn dtmf_tone(digit: char, duration_ms: u32) -> Option<Vec<i16>> {
    let (low, high) = dtmf_frequencies(digit)?;
    let n = samples_for(duration_ms);
    let ramp = RAMP_SAMPLES.min(n / 2);
    let rate = f64::from(SAMPLE_RATE);
    let tone = (0..n)
        .map(|i| {
            let t = i as f64 / rate;
            let edge = i.min(n - 1 - i);
            let gain = if edge < ramp {
                edge as f64 / ramp as f64
            } else {
                1.0
            };
            let v = TONE_AMPLITUDE * gain * ((TAU * low * t).sin() + (TAU * high * t).sin());
            v.round() as i16
        })
        .collect();
    Some(tone)
}

/// `duration_ms` of silence at 8 kHz.
pub fn silence(duration_ms: u32) -> Vec<i16> {
    vec![0; samples_for(duration_ms)]
}

fn samples_for(duration_ms: u32) -> usize {
    (u64::from(duration_ms) * u64::from(SAMPLE_RATE) / 1000) as usize
}

/// Power of `samples` at `freq` Hz (Goertzel algorithm), normalised by length so that
/// values are comparable across signal lengths. Used by tests across the crate.
pub fn goertzel_power(samples: &[i16], freq: f64, sample_rate: u32) -> f64 {
    let w = TAU * freq / f64::from(sample_rate);
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in samples {
        let s0 = f64::from(x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let n = samples.len().max(1) as f64;
    (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (n * n)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_FREQS: [f64; 8] = [697.0, 770.0, 852.0, 941.0, 1209.0, 1336.0, 1477.0, 1633.0];

    fn strongest_two(samples: &[i16]) -> (f64, f64) {
        let mut p: Vec<(f64, f64)> = ALL_FREQS
            .iter()
            .map(|&f| (f, goertzel_power(samples, f, SAMPLE_RATE)))
            .collect();
        p.sort_by(|a, b| b.1.total_cmp(&a.1));
        let (a, b) = (p[0].0, p[1].0);
        (a.min(b), a.max(b))
    }

    #[test]
    fn every_key_carries_its_two_q23_frequencies() {
        for (key, low, high) in [
            ('1', 697.0, 1209.0),
            ('5', 770.0, 1336.0),
            ('9', 852.0, 1477.0),
            ('0', 941.0, 1336.0),
            ('*', 941.0, 1209.0),
            ('#', 941.0, 1477.0),
            ('a', 697.0, 1633.0),
            ('D', 941.0, 1633.0),
        ] {
            let tone = dtmf_tone(key, 100).unwrap();
            assert_eq!(tone.len(), 800);
            assert_eq!(strongest_two(&tone), (low, high), "key {key}");
        }
    }

    #[test]
    fn non_keys_have_no_tone() {
        assert!(dtmf_tone('w', 100).is_none());
        assert!(dtmf_tone('E', 100).is_none());
        assert!(dtmf_tone(' ', 100).is_none());
    }

    #[test]
    fn tone_does_not_clip_and_ramps_from_zero() {
        let tone = dtmf_tone('#', 250).unwrap();
        assert_eq!(tone[0], 0);
        let peak = tone.iter().map(|s| s.unsigned_abs()).max().unwrap();
        assert!(peak > 10_000 && peak < 32_000, "peak {peak}");
    }

    #[test]
    fn silence_has_the_requested_length() {
        assert_eq!(silence(500).len(), 4000);
        assert!(silence(20).iter().all(|&s| s == 0));
        assert_eq!(silence(0).len(), 0);
        assert_eq!(dtmf_tone('1', 0).unwrap().len(), 0);
    }
}
