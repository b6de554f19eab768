//! A fixed-depth playout buffer: packets in at network pace, one frame out per tick.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::{RtpHeader, SeqExtender, SeqNo, Ssrc};

/// A jump forward larger than this many packets is a restart, as in RFC 3550 A.1.
const MAX_DROPOUT: u64 = 3000;
/// A packet further than this many behind the highest may be a restart, as in A.1.
const MAX_MISORDER: u64 = 100;
/// Samples per frame assumed until two consecutive packets show the real value
/// (20 ms at 8 kHz).
const DEFAULT_FRAME_SAMPLES: u32 = 160;

/// One frame handed to the decoder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The payload; empty when `lost`.
    pub payload: Vec<u8>,
    /// Extended sequence number.
    pub seq: SeqNo,
    /// RTP timestamp (estimated from the previous frames when `lost`).
    pub timestamp: u32,
    /// The packet never arrived in time: the decoder should conceal it.
    pub lost: bool,
}

/// What [`JitterBuffer::push`] did with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// Stored for playout.
    Queued,
    /// The same sequence number is already stored.
    Duplicate,
    /// Its turn has passed (or it is a lone far-off packet); dropped.
    Late,
    /// The stream restarted (new SSRC or confirmed sequence jump); buffer flushed and
    /// the packet stored.
    Restarted,
}

/// Counters for monitoring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JitterStats {
    /// Packets dropped because their turn had passed.
    pub late: u64,
    /// Packets dropped as duplicates.
    pub duplicates: u64,
    /// Frames played as lost.
    pub concealed: u64,
    /// Packets dropped because the buffer was full.
    pub overflow: u64,
    /// Times the buffer ran dry while playing.
    pub underruns: u64,
    /// Restarts (SSRC change or sequence jump).
    pub resets: u64,
}

#[derive(Debug, Clone)]
struct Slot {
    timestamp: u32,
    payload: Vec<u8>,
}

/// Fixed-depth jitter buffer.
///
/// Playout starts once `depth` packets are stored or the first of them has waited
/// `depth` frame periods, whichever comes first. While playing, every
/// [`JitterBuffer::pop`] returns the next sequence number, as a lost frame when it is
/// missing. If the buffer stays empty for `depth` ticks the stream is taken to have
/// paused (silence suppression, hold, outage): playout stops and restarts as at the
/// beginning, at the first packet that arrives, so a pause never adds latency.
/// One packet is assumed to carry one frame period (the node's tick).
#[derive(Debug, Clone)]
pub struct JitterBuffer {
    depth: usize,
    capacity: usize,
    frame: Duration,
    ssrc: Option<Ssrc>,
    extender: SeqExtender,
    slots: BTreeMap<u64, Slot>,
    /// Next sequence number to play, once playout has started.
    next: Option<u64>,
    playing: bool,
    buffering_since: Option<Instant>,
    /// Sequence number and timestamp of the last frame played, for estimates.
    last: Option<(u64, u32)>,
    /// Highest sequence number played from a real packet: older ones are late even
    /// while rebuffering.
    played: Option<u64>,
    /// Consecutive ticks played while the buffer was empty.
    dry_ticks: usize,
    frame_samples: u32,
    /// A.1's `bad_seq`: the sequence number that would confirm a restart.
    bad_seq: Option<u16>,
    stats: JitterStats,
}

impl JitterBuffer {
    /// A buffer holding `depth` frames of `frame` each before playout (e.g. 3 × 20 ms),
    /// and at most four times that before dropping the oldest packets.
    pub fn new(depth: usize, frame: Duration) -> Self {
        let depth = depth.max(1);
        JitterBuffer {
            depth,
            capacity: depth * 4,
            frame,
            ssrc: None,
            extender: SeqExtender::new(),
            slots: BTreeMap::new(),
            next: None,
            playing: false,
            buffering_since: None,
            last: None,
            played: None,
            dry_ticks: 0,
            frame_samples: DEFAULT_FRAME_SAMPLES,
            bad_seq: None,
            stats: JitterStats::default(),
        }
    }

    /// Counters since creation.
    pub fn stats(&self) -> JitterStats {
        self.stats
    }

