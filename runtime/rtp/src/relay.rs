//! The passthrough half of a two-leg bridge: packets received on one leg are sent on the
//! other without decoding, but rewritten into the sending leg's own RTP stream.
//!
//! A [`Relay`] belongs to the *sending* leg. Each packet handed to [`Relay::forward`] is
//! parsed and written again with our SSRC, our sequence numbers, our timestamps and the
//! payload types negotiated on our leg; the payload bytes are copied untouched (or run
//! through a caller-provided transcoder, see [`Relay::set_transcoder`]). The far end
//! therefore sees one continuous stream, whoever is talking on the other side.
//!
//! Mapping rules:
//! - **Sequence numbers** are mapped through extended (64-bit) sequence numbers, so an
//!   input gap of `k` packets is an output gap of `k`, also across the 16-bit wrap.
//!   Packets we drop ourselves (payload types our leg cannot carry) do not leave a gap:
//!   the far end would count them as lost.
//! - **Timestamps** get a fixed offset per incoming source, so relative timing (and the
//!   one timestamp shared by the packets of an RFC 4733 event) is kept.
//! - **A new incoming source** (another SSRC, or a restart detected as in RFC 3550 A.1)
//!   starts a new mapping: its first packet continues our sequence with no gap, carries
//!   the marker bit and gets the timestamp our clock has reached since the last packet
//!   we sent, so our timestamps never go backwards.
//! - **CSRC list, header extension and padding** are always dropped: CSRCs name
//!   sources of the other leg's session and extension ids are negotiated per leg; the
//!   packet is written by [`write_rtp`], which writes neither.

use std::collections::BTreeSet;
use std::time::Instant;

use crate::packet::RTP_HEADER_LEN;
use crate::{
    parse_rtp, rtp_units, write_rtp, DtmfPayload, Error, RtpHeader, RtpPacket, SenderStats,
    SeqExtender, SeqNo, Ssrc,
};

/// RFC 3550 A.1: a jump forward up to this many packets is loss, not a restart.
const MAX_DROPOUT: i64 = 3000;
/// RFC 3550 A.1: a packet up to this many behind the highest is reordered, not a restart.
const MAX_MISORDER: i64 = 100;

/// The payload types of one leg: its audio codec and its telephone-event format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadTypes {
    /// The negotiated audio payload type.
    pub audio: u8,
    /// The negotiated `telephone-event` payload type, if the leg has one.
    pub event: Option<u8>,
}

/// What [`Relay::forward`] did with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forwarded {
    /// The rewritten packet was appended to `out`.
    Sent {
        /// The header as written.
        header: RtpHeader,
        /// This packet started a new mapping (a new or restarted incoming source).
        new_source: bool,
    },
    /// Nothing was written.
    Dropped(Discard),
}

/// Why a well-formed RTP packet was not relayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discard {
    /// A telephone-event packet, and our leg negotiated no telephone-event.
    NoEventPayloadType,
    /// A payload type that is neither the incoming leg's audio nor its event type.
    UnknownPayloadType(u8),
    /// A late packet that falls before the current mapping, or a straggler of the
    /// previous source after a switch; relaying it would reuse our sequence numbers.
    Stale,
    /// A sequence number far from the expected one, held until the next packet
    /// confirms that the source restarted (RFC 3550 A.1).
    SequenceJump,
}

/// The mapping from one incoming source to our stream.
#[derive(Debug, Clone)]
struct Mapping {
    ssrc: Ssrc,
    seq: SeqExtender,
    /// Extended input sequence number of the packet that started the mapping.
    first_in: u64,
    /// Our extended sequence number for `first_in`.
    base_out: u64,
    /// Newest-at-the-time input packets we dropped, within `MAX_MISORDER` of the
    /// highest; older ones are folded into `pruned`.
    dropped: BTreeSet<u64>,
    pruned: u64,
    /// Added (wrapping) to input timestamps.
    ts_offset: u32,
    /// RFC 3550 A.1 `bad_seq`: the sequence number that would confirm a restart.
    bad_seq: Option<u16>,
    /// The next packet we send carries the marker bit.
    marker_pending: bool,
}

