//! How legs reach each other's media. Between legs of the same codec (or of the two
//! G.711 laws) the packets one leg receives go, as they came, to the other leg's
//! endpoint, whose session relays them in its own stream. Between legs of different
//! codecs each leg decodes what it receives (after its jitter buffer, concealing loss)
//! and the other encodes it at its own rate and pace. Either way the hand-over is a
//! direct call when both live on the same worker (the engine places a dialled leg
//! beside its caller), a message to the other worker otherwise.

use std::sync::Arc;

use switchyard_media::leg::{Relayed, Speaks};
use switchyard_rtp::Codec;

use super::worker::{Msg, WorkerHandle};
use super::MediaCommand;

/// How another session reaches a leg's media: its worker and its endpoint there.
#[derive(Clone)]
pub struct MediaLink {
    pub(super) worker: Arc<WorkerHandle>,
    pub(super) id: u64,
    pub(super) speaks: Arc<Speaks>,
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

    /// The codec the leg speaks now.
    pub fn codec(&self) -> Codec {
        self.speaks.get()
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
