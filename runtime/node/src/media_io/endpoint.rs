//! One leg's media on its worker: the sans-IO [`RtpSession`], the sound it plays (encoded
//! with the leg's codec one 20 ms frame at a time when the session asks), the SRTP
//! transform of an SRTP leg, and the leg it is bridged to. No socket and no clock here:
//! the worker passes both in.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use switchyard_call::MediaToken;
use switchyard_media::codec::{Decoder, Encoder, Feed, Payload};
use switchyard_media::{g711, Played, Player};
use switchyard_rtp::{Codec, RtpEvent, RtpSession, SrtpKeys, SrtpTransform, Transmit};
use tokio::sync::mpsc;

use super::bridge::{relayable, Peer, Relayed, Speaks};
use super::tenant::Tenant;
use super::{MediaCommand, MediaEvent, MediaParams};
use crate::metrics::StreamQuality;

pub(super) struct Endpoint {
    session: RtpSession,
    codec: Codec,
    payload: Payload,
    encoder: Encoder,
    /// One frame of PCM at the encoder's rate, reused every tick.
    pcm: Vec<i16>,
    player: Player<MediaToken>,
    events: mpsc::UnboundedSender<MediaEvent>,
    /// What we speak, for the leg bridged to us.
    speaks: Arc<Speaks>,
    /// The bridged leg, where what we receive goes.
    peer: Option<Peer>,
    /// While bridged to a leg of another codec: our decoder of what we receive, and
    /// the other leg's audio on its way to our encoder.
    transcode: Option<Transcode>,
    /// A tenant's Wasm transcoder on our audio.
    tenant: Option<Tenant>,
    /// SRTP: every datagram in is unprotected before the session sees it, every one out
    /// protected after the session made it.
    srtp: Option<SrtpTransform>,
}

/// The two halves of a transcoded bridge on one leg.
struct Transcode {
    decoder: Decoder,
    /// Decoded frames, reused.
    decoded: Vec<i16>,
    feed: Feed,
}

impl Transcode {
    fn new(payload: &Payload, rate: u32) -> Option<Self> {
        let decoder = Decoder::new(payload)
            .map_err(|e| tracing::warn!(error = %e, "no decoder for the bridge"))
            .ok()?;
        Some(Self {
            decoder,
            decoded: Vec::new(),
            feed: Feed::new(rate),
        })
    }
}

/// The leg's encoder, or (if libopus refuses the parameters) G.711 µ-law's, which
/// cannot fail, so that the leg is never silent for a codec error.
fn encoder(payload: &Payload) -> Encoder {
    Encoder::new(payload).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "encoder not set up; sending PCMU");
        Encoder::new(&Payload::Pcmu).expect("G.711 has no parameters to refuse")
    })
}

impl Endpoint {
    pub fn new(
        params: MediaParams,
        speaks: Arc<Speaks>,
        events: mpsc::UnboundedSender<MediaEvent>,
        now: Instant,
    ) -> Self {
        let unix_time = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let payload = params.payload();
        Self {
            session: RtpSession::new(params.rtp(), now, unix_time),
            codec: params.codec,
            encoder: encoder(&payload),
            payload,
            pcm: Vec::new(),
            player: Player::default(),
            events,
            speaks,
            peer: None,
            transcode: None,
            tenant: None,
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
            encoder,
            pcm,
            player,
            events,
            transcode,
            tenant,
            ..
        } = self;
        session.handle_timeout(now, &mut |out: &mut Vec<u8>| {
            pcm.resize(encoder.frame_samples(), 0);
            if let Some(t) = transcode.as_mut() {
                t.feed.next_frame(pcm);
            } else {
                let ended = match player.next_frame_at(encoder.rate(), pcm) {
                    Some(Played::Done(token)) => Some(MediaEvent::Done(token)),
                    Some(Played::Failed(token, e)) => Some(MediaEvent::Failed(token, e)),
                    None => None,
                };
                if let Some(ev) = ended {
                    let _ = events.send(ev);
                }
            }
            if let Some(t) = tenant.as_mut() {
                t.outbound(pcm);
            }
            encoder.encode(pcm, out);
        });
    }

