//! The sound a leg is playing, frame by frame, with its repeats (Twilio's `loop`),
//! at the rate the leg speaks.

use crate::codec::Feed;
use crate::{AudioStream, FrameStatus, FRAME_SAMPLES, SAMPLE_RATE};

/// How a sound the [`Player`] played ended, with the token it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Played<T> {
    /// Played to its end, repeats included.
    Done(T),
    /// Could not be read or decoded; the player is idle again.
    Failed(T, String),
}

/// Plays one sound at a time; `T` names each sound to its owner.
///
/// Sounds keep their own rate (16 kHz from the cache, 8 kHz for tones); each call to
/// [`next_frame_at`](Self::next_frame_at) asks for 20 ms at the leg's rate, and the
/// player converts when the two differ, keeping the converter's state from frame to
/// frame (so a 16 kHz prompt reaches a G.711 leg band-limited to 4 kHz, without
/// clicks at frame edges). [`next_frame`](Self::next_frame) is the 8 kHz case.
#[derive(Debug)]
pub struct Player<T> {
    current: Option<Playing<T>>,
    /// Conversion to the leg's rate, when the sound's rate differs from it.
    convert: Option<Convert>,
}

impl<T> Default for Player<T> {
    fn default() -> Self {
        Self {
            current: None,
            convert: None,
        }
    }
}

#[derive(Debug)]
struct Playing<T> {
    token: T,
    stream: AudioStream,
    /// Plays left after this one; `None` = until stopped (Twilio's loop="0").
    left: Option<u32>,
}

#[derive(Debug)]
struct Convert {
    /// The sound's samples converted to the leg's rate.
    feed: Feed,
    /// One frame at the sound's rate.
    scratch: Vec<i16>,
}

/// What reading the sound gave.
enum Read {
    /// Samples copied.
    Audio,
    /// Nothing available yet (still downloading or synthesizing).
    Pending,
    /// The sound and its repeats are over.
    End,
    /// The sound failed.
    Failed(String),
}

/// Frames the converter may hold: one being emptied plus one just converted.
const CONVERT_DEPTH: usize = 3;

impl<T: Copy> Player<T> {
    /// Play `stream` `repeat` times (0: until stopped), in place of what was playing.
    pub fn play(&mut self, token: T, stream: AudioStream, repeat: u32) {
        self.current = Some(Playing {
            token,
            stream,
            left: (repeat != 0).then(|| repeat - 1),
        });
        if let Some(c) = self.convert.as_mut() {
            c.feed.clear();
        }
    }

    /// Stop playing: silence from the next frame.
    pub fn stop(&mut self) {
        self.current = None;
        if let Some(c) = self.convert.as_mut() {
            c.feed.clear();
        }
    }

    /// Fill `pcm` with the next 20 ms at 8 kHz (silence when idle or starved) and say
    /// whether the sound ended or failed.
    pub fn next_frame(&mut self, pcm: &mut [i16; FRAME_SAMPLES]) -> Option<Played<T>> {
        self.next_frame_at(SAMPLE_RATE, pcm)
    }

    /// Fill `pcm` with the next stretch of the sound at `rate` Hz (`rate / 50`
    /// samples for 20 ms; silence when idle or starved) and say whether the sound
    /// ended or failed. Allocates only when the rate changes.
    pub fn next_frame_at(&mut self, rate: u32, pcm: &mut [i16]) -> Option<Played<T>> {
        let Some(p) = self.current.as_mut() else {
            pcm.fill(0);
            return None;
        };
        let native = p.stream.rate();
        let read = if native == rate {
            match Self::read(p, pcm) {
                Read::Audio => return None,
                other => other,
            }
        } else {
            let c = match &mut self.convert {
                Some(c) if c.feed.rate() == rate => c,
                slot => slot.insert(Convert {
                    feed: Feed::with_depth(rate, CONVERT_DEPTH),
                    scratch: Vec::new(),
                }),
            };
            c.scratch.resize(native as usize / 50, 0);
            let mut read = Read::Audio;
            while c.feed.buffered() < pcm.len() {
                read = Self::read(p, &mut c.scratch);
                match read {
                    Read::Audio => c.feed.push(native, &c.scratch),
                    _ => break,
                }
            }
            if matches!(read, Read::Audio | Read::Pending) || c.feed.buffered() > 0 {
                if matches!(read, Read::End) {
                    // The sound's last samples: flush the converter and complete
                    // the frame with silence.
                    c.feed.finish();
                    c.scratch.clear();
                    c.scratch
                        .resize(pcm.len() - c.feed.buffered().min(pcm.len()), 0);
                    c.feed.push(rate, &c.scratch);
                }
                c.feed.next_frame(pcm);
                return None;
            }
            read
        };
        pcm.fill(0);
        let token = p.token;
        let played = match read {
            // Still downloading or synthesizing: silence this frame, retry next.
            Read::Audio | Read::Pending => return None,
            Read::Failed(e) => Played::Failed(token, e),
            Read::End => Played::Done(token),
        };
        self.current = None;
        Some(played)
    }

