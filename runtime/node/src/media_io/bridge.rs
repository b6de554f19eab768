//! How legs reach each other's media. Between legs of the same codec (or of the two
//! G.711 laws) the packets one leg receives go, as they came, to the other leg's
//! endpoint, whose session relays them in its own stream. Between legs of different
//! codecs each leg decodes what it receives (after its jitter buffer, concealing loss)
//! and the other encodes it at its own rate and pace. Either way the hand-over is a
//! direct call when both live on the same worker (the engine places a dialled leg
//! beside its caller), a message to the other worker otherwise.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use switchyard_rtp::{Codec, PayloadTypes};

use super::worker::{Msg, WorkerHandle};
use super::MediaCommand;

/// What one leg of a bridge hands the other.
#[derive(Debug)]
pub enum Relayed {
    /// A packet as the leg received it, with what its payload types mean there.
    Packet {
        bytes: Vec<u8>,
        payload_types: PayloadTypes,
        codec: Codec,
    },
    /// 20 ms of the leg's received audio, decoded, at `rate`.
    Audio { rate: u32, samples: Vec<i16> },
    /// A key the leg's far end pressed (sent on as RFC 4733 events when audio is
    /// transcoded, since its events are not relayed then).
    Digit(char),
}

/// The codec a leg speaks now, and whether a tenant transcoder works on its audio
/// (then its packets cannot be relayed untouched), where the leg bridged to it can read
/// them.
#[derive(Debug)]
pub struct Speaks(AtomicU8);

/// The bit of [`Speaks`] that says a tenant transcoder is attached.
const TENANT: u8 = 0x80;

impl Speaks {
    pub fn new(codec: Codec) -> Self {
        Self(AtomicU8::new(Self::index(codec)))
    }

    fn index(codec: Codec) -> u8 {
        Codec::ALL.iter().position(|&c| c == codec).unwrap_or(0) as u8
    }

    pub fn set(&self, codec: Codec) {
        let tenant = self.0.load(Ordering::Relaxed) & TENANT;
        self.0.store(Self::index(codec) | tenant, Ordering::Relaxed);
    }

    pub fn get(&self) -> Codec {
        let i = self.0.load(Ordering::Relaxed) & !TENANT;
        Codec::ALL[usize::from(i) % Codec::ALL.len()]
    }

    pub fn set_tenant(&self) {
        self.0.fetch_or(TENANT, Ordering::Relaxed);
    }

    pub fn tenant(&self) -> bool {
        self.0.load(Ordering::Relaxed) & TENANT != 0
    }
}

/// Whether two legs' packets can be relayed without decoding: the same codec, or the
/// two G.711 laws (converted byte by byte).
pub fn relayable(a: Codec, b: Codec) -> bool {
    a == b || (a != Codec::Opus && b != Codec::Opus)
}

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