    /// A command from the call's session; `peer` is where a bridge goes.
    pub fn command(&mut self, now: Instant, cmd: MediaCommand, peer: Option<Peer>) {
        match cmd {
            MediaCommand::Configure(p) => {
                let payload = p.payload();
                if payload != self.payload {
                    self.encoder = encoder(&payload);
                    self.payload = payload;
                    if let Some(t) = self.transcode.as_mut() {
                        if let Ok(d) = Decoder::new(&payload) {
                            t.decoder = d;
                        }
                        t.feed = Feed::new(self.encoder.rate());
                    }
                    let rate = self.encoder.rate();
                    self.tenant = self.tenant.take().map(|t| t.at_rate(rate));
                }
                self.codec = p.codec;
                self.speaks.set(p.codec);
                self.srtp = rekey(self.srtp.take(), p.srtp);
                self.session.configure(p.rtp());
            }
            MediaCommand::Play {
                token,
                stream,
                repeat,
            } => self.player.play(token, stream, repeat),
            MediaCommand::Stop => self.player.stop(),
            MediaCommand::Bridge(Some(link)) => {
                self.player.stop();
                self.peer = peer;
                let untouched = self.tenant.is_none() && !link.speaks.tenant();
                if untouched && relayable(self.codec, link.speaks.get()) {
                    self.session.bridge();
                } else {
                    // Both legs see the same pair of codecs, so both transcode.
                    self.transcode = Transcode::new(&self.payload, self.encoder.rate());
                    self.session.set_playout(true);
                }
            }
            MediaCommand::Bridge(None) => self.unbridge(now),
            MediaCommand::Digits(digits) => self.session.send_digits(&digits),
            MediaCommand::Transcoder(attached) => {
                self.tenant = Some(Tenant::new(*attached, self.encoder.rate()));
                self.speaks.set_tenant();
            }
        }
    }

    /// The bridged leg is gone (or we were told to stop): play on our own.
    pub fn unbridge(&mut self, now: Instant) {
        self.peer = None;
        self.transcode = None;
        self.session.set_playout(false);
        self.session.unbridge(now);
    }

    /// What the bridged leg handed us: a packet goes out through our socket in our
    /// stream (its G.711 law converted to ours when the legs differ), decoded audio to
    /// our encoder, a key as RFC 4733 events.
    pub fn relayed(&mut self, now: Instant, relayed: &Relayed) {
        match relayed {
            Relayed::Packet {
                bytes,
                payload_types,
                codec,
            } => {
                let converter = law(*codec)
                    .zip(law(self.codec))
                    .and_then(|(from, to)| g711::converter(from, to));
                self.session.relay_in(now, bytes, *payload_types, converter);
            }
            Relayed::Audio { rate, samples } => {
                if let Some(t) = self.transcode.as_mut() {
                    t.feed.push(*rate, samples);
                }
            }
            Relayed::Digit(d) => self.session.send_digits(&d.to_string()),
        }
    }

    /// What the session has to say: digits go to the call's session, packets (or, when
    /// transcoding, decoded audio and digits) for the bridged leg to `to_peer`.
    pub fn poll_events(&mut self, mut to_peer: impl FnMut(Relayed)) {
        while let Some(ev) = self.session.poll_event() {
            match ev {
                RtpEvent::Digit(d) => {
                    let _ = self.events.send(MediaEvent::Digit(d));
                    if self.transcode.is_some() && self.peer.is_some() {
                        to_peer(Relayed::Digit(d));
                    }
                }
                RtpEvent::Playout { frame, next } => {
                    let Some(t) = self.transcode.as_mut().filter(|_| self.peer.is_some()) else {
                        continue;
                    };
                    t.decoded.clear();
                    if frame.lost {
                        t.decoder.conceal(next.as_deref(), &mut t.decoded);
                    } else {
                        t.decoder.decode(&frame.payload, &mut t.decoded);
                    }
                    if let Some(tenant) = self.tenant.as_mut() {
                        tenant.inbound(&mut t.decoded);
                    }
                    to_peer(Relayed::Audio {
                        rate: t.decoder.rate(),
                        samples: t.decoded.clone(),
                    });
                }
                RtpEvent::ToPeer {
                    packet,
                    payload_types,
                } => {
                    if self.peer.is_some() {
                        to_peer(Relayed::Packet {
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

/// The G.711 law of a codec, if it is one.
fn law(codec: Codec) -> Option<g711::G711> {
    match codec {
        Codec::Pcmu => Some(g711::G711::Ulaw),
        Codec::Pcma => Some(g711::G711::Alaw),
        Codec::Opus => None,
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
