//! A whole-call recording (`<Dial record>`, `Calls.create(Record=true)`, a recording
//! started on a live call): the caller's side and the other side, on two channels
//! (`dual`) or mixed into one (`mono`), for as long as the call lasts.
//!
//! The caller's leg carries a [`CallTap`]: what the caller says is the first side, what
//! the leg sends to the caller (prompts, the app's audio) the second. While the call is
//! bridged, the bridged leg carries a second tap ([`CallRecording::peer_tap`]) and what
//! its party says is the second side instead (a relayed bridge sends the caller no
//! decoded audio to hear). The two sides are ticked by different legs, perhaps on
//! different media workers, so each side is queued on its own and a frame is written
//! when both have one; a side silent for [`MAX_SKEW_FRAMES`] frames (a party that sends
//! nothing, a leg not yet answered) is written as silence, so the file has no gap.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::codec::Feed;
use crate::leg::{Tap, TapReport};
use crate::{FRAME_SAMPLES, SAMPLE_RATE};

use super::{RecordLimits, Recorder, Sink};

/// How long one side may run ahead of the other before the other is written as
/// silence: 100 ms.
pub const MAX_SKEW_FRAMES: usize = 5;

/// Frames between two checkpoints: a crash loses at most a second.
const CHECKPOINT_FRAMES: u32 = 50;

/// Which sides a call recording keeps (Twilio's `RecordingTrack`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sides {
    /// What the caller says (`inbound`).
    Caller,
    /// What the caller hears (`outbound`).
    Other,
    /// Both (`both`, the default).
    Both,
}

/// How a call recording is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallLayout {
    /// 2: the caller on the first channel, the other side on the second (`dual`);
    /// 1: the two mixed (`mono`).
    pub channels: u16,
    /// The sides kept (`RecordingTrack`).
    pub sides: Sides,
    /// `trim-silence`.
    pub trim_silence: bool,
}

/// What is written while a recording is paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paused {
    /// `PauseBehavior=skip`: nothing; the recording is shorter.
    Skip,
    /// `PauseBehavior=silence`: silence in place of the call.
    Silence,
}

/// The one file both taps of a call recording write.
struct Mix {
    recorder: Option<Recorder<Box<dyn Sink>>>,
    layout: CallLayout,
    sides: [Feed; 2],
    frame: [Vec<i16>; 2],
    out: Vec<i16>,
    /// A bridged leg's tap supplies the second side.
    peer: bool,
    paused: Option<Paused>,
    since_checkpoint: u32,
    error: Option<String>,
}

impl std::fmt::Debug for Mix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mix")
            .field("layout", &self.layout)
            .field("peer", &self.peer)
            .field("paused", &self.paused)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

/// A call recording's handle, kept by the call: it pauses, resumes, and makes the tap
/// for a bridged leg.
#[derive(Debug, Clone)]
pub struct CallRecording {
    mix: Arc<Mutex<Mix>>,
}

impl CallRecording {
    /// A recording into `sink`, and the tap for the caller's leg (whose
    /// [`Tap::close`] finishes the file and reports it).
    pub fn new(sink: Box<dyn Sink>, layout: CallLayout) -> std::io::Result<(Self, CallTap)> {
        let limits = RecordLimits::until_stopped(layout.trim_silence);
        let channels = layout.channels.clamp(1, 2);
        let feed = || Feed::with_depth(SAMPLE_RATE, MAX_SKEW_FRAMES + 1);
        let mix = Mix {
            recorder: Some(Recorder::new(sink, SAMPLE_RATE, channels, limits)?),
            layout: CallLayout { channels, ..layout },
            sides: [feed(), feed()],
            frame: [vec![0; FRAME_SAMPLES], vec![0; FRAME_SAMPLES]],
            out: Vec::with_capacity(FRAME_SAMPLES * 2),
            peer: false,
            paused: None,
            since_checkpoint: 0,
            error: None,
        };
        let handle = Self {
            mix: Arc::new(Mutex::new(mix)),
        };
        let tap = CallTap {
            mix: handle.mix.clone(),
            role: Role::Caller,
        };
        Ok((handle, tap))
    }

    /// The tap for the leg the caller is bridged to: its party is the second side
    /// until the tap is taken off.
    pub fn peer_tap(&self) -> CallTap {
        lock(&self.mix).peer = true;
        CallTap {
            mix: self.mix.clone(),
            role: Role::Peer,
        }
    }