/// A packet's extended input sequence number, and whether it is the newest so far.
#[derive(Debug, Clone, Copy)]
struct Slot {
    ext: u64,
    newest: bool,
}

/// Where an input sequence number falls in a mapping.
enum Position {
    /// Newer than anything seen, with its extended input sequence number.
    Newest(u64),
    /// Reordered or duplicated, within the mapping.
    Late(u64),
    Stale,
    Jump,
}

impl Mapping {
    fn position(&self, seq: u16) -> Position {
        let highest = self.seq.highest().unwrap_or(SeqNo(self.first_in));
        let delta = i64::from(seq.wrapping_sub(highest.wire()) as i16);
        // RFC 3550 A.1: beyond MAX_DROPOUT ahead or MAX_MISORDER behind, "the sequence
        // number made a very large jump".
        if !(-MAX_MISORDER..=MAX_DROPOUT).contains(&delta) {
            return Position::Jump;
        }
        match self.seq.peek(seq) {
            Some(ext) if ext.0 < self.first_in => Position::Stale,
            Some(ext) if delta > 0 => Position::Newest(ext.0),
            Some(ext) => Position::Late(ext.0),
            None => Position::Stale,
        }
    }

    /// Our extended sequence number for input `ext`: the same distance from the start of
    /// the mapping, less the packets we dropped before it.
    fn out_seq(&self, ext: u64) -> u64 {
        let dropped = self.dropped.range(..ext).count() as u64;
        self.base_out + (ext - self.first_in) - self.pruned - dropped
    }

    /// Accounts for a packet we will not send. A skip at the head of the stream is
    /// remembered so that later packets close the gap; a late one is already a gap.
    fn skip(&mut self, ext: u64, newest: bool) {
        if newest {
            self.dropped.insert(ext);
        }
    }

    /// Records `seq` as the highest input so far and folds drops too old to matter into
    /// `pruned`: every packet still placed in the mapping (within `MAX_MISORDER` of the
    /// highest) is above them.
    fn advance(&mut self, seq: u16) {
        self.seq.extend(seq);
        let highest = self.seq.highest().map_or(0, |h| h.0);
        while let Some(&d) = self.dropped.first() {
            if d + MAX_MISORDER as u64 >= highest {
                break;
            }
            self.dropped.pop_first();
            self.pruned += 1;
        }
    }
}

/// One leg's outgoing stream fed with packets received on another leg.
#[derive(Debug, Clone)]
pub struct Relay {
    ssrc: Ssrc,
    out: PayloadTypes,
    clock_rate: u32,
    transcoder: Option<fn(&mut [u8])>,
    /// Our extended sequence number for the next new mapping: one past the highest sent.
    next_seq: u64,
    /// Our timestamp when nothing has been sent yet.
    initial_ts: u32,
    /// Our media time reached by the newest packet sent, and when it was sent.
    anchor: Option<(u32, Instant)>,
    current: Option<Mapping>,
    /// The source before the current one and its highest sequence number.
    previous: Option<(Ssrc, SeqNo)>,
    stats: SenderStats,
}

impl Relay {
    /// A relay with random initial sequence number and timestamp.
    ///
    /// RFC 3550 §5.1: "The initial value of the sequence number SHOULD be random
    /// (unpredictable) to make known-plaintext attacks on encryption more difficult"
    /// and "The initial value of the timestamp SHOULD be random, as for the sequence
    /// number."
    pub fn new(ssrc: Ssrc, out: PayloadTypes, clock_rate: u32) -> Self {
        Self::with_initial(ssrc, out, clock_rate, rand::random(), rand::random())
    }

