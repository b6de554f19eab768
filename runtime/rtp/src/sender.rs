//! The outgoing RTP stream: what the node calls on every 20 ms tick.

use std::collections::VecDeque;

use crate::dtmf::{digit_to_event, DtmfPayload};
use crate::{write_rtp, Error, RtpHeader, Ssrc};

/// How many packets carry the end of a DTMF event.
///
/// RFC 4733 §2.5.1.4: "The final packet for each event and for each segment SHOULD be
/// sent a total of three times at the interval used by the source for updates."
const DTMF_END_PACKETS: u8 = 3;

/// The power level written in our DTMF events, in -dBm0 (a typical keypad level).
const DTMF_VOLUME: u8 = 10;

/// Counters for the sender-info block of an RTCP sender report (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SenderStats {
    /// RTP data packets sent.
    pub packets: u32,
    /// Payload octets sent, "not including header or padding" (RFC 3550 §6.4.1).
    pub octets: u32,
    /// Timestamp of the last packet sent, if any.
    pub last_timestamp: Option<u32>,
}

/// A DTMF event waiting for or in transmission.
#[derive(Debug, Clone, Copy)]
struct DtmfEvent {
    payload_type: u8,
    event: u8,
    /// Total duration in timestamp units.
    total: u16,
    /// RTP timestamp of the event's start, fixed for all of its packets.
    start: u32,
    /// Duration reported so far.
    elapsed: u32,
    end_sent: u8,
}

/// One outgoing RTP stream (one SSRC, one audio payload type).
#[derive(Debug, Clone)]
pub struct RtpSender {
    ssrc: Ssrc,
    payload_type: u8,
    clock_rate: u32,
    sequence: u16,
    timestamp: u32,
    /// The next audio packet starts a talkspurt.
    talkspurt: bool,
    stats: SenderStats,
    dtmf: VecDeque<DtmfEvent>,
}

impl RtpSender {
    /// A stream with random initial sequence number and timestamp.
    ///
    /// RFC 3550 §5.1: "The initial value of the sequence number SHOULD be random
    /// (unpredictable) to make known-plaintext attacks on encryption more difficult"
    /// and "The initial value of the timestamp SHOULD be random, as for the sequence
    /// number." Use [`Ssrc::random`] for the SSRC.
    pub fn new(ssrc: Ssrc, payload_type: u8, clock_rate: u32) -> Self {
        Self::with_initial(
            ssrc,
            payload_type,
            clock_rate,
            rand::random(),
            rand::random(),
        )
    }

    /// A stream with chosen initial sequence number and timestamp (for tests and for
    /// continuing a stream across a re-INVITE).
    pub fn with_initial(
        ssrc: Ssrc,
        payload_type: u8,
        clock_rate: u32,
        sequence: u16,
        timestamp: u32,
    ) -> Self {
        RtpSender {
            ssrc,
            payload_type,
            clock_rate,
            sequence,
            timestamp,
            talkspurt: true,
            stats: SenderStats::default(),
            dtmf: VecDeque::new(),
        }
    }

    /// The stream's SSRC.
    pub fn ssrc(&self) -> Ssrc {
        self.ssrc
    }

    /// The sequence number the next packet will carry.
    pub fn next_sequence(&self) -> u16 {
        self.sequence
    }

    /// The RTP timestamp of the current frame period (for an SR's RTP timestamp).
    pub fn timestamp(&self) -> u32 {
        self.timestamp
    }

    /// Changes the audio payload type (after a re-negotiation); the stream continues.
    pub fn set_payload_type(&mut self, payload_type: u8) {
        self.payload_type = payload_type;
    }

    /// Changes the media clock (a re-negotiation to a codec of another rate): the
    /// timestamp continues, counting in the new unit.
    pub fn set_clock_rate(&mut self, clock_rate: u32) {
        self.clock_rate = clock_rate;
    }

    /// Sends one audio frame of `samples` samples and appends the packet to `out`.
    ///
    /// The marker bit is set on the first packet after the start or after
    /// [`RtpSender::skip`]: RFC 3551 §4.1 "the marker bit (M) SHOULD be set in the first
    /// packet of a talkspurt". While a DTMF event is being sent the event owns the tick:
    /// the audio frame is dropped and the event's packet is written instead.
    pub fn audio(&mut self, payload: &[u8], samples: u32, out: &mut Vec<u8>) {
        if self.next_dtmf_packet(samples, out) {
            return;
        }
        let marker = std::mem::take(&mut self.talkspurt);
        let header = self.header(self.payload_type, marker, self.timestamp);
        self.emit(&header, payload, out);
        self.timestamp = self.timestamp.wrapping_add(samples);
    }

