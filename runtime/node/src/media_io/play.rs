//! The sound a call is playing, frame by frame, with its repeats.

use switchyard_call::MediaToken;
use switchyard_media::{AudioStream, FrameStatus, FRAME_SAMPLES};

use super::MediaEvent;

#[derive(Debug, Default)]
pub(super) struct Player {
    current: Option<Playing>,
}

#[derive(Debug)]
struct Playing {
    token: MediaToken,
    stream: AudioStream,
    /// Plays left after this one; `None` = until stopped (Twilio's loop="0").
    left: Option<u32>,
}

impl Player {
    pub fn play(&mut self, token: MediaToken, stream: AudioStream, repeat: u32) {
        self.current = Some(Playing {
            token,
            stream,
            left: (repeat != 0).then(|| repeat - 1),
        });
    }

    pub fn stop(&mut self) {
        self.current = None;
    }

    /// Fill `pcm` with the next 20 ms (silence when idle or starved) and say whether
    /// the sound ended or failed.
    pub fn next_frame(&mut self, pcm: &mut [i16; FRAME_SAMPLES]) -> Option<MediaEvent> {
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
                    return Some(MediaEvent::Failed(token, e.to_string()));
                }
            }
        }
        let token = p.token;
        self.current = None;
        pcm.fill(0);
        Some(MediaEvent::Done(token))
    }
}