    /// A relay whose first packet carries `sequence` and `timestamp`: for tests, and to
    /// continue the stream of the leg's [`crate::RtpSender`] (pass its
    /// `next_sequence()` and `timestamp()`).
    pub fn with_initial(
        ssrc: Ssrc,
        out: PayloadTypes,
        clock_rate: u32,
        sequence: u16,
        timestamp: u32,
    ) -> Self {
        Relay {
            ssrc,
            out,
            clock_rate,
            transcoder: None,
            next_seq: u64::from(sequence),
            initial_ts: timestamp,
            anchor: None,
            current: None,
            previous: None,
            stats: SenderStats::default(),
        }
    }

    /// Our SSRC.
    pub fn ssrc(&self) -> Ssrc {
        self.ssrc
    }

    /// The sequence number a packet from a new source would carry (to hand the stream
    /// back to an [`crate::RtpSender`] when the bridge ends).
    pub fn next_sequence(&self) -> u16 {
        self.next_seq as u16
    }

    /// The timestamp our stream has reached at `now`: the newest packet's media time
    /// plus the time since it was sent, in clock units.
    pub fn timestamp_at(&self, now: Instant) -> u32 {
        match self.anchor {
            Some((ts, at)) => ts.wrapping_add(rtp_units(
                now.saturating_duration_since(at),
                self.clock_rate,
            )),
            None => self.initial_ts,
        }
    }

    /// Changes our leg's payload types (after a re-negotiation); the stream continues.
    pub fn set_payload_types(&mut self, out: PayloadTypes) {
        self.out = out;
    }

    /// Sets or clears an in-place transform applied to audio payloads (never to
    /// telephone events), e.g. µ-law to A-law when the legs negotiated different G.711
    /// laws. Codec code stays in the media crate; this crate only calls the hook.
    pub fn set_transcoder(&mut self, transcoder: Option<fn(&mut [u8])>) {
        self.transcoder = transcoder;
    }

    /// Counters for the RTCP sender reports of our leg.
    pub fn stats(&self) -> SenderStats {
        self.stats
    }

    /// Relays one datagram received on the other leg, whose payload types are
    /// `incoming`, at `now`. The rewritten packet is appended to `out` when the result
    /// is [`Forwarded::Sent`]; nothing is appended otherwise.
    ///
    /// Errors are the parse errors of [`parse_rtp`]: the datagram is not RTP.
    pub fn forward(
        &mut self,
        packet: &[u8],
        incoming: PayloadTypes,
        now: Instant,
        out: &mut Vec<u8>,
    ) -> Result<Forwarded, Error> {
        let packet = parse_rtp(packet)?;
        let h = packet.header;
        // The mapping is taken out while the packet is placed and put back afterwards.
        let (mut m, ext, newest, new_source) = match self.current.take() {
            Some(mut m) if m.ssrc == h.ssrc => match m.position(h.sequence) {
                Position::Newest(ext) => (m, ext, true, false),
                Position::Late(ext) => (m, ext, false, false),
                // RFC 3550 A.1: "Two sequential packets -- assume that the other side
                // restarted without telling us so just re-sync (i.e., pretend this was
                // the first packet)."
                Position::Jump if m.bad_seq == Some(h.sequence) => {
                    let (new, ext) = self.start(&h, now, m);
                    (new, ext, true, true)
                }
                Position::Jump => {
                    m.bad_seq = Some(h.sequence.wrapping_add(1));
                    self.current = Some(m);
                    return Ok(Forwarded::Dropped(Discard::SequenceJump));
                }
                Position::Stale => {
                    self.current = Some(m);
                    return Ok(Forwarded::Dropped(Discard::Stale));
                }
            },
            other => {
                if self.is_straggler(&h) {
                    self.current = other;
                    return Ok(Forwarded::Dropped(Discard::Stale));
                }
                if let Some(old) = other {
                    self.retire(old);
                }
                let (new, ext) = self.start_first(&h, now);
                (new, ext, true, true)
            }
        };
        if newest {
            m.advance(h.sequence);
        }
        let result = self.emit(&mut m, &packet, Slot { ext, newest }, incoming, now, out);
        self.current = Some(m);
        Ok(match result {
            Ok(header) => Forwarded::Sent { header, new_source },
            Err(discard) => Forwarded::Dropped(discard),
        })
    }

