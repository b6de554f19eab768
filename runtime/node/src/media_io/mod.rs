//! One media task per call: paces 20 ms G.711 frames out of the RTP socket, latches to the
//! caller's source address, detects RFC 4733 digits, and sends RTCP sender reports.

mod bridge;
mod play;

pub use bridge::{MediaLink, Relayed};

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use switchyard_call::MediaToken;
use switchyard_media::{g711, AudioStream, FRAME_SAMPLES};
use switchyard_rtp::stats::{rtp_units, ReceiveStats};
use switchyard_rtp::{
    parse_rtp, write_receiver_report, write_sender_report, DtmfDetector, JitterBuffer, Latch,
    ReceiverReport, RtpSender, SenderReport, Ssrc,
};
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;

use crate::ports::MediaSockets;
use play::Player;

/// RFC 3550 §6.2: the recommended minimum interval between RTCP reports.
const RTCP_INTERVAL: Duration = Duration::from_secs(5);
const FRAME: Duration = Duration::from_millis(20);
/// How long each `sendDigits` key is pressed.
const DIGIT_MS: u32 = 160;

/// What the negotiation decided for the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaParams {
    /// The address the SDP names (None on hold with c=0.0.0.0).
    pub remote: Option<SocketAddr>,
    pub codec: g711::G711,
    pub payload_type: u8,
    pub telephone_event: Option<u8>,
    /// Whether we send media (false before answer and while the caller holds us).
    pub sending: bool,
}

#[derive(Debug)]
pub enum MediaCommand {
    Configure(MediaParams),
    Play {
        token: MediaToken,
        stream: AudioStream,
        repeat: u32,
    },
    Stop,
    /// Relay media both ways with another leg's task (`None`: stop, and play again).
    Bridge(Option<MediaLink>),
    /// Send DTMF as RFC 4733 events (`w`: half a second of pause).
    Digits(String),
}

/// What the media task reports to its session.
#[derive(Debug)]
pub enum MediaEvent {
    Digit(char),
    Done(MediaToken),
    Failed(MediaToken, String),
}

/// The session's handle on its media task; dropping it ends the task.
#[derive(Debug)]
pub struct MediaHandle {
    link: MediaLink,
    pub port: u16,
}

impl MediaHandle {
    pub fn send(&self, cmd: MediaCommand) {
        self.link.send(cmd);
    }

    /// How another call's session reaches this task (to bridge it).
    pub fn link(&self) -> MediaLink {
        self.link.clone()
    }
}

/// Start the media task of one call on the media runtime (`runtime`), away from the
/// signalling, webhook and HTTP work, so pacing does not wait behind them. Its ports
/// return to the pool when it ends.
pub fn spawn(
    runtime: &tokio::runtime::Handle,
    sockets: MediaSockets,
    params: MediaParams,
    events: mpsc::UnboundedSender<MediaEvent>,
    on_exit: impl FnOnce(u16) + Send + 'static,
) -> MediaHandle {
    let (tx, rx) = mpsc::unbounded_channel();
    let (inbox, inbox_rx) = mpsc::unbounded_channel();
    let port = sockets.port;
    runtime.spawn(async move {
        let MediaSockets { rtp, rtcp, port } = sockets;
        match (
            tokio::net::UdpSocket::from_std(rtp),
            tokio::net::UdpSocket::from_std(rtcp),
        ) {
            (Ok(rtp), Ok(rtcp)) => {
                let mut task = MediaTask::new(params, events);
                task.run(&rtp, &rtcp, rx, inbox_rx).await;
            }
            (Err(e), _) | (_, Err(e)) => tracing::error!(error = %e, "media sockets unusable"),
        }
        on_exit(port);
    });
    MediaHandle {
        link: MediaLink {
            commands: tx,
            inbox,
        },
        port,
    }
}

struct MediaTask {
    params: MediaParams,
    events: mpsc::UnboundedSender<MediaEvent>,
    sender: RtpSender,
    latch: Latch,
    dtmf: DtmfDetector,
    jitter: JitterBuffer,
    received: ReceiveStats,
    started: Instant,
    player: Player,
    pcm: [i16; FRAME_SAMPLES],
    payload: Vec<u8>,
    packet: Vec<u8>,
    next_rtcp: Instant,
    bridge: Option<bridge::Bridge>,
    /// Digits still to send (`sendDigits`), with the time the next may start.
    digits: std::collections::VecDeque<char>,
    digits_after: Instant,
}