    /// A frame period in which nothing is sent (silence or hold): the timestamp advances
    /// with the media clock, the sequence number does not (RFC 3550 §5.1: the sequence
    /// number "increments by one for each RTP data packet sent").
    pub fn skip(&mut self, samples: u32) {
        self.timestamp = self.timestamp.wrapping_add(samples);
        self.talkspurt = true;
    }

    /// Queues a DTMF digit to be sent as RFC 4733 events with payload type `event_pt`,
    /// lasting `duration_ms` (capped to what a 16-bit duration field can hold). It starts
    /// on the next tick, or after the digits already queued.
    pub fn start_dtmf(&mut self, event_pt: u8, digit: char, duration_ms: u32) -> Result<(), Error> {
        let event = digit_to_event(digit)?;
        let total = u64::from(duration_ms) * u64::from(self.clock_rate) / 1000;
        self.dtmf.push_back(DtmfEvent {
            payload_type: event_pt,
            event,
            total: total.min(u64::from(u16::MAX)) as u16,
            start: 0,
            elapsed: 0,
            end_sent: 0,
        });
        Ok(())
    }

    /// Whether a DTMF event is queued or in transmission.
    pub fn dtmf_active(&self) -> bool {
        !self.dtmf.is_empty()
    }

    /// On a tick with a DTMF event pending, writes its next packet for a frame period
    /// of `samples` and returns `true`; returns `false` (writing nothing) otherwise.
    ///
    /// All packets of one event carry the timestamp of its first packet and a growing
    /// duration; the first has the marker bit; the last is sent three times.
    pub fn next_dtmf_packet(&mut self, samples: u32, out: &mut Vec<u8>) -> bool {
        let now = self.timestamp;
        let Some(ev) = self.dtmf.front_mut() else {
            return false;
        };
        // RFC 4733 §2.5.1.2: "The first packet for an event MUST have the M bit set";
        // the event's first packet is the one sent while nothing has been reported yet.
        let first = ev.elapsed == 0 && ev.end_sent == 0;
        if first {
            ev.start = now;
        }
        ev.elapsed = (ev.elapsed + samples).min(u32::from(ev.total));
        let end = ev.elapsed >= u32::from(ev.total);
        if end {
            ev.end_sent += 1;
        }
        let payload = DtmfPayload {
            event: ev.event,
            end,
            volume: DTMF_VOLUME,
            duration: ev.elapsed as u16,
        };
        let (pt, start) = (ev.payload_type, ev.start);
        if ev.end_sent >= DTMF_END_PACKETS {
            self.dtmf.pop_front();
        }
        let mut body = Vec::with_capacity(4);
        payload.write(&mut body);
        let header = self.header(pt, first, start);
        self.emit(&header, &body, out);
        self.timestamp = self.timestamp.wrapping_add(samples);
        true
    }

    /// Counters for an RTCP sender report.
    pub fn stats(&self) -> SenderStats {
        self.stats
    }

    fn header(&self, payload_type: u8, marker: bool, timestamp: u32) -> RtpHeader {
        RtpHeader {
            marker,
            payload_type,
            sequence: self.sequence,
            timestamp,
            ssrc: self.ssrc,
        }
    }