    /// Whether `h` is a late packet of the source we switched away from.
    fn is_straggler(&self, h: &RtpHeader) -> bool {
        self.previous.is_some_and(|(ssrc, highest)| {
            let delta = i64::from(h.sequence.wrapping_sub(highest.wire()) as i16);
            ssrc == h.ssrc && (-MAX_MISORDER..=0).contains(&delta)
        })
    }

    fn retire(&mut self, old: Mapping) {
        self.previous = old.seq.highest().map(|highest| (old.ssrc, highest));
    }

    /// Ends mapping `old` (a restart of the same source) and starts one at `h`.
    fn start(&mut self, h: &RtpHeader, now: Instant, old: Mapping) -> (Mapping, u64) {
        self.retire(old);
        self.start_first(h, now)
    }

    /// A new mapping whose first packet is `h`: it continues our sequence with no gap
    /// and our timestamp from where our clock is at `now`.
    fn start_first(&self, h: &RtpHeader, now: Instant) -> (Mapping, u64) {
        let mut seq = SeqExtender::new();
        let first_in = seq.extend(h.sequence).map_or(0, |s| s.0);
        let mapping = Mapping {
            ssrc: h.ssrc,
            seq,
            first_in,
            base_out: self.next_seq,
            dropped: BTreeSet::new(),
            pruned: 0,
            ts_offset: self.timestamp_at(now).wrapping_sub(h.timestamp),
            bad_seq: None,
            marker_pending: true,
        };
        (mapping, first_in)
    }

