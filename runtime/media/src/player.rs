//! The sound a leg is playing, frame by frame, with its repeats (Twilio's `loop`).

use crate::{AudioStream, FrameStatus, FRAME_SAMPLES};

/// How a sound the [`Player`] played ended, with the token it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Played<T> {
    /// Played to its end, repeats included.
    Done(T),
    /// Could not be read or decoded; the player is idle again.
    Failed(T, String),
}

/// Plays one sound at a time; `T` names each sound to its owner.
#[derive(Debug)]
pub struct Player<T> {
    current: Option<Playing<T>>,
}

impl<T> Default for Player<T> {
    fn default() -> Self {
        Self { current: None }
    }
}

#[derive(Debug)]
struct Playing<T> {
    token: T,
    stream: AudioStream,
    /// Plays left after this one; `None` = until stopped (Twilio's loop="0").
    left: Option<u32>,
}

impl<T: Copy> Player<T> {
    /// Play `stream` `repeat` times (0: until stopped), in place of what was playing.
    pub fn play(&mut self, token: T, stream: AudioStream, repeat: u32) {
        self.current = Some(Playing {
            token,
            stream,
            left: (repeat != 0).then(|| repeat - 1),
        });
    }

    /// Stop playing: silence from the next frame.
    pub fn stop(&mut self) {
        self.current = None;
    }

    /// Fill `pcm` with the next 20 ms (silence when idle or starved) and say whether
    /// the sound ended or failed.
    pub fn next_frame(&mut self, pcm: &mut [i16; FRAME_SAMPLES]) -> Option<Played<T>> {
        let Some(p) = self.current.as_mut() else {
            pcm.fill(0);
            return None;
        };
        // At most one rewind per tick: an empty sound must not spin.
        for _ in 0..2 {
            match p.stream.next_frame(pcm) {
                FrameStatus::Ready => return None,
                FrameStatus::Pending => {
                    // Still downloading or synthesizing: silence this frame, retry next.
                    pcm.fill(0);
                    return None;
                }
                FrameStatus::End => match p.left {
                    Some(0) => break,
                    Some(ref mut n) => {
                        *n -= 1;
                        p.stream.rewind();
                    }
                    None => p.stream.rewind(),
                },
                FrameStatus::Failed(e) => {
                    let token = p.token;
                    self.current = None;
                    pcm.fill(0);
                    return Some(Played::Failed(token, e.to_string()));
                }
            }
        }
        let token = p.token;
        self.current = None;
        pcm.fill(0);
        Some(Played::Done(token))
    }
}
