//! A recording as a tap on a leg: each frame of the chosen track, brought to the
//! recording's rate, goes to the [`Recorder`]; its file is checkpointed once a second
//! and finished when the tap closes.

use crate::codec::Feed;
use crate::leg::{Tap, TapReport};
use crate::{FRAME_SAMPLES, SAMPLE_RATE};

use super::{RecordLimits, Recorder, Sink};

/// Which way of a leg a recording hears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Track {
    /// What the leg's far end says.
    Inbound,
    /// What the leg sends to its far end.
    Outbound,
}

/// Frames between two checkpoints: a crash loses at most a second.
const CHECKPOINT_FRAMES: u32 = 50;

/// Records one track of a leg, at 8 kHz mono (Twilio's recording format).
pub struct RecordTap {
    recorder: Option<Recorder<Box<dyn Sink>>>,
    track: Track,
    feed: Feed,
    frame: Vec<i16>,
    since_checkpoint: u32,
    /// Ended by itself (silence, maximum length, an error).
    done: bool,
    /// The first write error; the recording is `failed` with it.
    error: Option<String>,
}

impl std::fmt::Debug for RecordTap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordTap")
            .field("track", &self.track)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl RecordTap {
    /// Record `track` into `sink` within `limits`.
    pub fn new(sink: Box<dyn Sink>, track: Track, limits: RecordLimits) -> std::io::Result<Self> {
        Ok(Self {
            recorder: Some(Recorder::new(sink, SAMPLE_RATE, 1, limits)?),
            track,
            feed: Feed::new(SAMPLE_RATE),
            frame: vec![0; FRAME_SAMPLES],
            since_checkpoint: 0,
            done: false,
            error: None,
        })
    }

    fn fail(&mut self, e: std::io::Error) -> bool {
        self.error = Some(e.to_string());
        false
    }
}

impl RecordTap {
    /// One frame of the recorded track; false once the recording has ended.
    fn record(&mut self, rate: u32, pcm: &[i16]) -> bool {
        let Some(recorder) = self.recorder.as_mut() else {
            return false;
        };
        self.feed.push(rate, pcm);
        while self.feed.buffered() >= FRAME_SAMPLES {
            self.feed.next_frame(&mut self.frame);
            match recorder.push(&self.frame) {
                Ok(None) => {}
                Ok(Some(_stop)) => return false,
                Err(e) => return self.fail(e),
            }
            self.since_checkpoint += 1;
            if self.since_checkpoint >= CHECKPOINT_FRAMES {
                self.since_checkpoint = 0;
                if let Err(e) = recorder.checkpoint() {
                    return self.fail(e);
                }
            }
        }
        true
    }

    fn hear(&mut self, track: Track, rate: u32, pcm: &[i16]) {
        if track == self.track && !self.done {
            self.done = !self.record(rate, pcm);
        }
    }
}

impl Tap for RecordTap {
    fn wants_inbound(&self) -> bool {
        self.track == Track::Inbound
    }

    fn inbound(&mut self, rate: u32, pcm: &[i16]) {
        self.hear(Track::Inbound, rate, pcm);
    }

    fn outbound(&mut self, rate: u32, pcm: &[i16]) {
        self.hear(Track::Outbound, rate, pcm);
    }

    fn finished(&self) -> bool {
        self.done
    }

    fn close(mut self: Box<Self>) -> TapReport {
        let Some(recorder) = self.recorder.take() else {
            return TapReport::Closed;
        };
        let finished = recorder.finish().and_then(|mut done| {
            done.out.set_len(done.len)?;
            done.out.flush()?;
            Ok(done)
        });
        match (finished, self.error.take()) {
            (_, Some(e)) => TapReport::Failed(e),
            (Err(e), None) => TapReport::Failed(e.to_string()),
            (Ok(done), None) => TapReport::Recorded {
                duration_ms: done.duration_ms,
                voiced: done.voiced,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;
    use crate::record::{LocalRecordings, RecordingStorage};

    fn tone(rate: u32, n: usize, offset: usize) -> Vec<i16> {
        (offset..offset + n)
            .map(|i| {
                ((i as f64 * 2.0 * std::f64::consts::PI * 440.0 / f64::from(rate)).sin() * 8000.0)
                    as i16
            })
            .collect()
    }

    #[test]
    fn a_wideband_inbound_track_is_recorded_at_8_khz_and_ends_on_silence() {
        let dir = tempfile::tempdir().unwrap();
        let storage = LocalRecordings::new(dir.path());
        let sink = storage.create("AC1", "RE1").unwrap();
        let limits = RecordLimits {
            max_length_ms: 60_000,
            silence_ms: Some(1000),
            trim_silence: false,
        };
        let mut tap: Box<dyn Tap> = Box::new(RecordTap::new(sink, Track::Inbound, limits).unwrap());
        // One second of a 440 Hz tone at 16 kHz (an Opus leg), with outbound frames that
        // must not be recorded, then silence until the tap ends itself.
        assert!(tap.wants_inbound());
        for i in 0..50 {
            tap.inbound(16_000, &tone(16_000, 320, i * 320));
            tap.outbound(16_000, &[9000; 320]);
            assert!(!tap.finished());
        }
        let mut frames = 0;
        while !tap.finished() {
            tap.inbound(16_000, &[0; 320]);
            frames += 1;
            assert!(frames < 100, "silence never ended the recording");
        }
        // The frame that ended it counts: 1 s of silence at 20 ms a frame.
        frames -= 1;
        // 1 s of silence at 20 ms a frame, give or take the resampler's delay.
        assert!((48..=51).contains(&frames), "{frames}");
        let TapReport::Recorded {
            duration_ms,
            voiced,
        } = tap.close()
        else {
            panic!("not recorded")
        };
        assert!(voiced);
        assert!((1960..=2040).contains(&duration_ms), "{duration_ms}");
        let mut wav = Vec::new();
        storage
            .open("AC1", "RE1")
            .unwrap()
            .read_to_end(&mut wav)
            .unwrap();
        assert_eq!(u32::from_le_bytes(wav[24..28].try_into().unwrap()), 8000);
        let samples = crate::decode_all(&wav, Some("audio/wav")).unwrap();
        // decode_all gives the media rate; the tone is there and the outbound is not.
        let peak = samples.iter().map(|s| s.unsigned_abs()).max().unwrap();
        assert!((7000..=8800).contains(&peak), "peak {peak}");
    }
}
