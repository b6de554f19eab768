//! One sound's samples, shared by every call that plays it, and the cursor a call
//! reads it with.

use crate::{Error, MEDIA_RATE, SAMPLE_RATE};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;
use tokio::sync::watch;

/// The samples of one sound, filled by one producer while any number of
/// [`AudioStream`]s read them.
#[derive(Debug)]
pub(crate) struct Entry {
    /// Sample rate of the samples, in Hz.
    rate: u32,
    /// Set once the sound is complete; readers then need no lock at all.
    done: OnceLock<Arc<[i16]>>,
    filling: RwLock<Filling>,
    /// Bumped on every change so waiters can sleep until there is news.
    progress: watch::Sender<u64>,
}

#[derive(Debug, Default)]
struct Filling {
    samples: Vec<i16>,
    /// `Some(Ok)` once complete (samples moved to `done`), `Some(Err)` once failed.
    end: Option<Result<(), Error>>,
}

impl Entry {
    /// An entry still to be filled, at [`MEDIA_RATE`].
    pub(crate) fn filling() -> Arc<Self> {
        Self::filling_at(MEDIA_RATE)
    }

    fn filling_at(rate: u32) -> Arc<Self> {
        Arc::new(Entry {
            rate,
            done: OnceLock::new(),
            filling: RwLock::new(Filling::default()),
            progress: watch::Sender::new(0),
        })
    }

    /// An entry at `rate` that is complete from the start (a cache hit, a tone).
    pub(crate) fn complete(rate: u32, samples: Arc<[i16]>) -> Arc<Self> {
        let entry = Self::filling_at(rate);
        entry.finish(samples);
        entry
    }

    /// Appends samples and wakes waiters. Ignored once the entry has ended.
    pub(crate) fn push(&self, samples: &[i16]) {
        {
            let mut f = self.filling.write().unwrap_or_else(|e| e.into_inner());
            if f.end.is_some() {
                return;
            }
            f.samples.extend_from_slice(samples);
        }
        self.progress.send_modify(|v| *v += 1);
    }

    /// The samples pushed so far, as one shared buffer (for persisting and for the
    /// in-memory cache).
    pub(crate) fn snapshot(&self) -> Arc<[i16]> {
        if let Some(done) = self.done.get() {
            return done.clone();
        }
        let f = self.filling.read().unwrap_or_else(|e| e.into_inner());
        Arc::from(f.samples.as_slice())
    }

    /// Marks the entry complete with `samples` as its final content.
    pub(crate) fn finish(&self, samples: Arc<[i16]>) {
        {
            let mut f = self.filling.write().unwrap_or_else(|e| e.into_inner());
            if f.end.is_some() {
                return;
            }
            // `done` is set before `end` so a reader that sees `end == Ok` finds it.
            let _ = self.done.set(samples);
            f.samples = Vec::new();
            f.end = Some(Ok(()));
        }
        self.progress.send_modify(|v| *v += 1);
    }

    /// Marks the entry failed; readers report `error` from now on.
    pub(crate) fn fail(&self, error: Error) {
        {
            let mut f = self.filling.write().unwrap_or_else(|e| e.into_inner());
            if f.end.is_some() {
                return;
            }
            f.samples = Vec::new();
            f.end = Some(Err(error));
        }
        self.progress.send_modify(|v| *v += 1);
    }

    /// Whether the producer has finished, successfully or not.
    pub(crate) fn has_ended(&self) -> bool {
        self.done.get().is_some()
            || self
                .filling
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .end
                .is_some()
    }

    /// Waits until playback can start: the first samples exist or the entry is
    /// complete. Fails if production failed before that.
    pub(crate) async fn started(&self) -> Result<(), Error> {
        let mut rx = self.progress.subscribe();
        loop {
            if self.done.get().is_some() {
                return Ok(());
            }
            {
                let f = self.filling.read().unwrap_or_else(|e| e.into_inner());
                match &f.end {
                    Some(Err(e)) => return Err(e.clone()),
                    Some(Ok(())) => return Ok(()),
                    None if !f.samples.is_empty() => return Ok(()),
                    None => {}
                }
            }
            // The sender lives in `self`, so this only returns on a change.
            let _ = rx.changed().await;
        }
    }

