//! A recording as it is made: PCM frames in, a WAV written as they come, and the two
//! reasons a `<Record>` ends by itself (silence for `timeout` seconds, `maxLength`).
//!
//! Sans-IO apart from the writer it is given: the caller feeds 20 ms frames at the
//! recording's rate and checkpoints once a second (a crash loses at most that), and
//! nothing here reads a clock: time is the audio fed.
//!
//! Silence is measured, not guessed: a frame is voiced when its RMS level is above
//! [`VOICE_RMS`] on any channel. `trim-silence` drops the silence before the first
//! voiced frame (keeping [`PRE_ROLL_MS`] of onset) and after the last one (keeping
//! [`HANGOVER_MS`]).

mod call;
mod storage;
mod tap;

pub use call::{CallLayout, CallRecording, CallTap, Paused, Sides, MAX_SKEW_FRAMES};
pub use storage::{LocalRecordings, RecordingStorage, Sink, Source};
pub use tap::{RecordTap, Track};

use std::collections::VecDeque;
use std::io::{self, Seek, Write};

use crate::wav::WavWriter;

/// RMS level (of 32,768) above which a frame holds voice: about −44 dBFS, well above a
/// telephone line's idle noise and below quiet speech.
pub const VOICE_RMS: f64 = 200.0;
/// Audio kept before the first voiced frame when trimming, so the onset is not cut.
pub const PRE_ROLL_MS: u64 = 200;
/// Audio kept after the last voiced frame when trimming.
pub const HANGOVER_MS: u64 = 200;

/// How a recording is bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordLimits {
    /// `maxLength`: audio recorded (before trimming) that ends it, in milliseconds.
    pub max_length_ms: u64,
    /// `timeout`: milliseconds without voice that end it; `None` = never.
    pub silence_ms: Option<u64>,
    /// `trim="trim-silence"`.
    pub trim_silence: bool,
}

impl RecordLimits {
    /// A recording that only ends when it is stopped (a whole call's, a room's).
    pub fn until_stopped(trim_silence: bool) -> Self {
        Self {
            max_length_ms: u64::MAX,
            silence_ms: None,
            trim_silence,
        }
    }
}

/// Why a recording ended by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordStop {
    /// `timeout` of silence.
    Silence,
    /// `maxLength` reached.
    MaxLength,
}

/// A finished recording.
#[derive(Debug)]
pub struct Recorded<W> {
    /// The writer, positioned anywhere; the WAV is its first `len` bytes.
    pub out: W,
    /// The WAV's length in bytes (a file should be truncated to it).
    pub len: u64,
    /// Milliseconds of audio in the WAV.
    pub duration_ms: u64,
    /// Whether any frame held voice (a silent recording is `absent` on Twilio).
    pub voiced: bool,
}

/// One recording being made.
#[derive(Debug)]
pub struct Recorder<W: Write + Seek> {
    writer: WavWriter<W>,
    rate: u32,
    channels: u16,
    limits: RecordLimits,
    /// Milliseconds of audio fed (written or not).
    fed_ms: u64,
    /// Where voice was last heard, in fed milliseconds (the end of that frame).
    last_voice_ms: Option<u64>,
    /// While trimming and no voice yet: the last [`PRE_ROLL_MS`] of frames.
    pre_roll: VecDeque<Vec<i16>>,
    /// Written milliseconds at the end of the last voiced frame.
    written_at_voice_ms: u64,
}

impl<W: Write + Seek> Recorder<W> {
    /// Record `channels` interleaved channels at `rate` Hz into `out`.
    pub fn new(out: W, rate: u32, channels: u16, limits: RecordLimits) -> io::Result<Self> {
        Ok(Self {
            writer: WavWriter::new(out, rate, channels)?,
            rate,
            channels: channels.max(1),
            limits,
            fed_ms: 0,
            last_voice_ms: None,
            pre_roll: VecDeque::new(),
            written_at_voice_ms: 0,
        })
    }

