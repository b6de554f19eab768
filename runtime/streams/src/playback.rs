//! What a bidirectional stream's server sent, played to the caller.
//!
//! Twilio: media "will be buffered and played in the order received"; a mark is sent
//! back "when the audio that you have sent has been completed"; `clear` "empties the
//! audio buffer and also causes any pending mark messages to be sent back". The leg
//! pulls one 20 ms frame per tick ([`Playback::next_frame`]), which is the pacing: a
//! server may send audio of any length, faster than real time.

use std::collections::VecDeque;

use crate::{FRAME_BYTES, MULAW_SILENCE};

/// Most audio one stream may queue: 5 minutes of µ-law/8000.
pub const MAX_QUEUED_BYTES: usize = 8000 * 300;

/// The server sent more audio than [`MAX_QUEUED_BYTES`] ahead of playback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the stream queued more than {MAX_QUEUED_BYTES} bytes (5 minutes) of audio")]
pub struct PlaybackFull;

#[derive(Debug)]
enum Item {
    Audio(Vec<u8>),
    Mark(String),
}

/// The queue of audio and marks, in the order the server sent them.
#[derive(Debug, Default)]
pub struct Playback {
    items: VecDeque<Item>,
    /// Bytes of the front audio item already played.
    played: usize,
    /// Audio bytes queued and not yet played.
    queued: usize,
}

impl Playback {
    /// Queue µ-law audio after what is queued.
    pub fn audio(&mut self, mulaw: Vec<u8>) -> Result<(), PlaybackFull> {
        if self.queued + mulaw.len() > MAX_QUEUED_BYTES {
            return Err(PlaybackFull);
        }
        if !mulaw.is_empty() {
            self.queued += mulaw.len();
            self.items.push_back(Item::Audio(mulaw));
        }
        Ok(())
    }

    /// Queue a mark after the audio queued so far.
    pub fn mark(&mut self, name: String) {
        self.items.push_back(Item::Mark(name));
    }

    /// Drop all queued audio; the marks that were pending, in order, to return now.
    pub fn clear(&mut self) -> Vec<String> {
        self.played = 0;
        self.queued = 0;
        self.items
            .drain(..)
            .filter_map(|item| match item {
                Item::Mark(name) => Some(name),
                Item::Audio(_) => None,
            })
            .collect()
    }

    /// Milliseconds of audio queued.
    pub fn queued_ms(&self) -> u64 {
        self.queued as u64 / 8
    }

    /// The next 20 ms for the leg, at its tick. Marks reached since the last tick (the
    /// audio before them has been played out in earlier frames) go to `marks`. Fills
    /// `frame` and returns true when there is audio; a frame that reaches a mark is
    /// padded with silence so the mark is returned once exactly its audio has played.
    pub fn next_frame(&mut self, frame: &mut [u8; FRAME_BYTES], marks: &mut Vec<String>) -> bool {
        while let Some(Item::Mark(_)) = self.items.front() {
            if let Some(Item::Mark(name)) = self.items.pop_front() {
                marks.push(name);
            }
        }
        let mut filled = 0;
        while filled < FRAME_BYTES {
            let Some(Item::Audio(audio)) = self.items.front() else {
                break;
            };
            let n = (audio.len() - self.played).min(FRAME_BYTES - filled);
            frame[filled..filled + n].copy_from_slice(&audio[self.played..self.played + n]);
            filled += n;
            self.played += n;
            self.queued -= n;
            if self.played == audio.len() {
                self.items.pop_front();
                self.played = 0;
            }
        }
        frame[filled..].fill(MULAW_SILENCE);
        filled > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One tick every 20 ms of virtual time: (audio bytes that were not silence
    /// padding, marks returned) per tick.
    fn ticks(p: &mut Playback, n: usize) -> Vec<(Option<u8>, Vec<String>)> {
        (0..n)
            .map(|_| {
                let mut frame = [0u8; FRAME_BYTES];
                let mut marks = Vec::new();
                let audio = p.next_frame(&mut frame, &mut marks);
                (audio.then_some(frame[0]), marks)
            })
            .collect()
    }

    #[test]
    fn audio_of_any_length_plays_in_order_in_whole_frames() {
        let mut p = Playback::default();
        p.audio(vec![1; 100]).unwrap();
        p.audio(vec![2; 300]).unwrap();
        assert_eq!(p.queued_ms(), 50);
        let mut frame = [0u8; FRAME_BYTES];
        let mut marks = Vec::new();
        assert!(p.next_frame(&mut frame, &mut marks));
        assert_eq!(&frame[..100], &[1; 100][..]);
        assert_eq!(&frame[100..], &[2; 60][..]);
        assert!(p.next_frame(&mut frame, &mut marks));
        assert_eq!(frame, [2; FRAME_BYTES]);
        // 80 bytes left: the rest of the last frame is silence.
        assert!(p.next_frame(&mut frame, &mut marks));
        assert_eq!(&frame[..80], &[2; 80][..]);
        assert_eq!(&frame[80..], &[MULAW_SILENCE; 80][..]);
        assert!(!p.next_frame(&mut frame, &mut marks));
        assert!(marks.is_empty());
        assert_eq!(p.queued_ms(), 0);
    }

    #[test]
    fn a_mark_returns_at_the_tick_after_its_audio_played() {
        let mut p = Playback::default();
        p.audio(vec![1; 320]).unwrap(); // 40 ms
        p.mark("a".into());
        p.audio(vec![2; 80]).unwrap(); // 10 ms, padded to a frame
        p.mark("b".into());
        let t = ticks(&mut p, 5);
        assert_eq!(t[0], (Some(1), vec![]));
        assert_eq!(t[1], (Some(1), vec![]));
        // At 40 ms the first 40 ms have played: "a" comes back, the next audio starts.
        assert_eq!(t[2], (Some(2), vec!["a".to_string()]));
        assert_eq!(t[3], (None, vec!["b".to_string()]));
        assert_eq!(t[4], (None, vec![]));
    }

    #[test]
    fn a_mark_with_nothing_queued_returns_at_the_next_tick() {
        let mut p = Playback::default();
        p.mark("now".into());
        assert_eq!(ticks(&mut p, 1), vec![(None, vec!["now".to_string()])]);
    }

    #[test]
    fn clear_drops_audio_at_once_and_returns_pending_marks() {
        let mut p = Playback::default();
        p.audio(vec![1; 16000]).unwrap(); // 2 s
        p.mark("x".into());
        p.audio(vec![2; 160]).unwrap();
        p.mark("y".into());
        assert_eq!(ticks(&mut p, 3).len(), 3);
        assert_eq!(p.clear(), vec!["x".to_string(), "y".to_string()]);
        // The very next frame is silent: clear is effective within one frame.
        assert_eq!(ticks(&mut p, 1), vec![(None, vec![])]);
        assert_eq!(p.queued_ms(), 0);
        p.audio(vec![3; 160]).unwrap();
        assert_eq!(ticks(&mut p, 1), vec![(Some(3), vec![])]);
    }

    #[test]
    fn more_than_five_minutes_ahead_is_refused() {
        let mut p = Playback::default();
        p.audio(vec![1; MAX_QUEUED_BYTES]).unwrap();
        assert_eq!(p.audio(vec![1]), Err(PlaybackFull));
        let mut frame = [0u8; FRAME_BYTES];
        p.next_frame(&mut frame, &mut Vec::new());
        assert_eq!(p.audio(vec![1; FRAME_BYTES]), Ok(()));
    }
}