    /// Waits until the entry has ended, returning its outcome.
    pub(crate) async fn ended(&self) -> Result<(), Error> {
        let mut rx = self.progress.subscribe();
        loop {
            if self.done.get().is_some() {
                return Ok(());
            }
            if let Some(end) = &self.filling.read().unwrap_or_else(|e| e.into_inner()).end {
                return end.clone();
            }
            let _ = rx.changed().await;
        }
    }
}

/// What [`AudioStream::next_frame`] produced.
#[derive(Debug, Clone)]
pub enum FrameStatus {
    /// A full frame was copied (the last one of a sound is zero-padded).
    Ready,
    /// The producer has not decoded this far yet (download or synthesis still
    /// running); try again at the next frame tick.
    Pending,
    /// The sound has been played to the end.
    End,
    /// Production failed; the sound cannot be played further.
    Failed(Error),
}

/// A call's read position in a cached sound.
///
/// Cloning is cheap (an `Arc` and an index), so thousands of calls can play the same
/// entry at once without copying it.
#[derive(Debug, Clone)]
pub struct AudioStream {
    entry: Arc<Entry>,
    pos: usize,
}

impl AudioStream {
    pub(crate) fn new(entry: Arc<Entry>) -> Self {
        AudioStream { entry, pos: 0 }
    }

    /// A stream over 8 kHz samples ([`SAMPLE_RATE`]) that are already in memory:
    /// the tones of [`crate::tone`].
    pub fn from_samples(samples: Vec<i16>) -> Self {
        Self::from_samples_at(SAMPLE_RATE, samples)
    }

    /// A stream over samples at `rate` Hz that are already in memory.
    pub fn from_samples_at(rate: u32, samples: Vec<i16>) -> Self {
        Self::new(Entry::complete(rate, samples.into()))
    }

    /// The rate of its samples, in Hz: [`MEDIA_RATE`] for everything from the cache.
    /// [`crate::Player`] converts to the rate a leg wants.
    pub fn rate(&self) -> u32 {
        self.entry.rate
    }

    /// Copies the next `out.len()` samples (at [`rate`](Self::rate); `rate / 50`
    /// for 20 ms) into `out`. Never blocks; meant for the frame pacer.
    pub fn next_frame(&mut self, out: &mut [i16]) -> FrameStatus {
        if let Some(all) = self.entry.done.get() {
            return copy_frame(&mut self.pos, all, out, true);
        }
        let f = self.entry.filling.read().unwrap_or_else(|e| e.into_inner());
        match &f.end {
            Some(Err(e)) => FrameStatus::Failed(e.clone()),
            Some(Ok(())) => {
                drop(f);
                let all = self
                    .entry
                    .done
                    .get()
                    .cloned()
                    .unwrap_or_else(|| Arc::from([]));
                copy_frame(&mut self.pos, &all, out, true)
            }
            None => copy_frame(&mut self.pos, &f.samples, out, false),
        }
    }

    /// Goes back to the start (for `<Play loop="N">`).
    pub fn rewind(&mut self) {
        self.pos = 0;
    }

    /// Duration of the audio available so far: the whole sound once
    /// [`is_complete`](Self::is_complete).
    pub fn duration_so_far(&self) -> Duration {
        let samples = match self.entry.done.get() {
            Some(all) => all.len(),
            None => {
                let f = self.entry.filling.read().unwrap_or_else(|e| e.into_inner());
                f.samples.len()
            }
        };
        samples_to_duration(samples, self.entry.rate)
    }

    /// How much of the sound this stream has played.
    pub fn position(&self) -> Duration {
        samples_to_duration(self.pos, self.entry.rate)
    }

    /// Whether the whole sound is available (production finished successfully).
    pub fn is_complete(&self) -> bool {
        self.entry.done.get().is_some()
    }

