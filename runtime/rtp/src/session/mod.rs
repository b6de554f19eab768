//! One leg's RTP session, sans-IO: what the node's media task used to do by hand.
//!
//! The session receives datagrams and the time as arguments and hands back what to send
//! ([`RtpSession::poll_transmit`]), what happened ([`RtpSession::poll_event`]) and when
//! to call it next ([`RtpSession::poll_timeout`]); it never owns a socket or reads a
//! clock, so every rule below is tested in virtual time (`tests/session.rs`).
//!
//! What it does:
//! - **Latching**: media goes to the address the SDP names until the first valid packet,
//!   then to where that packet came from ([`Latch`], RFC 4961 symmetric RTP);
//! - **Pacing**: every 20 ms it pulls one encoded frame from a [`FrameSource`] and sends
//!   it in its stream ([`RtpSender`]), or advances its clock without sending on hold;
//! - **Digits**: received RFC 4733 events become [`RtpEvent::Digit`]; `sendDigits`
//!   keys replace the audio while they are sent ([`RtpSession::send_digits`]);
//! - **RTCP**: a sender or receiver report every 5 s, with the reception statistics of
//!   the source we receive (RFC 3550 §6);
//! - **Bridging**: while bridged, every packet received is handed out as
//!   [`RtpEvent::ToPeer`] for the other leg's session, and packets from the other leg
//!   ([`RtpSession::relay_in`]) go out rewritten into this leg's stream ([`Relay`]);
//! - **Playout**: when asked ([`RtpSession::set_playout`]), the jitter buffer's frame
//!   of every tick is handed out as [`RtpEvent::Playout`] for a decoder (a transcoded
//!   bridge, a recorder, a stream).
//!
//! Codecs stay out of this crate: the frame source encodes, the playout consumer
//! decodes, and the bridge's µ-law ↔ A-law conversion is a hook the caller passes with
//! each relayed packet. The media clock is the codec's ([`RtpParams::clock_rate`]).

mod digits;
mod report;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::{
    parse_rtp, rtp_units, DtmfDetector, Forwarded, Frame, JitterBuffer, JitterStats, Latch,
    PayloadTypes, ReceiveStats, Relay, RtpSender, Ssrc,
};
use digits::Digits;
use report::Reports;

/// One frame period: the pacing tick.
pub const FRAME: Duration = Duration::from_millis(20);
/// Frames the jitter buffer holds before playout.
const JITTER_DEPTH: usize = 3;
/// Ticks this far behind the time they are handled at are skipped (the clock advances,
/// nothing is sent): after a stall, a burst of stale frames would only overflow the far
/// end's jitter buffer.
const MAX_LAG: Duration = Duration::from_millis(100);
/// A telephone-event stream quiet for this long has ended: a digit whose end packets
/// were all lost is reported then (see [`DtmfDetector::flush`]).
const DTMF_QUIET: Duration = Duration::from_millis(200);

/// What the negotiation decided for the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpParams {
    /// The address the SDP names (`None` on hold with c=0.0.0.0).
    pub remote: Option<SocketAddr>,
    /// The negotiated audio and telephone-event payload types.
    pub payload_types: PayloadTypes,
    /// The audio codec's RTP clock rate (8000 for G.711, 48000 for Opus).
    pub clock_rate: u32,
    /// Whether we send media (false before answer and while the far end holds us).
    pub sending: bool,
}

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Where to.
    pub destination: SocketAddr,
    /// Whether it goes out of the RTCP socket rather than the RTP one.
    pub rtcp: bool,
    /// The datagram.
    pub contents: Vec<u8>,
}

/// What the session reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RtpEvent {
    /// The far end pressed a key (RFC 4733).
    Digit(char),
    /// While bridged: a packet received from our far end, as it came, for the other
    /// leg's session ([`RtpSession::relay_in`] there).
    ToPeer {
        /// The datagram.
        packet: Vec<u8>,
        /// What its payload types mean on our leg.
        payload_types: PayloadTypes,
    },
    /// With playout on: this tick's frame from the jitter buffer, to decode (a lost
    /// one to conceal).
    Playout {
        /// The frame.
        frame: Frame,
        /// When `frame` is lost: the payload of the packet after it, if it is already
        /// here (Opus carries the lost frame's in-band FEC in it).
        next: Option<Vec<u8>>,
    },
}

