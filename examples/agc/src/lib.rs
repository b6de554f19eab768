//! Automatic gain control: brings a stream's speech to a target level (−20 dBFS RMS)
//! so a quiet caller is heard as well as a loud one.
//!
//! Levels are RMS relative to full scale (32768), so a full-scale sine is −3 dBFS.
//! Per 20 ms frame the transcoder measures the level, smooths it (fast attack, slow
//! release), and moves its gain towards target − level, bounded to
//! [`MIN_GAIN_DB`, `MAX_GAIN_DB`] and by [`MAX_STEP_DB`] per frame; frames below
//! [`GATE_DBFS`] (silence, line noise) leave the gain where it is so pauses are not
//! pumped up. The gain ramps linearly across each frame (no clicks), and samples
//! saturate rather than wrap.
//!
//! Deploy with `switchyard wasm deploy agc.wasm --name agc --kind transcoder` and
//! attach it to a number with `VoiceTranscoder=app:agc`.

use switchyard_sdk::{export_transcoder, Frame, StreamFormat, Transcoder};

/// The level speech is brought to, dBFS RMS.
pub const TARGET_DBFS: f32 = -20.0;
/// The most a quiet stream is raised.
pub const MAX_GAIN_DB: f32 = 24.0;
/// The most a loud stream is lowered.
pub const MIN_GAIN_DB: f32 = -12.0;
/// The most the gain moves per frame: 60 dB/s.
pub const MAX_STEP_DB: f32 = 1.2;
/// Below this the frame is taken for silence and the gain holds.
pub const GATE_DBFS: f32 = -55.0;

/// RMS level of `samples` in dBFS (−inf for silence).
pub fn rms_dbfs(samples: &[i16]) -> f32 {
    if samples.is_empty() {
        return f32::NEG_INFINITY;
    }
    let sum: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    let rms = (sum / samples.len() as f64).sqrt() / 32768.0;
    (20.0 * rms.log10()) as f32
}

fn db_to_linear(db: f32) -> f32 {
    10f32.powf(db / 20.0)
}

/// The gain control of one stream.
#[derive(Debug, Clone)]
pub struct Agc {
    /// Smoothed level, dBFS; None before the first speech.
    level: Option<f32>,
    /// Current gain, dB.
    gain_db: f32,
}

impl Agc {
    /// The gain applied to the last frame, dB.
    pub fn gain_db(&self) -> f32 {
        self.gain_db
    }

    /// Applies the control to one frame's samples in place.
    pub fn apply(&mut self, samples: &mut [i16]) {
        let from = db_to_linear(self.gain_db);
        let level = rms_dbfs(samples);
        if level > GATE_DBFS {
            // Fast attack (a loud burst is caught in a frame or two), slow release.
            let smoothed = match self.level {
                None => level,
                Some(prev) if level > prev => prev + 0.6 * (level - prev),
                Some(prev) => prev + 0.1 * (level - prev),
            };
            self.level = Some(smoothed);
            let wanted = (TARGET_DBFS - smoothed).clamp(MIN_GAIN_DB, MAX_GAIN_DB);
            let step = (wanted - self.gain_db).clamp(-MAX_STEP_DB, MAX_STEP_DB);
            self.gain_db += step;
        }
        let to = db_to_linear(self.gain_db);
        let n = samples.len().max(1) as f32;
        for (i, s) in samples.iter_mut().enumerate() {
            let g = from + (to - from) * (i as f32 + 1.0) / n;
            *s = (f32::from(*s) * g).round().clamp(-32768.0, 32767.0) as i16;
        }
    }
}

impl Transcoder for Agc {
    fn new(_input: StreamFormat, _output: StreamFormat) -> Self {
        Agc {
            level: None,
            gain_db: 0.0,
        }
    }

    fn process(&mut self, mut frame: Frame) -> Vec<Frame> {
        self.apply(&mut frame.samples);
        vec![frame]
    }
}

export_transcoder!(Agc);