    /// Waits until production has finished, successfully or not. Useful for
    /// callers that want a whole sound (and for tests).
    pub async fn wait_complete(&self) -> Result<(), Error> {
        self.entry.ended().await
    }
}

/// Copies the frame at `*pos` out of `samples`; `complete` says no more will come.
fn copy_frame(pos: &mut usize, samples: &[i16], out: &mut [i16], complete: bool) -> FrameStatus {
    let available = samples.len().saturating_sub(*pos);
    let n = out.len();
    if available >= n {
        out.copy_from_slice(&samples[*pos..*pos + n]);
        *pos += n;
        FrameStatus::Ready
    } else if !complete {
        FrameStatus::Pending
    } else if available > 0 {
        out[..available].copy_from_slice(&samples[*pos..]);
        out[available..].fill(0);
        *pos = samples.len();
        FrameStatus::Ready
    } else {
        FrameStatus::End
    }
}

fn samples_to_duration(samples: usize, rate: u32) -> Duration {
    Duration::from_micros(samples as u64 * 1_000_000 / u64::from(rate.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FRAME_SAMPLES;

    #[test]
    fn last_partial_frame_is_padded_then_end() {
        let mut s = AudioStream::from_samples((1..=200).collect());
        let mut frame = [7i16; FRAME_SAMPLES];
        assert!(matches!(s.next_frame(&mut frame), FrameStatus::Ready));
        assert_eq!(frame[0], 1);
        assert!(matches!(s.next_frame(&mut frame), FrameStatus::Ready));
        assert_eq!(frame[39], 200);
        assert!(frame[40..].iter().all(|&x| x == 0));
        assert!(matches!(s.next_frame(&mut frame), FrameStatus::End));
        s.rewind();
        assert!(matches!(s.next_frame(&mut frame), FrameStatus::Ready));
        assert_eq!(frame[0], 1);
        assert_eq!(s.duration_so_far(), Duration::from_millis(25));
        assert_eq!(s.position(), Duration::from_millis(20));
    }

    #[test]
    fn filling_entry_is_pending_until_a_frame_exists_then_fails() {
        let entry = Entry::filling();
        let mut s = AudioStream::new(entry.clone());
        let mut frame = [0i16; FRAME_SAMPLES];
        assert!(matches!(s.next_frame(&mut frame), FrameStatus::Pending));
        entry.push(&[5; 100]);
        assert!(matches!(s.next_frame(&mut frame), FrameStatus::Pending));
        entry.push(&[6; 100]);
        assert!(matches!(s.next_frame(&mut frame), FrameStatus::Ready));
        assert_eq!((frame[99], frame[100]), (5, 6));
        assert!(!s.is_complete());
        entry.fail(Error::Cancelled);
        assert!(matches!(
            s.next_frame(&mut frame),
            FrameStatus::Failed(Error::Cancelled)
        ));
    }

    #[tokio::test]
    async fn started_wakes_on_first_samples_and_reports_early_failure() {
        let entry = Entry::filling();
        let waiter = tokio::spawn({
            let entry = entry.clone();
            async move { entry.started().await }
        });
        tokio::task::yield_now().await;
        entry.push(&[1]);
        waiter.await.unwrap().unwrap();

        let failing = Entry::filling();
        failing.fail(Error::TtsUnavailable);
        assert!(matches!(
            failing.started().await,
            Err(Error::TtsUnavailable)
        ));
    }

    #[test]
    fn clones_read_independently() {
        let mut a = AudioStream::from_samples(vec![1; 320]);
        let mut frame = [0i16; FRAME_SAMPLES];
        assert!(matches!(a.next_frame(&mut frame), FrameStatus::Ready));
        let mut b = a.clone();
        assert!(matches!(a.next_frame(&mut frame), FrameStatus::Ready));
        assert!(matches!(a.next_frame(&mut frame), FrameStatus::End));
        assert!(matches!(b.next_frame(&mut frame), FrameStatus::Ready));
    }
}