impl MediaTask {
    fn new(params: MediaParams, events: mpsc::UnboundedSender<MediaEvent>) -> Self {
        Self {
            sender: RtpSender::new(Ssrc::random(), params.payload_type, 8000),
            latch: Latch::new(params.remote),
            dtmf: DtmfDetector::new(),
            jitter: JitterBuffer::new(3, FRAME),
            received: ReceiveStats::new(),
            started: Instant::now(),
            player: Player::default(),
            pcm: [0; FRAME_SAMPLES],
            payload: Vec::with_capacity(FRAME_SAMPLES),
            packet: Vec::with_capacity(FRAME_SAMPLES + 12),
            next_rtcp: Instant::now() + RTCP_INTERVAL,
            bridge: None,
            digits: Default::default(),
            digits_after: Instant::now(),
            params,
            events,
        }
    }

    async fn run(
        &mut self,
        rtp: &tokio::net::UdpSocket,
        rtcp: &tokio::net::UdpSocket,
        mut commands: mpsc::UnboundedReceiver<MediaCommand>,
        mut inbox: mpsc::UnboundedReceiver<Relayed>,
    ) {
        let mut tick = tokio::time::interval(FRAME);
        tick.set_missed_tick_behavior(MissedTickBehavior::Burst);
        let mut buf = [0u8; 2048];
        let mut rtcp_buf = [0u8; 2048];
        loop {
            tokio::select! {
                _ = tick.tick() => self.tick(rtp, rtcp).await,
                r = rtp.recv_from(&mut buf) => {
                    if let Ok((n, src)) = r {
                        self.receive(src, &buf[..n]);
                    }
                }
                Some(packet) = inbox.recv() => self.relayed(rtp, &packet).await,
                r = rtcp.recv_from(&mut rtcp_buf) => {
                    if let Ok((n, _)) = r {
                        self.receive_rtcp(&rtcp_buf[..n]);
                    }
                }
                cmd = commands.recv() => match cmd {
                    Some(cmd) => self.command(cmd),
                    None => break,
                },
            }
        }
    }

    fn command(&mut self, cmd: MediaCommand) {
        match cmd {
            MediaCommand::Configure(p) => {
                if p.remote != self.params.remote {
                    self.latch.reset(p.remote);
                }
                self.sender.set_payload_type(p.payload_type);
                self.params = p;
            }
            MediaCommand::Play {
                token,
                stream,
                repeat,
            } => self.player.play(token, stream, repeat),
            MediaCommand::Stop => self.player.stop(),
            MediaCommand::Bridge(Some(peer)) => {
                self.player.stop();
                self.bridge = Some(bridge::Bridge::new(&peer, &self.sender, &self.params));
            }
            MediaCommand::Bridge(None) => {
                if let Some(b) = self.bridge.take() {
                    self.sender = b.into_sender(&self.params, Instant::now());
                }
            }
            MediaCommand::Digits(digits) => self.digits.extend(digits.chars()),
        }
    }

    /// A packet the bridged leg received: out through our socket, in our stream.
    async fn relayed(&mut self, rtp: &tokio::net::UdpSocket, packet: &Relayed) {
        let (Some(bridge), Some(remote)) = (self.bridge.as_mut(), self.latch.remote()) else {
            return;
        };
        if !self.params.sending {
            return;
        }
        if bridge.rewrite(packet, &self.params, Instant::now(), &mut self.packet) {
            let _ = rtp.send_to(&self.packet, remote).await;
        }
    }

    fn receive(&mut self, src: SocketAddr, data: &[u8]) {
        let Ok(packet) = parse_rtp(data) else {
            return;
        };
        let expected = packet.header.payload_type == self.params.payload_type
            || Some(packet.header.payload_type) == self.params.telephone_event;
        if !self.latch.on_packet(src, expected) || !expected {
            return;
        }
        let arrival = rtp_units(self.started.elapsed(), 8000);
        self.received.update(&packet.header, arrival);
        if let Some(b) = &self.bridge {
            if !b.pass_on(data, &self.params) {
                self.bridge = None;
            }
        }
        if Some(packet.header.payload_type) == self.params.telephone_event {
            if let Some(d) = self.dtmf.push(&packet.header, packet.payload) {
                let _ = self.events.send(MediaEvent::Digit(d));
            }
        } else {
            self.jitter
                .push(&packet.header, packet.payload, Instant::now());
        }
    }

    /// The peer's sender reports give the LSR/DLSR fields of our reception reports
    /// (RFC 3550 §6.4.1), from which it computes the round-trip time.
    fn receive_rtcp(&mut self, data: &[u8]) {
        let Ok(packets) = switchyard_rtp::parse_rtcp(data) else {
            return;
        };
        for p in packets {
            if let switchyard_rtp::RtcpPacket::SenderReport(sr) = p {
                self.received
                    .on_sender_report(sr.ntp_timestamp, Instant::now());
            }
        }
    }