    /// Reads `out.len()` samples of the sound at its own rate, rewinding for repeats.
    fn read(p: &mut Playing<T>, out: &mut [i16]) -> Read {
        // At most one rewind per read: an empty sound must not spin.
        for _ in 0..2 {
            match p.stream.next_frame(out) {
                FrameStatus::Ready => return Read::Audio,
                FrameStatus::Pending => {
                    out.fill(0);
                    return Read::Pending;
                }
                FrameStatus::End => match p.left {
                    Some(0) => break,
                    Some(ref mut n) => {
                        *n -= 1;
                        p.stream.rewind();
                    }
                    None => p.stream.rewind(),
                },
                FrameStatus::Failed(e) => return Read::Failed(e.to_string()),
            }
        }
        Read::End
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tone::goertzel_power;
    use crate::MEDIA_RATE;
    use std::f64::consts::TAU;

    fn tones(freqs: &[f64], rate: u32, n: usize) -> Vec<i16> {
        (0..n)
            .map(|i| {
                let t = i as f64 / f64::from(rate);
                freqs
                    .iter()
                    .map(|f| 8000.0 * (TAU * f * t).sin())
                    .sum::<f64>() as i16
            })
            .collect()
    }

    /// Plays to the end at `rate`, returning the samples and how it ended.
    fn play_all(player: &mut Player<u8>, rate: u32) -> (Vec<i16>, Played<u8>) {
        let mut out = Vec::new();
        let mut frame = vec![0; rate as usize / 50];
        for _ in 0..10_000 {
            if let Some(end) = player.next_frame_at(rate, &mut frame) {
                return (out, end);
            }
            out.extend_from_slice(&frame);
        }
        panic!("never ended");
    }

    #[test]
    fn same_rate_passes_samples_through() {
        let samples = tones(&[697.0, 1209.0], 8000, 1000);
        let mut player = Player::default();
        player.play(1, AudioStream::from_samples(samples.clone()), 1);
        let (out, end) = play_all(&mut player, 8000);
        assert_eq!(end, Played::Done(1));
        assert_eq!(&out[..1000], &samples[..]);
        assert!(out[1000..].iter().all(|&s| s == 0));
        assert_eq!(out.len(), 1120);
    }

    #[test]
    fn wideband_sound_reaches_an_8_khz_leg_band_limited() {
        // 1 kHz stays; 6 kHz cannot exist at 8 kHz and must not fold onto 2 kHz.
        let sound = tones(&[1000.0, 6000.0], MEDIA_RATE, MEDIA_RATE as usize);
        let mut player = Player::default();
        player.play(7, AudioStream::from_samples_at(MEDIA_RATE, sound), 1);
        let (out, end) = play_all(&mut player, 8000);
        assert_eq!(end, Played::Done(7));
        // Exactly 1 s: the player reads ahead over the converter's delay and flushes
        // it at the end, so the sound is neither delayed nor cut.
        assert_eq!(out.len(), 8000);
        let peak = |s: &[i16]| s.iter().map(|x| x.unsigned_abs()).max().unwrap();
        assert!(peak(&out[..40]) > 2000 && peak(&out[7960..]) > 2000);
        let body = &out[400..7600];
        let tone = goertzel_power(body, 1000.0, 8000);
        assert!(
            (tone.sqrt() * 2.0 - 8000.0).abs() < 400.0,
            "1 kHz at {}",
            tone.sqrt() * 2.0
        );
        assert!(goertzel_power(body, 2000.0, 8000) < 1e-6 * tone);
    }

    #[test]
    fn narrowband_tone_reaches_a_16_khz_leg() {
        let mut player = Player::default();
        player.play(
            3,
            AudioStream::from_samples(tones(&[1000.0], 8000, 8000)),
            1,
        );
        let (out, end) = play_all(&mut player, MEDIA_RATE);
        assert_eq!(end, Played::Done(3));
        assert_eq!(out.len(), 16_000);
        let body = &out[800..15_200];
        let tone = goertzel_power(body, 1000.0, MEDIA_RATE);
        // No image of the tone at 7 kHz.
        assert!(goertzel_power(body, 7000.0, MEDIA_RATE) < 1e-6 * tone);
        // Continuous across frame edges.
        let max_step = body
            .windows(2)
            .map(|w| (i32::from(w[1]) - i32::from(w[0])).abs())
            .max()
            .unwrap();
        assert!(max_step < 3500, "step {max_step}");
    }

    #[test]
    fn converted_repeats_play_each_time_then_end_once() {
        let sound = tones(&[500.0], MEDIA_RATE, 3200);
        let mut player = Player::default();
        player.play(9, AudioStream::from_samples_at(MEDIA_RATE, sound), 3);
        let (out, end) = play_all(&mut player, 8000);
        assert_eq!(end, Played::Done(9));
        // Three plays of 200 ms, 1600 samples each at 8 kHz.
        assert_eq!(out.len(), 4800);
        assert!(out[4780..].iter().any(|&s| s.unsigned_abs() > 2000));
        let mut frame = [1i16; FRAME_SAMPLES];
        assert_eq!(player.next_frame(&mut frame), None);
        assert!(frame.iter().all(|&s| s == 0));
    }
}
