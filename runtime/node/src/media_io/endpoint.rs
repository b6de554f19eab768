//! One leg's media on its worker: the sans-IO [`RtpSession`], the sound it plays (encoded
//! to G.711 one 20 ms frame at a time when the session asks), the SRTP transform of an
//! SRTP leg, and the leg it is bridged to. No socket and no clock here: the worker
//! passes both in.

use std::net::SocketAddr;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use switchyard_call::MediaToken;
use switchyard_media::{g711, Played, Player, FRAME_SAMPLES};
use switchyard_rtp::{RtpEvent, RtpSession, SrtpKeys, SrtpTransform, Transmit};
use tokio::sync::mpsc;

use super::bridge::{Peer, Relayed};
use super::{MediaCommand, MediaEvent, MediaParams};
use crate::metrics::StreamQuality;

pub(super) struct Endpoint {
    session: RtpSession,
    codec: g711::G711,
    player: Player<MediaToken>,
    events: mpsc::UnboundedSender<MediaEvent>,
    /// The bridged leg, where what we receive goes.
    peer: Option<Peer>,
    /// SRTP: every datagram in is unprotected before the session sees it, every one out
    /// protected after the session made it.
    srtp: Option<SrtpTransform>,
}

impl Endpoint {
    pub fn new(
        params: MediaParams,
        events: mpsc::UnboundedSender<MediaEvent>,
        now: Instant,
    ) -> Self {
        let unix_time = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Self {
            session: RtpSession::new(params.rtp(), now, unix_time),
            codec: params.codec,
            player: Player::default(),
            events,
            peer: None,
            srtp: rekey(None, params.srtp),
        }
    }

    pub fn peer(&self) -> Option<&Peer> {
        self.peer.as_ref()
    }

    /// What the far end's stream looked like (RFC 3550 A.3 and A.8).
    pub fn quality(&self) -> StreamQuality {
        let received = self.session.received();
        StreamQuality {
            expected: received.expected(),
            lost: received.lost(),
            jitter: received.jitter(),
            clock_rate: self.session.params().clock_rate,
        }
    }

    /// When the session wants the time next.
    pub fn deadline(&self) -> Option<Instant> {
        self.session.poll_timeout()
    }

    pub fn receive_rtp(&mut self, now: Instant, src: SocketAddr, datagram: &[u8]) {
        match &mut self.srtp {
            // RFC 3711 §3.3: a packet that fails authentication is discarded.
            Some(srtp) => match srtp.unprotect_rtp(datagram) {
                Ok(plain) => self.session.receive_rtp(now, src, &plain),
                Err(e) => tracing::trace!(error = %e, %src, "SRTP packet dropped"),
            },
            None => self.session.receive_rtp(now, src, datagram),
        }
    }

    pub fn receive_rtcp(&mut self, now: Instant, datagram: &[u8]) {
        match &mut self.srtp {
            Some(srtp) => match srtp.unprotect_rtcp(datagram) {
                Ok(plain) => self.session.receive_rtcp(now, &plain),
                Err(e) => tracing::trace!(error = %e, "SRTCP packet dropped"),
            },
            None => self.session.receive_rtcp(now, datagram),
        }
    }

    /// The session's tick: it pulls our next frame, if it plays our own audio.
    pub fn timeout(&mut self, now: Instant) {
        let Self {
            session,
            codec,
            player,
            events,
            ..
        } = self;
        session.handle_timeout(now, &mut |out: &mut Vec<u8>| {
            let mut pcm = [0; FRAME_SAMPLES];
            let ended = match player.next_frame(&mut pcm) {
                Some(Played::Done(token)) => Some(MediaEvent::Done(token)),
                Some(Played::Failed(token, e)) => Some(MediaEvent::Failed(token, e)),
                None => None,
            };
            if let Some(ev) = ended {
                let _ = events.send(ev);
            }
            g711::encode_frame(*codec, &pcm, out);
        });
    }

    /// A command from the call's session; `peer` is where a bridge goes.
    pub fn command(&mut self, now: Instant, cmd: MediaCommand, peer: Option<Peer>) {
        match cmd {
            MediaCommand::Configure(p) => {
                self.codec = p.codec;
                self.srtp = rekey(self.srtp.take(), p.srtp);
                self.session.configure(p.rtp());
            }
            MediaCommand::Play {
                token,
                stream,
                repeat,
            } => self.player.play(token, stream, repeat),
            MediaCommand::Stop => self.player.stop(),
            MediaCommand::Bridge(Some(_)) => {
                self.player.stop();
                self.peer = peer;
                self.session.bridge();
            }
            MediaCommand::Bridge(None) => self.unbridge(now),
            MediaCommand::Digits(digits) => self.session.send_digits(&digits),
        }
    }

    /// The bridged leg is gone (or we were told to stop): play on our own.
    pub fn unbridge(&mut self, now: Instant) {
        self.peer = None;
        self.session.unbridge(now);
    }

    /// A packet the bridged leg received: out through our socket, in our stream, its
    /// G.711 law converted to ours when the legs differ.
    pub fn relayed(&mut self, now: Instant, packet: &Relayed) {
        let transcoder = g711::converter(packet.codec, self.codec);
        self.session
            .relay_in(now, &packet.bytes, packet.payload_types, transcoder);
    }

    /// What the session has to say: digits go to the call's session, packets for the
    /// bridged leg to `to_peer`.
    pub fn poll_events(&mut self, mut to_peer: impl FnMut(Relayed)) {
        while let Some(ev) = self.session.poll_event() {
            match ev {
                RtpEvent::Digit(d) => {
                    let _ = self.events.send(MediaEvent::Digit(d));
                }
                RtpEvent::Playout { .. } => {}
                RtpEvent::ToPeer {
                    packet,
                    payload_types,
                } => {
                    if self.peer.is_some() {
                        to_peer(Relayed {
                            bytes: packet,
                            payload_types,
                            codec: self.codec,
                        });
                    }
                }
            }
        }
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        loop {
            let mut t = self.session.poll_transmit()?;
            let Some(srtp) = &mut self.srtp else {
                return Some(t);
            };
            let protected = if t.rtcp {
                srtp.protect_rtcp(&t.contents)
            } else {
                srtp.protect_rtp(&t.contents)
            };
            match protected {
                Ok(bytes) => {
                    t.contents = bytes;
                    return Some(t);
                }
                // Never plaintext instead: what cannot be protected is not sent.
                Err(e) => tracing::debug!(error = %e, "SRTP could not protect a packet"),
            }
        }
    }
}

/// The transform for `keys`: the current one while the keys stay (a re-offer that
/// keeps them keeps the rollover counters), a new one when they change.
fn rekey(current: Option<SrtpTransform>, keys: Option<SrtpKeys>) -> Option<SrtpTransform> {
    let keys = keys?;
    if let Some(t) = current.filter(|t| t.keys() == keys) {
        return Some(t);
    }
    SrtpTransform::new(keys)
        .map_err(|e| tracing::warn!(error = %e, "SRTP not set up"))
        .ok()
}