    async fn tick(&mut self, rtp: &tokio::net::UdpSocket, rtcp: &tokio::net::UdpSocket) {
        let now = Instant::now();
        // Nothing consumes received audio yet (no recording or mixing); one frame out per
        // tick keeps the buffer's loss and jitter accounting current.
        let _ = self.jitter.pop(now);
        let (remote, sending) = (self.latch.remote(), self.params.sending);
        if self.bridge.is_some() {
            // The other leg's packets are our stream now.
            if let Some(remote) = remote.filter(|_| now >= self.next_rtcp) {
                self.next_rtcp = now + RTCP_INTERVAL;
                self.send_receiver_report(rtcp, remote, now).await;
            }
            return;
        }
        if let Some(remote) = remote.filter(|_| sending) {
            if self.send_digit(rtp, remote, now).await {
                return;
            }
        }
        let outcome = self.player.next_frame(&mut self.pcm);
        if let Some(ev) = outcome {
            let _ = self.events.send(ev);
        }
        let Some(remote) = remote.filter(|_| sending) else {
            self.sender.skip(FRAME_SAMPLES as u32);
            // RFC 3550 §6.4.2: a participant that has not sent data since the last
            // report sends receiver reports.
            if let Some(remote) = remote.filter(|_| now >= self.next_rtcp) {
                self.next_rtcp = now + RTCP_INTERVAL;
                self.send_receiver_report(rtcp, remote, now).await;
            }
            return;
        };
        self.payload.clear();
        g711::encode_frame(self.params.codec, &self.pcm, &mut self.payload);
        self.packet.clear();
        self.sender
            .audio(&self.payload, FRAME_SAMPLES as u32, &mut self.packet);
        let _ = rtp.send_to(&self.packet, remote).await;
        if now >= self.next_rtcp {
            self.next_rtcp = now + RTCP_INTERVAL;
            self.send_report(rtcp, remote, now).await;
        }
    }

    /// While `sendDigits` has digits left, they replace the audio: one RFC 4733 packet
    /// per frame. True when this tick's packet was a digit's (or its pause).
    async fn send_digit(
        &mut self,
        rtp: &tokio::net::UdpSocket,
        remote: SocketAddr,
        now: Instant,
    ) -> bool {
        let Some(event_pt) = self.params.telephone_event else {
            self.digits.clear();
            return false;
        };
        if !self.sender.dtmf_active() {
            if now < self.digits_after {
                self.sender.skip(FRAME_SAMPLES as u32);
                return true;
            }
            match self.digits.pop_front() {
                None => return false,
                Some('w') => {
                    self.digits_after = now + Duration::from_millis(500);
                    self.sender.skip(FRAME_SAMPLES as u32);
                    return true;
                }
                Some(d) => {
                    if self.sender.start_dtmf(event_pt, d, DIGIT_MS).is_err() {
                        return false;
                    }
                    self.digits_after = now + Duration::from_millis(u64::from(DIGIT_MS) + 80);
                }
            }
        }
        self.packet.clear();
        if self
            .sender
            .next_dtmf_packet(FRAME_SAMPLES as u32, &mut self.packet)
        {
            let _ = rtp.send_to(&self.packet, remote).await;
        }
        true
    }

    async fn send_report(
        &mut self,
        rtcp: &tokio::net::UdpSocket,
        remote: SocketAddr,
        now: Instant,
    ) {
        let stats = self.sender.stats();
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let sr = SenderReport {
            ssrc: self.sender.ssrc(),
            ntp_timestamp: switchyard_rtp::ntp_timestamp(since_epoch),
            rtp_timestamp: self.sender.timestamp(),
            packet_count: stats.packets,
            octet_count: stats.octets,
            reports: self.received.report_block(now).into_iter().collect(),
        };
        let mut out = Vec::with_capacity(96);
        write_sender_report(&sr, "switchyard", &mut out);
        let _ = rtcp.send_to(&out, rtcp_peer(remote)).await;
    }

    async fn send_receiver_report(
        &mut self,
        rtcp: &tokio::net::UdpSocket,
        remote: SocketAddr,
        now: Instant,
    ) {
        let rr = ReceiverReport {
            ssrc: self.sender.ssrc(),
            reports: self.received.report_block(now).into_iter().collect(),
        };
        let mut out = Vec::with_capacity(64);
        write_receiver_report(&rr, "switchyard", &mut out);
        let _ = rtcp.send_to(&out, rtcp_peer(remote)).await;
    }
}

/// RFC 3550 §11: RTCP goes to the next higher (odd) port when SDP names no other.
fn rtcp_peer(rtp: SocketAddr) -> SocketAddr {
    SocketAddr::new(rtp.ip(), rtp.port().wrapping_add(1))
}
