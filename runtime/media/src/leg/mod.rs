//! One leg's media endpoint, sans-IO: the leg's [`RtpSession`], the sound it plays
//! (encoded with the leg's codec one 20 ms frame at a time when the session asks), the
//! SRTP transform of an SRTP leg, its side of a bridge (packets relayed as they are, or
//! decoded audio when the codecs differ) and a transcoder on its audio path. No socket,
//! clock or thread here: the media engine passes datagrams and time in, and moves what
//! [`LegMedia::poll_events`] hands out to the bridged leg and to the call.

mod bridge;
mod params;
mod tap;

pub use bridge::{relayable, Relayed, Speaks};
pub use params::LegParams;
pub use tap::{Source, Tap, TapReport};

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use switchyard_rtp::{
    Codec, ReceiveStats, RtpEvent, RtpSession, SrtpKeys, SrtpTransform, Transmit,
};

use crate::codec::{Decoder, Encoder, Feed, Payload};
use crate::{g711, AudioStream, Played, Player};

/// What a leg's media tells its call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegEvent<T> {
    /// The far end pressed a key.
    Digit(char),
    /// The sound played with this token ended.
    Done(T),
    /// The sound played with this token failed.
    Failed(T, String),
    /// The tap added under this id is off the leg (removed, or finished by itself).
    TapClosed(u64, TapReport),
}

/// A transform on a leg's audio path, both directions, at the leg's PCM rate (a
/// tenant's Wasm transcoder). It keeps each frame's length.
pub trait FrameTransform: Send {
    /// The leg's PCM rate, before the first frame and after each change.
    fn set_rate(&mut self, rate: u32);
    /// What the leg received, decoded, in place.
    fn inbound(&mut self, pcm: &mut Vec<i16>);
    /// What the leg sends, before encoding, in place.
    fn outbound(&mut self, pcm: &mut Vec<i16>);
}

/// One leg's media; `T` names the sounds it plays to their owner.
pub struct LegMedia<T> {
    session: RtpSession,
    codec: Codec,
    payload: Payload,
    encoder: Encoder,
    /// One frame of PCM at the encoder's rate, reused every tick.
    pcm: Vec<i16>,
    player: Player<T>,
    /// For the call, until [`LegMedia::poll_events`].
    events: Vec<LegEvent<T>>,
    /// What we speak, for the leg bridged to us.
    speaks: Arc<Speaks>,
    /// Whether we are bridged: what we receive goes to the other leg.
    bridged: bool,
    /// While bridged to a leg of another codec: our decoder of what we receive, and
    /// the other leg's audio on its way to our encoder.
    transcode: Option<Transcode>,
    /// A transform on our audio path.
    transform: Option<Box<dyn FrameTransform>>,
    /// SRTP: every datagram in is unprotected before the session sees it, every one out
    /// protected after the session made it.
    srtp: Option<SrtpTransform>,
    /// Who hears the leg (Media Streams, recorders), by their owner's id.
    taps: Vec<(u64, Box<dyn Tap>)>,
    /// What the leg sends instead of its player (a bidirectional Media Stream).
    source: Option<Box<dyn Source>>,
    /// Decodes what the leg receives for the taps when no bridge decodes it.
    tap_decoder: Option<Decoder>,
    /// The last frame decoded, reused.
    decoded: Vec<i16>,
}

/// The two halves of a transcoded bridge on one leg.
struct Transcode {
    decoder: Decoder,
    feed: Feed,
}