    fn emit(&mut self, header: &RtpHeader, payload: &[u8], out: &mut Vec<u8>) {
        write_rtp(header, payload, out);
        self.sequence = self.sequence.wrapping_add(1);
        // RFC 3550 §6.4.1: both counts wrap around modulo 2^32.
        self.stats.packets = self.stats.packets.wrapping_add(1);
        self.stats.octets = self.stats.octets.wrapping_add(payload.len() as u32);
        self.stats.last_timestamp = Some(header.timestamp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_rtp;

    fn sender() -> RtpSender {
        RtpSender::with_initial(Ssrc(42), 0, 8000, 65534, 1000)
    }

    fn send(s: &mut RtpSender, payload: &[u8]) -> (RtpHeader, Vec<u8>) {
        let mut out = Vec::new();
        s.audio(payload, 160, &mut out);
        let p = parse_rtp(&out).unwrap();
        (p.header, p.payload.to_vec())
    }

    #[test]
    fn audio_advances_seq_and_timestamp_and_marks_talkspurts() {
        let mut s = sender();
        let (h1, p1) = send(&mut s, &[1; 160]);
        let (h2, _) = send(&mut s, &[2; 160]);
        let (h3, _) = send(&mut s, &[3; 160]);
        assert_eq!(p1, vec![1; 160]);
        assert_eq!((h1.sequence, h2.sequence, h3.sequence), (65534, 65535, 0));
        assert_eq!(
            (h1.timestamp, h2.timestamp, h3.timestamp),
            (1000, 1160, 1320)
        );
        assert!(h1.marker && !h2.marker && !h3.marker);
        s.skip(160);
        s.skip(160);
        let (h4, _) = send(&mut s, &[4; 160]);
        assert_eq!(h4.sequence, 1);
        assert_eq!(h4.timestamp, 1800);
        assert!(h4.marker);
        assert_eq!(
            s.stats(),
            SenderStats {
                packets: 4,
                octets: 640,
                last_timestamp: Some(1800)
            }
        );
    }

    #[test]
    fn new_randomises_initial_values() {
        // Two random 48-bit (seq, timestamp) starts colliding would be a broken RNG.
        let a = RtpSender::new(Ssrc(1), 0, 8000);
        let b = RtpSender::new(Ssrc(1), 0, 8000);
        assert_ne!(
            (a.next_sequence(), a.timestamp()),
            (b.next_sequence(), b.timestamp())
        );
    }

    #[test]
    fn dtmf_event_has_one_timestamp_marker_first_and_three_ends() {
        let mut s = sender();
        send(&mut s, &[0; 160]);
        s.start_dtmf(101, '#', 100).unwrap();
        let mut packets = Vec::new();
        while s.dtmf_active() {
            let mut out = Vec::new();
            assert!(s.next_dtmf_packet(160, &mut out));
            let p = parse_rtp(&out).unwrap();
            packets.push((p.header, DtmfPayload::parse(p.payload).unwrap()));
        }
        // 100 ms = 800 samples = 5 ticks, the fifth being the first end packet.
        assert_eq!(packets.len(), 7);
        for (i, (h, p)) in packets.iter().enumerate() {
            assert_eq!(h.payload_type, 101);
            assert_eq!(h.timestamp, 1160);
            assert_eq!(h.marker, i == 0);
            assert_eq!(h.sequence, 65535u16.wrapping_add(i as u16));
            assert_eq!(p.event, 11);
            assert_eq!(p.end, i >= 4);
            assert_eq!(p.duration, (160 * (i as u16 + 1)).min(800));
        }
        // Audio resumes with the media clock having advanced over the seven ticks.
        let mut out = Vec::new();
        assert!(!s.next_dtmf_packet(160, &mut out));
        assert!(out.is_empty());
        let (h, _) = send(&mut s, &[0; 160]);
        assert_eq!(h.timestamp, 1160 + 7 * 160);
        assert_eq!(h.sequence, 6);
    }

    #[test]
    fn audio_during_dtmf_sends_the_event_and_digits_queue() {
        let mut s = sender();
        s.start_dtmf(96, '1', 40).unwrap();
        s.start_dtmf(96, '2', 40).unwrap();
        assert_eq!(s.start_dtmf(96, 'z', 40), Err(Error::NotADtmfDigit('z')));
        let mut timestamps = Vec::new();
        for _ in 0..8 {
            let (h, p) = send(&mut s, &[9; 160]);
            assert_eq!(h.payload_type, 96);
            timestamps.push((h.timestamp, h.marker, p[0]));
        }
        assert!(!s.dtmf_active());
        // Each 40 ms event: one packet, then three end packets.
        assert_eq!(timestamps[0], (1000, true, 1));
        assert!(timestamps[1..4].iter().all(|&t| t == (1000, false, 1)));
        assert_eq!(timestamps[4], (1640, true, 2));
        assert!(timestamps[5..8].iter().all(|&t| t == (1640, false, 2)));
    }
}
