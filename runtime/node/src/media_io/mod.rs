//! One media task per call: the sockets, the clock and the channels around the leg's
//! sans-IO [`RtpSession`] (latching, pacing, RFC 4733 digits, RTCP, bridging), and the
//! sound it plays, encoded to G.711 one 20 ms frame at a time when the session asks.

mod bridge;
mod play;

pub use bridge::{MediaLink, Relayed};

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use switchyard_call::MediaToken;
use switchyard_media::{g711, AudioStream, FRAME_SAMPLES};
use switchyard_rtp::{PayloadTypes, RtpEvent, RtpParams, RtpSession};
use tokio::sync::mpsc;

use crate::ports::MediaSockets;
use play::Player;

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
}

impl MediaParams {
    fn rtp(&self) -> RtpParams {
        RtpParams {
            remote: self.remote,
            payload_types: PayloadTypes {
                audio: self.payload_type,
                event: self.telephone_event,
            },
            sending: self.sending,
        }
    }
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
    }
}

struct MediaTask {
    session: RtpSession,
    codec: g711::G711,
    player: Player,
    events: mpsc::UnboundedSender<MediaEvent>,
    /// The bridged leg's relay inbox, where what we receive goes.
    peer: Option<mpsc::UnboundedSender<Relayed>>,
}

impl MediaTask {
    fn new(params: MediaParams, events: mpsc::UnboundedSender<MediaEvent>) -> Self {
        let unix_time = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Self {
            session: RtpSession::new(params.rtp(), Instant::now(), unix_time),
            codec: params.codec,
            player: Player::default(),
            events,
            peer: None,
        }
    }

    async fn run(
        &mut self,
        rtp: &tokio::net::UdpSocket,
        rtcp: &tokio::net::UdpSocket,
        mut commands: mpsc::UnboundedReceiver<MediaCommand>,
        mut inbox: mpsc::UnboundedReceiver<Relayed>,
    ) {
        let mut buf = [0u8; 2048];
        let mut rtcp_buf = [0u8; 2048];
        let mut deadline = self.deadline();
        let wake = tokio::time::sleep_until(deadline.into());
        tokio::pin!(wake);
        loop {
            tokio::select! {
                () = &mut wake => self.timeout(),
                r = rtp.recv_from(&mut buf) => {
                    if let Ok((n, src)) = r {
                        self.session.receive_rtp(Instant::now(), src, &buf[..n]);
                    }
                }
                Some(packet) = inbox.recv() => self.relayed(&packet),
                r = rtcp.recv_from(&mut rtcp_buf) => {
                    if let Ok((n, _)) = r {
                        self.session.receive_rtcp(Instant::now(), &rtcp_buf[..n]);
                    }
                }
                cmd = commands.recv() => match cmd {
                    Some(cmd) => self.command(cmd),
                    None => break,
                },
            }
            self.events();
            while let Some(t) = self.session.poll_transmit() {
                let socket = if t.rtcp { rtcp } else { rtp };
                let _ = socket.send_to(&t.contents, t.destination).await;
            }
            let next = self.deadline();
            if next != deadline {
                deadline = next;
                wake.as_mut().reset(deadline.into());
            }
        }
    }

    fn deadline(&self) -> Instant {
        // The session always has a next tick; an hour is "never" should that change.
        self.session
            .poll_timeout()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600))
    }

    /// The session's tick: it pulls our next frame, if it plays our own audio.
    fn timeout(&mut self) {
        let Self {
            session,
            codec,
            player,
            events,
            ..
        } = self;
        session.handle_timeout(Instant::now(), &mut |out: &mut Vec<u8>| {
            let mut pcm = [0; FRAME_SAMPLES];
            if let Some(ev) = player.next_frame(&mut pcm) {
                let _ = events.send(ev);
            }
            g711::encode_frame(*codec, &pcm, out);
        });
    }

    fn events(&mut self) {
        while let Some(ev) = self.session.poll_event() {
            match ev {
                RtpEvent::Digit(d) => {
                    let _ = self.events.send(MediaEvent::Digit(d));
                }
                RtpEvent::ToPeer {
                    packet,
                    payload_types,
                } => {
                    let Some(peer) = &self.peer else { continue };
                    let relayed = Relayed {
                        bytes: packet,
                        payload_types,
                        codec: self.codec,
                    };
                    if peer.send(relayed).is_err() {
                        // The other leg's task ended: play on our own.
                        self.peer = None;
                        self.session.unbridge(Instant::now());
                    }
                }
            }
        }
    }

    fn command(&mut self, cmd: MediaCommand) {
        match cmd {
            MediaCommand::Configure(p) => {
                self.codec = p.codec;
                self.session.configure(p.rtp());
            }
            MediaCommand::Play {
                token,
                stream,
                repeat,
            } => self.player.play(token, stream, repeat),
            MediaCommand::Stop => self.player.stop(),
            MediaCommand::Bridge(Some(peer)) => {
                self.player.stop();
                self.peer = Some(peer.inbox);
                self.session.bridge();
            }
            MediaCommand::Bridge(None) => {
                self.peer = None;
                self.session.unbridge(Instant::now());
            }
            MediaCommand::Digits(digits) => self.session.send_digits(&digits),
        }
    }

    /// A packet the bridged leg received: out through our socket, in our stream, its
    /// G.711 law converted to ours when the legs differ.
    fn relayed(&mut self, packet: &Relayed) {
        let transcoder = g711::converter(packet.codec, self.codec);
        self.session.relay_in(
            Instant::now(),
            &packet.bytes,
            packet.payload_types,
            transcoder,
        );
    }
}
