//! Reception statistics for one remote source (RFC 3550 A.1, A.3 and A.8).

use std::time::{Duration, Instant};

use crate::rtcp::ReportBlock;
use crate::{RtpHeader, SeqNo, Ssrc};

/// A.1: a jump forward up to this many packets is loss, not a restart.
const MAX_DROPOUT: u16 = 3000;
/// A.1: a packet up to this many behind the highest is reordered, not a restart.
const MAX_MISORDER: u16 = 100;
/// A.1: consecutive packets needed before a new source is believed.
const MIN_SEQUENTIAL: u32 = 2;
const SEQ_MOD: u64 = 1 << 16;

/// Converts a duration on the receiver's clock to RTP timestamp units, wrapping like
/// an RTP timestamp. The node passes `now - stream_epoch` as arrival times to
/// [`ReceiveStats::update`].
pub fn rtp_units(elapsed: Duration, clock_rate: u32) -> u32 {
    (elapsed.as_nanos() * u128::from(clock_rate) / 1_000_000_000) as u32
}

/// What we know about the packets received from one SSRC.
///
/// The sequence-number bookkeeping follows RFC 3550 A.1 to the letter, including its
/// probation: a new source is believed only after [`MIN_SEQUENTIAL`] packets in
/// sequence, and the packets of the probation before the last one are not counted.
#[derive(Debug, Clone, Default)]
pub struct ReceiveStats {
    ssrc: Option<Ssrc>,
    max_seq: u16,
    /// Shifted count of sequence number cycles (a multiple of 65536).
    cycles: u64,
    base_seq: u64,
    /// The sequence number that would confirm a restart (A.1's `bad_seq`).
    bad_seq: Option<u16>,
    probation: u32,
    received: u64,
    expected_prior: u64,
    received_prior: u64,
    /// Relative transit time of the previous packet, in RTP units.
    transit: Option<u32>,
    /// Interarrival jitter scaled by 16, as in A.8.
    jitter: u32,
    /// Middle 32 bits of the last SR's NTP timestamp and when it arrived.
    last_sr: Option<(u32, Instant)>,
}

impl ReceiveStats {
    /// Statistics for a source not yet heard from.
    pub fn new() -> Self {
        Self::default()
    }

    /// Accounts for a received packet that arrived at `arrival` (receiver clock in RTP
    /// timestamp units, see [`rtp_units`]). Returns whether the packet is valid per A.1;
    /// a new SSRC restarts the statistics.
    pub fn update(&mut self, header: &RtpHeader, arrival: u32) -> bool {
        let seq = header.sequence;
        if self.ssrc != Some(header.ssrc) {
            *self = ReceiveStats {
                ssrc: Some(header.ssrc),
                ..ReceiveStats::default()
            };
            self.init_seq(seq);
            self.max_seq = seq.wrapping_sub(1);
            self.probation = MIN_SEQUENTIAL;
        }
        if !self.update_seq(seq) {
            return false;
        }
        self.update_jitter(header.timestamp, arrival);
        true
    }

    fn init_seq(&mut self, seq: u16) {
        self.base_seq = u64::from(seq);
        self.max_seq = seq;
        self.bad_seq = None;
        self.cycles = 0;
        self.received = 0;
        self.received_prior = 0;
        self.expected_prior = 0;
    }

    /// RFC 3550 A.1 `update_seq`.
    fn update_seq(&mut self, seq: u16) -> bool {
        let udelta = seq.wrapping_sub(self.max_seq);
        if self.probation > 0 {
            // A.1: "Source is not valid until MIN_SEQUENTIAL packets with sequential
            // sequence numbers have been received."
            if seq == self.max_seq.wrapping_add(1) {
                self.probation -= 1;
                self.max_seq = seq;
                if self.probation == 0 {
                    self.init_seq(seq);
                    self.received += 1;
                    return true;
                }
            } else {
                self.probation = MIN_SEQUENTIAL - 1;
                self.max_seq = seq;
            }
            return false;
        }
        if udelta < MAX_DROPOUT {
            // In order, with a permissible gap; a smaller wire value means it wrapped.
            if seq < self.max_seq {
                self.cycles += SEQ_MOD;
            }
            self.max_seq = seq;
        } else if u64::from(udelta) <= SEQ_MOD - u64::from(MAX_MISORDER) {
            // A.1: "the sequence number made a very large jump": believe it only when the
            // next packet follows it (the other side restarted without a new SSRC).
            if self.bad_seq == Some(seq) {
                self.init_seq(seq);
            } else {
                self.bad_seq = Some(seq.wrapping_add(1));
                return false;
            }
        }
        // Otherwise a duplicate or reordered packet: counted, as A.1 does.
        self.received += 1;
        true
    }

