//! The PCM queue in front of one leg's encoder.

use crate::resample::{to_f32, to_i16, Resampler};
use std::collections::VecDeque;

/// Frames a [`Feed`] holds by default: enough to absorb the two legs' 20 ms ticks
/// drifting against each other, little enough that a bridged call's extra latency
/// stays under 60 ms.
pub const DEFAULT_DEPTH_FRAMES: usize = 3;

/// What a [`Feed`] had to do to keep its leg fed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedStats {
    /// Frames asked for when less than a frame was queued (completed with silence).
    pub underruns: u64,
    /// Samples (at the feed's rate) dropped because the queue was full: the oldest
    /// audio goes, so latency stays bounded.
    pub dropped_samples: u64,
}

/// Audio on its way to one leg's encoder: pushed at any rate, converted to the leg's
/// rate, and taken out one 20 ms frame at a time.
///
/// In a transcoded bridge, leg A's decoder output is pushed into leg B's feed (at
/// A's rate) and leg B's encoder pulls [`next_frame`](Self::next_frame) on its tick.
/// After the first frames, pushing and pulling allocate nothing.
#[derive(Debug)]
pub struct Feed {
    rate: u32,
    frame: usize,
    capacity: usize,
    queue: VecDeque<i16>,
    /// Converts from the rate of the last push; `None` while it equals ours.
    resampler: Option<Resampler>,
    scratch_in: Vec<f32>,
    scratch_out: Vec<f32>,
    stats: FeedStats,
}

impl Feed {
    /// A feed for a leg whose encoder takes PCM at `rate` Hz, holding
    /// [`DEFAULT_DEPTH_FRAMES`] frames.
    pub fn new(rate: u32) -> Self {
        Self::with_depth(rate, DEFAULT_DEPTH_FRAMES)
    }

    /// A feed holding at most `frames` 20 ms frames (at least one).
    pub fn with_depth(rate: u32, frames: usize) -> Self {
        let frame = (rate as usize / 50).max(1);
        let capacity = frame * frames.max(1);
        Feed {
            rate,
            frame,
            capacity,
            queue: VecDeque::with_capacity(capacity),
            resampler: None,
            scratch_in: Vec::new(),
            scratch_out: Vec::new(),
            stats: FeedStats::default(),
        }
    }

    /// The rate of the frames it gives, in Hz.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// Samples in one 20 ms frame at [`rate`](Self::rate).
    pub fn frame_samples(&self) -> usize {
        self.frame
    }

    /// Samples queued, at [`rate`](Self::rate).
    pub fn buffered(&self) -> usize {
        self.queue.len()
    }

    /// What it has dropped and padded so far.
    pub fn stats(&self) -> FeedStats {
        self.stats
    }

    /// Queues `pcm`, sampled at `rate` Hz. A push at a new rate starts a new
    /// conversion (the samples of the previous one still in its filter are lost).
    pub fn push(&mut self, rate: u32, pcm: &[i16]) {
        if rate == self.rate {
            self.resampler = None;
            return self.enqueue_i16(pcm);
        }
        let stale = self.resampler.as_ref().is_none_or(|r| r.in_rate() != rate);
        if stale {
            self.resampler = Some(Resampler::new(rate, self.rate));
        }
        let Some(r) = self.resampler.as_mut() else {
            return;
        };
        self.scratch_in.clear();
        self.scratch_in.extend(pcm.iter().map(|&s| to_f32(s)));
        self.scratch_out.clear();
        r.process(&self.scratch_in, &mut self.scratch_out);
        self.enqueue_converted();
    }

    /// Ends the audio pushed so far: the converter's last samples (its filter delay,
    /// 10 ms) are queued instead of waiting for input that will not come.
    pub fn finish(&mut self) {
        let Some(mut r) = self.resampler.take() else {
            return;
        };
        self.scratch_out.clear();
        r.finish(&mut self.scratch_out);
        self.enqueue_converted();
    }

    fn enqueue_converted(&mut self) {
        let converted = std::mem::take(&mut self.scratch_out);
        self.make_room(converted.len());
        let keep = converted.len().min(self.capacity);
        let skip = converted.len() - keep;
        self.stats.dropped_samples += skip as u64;
        self.queue
            .extend(converted[skip..].iter().map(|&x| to_i16(x)));
        self.scratch_out = converted;
    }

    /// Fills `out` (normally [`frame_samples`](Self::frame_samples) long) with the
    /// oldest queued audio. When less is queued, what there is goes at the end,
    /// after silence, so it runs on into the next frame without a gap; that counts as
    /// an underrun. Returns whether the frame was filled with audio only.
    pub fn next_frame(&mut self, out: &mut [i16]) -> bool {
        let have = self.queue.len().min(out.len());
        let gap = out.len() - have;
        out[..gap].fill(0);
        for (slot, s) in out[gap..].iter_mut().zip(self.queue.drain(..have)) {
            *slot = s;
        }
        if gap > 0 {
            self.stats.underruns += 1;
        }
        gap == 0
    }

    /// Empties the queue (the far end went on hold, the bridge was broken).
    pub fn clear(&mut self) {
        self.queue.clear();
        self.resampler = None;
    }

    fn enqueue_i16(&mut self, pcm: &[i16]) {
        self.make_room(pcm.len());
        let keep = pcm.len().min(self.capacity);
        self.stats.dropped_samples += (pcm.len() - keep) as u64;
        self.queue.extend(&pcm[pcm.len() - keep..]);
    }

    /// Drops the oldest samples so that `incoming` more fit.
    fn make_room(&mut self, incoming: usize) {
        let over = (self.queue.len() + incoming).saturating_sub(self.capacity);
        let drop = over.min(self.queue.len());
        self.queue.drain(..drop);
        self.stats.dropped_samples += drop as u64;
    }
}
