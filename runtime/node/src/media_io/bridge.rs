//! The media task's side of a bridge: packets received here go to the peer task's inbox
//! as they came; packets in our inbox go out through a [`Relay`] in our leg's RTP space.

use std::time::Instant;

use switchyard_media::g711::{self, G711};
use switchyard_rtp::{Forwarded, PayloadTypes, Relay, RtpSender};
use tokio::sync::mpsc;

use super::{MediaCommand, MediaParams};

/// One packet as the other leg received it, with what its payload types mean there.
#[derive(Debug)]
pub struct Relayed {
    pub bytes: Vec<u8>,
    pub payload_types: PayloadTypes,
    pub codec: G711,
}

/// How another session reaches a media task: its commands and its relay inbox.
#[derive(Debug, Clone)]
pub struct MediaLink {
    pub(super) commands: mpsc::UnboundedSender<MediaCommand>,
    pub(super) inbox: mpsc::UnboundedSender<Relayed>,
}

impl MediaLink {
    pub fn send(&self, cmd: MediaCommand) {
        let _ = self.commands.send(cmd);
    }
}

/// A bridge in progress, as one media task holds it.
#[derive(Debug)]
pub(super) struct Bridge {
    /// Where what we receive goes.
    peer: mpsc::UnboundedSender<Relayed>,
    /// Our outgoing stream while bridged; it continues the sender's.
    relay: Relay,
}

pub(super) fn payload_types(params: &MediaParams) -> PayloadTypes {
    PayloadTypes {
        audio: params.payload_type,
        event: params.telephone_event,
    }
}

impl Bridge {
    /// Start relaying to `peer`, continuing `sender`'s sequence and timestamp.
    pub(super) fn new(peer: &MediaLink, sender: &RtpSender, params: &MediaParams) -> Self {
        Bridge {
            peer: peer.inbox.clone(),
            relay: Relay::with_initial(
                sender.ssrc(),
                payload_types(params),
                8000,
                sender.next_sequence(),
                sender.timestamp(),
            ),
        }
    }

    /// Hand a packet we received to the peer. False when the peer is gone.
    pub(super) fn pass_on(&self, bytes: &[u8], params: &MediaParams) -> bool {
        self.peer
            .send(Relayed {
                bytes: bytes.to_vec(),
                payload_types: payload_types(params),
                codec: params.codec,
            })
            .is_ok()
    }

    /// Rewrite a packet from the peer into our stream; true when `out` holds it.
    pub(super) fn rewrite(
        &mut self,
        packet: &Relayed,
        params: &MediaParams,
        now: Instant,
        out: &mut Vec<u8>,
    ) -> bool {
        self.relay.set_payload_types(payload_types(params));
        self.relay
            .set_transcoder(g711::converter(packet.codec, params.codec));
        out.clear();
        matches!(
            self.relay
                .forward(&packet.bytes, packet.payload_types, now, out),
            Ok(Forwarded::Sent { .. })
        )
    }

    /// The sender that continues our stream when the bridge ends.
    pub(super) fn into_sender(self, params: &MediaParams, now: Instant) -> RtpSender {
        RtpSender::with_initial(
            self.relay.ssrc(),
            params.payload_type,
            8000,
            self.relay.next_sequence(),
            self.relay.timestamp_at(now),
        )
    }
}