    /// RFC 3550 A.8: J(i) = J(i-1) + (|D(i-1,i)| - J(i-1))/16, kept scaled by 16.
    fn update_jitter(&mut self, timestamp: u32, arrival: u32) {
        let transit = arrival.wrapping_sub(timestamp);
        if let Some(prev) = self.transit {
            let d = (transit.wrapping_sub(prev) as i32).unsigned_abs();
            // jitter += |d| - ((jitter + 8) >> 4), done in i64 to stay exact.
            let j = i64::from(self.jitter) + i64::from(d) - ((i64::from(self.jitter) + 8) >> 4);
            self.jitter = j.clamp(0, i64::from(u32::MAX)) as u32;
        }
        self.transit = Some(transit);
    }

    /// The source these statistics describe.
    pub fn ssrc(&self) -> Option<Ssrc> {
        self.ssrc
    }

    /// Whether the source has passed probation.
    pub fn is_valid(&self) -> bool {
        self.ssrc.is_some() && self.probation == 0
    }

    /// The highest extended sequence number received, once valid.
    pub fn extended_max(&self) -> Option<SeqNo> {
        self.is_valid()
            .then_some(SeqNo(self.cycles + u64::from(self.max_seq)))
    }

    /// A.3: packets expected since the source became valid.
    pub fn expected(&self) -> u64 {
        match self.extended_max() {
            Some(max) => max.0 + 1 - self.base_seq,
            None => 0,
        }
    }

    /// Packets counted as received (duplicates included, as in A.1).
    pub fn received(&self) -> u64 {
        self.received
    }

    /// A.3: cumulative number of packets lost; negative when duplicates outnumber losses.
    pub fn lost(&self) -> i64 {
        self.expected() as i64 - self.received as i64
    }

    /// A.8: interarrival jitter in RTP timestamp units.
    pub fn jitter(&self) -> u32 {
        self.jitter >> 4
    }

    /// Records the arrival of a sender report from this source, for LSR/DLSR.
    pub fn on_sender_report(&mut self, ntp_timestamp: u64, now: Instant) {
        self.last_sr = Some(((ntp_timestamp >> 16) as u32, now));
    }