#[cfg(test)]
mod tests {
    use super::*;

    /// `frames` 20 ms frames of a `freq` Hz sine at `dbfs` RMS, 8 kHz.
    fn tone(freq: f32, dbfs: f32, frames: usize) -> Vec<Vec<i16>> {
        let amplitude = 32768.0 * db_to_linear(dbfs) * std::f32::consts::SQRT_2;
        (0..frames)
            .map(|f| {
                (0..160)
                    .map(|i| {
                        let t = (f * 160 + i) as f32 / 8000.0;
                        (amplitude * (2.0 * std::f32::consts::PI * freq * t).sin()) as i16
                    })
                    .collect()
            })
            .collect()
    }

    fn run(agc: &mut Agc, frames: Vec<Vec<i16>>) -> Vec<Vec<i16>> {
        frames
            .into_iter()
            .map(|samples| {
                let mut out = agc.process(Frame::new(samples));
                assert_eq!(out.len(), 1);
                out.remove(0).samples
            })
            .collect()
    }

    fn agc() -> Agc {
        Agc::new(StreamFormat::l16(8000), StreamFormat::l16(8000))
    }

    #[test]
    fn the_level_of_a_sine_is_its_rms() {
        let frames = tone(1000.0, -30.0, 1);
        assert!(
            (rms_dbfs(&frames[0]) - -30.0).abs() < 0.1,
            "{}",
            rms_dbfs(&frames[0])
        );
        assert_eq!(rms_dbfs(&[0; 160]), f32::NEG_INFINITY);
    }

    #[test]
    fn a_quiet_tone_is_raised_to_the_target_within_a_second() {
        let mut agc = agc();
        let out = run(&mut agc, tone(1000.0, -30.0, 100));
        // Raising 10 dB at 1.2 dB per frame takes under 10 frames; after 1 s the level
        // sits at the target.
        for frame in &out[50..] {
            let level = rms_dbfs(frame);
            assert!((level - TARGET_DBFS).abs() < 1.0, "level {level}");
        }
        assert!((agc.gain_db() - 10.0).abs() < 1.0, "gain {}", agc.gain_db());
        // The first frame is barely touched: the gain moves gradually.
        assert!(rms_dbfs(&out[0]) < -28.0, "{}", rms_dbfs(&out[0]));
    }

    #[test]
    fn a_loud_tone_is_lowered_to_the_target() {
        let mut agc = agc();
        let out = run(&mut agc, tone(440.0, -8.0, 100));
        let level = rms_dbfs(&out[99]);
        assert!((level - TARGET_DBFS).abs() < 1.0, "level {level}");
    }

    #[test]
    fn the_gain_is_bounded_for_a_very_quiet_stream() {
        let mut agc = agc();
        let out = run(&mut agc, tone(1000.0, -50.0, 200));
        // −50 dBFS needs +30 dB; at most +24 dB is given.
        let level = rms_dbfs(&out[199]);
        assert!((level - (-50.0 + MAX_GAIN_DB)).abs() < 0.5, "level {level}");
    }

    #[test]
    fn silence_holds_the_gain_and_stays_silent() {
        let mut agc = agc();
        run(&mut agc, tone(1000.0, -30.0, 50));
        let gain = agc.gain_db();
        let out = run(&mut agc, vec![vec![3; 160]; 50]);
        assert_eq!(agc.gain_db(), gain);
        // A DC offset of 3 (−81 dBFS) raised by ~10 dB is still ~−71 dBFS.
        assert!(rms_dbfs(&out[49]) < -65.0);
    }

    #[test]
    fn samples_saturate_instead_of_wrapping() {
        let mut agc = Agc {
            level: Some(-60.0),
            gain_db: MAX_GAIN_DB,
        };
        let mut samples = vec![30_000, -30_000, 100];
        agc.apply(&mut samples);
        assert!(samples[0] > 0 && samples[1] < 0, "{samples:?}");
    }
}