    /// Packets currently stored.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether no packet is stored.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    fn reset(&mut self, ssrc: Ssrc) {
        let stats = self.stats;
        *self = JitterBuffer::new(self.depth, self.frame);
        self.ssrc = Some(ssrc);
        self.stats = JitterStats {
            resets: stats.resets + 1,
            ..stats
        };
    }

    /// Offers a received packet that arrived at `now`.
    pub fn push(&mut self, header: &RtpHeader, payload: &[u8], now: Instant) -> Pushed {
        let mut outcome = Pushed::Queued;
        match self.ssrc {
            None => self.ssrc = Some(header.ssrc),
            Some(current) if current != header.ssrc => {
                outcome = Pushed::Restarted;
                self.reset(header.ssrc);
            }
            Some(_) => {}
        }
        let seq = header.sequence;
        let ext = self.extender.peek(seq).map(|s| s.0);
        let highest = self.extender.highest().map(|s| s.0);
        let too_old = match ext {
            None => true,
            Some(e) if self.playing => self.next.is_some_and(|next| e < next),
            Some(e) => self.played.is_some_and(|played| e <= played),
        };
        let far = match (ext, highest) {
            (Some(e), Some(h)) => e > h + MAX_DROPOUT || (too_old && e + MAX_MISORDER < h),
            (None, _) => true,
            _ => false,
        };
        if far {
            // RFC 3550 A.1's rule for "a very large jump": a lone far-off packet is
            // dropped, but if the next packet follows it the sender restarted.
            if self.bad_seq != Some(seq) {
                self.bad_seq = Some(seq.wrapping_add(1));
                self.stats.late += 1;
                return Pushed::Late;
            }
            self.reset(header.ssrc);
            outcome = Pushed::Restarted;
        } else if too_old {
            self.stats.late += 1;
            return Pushed::Late;
        }
        self.bad_seq = None;
        let Some(ext) = self.extender.extend(seq) else {
            // Unreachable after a reset (the first value always extends), kept total.
            self.stats.late += 1;
            return Pushed::Late;
        };
        if self.slots.contains_key(&ext.0) {
            self.stats.duplicates += 1;
            return Pushed::Duplicate;
        }
        self.slots.insert(
            ext.0,
            Slot {
                timestamp: header.timestamp,
                payload: payload.to_vec(),
            },
        );
        if !self.playing && self.buffering_since.is_none() {
            self.buffering_since = Some(now);
        }
        while self.slots.len() > self.capacity {
            if let Some((oldest, _)) = self.slots.pop_first() {
                self.stats.overflow += 1;
                if let Some(next) = self.next.as_mut() {
                    *next = (*next).max(oldest + 1);
                }
            }
        }
        outcome
    }

    /// The payload of the frame the next [`JitterBuffer::pop`] plays, if it is here.
    pub fn peek_next(&self) -> Option<&[u8]> {
        let next = self.next?;
        self.slots.get(&next).map(|slot| slot.payload.as_slice())
    }

    /// The frame to play at this tick, or `None` while (re)buffering.
    pub fn pop(&mut self, now: Instant) -> Option<Frame> {
        if !self.playing {
            let since = self.buffering_since?;
            let waited = now.saturating_duration_since(since);
            if self.slots.len() < self.depth && waited < self.frame * self.depth as u32 {
                return None;
            }
            let (&first, _) = self.slots.first_key_value()?;
            // After a pause, resume at the first packet we hold rather than emit a lost
            // frame for every packet missed meanwhile.
            self.next = Some(first);
            self.playing = true;
            self.buffering_since = None;
            self.dry_ticks = 0;
        }
        if self.slots.is_empty() {
            if self.dry_ticks >= self.depth {
                self.playing = false;
                self.dry_ticks = 0;
                self.stats.underruns += 1;
                return None;
            }
            // Probably loss: conceal and keep the clock running so the delay stays fixed.
            self.dry_ticks += 1;
        } else {
            self.dry_ticks = 0;
        }
        let seq = self.next?;
        self.next = Some(seq + 1);
        let frame = match self.slots.remove(&seq) {
            Some(slot) => {
                if let Some((prev_seq, prev_ts)) = self.last {
                    let step = slot.timestamp.wrapping_sub(prev_ts);
                    if seq == prev_seq + 1 && step > 0 && step < 0x8000 {
                        self.frame_samples = step;
                    }
                }
                self.played = Some(seq);
                Frame {
                    payload: slot.payload,
                    seq: SeqNo(seq),
                    timestamp: slot.timestamp,
                    lost: false,
                }
            }
            None => {
                self.stats.concealed += 1;
                let timestamp = match self.last {
                    Some((prev_seq, prev_ts)) => prev_ts
                        .wrapping_add(self.frame_samples.wrapping_mul((seq - prev_seq) as u32)),
                    None => 0,
                };
                Frame {
                    payload: Vec::new(),
                    seq: SeqNo(seq),
                    timestamp,
                    lost: true,
                }
            }
        };
        self.last = Some((seq, frame.timestamp));
        Some(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TICK: Duration = Duration::from_millis(20);

    fn hdr(seq: u16, ssrc: u32) -> RtpHeader {
        RtpHeader {
            marker: false,
            payload_type: 0,
            sequence: seq,
            timestamp: u32::from(seq).wrapping_mul(160),
            ssrc: Ssrc(ssrc),
        }
    }

    fn drain(jb: &mut JitterBuffer, t: &mut Instant, n: usize) -> Vec<Frame> {
        let mut out = Vec::new();
        for _ in 0..n {
            *t += TICK;
            if let Some(f) = jb.pop(*t) {
                out.push(f);
            }
        }
        out
    }

    #[test]
    fn reorders_drops_duplicates_and_conceals_gaps() {
        let t0 = Instant::now();
        let mut jb = JitterBuffer::new(3, TICK);
        for seq in [2u16, 1, 4, 2, 5] {
            jb.push(&hdr(seq, 1), &[seq as u8], t0);
        }
        assert_eq!(jb.stats().duplicates, 1);
        let mut t = t0;
        let frames = drain(&mut jb, &mut t, 6);
        let got: Vec<(u64, bool)> = frames.iter().map(|f| (f.seq.0, f.lost)).collect();
        // 1, 2, a gap at 3, 4, 5, then one dry tick concealed as 6.
        assert_eq!(
            got,
            [
                (1, false),
                (2, false),
                (3, true),
                (4, false),
                (5, false),
                (6, true)
            ]
        );
        assert_eq!(frames[2].timestamp, 480);
        assert_eq!(frames[5].timestamp, 960);
        assert_eq!(frames[0].payload, [1]);
        assert!(frames[2].payload.is_empty());
        // 1 arriving again now is late.
        assert_eq!(jb.push(&hdr(1, 1), &[1], t), Pushed::Late);
        assert_eq!(jb.stats().concealed, 2);
        // After `depth` dry ticks playout stops.
        assert_eq!(drain(&mut jb, &mut t, 3).len(), 2);
        assert_eq!(jb.stats().underruns, 1);
    }

    #[test]
    fn waits_for_depth_or_time() {
        let t0 = Instant::now();
        let mut jb = JitterBuffer::new(3, TICK);
        assert_eq!(jb.pop(t0), None);
        jb.push(&hdr(10, 1), &[], t0);
        assert_eq!(jb.pop(t0 + TICK), None);
        assert_eq!(jb.pop(t0 + TICK * 2), None);
        assert_eq!(jb.pop(t0 + TICK * 3).map(|f| f.seq), Some(SeqNo(10)));
    }

    #[test]
    fn survives_sequence_wrap() {
        let t0 = Instant::now();
        let mut jb = JitterBuffer::new(2, TICK);
        let mut t = t0;
        let mut seqs = Vec::new();
        for i in 0..10u16 {
            let seq = 65530u16.wrapping_add(i);
            jb.push(&hdr(seq, 1), &[], t);
            let frames = drain(&mut jb, &mut t, 1);
            assert!(frames.iter().all(|f| !f.lost));
            seqs.extend(frames.iter().map(|f| f.seq.0));
        }
        seqs.extend(
            drain(&mut jb, &mut t, 3)
                .iter()
                .filter(|f| !f.lost)
                .map(|f| f.seq.0),
        );
        let want: Vec<u64> = (65530..65540).collect();
        assert_eq!(seqs, want);
    }

    #[test]
    fn ssrc_change_and_confirmed_jump_reset() {
        let t0 = Instant::now();
        let mut jb = JitterBuffer::new(1, TICK);
        jb.push(&hdr(100, 1), &[], t0);
        assert_eq!(jb.push(&hdr(7, 2), &[], t0), Pushed::Restarted);
        assert_eq!(jb.pop(t0).map(|f| f.seq), Some(SeqNo(7)));
        // A lone far-off packet is dropped; a confirmed one restarts.
        assert_eq!(jb.push(&hdr(40000, 2), &[], t0), Pushed::Late);
        assert_eq!(jb.push(&hdr(8, 2), &[], t0), Pushed::Queued);
        assert_eq!(jb.push(&hdr(40000, 2), &[], t0), Pushed::Late);
        assert_eq!(jb.push(&hdr(40001, 2), &[], t0), Pushed::Restarted);
        assert_eq!(jb.pop(t0).map(|f| f.seq), Some(SeqNo(40001)));
        assert_eq!(jb.stats().resets, 2);
    }

    #[test]
    fn overflow_drops_oldest_and_outage_resumes_without_a_lost_storm() {
        let t0 = Instant::now();
        let mut jb = JitterBuffer::new(1, TICK);
        for seq in 0..10u16 {
            jb.push(&hdr(seq, 1), &[], t0);
        }
        assert_eq!(jb.stats().overflow, 6);
        let mut t = t0;
        let frames = drain(&mut jb, &mut t, 6);
        assert_eq!(frames.first().map(|f| f.seq), Some(SeqNo(6)));
        // 6..=9, then one concealed dry tick (depth 1), then playout stops.
        assert_eq!(frames.len(), 5);
        assert!(frames[4].lost);
        assert_eq!(jb.stats().underruns, 1);
        // 200 packets lost during an outage: playout resumes at the next one held.
        jb.push(&hdr(210, 1), &[], t);
        let frames = drain(&mut jb, &mut t, 2);
        assert_eq!(frames[0].seq, SeqNo(210));
        assert!(!frames[0].lost);
    }
}
