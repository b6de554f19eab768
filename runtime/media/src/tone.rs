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
    Some(tone_sum(&[low, high], duration_ms, TONE_AMPLITUDE))
}

/// The beep before a `<Record>`: half a second of 1 kHz at the ringback's level.
pub fn beep() -> Vec<i16> {
    tone_sum(&[1000.0], 500, RINGBACK_AMPLITUDE)
}

/// The notes of the built-in wait and hold music (C5, E5, G5, E5), Hz.
pub const WAIT_MUSIC_NOTES: [f64; 4] = [523.25, 659.25, 783.99, 659.25];

/// One loop of the built-in music a conference participant hears while it waits for
/// the room to start or is on hold (two seconds at 8 kHz): a soft arpeggio, so that a
/// caller knows it is still connected.
pub fn wait_music() -> Vec<i16> {
    arpeggio(&WAIT_MUSIC_NOTES, 400, 100, 0)
}

/// One cadence of the ringback tone of `country` (ISO 3166 alpha-2, Twilio's `ringTone`
/// values; `uk` for `gb`), at 8 kHz, to be repeated while the far end rings; `None` for
/// a country not in the table. Frequencies and cadences from ITU-T E.180 (03/1998)
/// and its supplement 2.
pub fn ringback(country: &str) -> Option<Vec<i16>> {
    // (frequencies, on/off cadence in ms, starting with "on")
    let (freqs, cadence): (&[f64], &[u32]) = match country.to_ascii_lowercase().as_str() {
        "us" | "ca" => (&[440.0, 480.0], &[2000, 4000]),
        "uk" | "gb" | "ie" | "au" | "nz" | "in" => (&[400.0, 450.0], &[400, 200, 400, 2000]),
        "de" | "at" | "ch" | "nl" | "it" | "dk" | "no" | "se" | "fi" | "pl" | "cz" | "ru" => {
            (&[425.0], &[1000, 4000])
        }
        "fr" | "be" | "pt" => (&[440.0], &[1500, 3500]),
        "es" => (&[425.0], &[1500, 3000]),
        "jp" => (&[400.0], &[1000, 2000]),
        "br" => (&[425.0], &[1000, 4000]),
        "cn" | "hk" | "tw" => (&[450.0], &[1000, 4000]),
        "il" => (&[400.0], &[1000, 3000]),
        "mx" => (&[425.0], &[1000, 4000]),
        _ => return None,
    };
    let mut out = Vec::new();
    for (i, ms) in cadence.iter().enumerate() {
        if i % 2 == 0 {
            out.extend(tone_sum(freqs, *ms, RINGBACK_AMPLITUDE));
        } else {
            out.extend(silence(*ms));
        }
    }
    Some(out)
}

/// One phrase of the built-in hold music a queued caller hears without a `waitUrl`: a
/// slow arpeggio (C major, then G major) of soft sine notes with a pause after it, to be
/// repeated. Not silence, so a caller knows the line is alive; not a call-progress tone,
/// so no one mistakes it for ringing.
pub fn hold_music() -> Vec<i16> {
    const NOTES: [f64; 8] = [261.63, 329.63, 392.0, 523.25, 392.0, 493.88, 587.33, 392.0];
    arpeggio(&NOTES, 350, 50, 800)
}

/// Soft sine `notes` of `note_ms` each, `gap_ms` apart, then `tail_ms` of silence: the
/// built-in musics, at a call-progress level.
fn arpeggio(notes: &[f64], note_ms: u32, gap_ms: u32, tail_ms: u32) -> Vec<i16> {
    let mut out = Vec::new();
    for &f in notes {
        out.extend(tone_sum(&[f], note_ms, RINGBACK_AMPLITUDE));
        out.extend(silence(gap_ms));
    }
    out.extend(silence(tail_ms));
    out
}

/// Each component of a ringback tone: about -20 dBFS, a comfortable call-progress level.
const RINGBACK_AMPLITUDE: f64 = 0.1 * 32767.0;