/// Where the session's outgoing audio comes from, one frame per tick.
pub trait FrameSource {
    /// Appends the next 20 ms frame, encoded for the negotiated audio payload type, to
    /// `out`. Called once per tick while the session plays its own audio, also on hold
    /// (the frame is then dropped) so that a sound keeps its pace.
    fn next_frame(&mut self, out: &mut Vec<u8>);
}

impl<F: FnMut(&mut Vec<u8>)> FrameSource for F {
    fn next_frame(&mut self, out: &mut Vec<u8>) {
        self(out)
    }
}

/// Our outgoing stream: our own audio, or the other leg's packets while bridged. Both
/// continue one SSRC, sequence and timestamp space.
#[derive(Debug)]
enum Outgoing {
    Own(RtpSender),
    Relay(Relay),
}

/// One leg's RTP session.
#[derive(Debug)]
pub struct RtpSession {
    params: RtpParams,
    latch: Latch,
    outgoing: Outgoing,
    digits: Digits,
    dtmf: DtmfDetector,
    /// When the last telephone-event packet arrived.
    last_event: Option<Instant>,
    jitter: JitterBuffer,
    /// Whether each tick's jitter buffer frame is handed out.
    playout: bool,
    received: ReceiveStats,
    reports: Reports,
    /// The epoch of arrival times for the jitter estimate.
    started: Instant,
    next_tick: Instant,
    transmits: VecDeque<Transmit>,
    events: VecDeque<RtpEvent>,
}

impl RtpSession {
    /// A session starting at `now`, with a random SSRC, sequence number and timestamp.
    /// `unix_time` is the wall-clock time at `now` (since the Unix epoch): sender reports
    /// carry it, advanced by the `now`s handed in later.
    pub fn new(params: RtpParams, now: Instant, unix_time: Duration) -> Self {
        let sender = RtpSender::new(
            Ssrc::random(),
            params.payload_types.audio,
            params.clock_rate,
        );
        Self::with_sender(params, now, unix_time, sender)
    }

    /// Like [`RtpSession::new`], continuing `sender`'s stream (and for tests that want
    /// known numbers).
    pub fn with_sender(
        params: RtpParams,
        now: Instant,
        unix_time: Duration,
        sender: RtpSender,
    ) -> Self {
        RtpSession {
            latch: Latch::new(params.remote),
            outgoing: Outgoing::Own(sender),
            digits: Digits::default(),
            dtmf: DtmfDetector::new(),
            last_event: None,
            jitter: JitterBuffer::new(JITTER_DEPTH, FRAME),
            playout: false,
            received: ReceiveStats::new(),
            reports: Reports::new(now, unix_time),
            started: now,
            // The first frame goes out at once, as a tokio interval's first tick.
            next_tick: now,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            params,
        }
    }

    /// Our SSRC.
    pub fn ssrc(&self) -> Ssrc {
        match &self.outgoing {
            Outgoing::Own(s) => s.ssrc(),
            Outgoing::Relay(r) => r.ssrc(),
        }
    }

    /// Where media goes now (the SDP address, or the latched one).
    pub fn remote(&self) -> Option<SocketAddr> {
        self.latch.remote()
    }

    /// The negotiated parameters in force.
    pub fn params(&self) -> RtpParams {
        self.params
    }

    /// Whether the outgoing stream carries the other leg's packets.
    pub fn is_bridged(&self) -> bool {
        matches!(self.outgoing, Outgoing::Relay(_))
    }

    /// Reception statistics of the source we receive.
    pub fn received(&self) -> &ReceiveStats {
        &self.received
    }

    /// Samples in one frame period at the stream's clock rate.
    pub fn frame_samples(&self) -> u32 {
        self.params.clock_rate / 50
    }

    /// Hand each tick's received frame out as [`RtpEvent::Playout`] (on), or only
    /// keep the buffer's accounting (off, the default).
    pub fn set_playout(&mut self, on: bool) {
        self.playout = on;
    }

    /// The playout buffer's counters.
    pub fn jitter_stats(&self) -> JitterStats {
        self.jitter.stats()
    }