impl Transcode {
    fn new(payload: &Payload, rate: u32) -> Option<Self> {
        let decoder = Decoder::new(payload)
            .map_err(|e| tracing::warn!(error = %e, "no decoder for the bridge"))
            .ok()?;
        Some(Self {
            decoder,
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

impl<T> std::fmt::Debug for LegMedia<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegMedia")
            .field("codec", &self.codec)
            .field("bridged", &self.bridged)
            .field("transcoding", &self.transcode.is_some())
            .field("transformed", &self.transform.is_some())
            .field("taps", &self.taps.len())
            .field("sourced", &self.source.is_some())
            .finish_non_exhaustive()
    }
}

impl<T: Copy> LegMedia<T> {
    /// A leg's media starting at `now`, saying in `speaks` what it speaks.
    pub fn new(params: LegParams, speaks: Arc<Speaks>, now: Instant) -> Self {
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
            events: Vec::new(),
            speaks,
            bridged: false,
            transcode: None,
            transform: None,
            srtp: rekey(None, params.srtp),
            taps: Vec::new(),
            source: None,
            tap_decoder: None,
            decoded: Vec::new(),
        }
    }

    /// The far end's stream as received (RFC 3550 A.3 and A.8), and its clock rate.
    pub fn received(&self) -> (&ReceiveStats, u32) {
        (self.session.received(), self.session.params().clock_rate)
    }

    /// When the session wants the time next.
    pub fn deadline(&self) -> Option<Instant> {
        self.session.poll_timeout()
    }

    /// A datagram from the RTP socket (unprotected first on an SRTP leg).
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

    /// A datagram from the RTCP socket (unprotected first on an SRTP leg).
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
            transform,
            taps,
            source,
            ..
        } = self;
        session.handle_timeout(now, &mut |out: &mut Vec<u8>| {
            pcm.resize(encoder.frame_samples(), 0);
            if let Some(t) = transcode.as_mut() {
                t.feed.next_frame(pcm);
            } else if let Some(s) = source.as_mut() {
                if !s.next_frame(encoder.rate(), pcm) {
                    pcm.fill(0);
                }
            } else {
                match player.next_frame_at(encoder.rate(), pcm) {
                    Some(Played::Done(token)) => events.push(LegEvent::Done(token)),
                    Some(Played::Failed(token, e)) => events.push(LegEvent::Failed(token, e)),
                    None => {}
                }
            }
            if let Some(t) = transform.as_mut() {
                t.outbound(pcm);
            }
            for (_, tap) in taps.iter_mut() {
                tap.outbound(encoder.rate(), pcm);
            }
            encoder.encode(pcm, out);
        });
        if self.taps.iter().any(|(_, t)| t.finished()) {
            self.close_taps(|_, t| t.finished());
        }
    }

    /// A new negotiation: codec, payload types, where to send, SRTP keys.
    pub fn configure(&mut self, p: LegParams) {
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
            if let Some(t) = self.transform.as_mut() {
                t.set_rate(self.encoder.rate());
            }
            if self.tap_decoder.is_some() {
                self.tap_decoder = Decoder::new(&payload).ok();
            }
        }
        self.codec = p.codec;
        self.speaks.set(p.codec);
        self.srtp = rekey(self.srtp.take(), p.srtp);
        self.session.configure(p.rtp());
    }

    /// Play `stream` `repeat` times (0: until stopped) in place of what was playing.
    pub fn play(&mut self, token: T, stream: AudioStream, repeat: u32) {
        self.player.play(token, stream, repeat);
    }

    /// Stop playing.
    pub fn stop(&mut self) {
        self.player.stop();
    }

    /// Join the leg that speaks `other` (read from its [`Speaks`]): packets relayed
    /// as they are when both sides can take them untouched, decoded audio otherwise.
    /// Both legs see the same pair, so both decide alike.
    pub fn bridge(&mut self, other: &Speaks) {
        self.player.stop();
        self.bridged = true;
        let untouched = self.transform.is_none() && !other.transformed();
        if untouched && relayable(self.codec, other.get()) {
            self.session.bridge();
        } else {
            self.transcode = Transcode::new(&self.payload, self.encoder.rate());
            self.session.set_playout(true);
        }
    }

    /// Send DTMF as RFC 4733 events (`w`: half a second of pause).
    pub fn send_digits(&mut self, digits: &str) {
        self.session.send_digits(digits);
    }

    /// Put `transform` on our audio path, both directions.
    pub fn transform(&mut self, mut transform: Box<dyn FrameTransform>) {
        transform.set_rate(self.encoder.rate());
        self.transform = Some(transform);
        self.speaks.set_transformed();
    }

    /// The bridged leg is gone (or we were told to stop): play on our own.
    pub fn unbridge(&mut self, now: Instant) {
        self.bridged = false;
        self.transcode = None;
        self.session.set_playout(self.tap_decoder.is_some());
        self.session.unbridge(now);
    }

    /// Let `tap` hear the leg from the next frame on, under `id`.
    pub fn add_tap(&mut self, id: u64, tap: Box<dyn Tap>) {
        if tap.wants_inbound() && self.tap_decoder.is_none() {
            self.tap_decoder = Decoder::new(&self.payload)
                .map_err(|e| tracing::warn!(error = %e, "no decoder for a tap"))
                .ok();
            self.session.set_playout(true);
        }
        self.taps.push((id, tap));
    }

    /// The tap added under `id` hears no more.
    pub fn remove_tap(&mut self, id: u64) {
        self.close_taps(|i, _| i == id);
    }

    /// Take off the taps `which` names, each reporting how it ended to the call.
    fn close_taps(&mut self, which: impl Fn(u64, &dyn Tap) -> bool) {
        let (closing, keep) = std::mem::take(&mut self.taps)
            .into_iter()
            .partition(|(i, t)| which(*i, t.as_ref()));
        self.taps = keep;
        for (id, tap) in closing {
            self.events.push(LegEvent::TapClosed(id, tap.close()));
        }
        if !self.taps.iter().any(|(_, t)| t.wants_inbound()) {
            self.tap_decoder = None;
            self.session.set_playout(self.transcode.is_some());
        }
    }

    /// Send `source`'s audio instead of the player's (`None`: the player again).
    pub fn set_source(&mut self, source: Option<Box<dyn Source>>) {
        self.source = source;
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
                let converter = g711::G711::of(*codec)
                    .zip(g711::G711::of(self.codec))
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

    /// What happened: events for the call to `to_call`; packets (or, when transcoding,
    /// decoded audio and keys) for the bridged leg to `to_peer`.
    pub fn poll_events(
        &mut self,
        mut to_peer: impl FnMut(Relayed),
        mut to_call: impl FnMut(LegEvent<T>),
    ) {
        self.events.drain(..).for_each(&mut to_call);
        while let Some(ev) = self.session.poll_event() {
            match ev {
                RtpEvent::Digit(d) => {
                    to_call(LegEvent::Digit(d));
                    if self.transcode.is_some() && self.bridged {
                        to_peer(Relayed::Digit(d));
                    }
                }
                RtpEvent::Playout { frame, next } => {
                    let to_bridge = self.bridged && self.transcode.is_some();
                    let decoder = match self.transcode.as_mut().filter(|_| self.bridged) {
                        Some(t) => &mut t.decoder,
                        None => match self.tap_decoder.as_mut() {
                            Some(d) => d,
                            None => continue,
                        },
                    };
                    self.decoded.clear();
                    if frame.lost {
                        decoder.conceal(next.as_deref(), &mut self.decoded);
                    } else {
                        decoder.decode(&frame.payload, &mut self.decoded);
                    }
                    let rate = decoder.rate();
                    if let Some(transform) = self.transform.as_mut() {
                        transform.inbound(&mut self.decoded);
                    }
                    for (_, tap) in self.taps.iter_mut().filter(|(_, t)| t.wants_inbound()) {
                        tap.inbound(rate, &self.decoded);
                    }
                    if self.taps.iter().any(|(_, t)| t.finished()) {
                        self.close_taps(|_, t| t.finished());
                        self.events.drain(..).for_each(&mut to_call);
                    }
                    if to_bridge {
                        to_peer(Relayed::Audio {
                            rate,
                            samples: self.decoded.clone(),
                        });
                    }
                }
                RtpEvent::ToPeer {
                    packet,
                    payload_types,
                } => {
                    if self.bridged {
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

    /// The next datagram to send (protected on an SRTP leg).
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

impl<T> Drop for LegMedia<T> {
    /// A leg that ends closes its taps: a recording is finished with what it has.
    fn drop(&mut self) {
        for (_, tap) in self.taps.drain(..) {
            tap.close();
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