/// `duration_ms` of the sum of sinusoids at `freqs`, each peaking at `amplitude`, with
/// short ramps at both ends.
fn tone_sum(freqs: &[f64], duration_ms: u32, amplitude: f64) -> Vec<i16> {
    let n = samples_for(duration_ms);
    let ramp = RAMP_SAMPLES.min(n / 2);
    let rate = f64::from(SAMPLE_RATE);
    (0..n)
        .map(|i| {
            let t = i as f64 / rate;
            let edge = i.min(n - 1 - i);
            let gain = if edge < ramp {
                edge as f64 / ramp as f64
            } else {
                1.0
            };
            let v: f64 = freqs.iter().map(|f| (TAU * f * t).sin()).sum();
            (amplitude * gain * v).round() as i16
        })
        .collect()
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
    fn wait_music_plays_its_notes_in_turn_and_loops_in_two_seconds() {
        let music = wait_music();
        assert_eq!(music.len(), 2 * SAMPLE_RATE as usize);
        // Each 500 ms slot holds its note, louder than every other note.
        for (i, note) in WAIT_MUSIC_NOTES.iter().enumerate() {
            let slot = &music[i * 4000..i * 4000 + 3200];
            let own = goertzel_power(slot, *note, SAMPLE_RATE);
            for other in WAIT_MUSIC_NOTES.iter().filter(|f| *f != note) {
                assert!(own > 100.0 * goertzel_power(slot, *other, SAMPLE_RATE));
            }
        }
        assert!(music.iter().all(|s| s.unsigned_abs() < 8192), "too loud");
    }

    #[test]
    fn silence_has_the_requested_length() {
        assert_eq!(silence(500).len(), 4000);
        assert!(silence(20).iter().all(|&s| s == 0));
        assert_eq!(silence(0).len(), 0);
        assert_eq!(dtmf_tone('1', 0).unwrap().len(), 0);
    }

    #[test]
    fn ringback_has_its_countrys_frequencies_and_cadence() {
        let us = ringback("us").unwrap();
        assert_eq!(us.len(), 6 * 8000);
        let on = &us[..16000];
        assert!(goertzel_power(on, 440.0, 8000) > 100.0 * goertzel_power(on, 425.0, 8000));
        assert!(goertzel_power(on, 480.0, 8000) > 100.0 * goertzel_power(on, 425.0, 8000));
        assert!(
            us[16000..].iter().all(|&s| s == 0),
            "4 s of silence after 2 s of tone"
        );
        let de = ringback("DE").unwrap();
        assert_eq!(de.len(), 5 * 8000);
        assert!(
            goertzel_power(&de[..8000], 425.0, 8000)
                > 100.0 * goertzel_power(&de[..8000], 480.0, 8000)
        );
        let uk = ringback("uk").unwrap();
        assert_eq!(uk.len(), 3 * 8000);
        assert!(
            uk[3200..4800].iter().all(|&s| s == 0),
            "the 200 ms gap of the double ring"
        );
        assert_eq!(ringback("xx"), None);
    }

    #[test]
    fn hold_music_is_a_melody_not_silence_nor_a_call_progress_tone() {
        let music = hold_music();
        // Eight notes of 400 ms and 800 ms of rest: 4 s, then it repeats.
        assert_eq!(music.len(), 4 * 8000);
        let note = |n: usize| &music[n * 3200..n * 3200 + 2800];
        assert!(note(0).iter().any(|&s| s.unsigned_abs() > 2000), "audible");
        // Each note is its own pitch: the first is C4, the fourth C5.
        assert!(
            goertzel_power(note(0), 261.63, 8000) > 100.0 * goertzel_power(note(0), 523.25, 8000)
        );
        assert!(
            goertzel_power(note(3), 523.25, 8000) > 100.0 * goertzel_power(note(3), 261.63, 8000)
        );
        // Not the ringback's 440 + 480 Hz.
        assert!(
            goertzel_power(note(0), 440.0, 8000) < goertzel_power(note(0), 261.63, 8000) / 100.0
        );
        assert!(
            music[music.len() - 6000..].iter().all(|&s| s == 0),
            "the rest"
        );
    }
}
