//! How legs reach each other's media. Packets one leg receives go, as they came, to the
//! other leg's endpoint, whose session relays them in its own stream: a direct call when
//! both live on the same worker (the engine places a dialled leg beside its caller), a
//! message to the other worker otherwise.

use std::sync::Arc;

use switchyard_media::g711::G711;
use switchyard_rtp::PayloadTypes;

use super::worker::{Msg, WorkerHandle};
use super::MediaCommand;

/// One packet as the other leg received it, with what its payload types mean there.
#[derive(Debug)]
pub struct Relayed {
    pub bytes: Vec<u8>,
    pub payload_types: PayloadTypes,
    pub codec: G711,
}

/// How another session reaches a leg's media: its worker and its endpoint there.
#[derive(Clone)]
pub struct MediaLink {
    pub(super) worker: Arc<WorkerHandle>,
    pub(super) id: u64,
}

impl std::fmt::Debug for MediaLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaLink")
            .field("worker", &self.worker.index)
            .field("id", &self.id)
            .finish()
    }
}

impl MediaLink {
    pub fn send(&self, cmd: MediaCommand) {
        self.worker.post(Msg::Command(self.id, cmd));
    }

    pub(super) fn relay(&self, packet: Relayed) {
        self.worker.post(Msg::Relay(self.id, packet));
    }
}

/// The bridged leg, as an endpoint sees it.
#[derive(Debug)]
pub(super) enum Peer {
    /// On the same worker: its slot there, and its id to tell a reused slot.
    Local { slot: usize, id: u64 },
    /// On another worker.
    Remote(MediaLink),
}