    /// The report block describing this source at `now`, starting a new reporting
    /// interval for the fraction lost. `None` until the source is valid.
    pub fn report_block(&mut self, now: Instant) -> Option<ReportBlock> {
        let ssrc = self.ssrc?;
        let max = self.extended_max()?;
        let expected = self.expected();
        // A.3: the fraction is computed over the interval since the previous report.
        let expected_interval = expected - self.expected_prior;
        let received_interval = self.received - self.received_prior;
        self.expected_prior = expected;
        self.received_prior = self.received;
        let lost_interval = expected_interval as i64 - received_interval as i64;
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / expected_interval as i64) as u8
        };
        // RFC 3550 §6.4.1: the cumulative number lost is a signed 24-bit field.
        let cumulative_lost = self.lost().clamp(-0x80_0000, 0x7f_ffff) as i32;
        let (last_sr, delay_since_last_sr) = match self.last_sr {
            Some((lsr, at)) => {
                // DLSR is "expressed in units of 1/65536 seconds" (RFC 3550 §6.4.1).
                let d = now.saturating_duration_since(at);
                let units = d.as_nanos() * 65536 / 1_000_000_000;
                (lsr, units.min(u128::from(u32::MAX)) as u32)
            }
            None => (0, 0),
        };
        Some(ReportBlock {
            ssrc,
            fraction_lost,
            cumulative_lost,
            extended_highest_seq: max.0 as u32,
            jitter: self.jitter(),
            last_sr,
            delay_since_last_sr,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hdr(seq: u16, ts: u32) -> RtpHeader {
        RtpHeader {
            marker: false,
            payload_type: 0,
            sequence: seq,
            timestamp: ts,
            ssrc: Ssrc(9),
        }
    }

    #[test]
    fn probation_then_counts_loss_and_wrap() {
        let mut s = ReceiveStats::new();
        assert!(!s.update(&hdr(65533, 0), 0));
        assert!(s.update(&hdr(65534, 160), 160));
        assert_eq!(s.extended_max(), Some(SeqNo(65534)));
        // 65535 lost; 0 and 1 arrive after the wrap.
        assert!(s.update(&hdr(0, 480), 480));
        assert!(s.update(&hdr(1, 640), 640));
        assert_eq!(s.extended_max(), Some(SeqNo(65536 + 1)));
        assert_eq!(s.expected(), 4);
        assert_eq!(s.received(), 3);
        assert_eq!(s.lost(), 1);
        let rb = s.report_block(Instant::now()).unwrap();
        assert_eq!(rb.fraction_lost, 64); // 1 of 4 = 0.25 * 256
        assert_eq!(rb.cumulative_lost, 1);
        assert_eq!(rb.extended_highest_seq, 65537);
        // A new interval with no loss reports a zero fraction but the same cumulative.
        s.update(&hdr(2, 800), 800);
        let rb = s.report_block(Instant::now()).unwrap();
        assert_eq!(rb.fraction_lost, 0);
        assert_eq!(rb.cumulative_lost, 1);
    }

    #[test]
    fn a_big_jump_is_believed_only_when_confirmed() {
        let mut s = ReceiveStats::new();
        s.update(&hdr(10, 0), 0);
        s.update(&hdr(11, 0), 0);
        assert!(!s.update(&hdr(30000, 0), 0));
        assert_eq!(s.extended_max(), Some(SeqNo(11)));
        assert!(s.update(&hdr(30001, 0), 0));
        assert_eq!(s.extended_max(), Some(SeqNo(30001)));
        assert_eq!(s.expected(), 1);
    }

    #[test]
    fn constant_delay_has_zero_jitter_and_alternating_delay_converges() {
        let mut s = ReceiveStats::new();
        for i in 0..50u16 {
            s.update(&hdr(i, u32::from(i) * 160), 5000 + u32::from(i) * 160);
        }
        assert_eq!(s.jitter(), 0);
        // Transit alternating by 80 units: |D| is 80 every packet, J tends to 80.
        let mut s = ReceiveStats::new();
        for i in 0..400u16 {
            let extra = if i % 2 == 0 { 0 } else { 80 };
            s.update(&hdr(i, u32::from(i) * 160), u32::from(i) * 160 + extra);
        }
        assert!((78..=80).contains(&s.jitter()), "jitter {}", s.jitter());
    }

    #[test]
    fn new_ssrc_restarts_and_sr_timing_is_reported() {
        let mut s = ReceiveStats::new();
        s.update(&hdr(1, 0), 0);
        s.update(&hdr(2, 0), 0);
        let t0 = Instant::now();
        s.on_sender_report(0x1234_5678_9abc_def0, t0);
        let rb = s.report_block(t0 + Duration::from_millis(500)).unwrap();
        assert_eq!(rb.last_sr, 0x5678_9abc);
        assert_eq!(rb.delay_since_last_sr, 32768);
        let mut other = hdr(500, 0);
        other.ssrc = Ssrc(10);
        assert!(!s.update(&other, 0));
        assert_eq!(s.ssrc(), Some(Ssrc(10)));
        assert_eq!(s.expected(), 0);
        assert!(s.report_block(t0).is_none());
    }

    #[test]
    fn converts_durations_to_rtp_units() {
        assert_eq!(rtp_units(Duration::from_millis(20), 8000), 160);
        assert_eq!(rtp_units(Duration::from_secs(1), 48000), 48000);
    }
}
