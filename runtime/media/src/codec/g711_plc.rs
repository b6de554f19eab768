//! Concealment of lost G.711 frames: repeat the last frame, fading out.
//!
//! G.711 carries no redundancy and its decoder no state to extrapolate from, so
//! something must stand in for a lost packet. Silence is the simplest choice but a
//! 20 ms hole in a vowel is a clearly audible click; repeating the last 20 ms keeps the
//! voice's level and timbre across an isolated loss, which is by far the most common
//! kind. Repeating for long would turn an outage into a buzz, so each repeat is
//! attenuated along a linear ramp that reaches silence at the end of the third lost
//! frame (60 ms), the same horizon G.711 Appendix I fades over.

/// Consecutive lost frames after which concealment is silence.
const FADE_FRAMES: usize = 3;
/// The longest frame remembered (20 ms at 8 kHz).
const MAX_FRAME: usize = 160;

/// The last frame received and how many frames have been lost since.
#[derive(Debug)]
pub(super) struct FadeOut {
    last: [i16; MAX_FRAME],
    len: usize,
    lost: usize,
}

impl Default for FadeOut {
    fn default() -> Self {
        FadeOut {
            last: [0; MAX_FRAME],
            len: MAX_FRAME,
            lost: 0,
        }
    }
}

impl FadeOut {
    /// Remembers a frame that arrived.
    pub(super) fn received(&mut self, frame: &[i16]) {
        let frame = &frame[frame.len().saturating_sub(MAX_FRAME)..];
        if frame.is_empty() {
            return;
        }
        self.len = frame.len();
        self.last[..self.len].copy_from_slice(frame);
        self.lost = 0;
    }

    /// Appends the stand-in for one lost frame.
    pub(super) fn conceal(&mut self, out: &mut Vec<i16>) {
        let total = (FADE_FRAMES * self.len) as f32;
        let done = (self.lost * self.len) as f32;
        out.extend(self.last[..self.len].iter().enumerate().map(|(i, &s)| {
            let gain = (1.0 - (done + i as f32 + 1.0) / total).max(0.0);
            (f32::from(s) * gain).round() as i16
        }));
        self.lost += 1;
    }
}