    /// A new negotiation (re-INVITE, answer, hold). The stream continues; a new
    /// address restarts the latching from it.
    pub fn configure(&mut self, params: RtpParams) {
        if params.remote != self.params.remote {
            self.latch.reset(params.remote);
        }
        match &mut self.outgoing {
            Outgoing::Own(s) => {
                s.set_payload_type(params.payload_types.audio);
                s.set_clock_rate(params.clock_rate);
            }
            Outgoing::Relay(r) => r.set_payload_types(params.payload_types),
        }
        self.params = params;
    }

    /// Start carrying the other leg's packets ([`RtpSession::relay_in`]) instead of our
    /// own audio, and handing what we receive out as [`RtpEvent::ToPeer`]. Our stream
    /// continues: same SSRC, next sequence number, current timestamp.
    pub fn bridge(&mut self) {
        if let Outgoing::Own(sender) = &self.outgoing {
            self.reports.carry(sender.stats());
            self.outgoing = Outgoing::Relay(Relay::with_initial(
                sender.ssrc(),
                self.params.payload_types,
                self.params.clock_rate,
                sender.next_sequence(),
                sender.timestamp(),
            ));
        }
    }

    /// Stop the bridge: our own audio continues the relayed stream at `now`.
    pub fn unbridge(&mut self, now: Instant) {
        if let Outgoing::Relay(relay) = &self.outgoing {
            self.reports.carry(relay.stats());
            // The relay's clock stands at the start of its newest packet plus the time
            // since; our first frame must not overlap that packet's own 20 ms.
            let mut timestamp = relay.timestamp_at(now);
            if let Some(last) = relay.stats().last_timestamp {
                let end = last.wrapping_add(self.frame_samples());
                if (end.wrapping_sub(timestamp) as i32) > 0 {
                    timestamp = end;
                }
            }
            self.outgoing = Outgoing::Own(RtpSender::with_initial(
                relay.ssrc(),
                self.params.payload_types.audio,
                self.params.clock_rate,
                relay.next_sequence(),
                timestamp,
            ));
        }
    }

    /// Queue `sendDigits` keys (`0-9*#A-D`, `w` for half a second of pause). They are
    /// sent as RFC 4733 events in place of our audio, one packet per tick, while we are
    /// not bridged; without a negotiated telephone-event they are dropped.
    pub fn send_digits(&mut self, digits: &str) {
        self.digits.push(digits);
    }

    /// A datagram that arrived on the RTP socket from `src` at `now`.
    pub fn receive_rtp(&mut self, now: Instant, src: SocketAddr, datagram: &[u8]) {
        let Ok(packet) = parse_rtp(datagram) else {
            return;
        };
        let pts = self.params.payload_types;
        let pt = packet.header.payload_type;
        let is_event = Some(pt) == pts.event;
        let expected = pt == pts.audio || is_event;
        // Latching rationale (RFC 4961 §3, see [`Latch`]): phones behind NAT advertise
        // private addresses, so we answer to where their media comes from; only packets
        // of the negotiated stream may move the latch, and a packet from a source we are
        // not latched to is not ours to play, detect or relay.
        if !self.latch.on_packet(src, expected) || !expected {
            return;
        }
        let arrival = rtp_units(
            now.saturating_duration_since(self.started),
            self.params.clock_rate,
        );
        self.received.update(&packet.header, arrival);
        if self.is_bridged() {
            self.events.push_back(RtpEvent::ToPeer {
                packet: datagram.to_vec(),
                payload_types: pts,
            });
        }
        if is_event {
            self.last_event = Some(now);
            if let Some(d) = self.dtmf.push(&packet.header, packet.payload) {
                self.events.push_back(RtpEvent::Digit(d));
            }
        } else if self.playout || !self.is_bridged() {
            // A relayed packet is not played here; nothing needs it buffered unless a
            // decoder reads the playout.
            self.jitter.push(&packet.header, packet.payload, now);
        }
    }

    /// A datagram that arrived on the RTCP socket at `now`.
    ///
    /// The peer's sender reports give the LSR/DLSR fields of our reception reports
    /// (RFC 3550 §6.4.1), from which it computes the round-trip time.
    pub fn receive_rtcp(&mut self, now: Instant, datagram: &[u8]) {
        let Ok(packets) = crate::parse_rtcp(datagram) else {
            return;
        };
        for p in packets {
            if let crate::RtcpPacket::SenderReport(sr) = p {
                self.received.on_sender_report(sr.ntp_timestamp, now);
            }
        }
    }