    /// Stop writing the call (`how` says what is written meanwhile).
    pub fn pause(&self, how: Paused) {
        lock(&self.mix).paused = Some(how);
    }

    /// Write the call again.
    pub fn resume(&self) {
        lock(&self.mix).paused = None;
    }
}

fn lock(mix: &Mutex<Mix>) -> MutexGuard<'_, Mix> {
    // A tap that panicked mid-write leaves a file still worth finishing.
    mix.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Caller,
    Peer,
}

/// One leg's tap of a call recording.
#[derive(Debug)]
pub struct CallTap {
    mix: Arc<Mutex<Mix>>,
    role: Role,
}

impl Mix {
    fn push(&mut self, side: usize, rate: u32, pcm: &[i16]) {
        if self.recorder.is_none() || self.error.is_some() {
            return;
        }
        self.sides[side].push(rate, pcm);
        loop {
            let full = self.sides.each_ref().map(|f| f.buffered() >= FRAME_SAMPLES);
            let behind = self
                .sides
                .each_ref()
                .map(|f| f.buffered() >= FRAME_SAMPLES * MAX_SKEW_FRAMES);
            if !(full[0] && full[1] || behind[0] || behind[1]) {
                return;
            }
            for ((feed, frame), full) in self.sides.iter_mut().zip(&mut self.frame).zip(full) {
                if full {
                    feed.next_frame(frame);
                } else {
                    frame.fill(0);
                }
            }
            if let Err(e) = self.write() {
                self.error = Some(e.to_string());
                return;
            }
        }
    }

    /// One frame of both sides, as the layout and pause say.
    fn write(&mut self) -> std::io::Result<()> {
        let Some(recorder) = self.recorder.as_mut() else {
            return Ok(());
        };
        let [a, b] = &self.frame;
        let (keep_a, keep_b) = match self.layout.sides {
            Sides::Caller => (true, false),
            Sides::Other => (false, true),
            Sides::Both => (true, true),
        };
        let pick = |keep: bool, s: i16| if keep { s } else { 0 };
        self.out.clear();
        match self.paused {
            Some(Paused::Skip) => return Ok(()),
            Some(Paused::Silence) => self
                .out
                .resize(FRAME_SAMPLES * usize::from(self.layout.channels), 0),
            None if self.layout.channels == 2 => self.out.extend(
                a.iter()
                    .zip(b)
                    .flat_map(|(&x, &y)| [pick(keep_a, x), pick(keep_b, y)]),
            ),
            None => self.out.extend(
                a.iter()
                    .zip(b)
                    .map(|(&x, &y)| pick(keep_a, x).saturating_add(pick(keep_b, y))),
            ),
        }
        recorder.push(&self.out)?;
        self.since_checkpoint += 1;
        if self.since_checkpoint >= CHECKPOINT_FRAMES {
            self.since_checkpoint = 0;
            recorder.checkpoint()?;
        }
        Ok(())
    }

    /// The caller's leg is done: what is queued is written, the file finished.
    fn finish(&mut self) -> TapReport {
        // Whatever one side had beyond the other is kept, the other side silent.
        while self.recorder.is_some()
            && self.error.is_none()
            && self.sides.iter().any(|f| f.buffered() >= FRAME_SAMPLES)
        {
            for (feed, frame) in self.sides.iter_mut().zip(&mut self.frame) {
                if !feed.next_frame(frame) {
                    frame.fill(0);
                }
            }
            if let Err(e) = self.write() {
                self.error = Some(e.to_string());
            }
        }
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

impl Tap for CallTap {
    fn wants_inbound(&self) -> bool {
        true
    }

    fn inbound(&mut self, rate: u32, pcm: &[i16]) {
        let side = match self.role {
            Role::Caller => 0,
            Role::Peer => 1,
        };
        lock(&self.mix).push(side, rate, pcm);
    }

    fn outbound(&mut self, rate: u32, pcm: &[i16]) {
        let mut mix = lock(&self.mix);
        if self.role == Role::Caller && !mix.peer {
            mix.push(1, rate, pcm);
        }
    }

    fn close(self: Box<Self>) -> TapReport {
        let mut mix = lock(&self.mix);
        match self.role {
            Role::Caller => mix.finish(),
            Role::Peer => {
                mix.peer = false;
                TapReport::Closed
            }
        }
    }
}

#[cfg(test)]
#[path = "call_tests.rs"]
mod tests;