    /// Feed one frame (interleaved); says whether the recording should end now.
    pub fn push(&mut self, frame: &[i16]) -> io::Result<Option<RecordStop>> {
        let frame_ms =
            frame.len() as u64 * 1000 / (u64::from(self.channels) * u64::from(self.rate.max(1)));
        self.fed_ms += frame_ms;
        let voiced = is_voiced(frame, self.channels);
        if self.limits.trim_silence && self.last_voice_ms.is_none() && !voiced {
            self.pre_roll.push_back(frame.to_vec());
            if self.pre_roll.len() as u64 * frame_ms.max(1) > PRE_ROLL_MS {
                self.pre_roll.pop_front();
            }
        } else {
            for held in std::mem::take(&mut self.pre_roll) {
                self.writer.write(&held)?;
            }
            self.writer.write(frame)?;
        }
        if voiced {
            self.last_voice_ms = Some(self.fed_ms);
            self.written_at_voice_ms = self.writer.duration_ms();
        }
        if self.fed_ms >= self.limits.max_length_ms {
            return Ok(Some(RecordStop::MaxLength));
        }
        let quiet_since = self.last_voice_ms.unwrap_or(0);
        if self
            .limits
            .silence_ms
            .is_some_and(|t| self.fed_ms - quiet_since >= t)
        {
            return Ok(Some(RecordStop::Silence));
        }
        Ok(None)
    }

    #[cfg(test)]
    fn writer_for_tests(&self) -> &W {
        self.writer.get_ref()
    }

    /// Milliseconds of audio fed so far.
    pub fn fed_ms(&self) -> u64 {
        self.fed_ms
    }

    /// Make what is on disk a whole WAV of what was written (once a second).
    pub fn checkpoint(&mut self) -> io::Result<()> {
        self.writer.checkpoint()
    }

    /// End the recording: trailing silence trimmed if asked, the header final.
    pub fn finish(mut self) -> io::Result<Recorded<W>> {
        let voiced = self.last_voice_ms.is_some();
        if self.limits.trim_silence {
            let keep = if voiced {
                self.written_at_voice_ms + HANGOVER_MS
            } else {
                0
            };
            if keep < self.writer.duration_ms() {
                self.writer.truncate_to_ms(keep)?;
            }
        }
        let duration_ms = self.writer.duration_ms();
        let (out, len) = self.writer.finish()?;
        Ok(Recorded {
            out,
            len,
            duration_ms,
            voiced,
        })
    }
}

/// What a recording cut short by a crash turned out to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recovered {
    /// Milliseconds of audio in the repaired file.
    pub duration_ms: u64,
    /// Whether any 20 ms frame of it held voice.
    pub voiced: bool,
}

/// Repair a recording whose writer died between checkpoints ([`crate::wav::repair`])
/// and measure what it holds, so that its record can say `completed` or `absent`.
pub fn recover<F: io::Read + Write + Seek>(
    file: &mut F,
) -> Result<Recovered, crate::wav::RepairError> {
    let duration_ms = crate::wav::repair(file)?;
    file.seek(io::SeekFrom::Start(0))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    let mut header = [0u8; crate::wav::HEADER_LEN as usize];
    header.copy_from_slice(&bytes[..crate::wav::HEADER_LEN as usize]);
    let channels = crate::wav::parse_header(&header).map_or(1, |f| f.channels);
    let samples: Vec<i16> = bytes[crate::wav::HEADER_LEN as usize..]
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    let frame = 160 * usize::from(channels.max(1));
    let voiced = samples.chunks(frame).any(|f| is_voiced(f, channels));
    Ok(Recovered {
        duration_ms,
        voiced,
    })
}