    /// Maps the payload type and writes the packet, or says why not.
    fn emit(
        &mut self,
        m: &mut Mapping,
        packet: &RtpPacket<'_>,
        Slot { ext, newest }: Slot,
        incoming: PayloadTypes,
        now: Instant,
        out: &mut Vec<u8>,
    ) -> Result<RtpHeader, Discard> {
        let h = &packet.header;
        // RFC 3550 §5.1: "A receiver MUST ignore packets with payload types that it does
        // not understand." Our leg's far end cannot understand them either.
        let (payload_type, is_event) = if h.payload_type == incoming.audio {
            (self.out.audio, false)
        } else if Some(h.payload_type) == incoming.event {
            let Some(pt) = self.out.event else {
                m.skip(ext, newest);
                return Err(Discard::NoEventPayloadType);
            };
            (pt, true)
        } else {
            m.skip(ext, newest);
            return Err(Discard::UnknownPayloadType(h.payload_type));
        };

        // RFC 3550 §5.1: "The sequence number increments by one for each RTP data packet
        // sent, and may be used by the receiver to detect packet loss"; mapping the
        // extended input number keeps the input's losses visible as ours.
        let seq = m.out_seq(ext);
        // RFC 3550 §5.1: "The sampling instant MUST be derived from a clock that
        // increments monotonically and linearly in time"; one offset per source keeps
        // the input's spacing, and the timestamp all packets of an RFC 4733 event share.
        let timestamp = h.timestamp.wrapping_add(m.ts_offset);
        // RFC 3551 §4.1: "the first packet of a talkspurt ... SHOULD be distinguished by
        // setting the marker bit in the RTP data header to one". A new source is a new
        // talkspurt for our far end; otherwise the input's marker (a talkspurt, or the
        // first packet of an event, RFC 4733 §2.5.1.2) is kept.
        let marker = std::mem::take(&mut m.marker_pending) || h.marker;
        let header = RtpHeader {
            marker,
            payload_type,
            sequence: seq as u16,
            timestamp,
            ssrc: self.ssrc,
        };

        let start = out.len();
        write_rtp(&header, packet.payload, out);
        if !is_event {
            if let Some(transcode) = self.transcoder {
                transcode(&mut out[start + RTP_HEADER_LEN..]);
            }
        }
        self.next_seq = self.next_seq.max(seq + 1);
        if newest {
            // RFC 4733 §2.3.5: "the event or segment began at the instant identified by
            // the RTP timestamp and has so far lasted as long as indicated by this
            // parameter", so an event packet's media time is its timestamp plus duration.
            let reached = match is_event.then(|| DtmfPayload::parse(packet.payload)) {
                Some(Ok(event)) => timestamp.wrapping_add(u32::from(event.duration)),
                _ => timestamp,
            };
            self.anchor = Some((reached, now));
        }
        // RFC 3550 §6.4.1: both counts wrap around modulo 2^32.
        self.stats.packets = self.stats.packets.wrapping_add(1);
        self.stats.octets = self.stats.octets.wrapping_add(packet.payload.len() as u32);
        self.stats.last_timestamp = Some(timestamp);
        Ok(header)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const PCMU: PayloadTypes = PayloadTypes {
        audio: 0,
        event: Some(101),
    };
    const OURS: PayloadTypes = PayloadTypes {
        audio: 8,
        event: Some(96),
    };
    const TICK: Duration = Duration::from_millis(20);

    fn relay() -> Relay {
        Relay::with_initial(Ssrc(0x0b), OURS, 8000, 1000, 50_000)
    }

    fn rtp(ssrc: u32, pt: u8, seq: u16, ts: u32, marker: bool, payload: &[u8]) -> Vec<u8> {
        let header = RtpHeader {
            marker,
            payload_type: pt,
            sequence: seq,
            timestamp: ts,
            ssrc: Ssrc(ssrc),
        };
        let mut out = Vec::new();
        write_rtp(&header, payload, &mut out);
        out
    }

    fn audio(ssrc: u32, seq: u16, ts: u32) -> Vec<u8> {
        rtp(ssrc, 0, seq, ts, false, &[seq as u8; 160])
    }

    /// Forwards and returns the sent header and payload, or the discard.
    fn fwd(r: &mut Relay, packet: &[u8], now: Instant) -> Result<(RtpHeader, Vec<u8>), Discard> {
        let mut out = Vec::new();
        match r.forward(packet, PCMU, now, &mut out).unwrap() {
            Forwarded::Sent { header, .. } => {
                let p = parse_rtp(&out).unwrap();
                assert_eq!(p.header, header);
                Ok((header, p.payload.to_vec()))
            }
            Forwarded::Dropped(d) => {
                assert!(out.is_empty());
                Err(d)
            }
        }
    }

    #[test]
    fn consecutive_packets_continue_our_sequence_and_timestamp_space() {
        let t0 = Instant::now();
        let mut r = relay();
        let mut sent = Vec::new();
        for i in 0..3u16 {
            let (h, p) = fwd(&mut r, &audio(7, 300 + i, 9000 + 160 * u32::from(i)), t0).unwrap();
            assert_eq!(p, vec![(300 + i) as u8; 160], "payload unchanged");
            sent.push(h);
        }
        let seqs: Vec<_> = sent.iter().map(|h| h.sequence).collect();
        let tss: Vec<_> = sent.iter().map(|h| h.timestamp).collect();
        assert_eq!(seqs, [1000, 1001, 1002]);
        assert_eq!(tss, [50_000, 50_160, 50_320]);
        assert!(sent
            .iter()
            .all(|h| h.ssrc == Ssrc(0x0b) && h.payload_type == 8));
        // The first packet of a new source is a talkspurt start; the rest are not.
        assert_eq!(
            sent.iter().map(|h| h.marker).collect::<Vec<_>>(),
            [true, false, false]
        );
        assert_eq!(r.stats().packets, 3);
        assert_eq!(r.stats().octets, 480);
        assert_eq!(r.next_sequence(), 1003);
    }

    #[test]
    fn a_loss_gap_is_preserved_and_late_packets_fill_it() {
        let t0 = Instant::now();
        let mut r = relay();
        let (a, _) = fwd(&mut r, &audio(7, 10, 0), t0).unwrap();
        // Packets 11, 12 and 13 are lost: a gap of three on both sides.
        let (b, _) = fwd(&mut r, &audio(7, 14, 640), t0 + TICK * 4).unwrap();
        assert_eq!(b.sequence.wrapping_sub(a.sequence), 4);
        assert_eq!(b.timestamp.wrapping_sub(a.timestamp), 640);
        // 12 turns up late: it lands in its own slot, and a duplicate repeats it.
        let (c, _) = fwd(&mut r, &audio(7, 12, 320), t0 + TICK * 5).unwrap();
        assert_eq!(
            (c.sequence, c.timestamp),
            (a.sequence + 2, a.timestamp + 320)
        );
        let (d, _) = fwd(&mut r, &audio(7, 12, 320), t0 + TICK * 5).unwrap();
        assert_eq!(d, c);
        assert_eq!(r.next_sequence(), b.sequence + 1);
        // Before the mapping's first packet there is no slot left.
        assert_eq!(
            fwd(&mut r, &audio(7, 9, 0), t0 + TICK * 5),
            Err(Discard::Stale)
        );
    }

    #[test]
    fn input_sequence_wrap_is_seamless() {
        let t0 = Instant::now();
        let mut r = relay();
        let seqs = [65533u16, 65534, 65535, 0, 2, 3];
        let out: Vec<_> = seqs
            .iter()
            .enumerate()
            .map(|(i, &s)| fwd(&mut r, &audio(7, s, 160 * i as u32), t0).unwrap().0)
            .map(|h| h.sequence)
            .collect();
        // Input 1 is lost across the wrap: one gap on ours too.
        assert_eq!(out, [1000, 1001, 1002, 1003, 1005, 1006]);
    }

    #[test]
    fn source_switch_marks_once_keeps_sequence_contiguous_and_timestamp_monotonic() {
        let t0 = Instant::now();
        let mut r = relay();
        let mut out = Vec::new();
        for i in 0..5u16 {
            out.push(fwd(
                &mut r,
                &audio(7, 100 + i, 160 * u32::from(i)),
                t0 + TICK * i.into(),
            ));
        }
        // The bridge switches to another leg 100 ms after our last packet: its stream
        // has unrelated numbers, and its sequence jumps backwards across our wrap.
        let t1 = t0 + TICK * 4 + Duration::from_millis(100);
        for i in 0..5u16 {
            let packet = audio(9, 65534u16.wrapping_add(i), 7_000_000 + 160 * u32::from(i));
            out.push(fwd(&mut r, &packet, t1 + TICK * i.into()));
        }
        let sent: Vec<_> = out.into_iter().map(|r| r.unwrap().0).collect();
        for pair in sent.windows(2) {
            assert_eq!(pair[1].sequence, pair[0].sequence.wrapping_add(1));
            assert!(pair[1].timestamp > pair[0].timestamp);
        }
        let markers: Vec<_> = sent.iter().map(|h| h.marker).collect();
        assert_eq!(
            markers,
            [true, false, false, false, false, true, false, false, false, false]
        );
        // Our clock ran on for the 100 ms since the last packet: 800 units, of which the
        // last packet's own 20 ms (160) and 80 ms of silence.
        assert_eq!(sent[5].timestamp - sent[4].timestamp, 800);
        assert_eq!(sent[6].timestamp - sent[5].timestamp, 160);
    }

    #[test]
    fn stragglers_of_the_previous_source_are_dropped_but_it_may_come_back() {
        let t0 = Instant::now();
        let mut r = relay();
        fwd(&mut r, &audio(7, 100, 0), t0).unwrap();
        fwd(&mut r, &audio(7, 101, 160), t0 + TICK).unwrap();
        let (b, _) = fwd(&mut r, &audio(9, 5000, 0), t0 + TICK * 2).unwrap();
        assert!(b.marker);
        // 99 of the old source arrives after the switch: it is old news.
        assert_eq!(
            fwd(&mut r, &audio(7, 99, 0), t0 + TICK * 2),
            Err(Discard::Stale)
        );
        // The bridge switches back: a new mapping, contiguous again.
        let (c, _) = fwd(&mut r, &audio(7, 150, 99_999), t0 + TICK * 3).unwrap();
        assert!(c.marker);
        assert_eq!(c.sequence, b.sequence + 1);
        assert_eq!(c.timestamp, b.timestamp + 160);
    }

    #[test]
    fn a_restart_without_a_new_ssrc_is_believed_after_two_sequential_packets() {
        let t0 = Instant::now();
        let mut r = relay();
        let (a, _) = fwd(&mut r, &audio(7, 100, 0), t0).unwrap();
        assert_eq!(
            fwd(&mut r, &audio(7, 40_000, 123), t0 + TICK),
            Err(Discard::SequenceJump)
        );
        let (b, _) = fwd(&mut r, &audio(7, 40_001, 283), t0 + TICK * 2).unwrap();
        assert!(b.marker);
        assert_eq!(b.sequence, a.sequence + 1);
        assert_eq!(b.timestamp, a.timestamp + 320);
    }

    #[test]
    fn telephone_events_keep_their_shared_timestamp_and_payload() {
        let t0 = Instant::now();
        let mut r = relay();
        fwd(&mut r, &audio(7, 1, 8000), t0).unwrap();
        let mut events = Vec::new();
        for i in 0..6u16 {
            let end = i >= 3;
            let payload = DtmfPayload {
                event: 5,
                end,
                volume: 10,
                duration: 160 * (i.min(3) + 1),
            };
            let mut body = Vec::new();
            payload.write(&mut body);
            let packet = rtp(7, 101, 2 + i, 8160, i == 0, &body);
            let (h, p) = fwd(&mut r, &packet, t0 + TICK * (u32::from(i) + 1)).unwrap();
            assert_eq!(p, body, "event payload, E bit and duration untouched");
            events.push(h);
        }
        assert!(events
            .iter()
            .all(|h| h.payload_type == 96 && h.timestamp == 50_160));
        let markers: Vec<_> = events.iter().map(|h| h.marker).collect();
        assert_eq!(markers, [true, false, false, false, false, false]);
        // The stream's clock after the event counts its duration (4 x 160 units).
        assert_eq!(r.timestamp_at(t0 + TICK * 6), 50_160 + 640);
    }

    #[test]
    fn a_switch_during_an_event_keeps_the_event_timestamp_shared() {
        let t0 = Instant::now();
        let mut r = relay();
        fwd(&mut r, &audio(7, 1, 0), t0).unwrap();
        let body = [5u8, 10, 0, 160];
        let (a, _) = fwd(&mut r, &rtp(9, 101, 50, 777, false, &body), t0 + TICK).unwrap();
        let (b, _) = fwd(&mut r, &rtp(9, 101, 51, 777, false, &body), t0 + TICK * 2).unwrap();
        assert!(a.marker && !b.marker);
        assert_eq!(a.timestamp, 50_160);
        assert_eq!(b.timestamp, a.timestamp);
    }

    #[test]
    fn payload_types_are_mapped_and_unknown_ones_dropped() {
        let t0 = Instant::now();
        let mut r = relay();
        let (a, _) = fwd(&mut r, &audio(7, 1, 0), t0).unwrap();
        assert_eq!(a.payload_type, 8);
        let (e, _) = fwd(&mut r, &rtp(7, 101, 2, 160, true, &[1, 0, 0, 160]), t0).unwrap();
        assert_eq!(e.payload_type, 96);
        // Comfort noise was not negotiated on the incoming leg: ignored, and not a loss.
        assert_eq!(
            fwd(&mut r, &rtp(7, 13, 3, 320, false, &[40]), t0),
            Err(Discard::UnknownPayloadType(13))
        );
        let (b, _) = fwd(&mut r, &audio(7, 4, 480), t0).unwrap();
        assert_eq!(b.sequence, e.sequence + 1);
        // After a re-negotiation our leg speaks PCMU.
        r.set_payload_types(PayloadTypes {
            audio: 0,
            event: None,
        });
        let (c, _) = fwd(&mut r, &audio(7, 5, 640), t0).unwrap();
        assert_eq!(c.payload_type, 0);
    }

    #[test]
    fn events_are_dropped_without_a_gap_when_our_leg_has_no_event_type() {
        let t0 = Instant::now();
        let mut r = Relay::with_initial(
            Ssrc(1),
            PayloadTypes {
                audio: 0,
                event: None,
            },
            8000,
            0,
            0,
        );
        let (a, _) = fwd(&mut r, &audio(7, 10, 0), t0).unwrap();
        for seq in 11..14 {
            let event = rtp(7, 101, seq, 160, seq == 11, &[1, 0, 0, 160]);
            assert_eq!(fwd(&mut r, &event, t0), Err(Discard::NoEventPayloadType));
        }
        // 15 arrives before 14: 14 still gets the slot right after `a`.
        let (c, _) = fwd(&mut r, &audio(7, 15, 800), t0).unwrap();
        let (b, _) = fwd(&mut r, &audio(7, 14, 640), t0).unwrap();
        assert_eq!((b.sequence, c.sequence), (a.sequence + 1, a.sequence + 2));
        assert_eq!(b.timestamp, a.timestamp + 640);
    }

    #[test]
    fn csrcs_extension_and_padding_are_dropped_and_the_payload_kept() {
        let t0 = Instant::now();
        let mut r = relay();
        let mut buf = vec![0x80 | 0x20 | 0x10 | 1, 0x80, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        buf.extend_from_slice(&[0xaa; 4]); // one CSRC
        buf.extend_from_slice(&[0xbe, 0xde, 0, 1, 1, 2, 3, 4]); // one-word extension
        buf.extend_from_slice(b"payload");
        buf.extend_from_slice(&[0, 2]); // two octets of padding
        let mut out = Vec::new();
        r.forward(&buf, PCMU, t0, &mut out).unwrap();
        assert_eq!(out[0], 0x80, "no padding, extension or CSRC");
        assert_eq!(&out[RTP_HEADER_LEN..], b"payload");
    }

    #[test]
    fn the_transcoder_hook_rewrites_audio_but_not_events() {
        let t0 = Instant::now();
        let mut r = relay();
        r.set_transcoder(Some(|p: &mut [u8]| p.iter_mut().for_each(|b| *b ^= 0x55)));
        let (_, a) = fwd(&mut r, &rtp(7, 0, 1, 0, false, &[0x00, 0xff]), t0).unwrap();
        assert_eq!(a, [0x55, 0xaa]);
        let (_, e) = fwd(&mut r, &rtp(7, 101, 2, 160, true, &[1, 0, 0, 160]), t0).unwrap();
        assert_eq!(e, [1, 0, 0, 160]);
    }

    #[test]
    fn a_datagram_that_is_not_rtp_is_a_named_error() {
        let t0 = Instant::now();
        let mut r = relay();
        let mut out = Vec::new();
        assert_eq!(
            r.forward(&[0x80, 0, 0], PCMU, t0, &mut out),
            Err(Error::RtpTooShort(3))
        );
        // A STUN binding request (first two bits 00) on the media port.
        let stun = [0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 0, 0, 0, 0];
        assert_eq!(
            r.forward(&stun, PCMU, t0, &mut out),
            Err(Error::RtpBadVersion(0))
        );
        assert!(out.is_empty());
        assert_eq!(r.stats().packets, 0);
    }
}
