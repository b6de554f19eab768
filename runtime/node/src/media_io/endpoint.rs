//! A leg's slot on its worker: the core's [`LegMedia`], where its bridged leg lives, and
//! the channel to its call. Commands become the core's calls; what the core hands out
//! goes to the bridged leg (through the worker) and to the call.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use switchyard_call::MediaToken;
use switchyard_media::leg::{LegMedia, Relayed, Speaks};
use switchyard_rtp::Transmit;
use tokio::sync::mpsc;

use super::bridge::Peer;
use super::tenant::Tenant;
use super::{MediaCommand, MediaEvent, MediaParams};
use crate::metrics::StreamQuality;

pub(super) struct Endpoint {
    leg: LegMedia<MediaToken>,
    /// The bridged leg, where what we receive goes.
    peer: Option<Peer>,
    events: mpsc::UnboundedSender<MediaEvent>,
}

impl Endpoint {
    pub fn new(
        params: MediaParams,
        speaks: Arc<Speaks>,
        events: mpsc::UnboundedSender<MediaEvent>,
        now: Instant,
    ) -> Self {
        Self {
            leg: LegMedia::new(params, speaks, now),
            peer: None,
            events,
        }
    }

    pub fn peer(&self) -> Option<&Peer> {
        self.peer.as_ref()
    }

    /// What the far end's stream looked like (RFC 3550 A.3 and A.8).
    pub fn quality(&self) -> StreamQuality {
        let (received, clock_rate) = self.leg.received();
        StreamQuality {
            expected: received.expected(),
            lost: received.lost(),
            jitter: received.jitter(),
            clock_rate,
        }
    }

    pub fn deadline(&self) -> Option<Instant> {
        self.leg.deadline()
    }

    pub fn receive_rtp(&mut self, now: Instant, src: SocketAddr, datagram: &[u8]) {
        self.leg.receive_rtp(now, src, datagram);
    }

    pub fn receive_rtcp(&mut self, now: Instant, datagram: &[u8]) {
        self.leg.receive_rtcp(now, datagram);
    }

    pub fn timeout(&mut self, now: Instant) {
        self.leg.timeout(now);
    }

    /// A command from the call's session; `peer` is where a bridge goes.
    pub fn command(&mut self, now: Instant, cmd: MediaCommand, peer: Option<Peer>) {
        match cmd {
            MediaCommand::Configure(p) => self.leg.configure(p),
            MediaCommand::Play {
                token,
                stream,
                repeat,
            } => self.leg.play(token, stream, repeat),
            MediaCommand::Stop => self.leg.stop(),
            MediaCommand::Bridge(Some(link)) => {
                self.peer = peer;
                self.leg.bridge(&link.speaks);
            }
            MediaCommand::Bridge(None) => self.unbridge(now),
            MediaCommand::Digits(digits) => self.leg.send_digits(&digits),
            MediaCommand::Transcoder(attached) => {
                self.leg.transform(Box::new(Tenant::new(*attached)));
            }
            MediaCommand::AddTap(id, tap) => self.leg.add_tap(id, tap.0),
            MediaCommand::RemoveTap(id) => self.leg.remove_tap(id),
            MediaCommand::Source(source) => self.leg.set_source(source.map(|s| s.0)),
        }
    }

    /// The bridged leg is gone (or we were told to stop): play on our own.
    pub fn unbridge(&mut self, now: Instant) {
        self.peer = None;
        self.leg.unbridge(now);
    }

    pub fn relayed(&mut self, now: Instant, relayed: &Relayed) {
        self.leg.relayed(now, relayed);
    }

    /// Events to the call's session; what goes to the bridged leg to `to_peer`.
    pub fn poll_events(&mut self, to_peer: impl FnMut(Relayed)) {
        let events = &self.events;
        self.leg.poll_events(to_peer, |ev| {
            let _ = events.send(ev);
        });
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.leg.poll_transmit()
    }
}