    /// A packet the bridged leg received (its [`RtpEvent::ToPeer`]), with what its
    /// payload types mean there: out to our far end, rewritten into our stream. Audio
    /// payloads go through `transcoder` when the legs' codecs differ (e.g. µ-law to
    /// A-law). Dropped unless we are bridged, know where to send and are sending.
    pub fn relay_in(
        &mut self,
        now: Instant,
        packet: &[u8],
        from: PayloadTypes,
        transcoder: Option<fn(&mut [u8])>,
    ) {
        let Outgoing::Relay(relay) = &mut self.outgoing else {
            return;
        };
        let Some(destination) = self.latch.remote().filter(|_| self.params.sending) else {
            return;
        };
        relay.set_transcoder(transcoder);
        let mut contents = Vec::with_capacity(packet.len());
        if let Ok(Forwarded::Sent { .. }) = relay.forward(packet, from, now, &mut contents) {
            self.transmits.push_back(Transmit {
                destination,
                rtcp: false,
                contents,
            });
        }
    }

    /// Time passed: run the 20 ms ticks due by `now` (pulling our audio from `source`)
    /// and the RTCP report if due.
    pub fn handle_timeout(&mut self, now: Instant, source: &mut impl FrameSource) {
        while self.next_tick <= now {
            let at = self.next_tick;
            self.next_tick += FRAME;
            if now.saturating_duration_since(at) > MAX_LAG {
                let samples = self.frame_samples();
                if let Outgoing::Own(s) = &mut self.outgoing {
                    s.skip(samples);
                }
                continue;
            }
            self.tick(at, source);
        }
        if let Some(remote) = self.latch.remote() {
            if let Some(t) = self
                .reports
                .poll(now, remote, &self.outgoing, &mut self.received)
            {
                self.transmits.push_back(t);
            }
        }
    }

    /// When to call [`RtpSession::handle_timeout`] next: the next 20 ms tick. An RTCP
    /// report goes out at the first call at or after it is due, once we know where to
    /// send it (the schedule is a multiple of the tick, so no extra wake-up is needed).
    pub fn poll_timeout(&self) -> Option<Instant> {
        Some(self.next_tick)
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<RtpEvent> {
        self.events.pop_front()
    }

    fn tick(&mut self, at: Instant, source: &mut impl FrameSource) {
        // One frame out per tick, consumed or not, keeps the buffer's loss and jitter
        // accounting current.
        if let Some(frame) = self.jitter.pop(at) {
            if self.playout {
                let next = frame
                    .lost
                    .then(|| self.jitter.peek_next().map(<[u8]>::to_vec))
                    .flatten();
                self.events.push_back(RtpEvent::Playout { frame, next });
            }
        }
        let samples = self.frame_samples();
        if self
            .last_event
            .is_some_and(|t| at.saturating_duration_since(t) >= DTMF_QUIET)
        {
            self.last_event = None;
            while let Some(d) = self.dtmf.flush() {
                self.events.push_back(RtpEvent::Digit(d));
            }
        }
        // While bridged the other leg's packets are our stream.
        let Outgoing::Own(sender) = &mut self.outgoing else {
            return;
        };
        let remote = self.latch.remote().filter(|_| self.params.sending);
        if let Some(destination) = remote {
            let mut contents = Vec::new();
            let event_pt = self.params.payload_types.event;
            if self
                .digits
                .turn(sender, event_pt, at, samples, &mut contents)
            {
                if !contents.is_empty() {
                    self.transmits.push_back(Transmit {
                        destination,
                        rtcp: false,
                        contents,
                    });
                }
                return;
            }
        }
        let mut payload = Vec::with_capacity(samples as usize);
        source.next_frame(&mut payload);
        let Some(destination) = remote else {
            sender.skip(samples);
            return;
        };
        let mut contents = Vec::with_capacity(payload.len() + crate::packet::RTP_HEADER_LEN);
        sender.audio(&payload, samples, &mut contents);
        self.transmits.push_back(Transmit {
            destination,
            rtcp: false,
            contents,
        });
    }
}