/// Whether any channel of the interleaved `frame` is above [`VOICE_RMS`].
pub fn is_voiced(frame: &[i16], channels: u16) -> bool {
    let channels = usize::from(channels.max(1));
    (0..channels).any(|c| {
        let (sum, n) = frame
            .iter()
            .skip(c)
            .step_by(channels)
            .fold((0f64, 0usize), |(s, n), &x| {
                (s + f64::from(x).powi(2), n + 1)
            });
        n > 0 && (sum / n as f64).sqrt() > VOICE_RMS
    })
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    const RATE: u32 = 8000;
    const FRAME: usize = 160;

    fn tone() -> Vec<i16> {
        (0..FRAME)
            .map(|i| {
                ((i as f64 * 2.0 * std::f64::consts::PI * 440.0 / 8000.0).sin() * 8000.0) as i16
            })
            .collect()
    }

    fn limits(silence_ms: Option<u64>, trim: bool) -> RecordLimits {
        RecordLimits {
            max_length_ms: 10_000,
            silence_ms,
            trim_silence: trim,
        }
    }

    fn recorder(l: RecordLimits) -> Recorder<Cursor<Vec<u8>>> {
        Recorder::new(Cursor::new(Vec::new()), RATE, 1, l).unwrap()
    }

    /// Feeds frames until the recorder stops or `frames` run out; returns the frame
    /// count fed and the stop.
    fn feed(r: &mut Recorder<Cursor<Vec<u8>>>, frames: &[Vec<i16>]) -> (usize, Option<RecordStop>) {
        for (i, f) in frames.iter().enumerate() {
            if let Some(stop) = r.push(f).unwrap() {
                return (i + 1, Some(stop));
            }
        }
        (frames.len(), None)
    }

    #[test]
    fn line_noise_is_silence_and_a_tone_is_voice() {
        let noise: Vec<i16> = (0..FRAME).map(|i| ((i * 7919) % 61) as i16 - 30).collect();
        assert!(!is_voiced(&noise, 1));
        assert!(is_voiced(&tone(), 1));
        // Two channels: voice on the second alone counts.
        let stereo: Vec<i16> = tone().iter().flat_map(|&s| [0, s]).collect();
        assert!(is_voiced(&stereo, 2));
    }

    #[test]
    fn timeout_seconds_of_silence_after_speech_end_it() {
        let mut r = recorder(limits(Some(2000), false));
        let mut frames = vec![tone(); 50]; // 1 s of voice
        frames.extend(vec![vec![0i16; FRAME]; 200]); // then 4 s of silence
        let (fed, stop) = feed(&mut r, &frames);
        assert_eq!(stop, Some(RecordStop::Silence));
        // Stopped exactly 2 s (100 frames) after the last voiced frame.
        assert_eq!(fed, 150);
        let done = r.finish().unwrap();
        assert_eq!(done.duration_ms, 3000);
        assert!(done.voiced);
    }

    #[test]
    fn silence_from_the_start_ends_it_too_and_says_no_voice() {
        let mut r = recorder(limits(Some(1000), true));
        let (fed, stop) = feed(&mut r, &vec![vec![0i16; FRAME]; 100]);
        assert_eq!((fed, stop), (50, Some(RecordStop::Silence)));
        let done = r.finish().unwrap();
        assert!(!done.voiced);
        assert_eq!(done.duration_ms, 0);
    }

    #[test]
    fn timeout_zero_means_only_max_length_ends_it() {
        let mut r = Recorder::new(
            Cursor::new(Vec::new()),
            RATE,
            1,
            RecordLimits {
                max_length_ms: 3000,
                silence_ms: None,
                trim_silence: false,
            },
        )
        .unwrap();
        let (fed, stop) = feed(&mut r, &vec![vec![0i16; FRAME]; 400]);
        assert_eq!((fed, stop), (150, Some(RecordStop::MaxLength)));
    }

    #[test]
    fn trim_silence_keeps_the_voice_with_its_onset_and_hangover() {
        let mut r = recorder(limits(None, true));
        let mut frames = vec![vec![0i16; FRAME]; 100]; // 2 s of leading silence
        frames.extend(vec![tone(); 50]); // 1 s of voice
        frames.extend(vec![vec![0i16; FRAME]; 100]); // 2 s trailing
        assert_eq!(feed(&mut r, &frames), (250, None));
        let done = r.finish().unwrap();
        assert_eq!(done.duration_ms, PRE_ROLL_MS + 1000 + HANGOVER_MS);
        let wav = done.out.into_inner();
        let samples: Vec<i16> = wav[44..done.len as usize]
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect();
        // The voice starts right after the pre-roll of silence.
        let first_voice = samples.iter().position(|&s| s != 0).unwrap();
        let pre_roll = (PRE_ROLL_MS as usize) * 8;
        assert!(first_voice.abs_diff(pre_roll) < 2, "voice at {first_voice}");
    }

    #[test]
    fn a_recording_cut_by_a_crash_is_recovered_with_its_voice() {
        let mut r = recorder(limits(None, false));
        feed(&mut r, &vec![tone(); 50]);
        r.checkpoint().unwrap();
        feed(&mut r, &vec![vec![0i16; FRAME]; 25]);
        // The process dies here: the header covers the first second only.
        let mut file = Cursor::new(r.writer_for_tests().get_ref().clone());
        let got = recover(&mut file).unwrap();
        assert_eq!(
            got,
            Recovered {
                duration_ms: 1500,
                voiced: true
            }
        );
        let mut silent = recorder(limits(None, false));
        feed(&mut silent, &vec![vec![0i16; FRAME]; 25]);
        let mut file = Cursor::new(silent.writer_for_tests().get_ref().clone());
        assert!(!recover(&mut file).unwrap().voiced);
    }

    #[test]
    fn without_trim_every_frame_is_kept() {
        let mut r = recorder(limits(None, false));
        let mut frames = vec![vec![0i16; FRAME]; 100];
        frames.extend(vec![tone(); 50]);
        feed(&mut r, &frames);
        assert_eq!(r.finish().unwrap().duration_ms, 3000);
    }
}
