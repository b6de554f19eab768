//! What the two legs of a bridge share: the packets or audio one hands the other, and
//! what each speaks.

use std::sync::atomic::{AtomicU8, Ordering};

use switchyard_rtp::{Codec, PayloadTypes};

/// What one leg of a bridge hands the other.
#[derive(Debug)]
pub enum Relayed {
    /// A packet as the leg received it, with what its payload types mean there.
    Packet {
        /// The datagram.
        bytes: Vec<u8>,
        /// What its payload types mean on the leg that received it.
        payload_types: PayloadTypes,
        /// That leg's codec.
        codec: Codec,
    },
    /// 20 ms of the leg's received audio, decoded, at `rate`.
    Audio {
        /// Its rate, Hz.
        rate: u32,
        /// The samples.
        samples: Vec<i16>,
    },
    /// A key the leg's far end pressed (sent on as RFC 4733 events when audio is
    /// transcoded, since its events are not relayed then).
    Digit(char),
}

/// The codec a leg speaks now, and whether a transform works on its audio (then its
/// packets cannot be relayed untouched), where the leg bridged to it can read them
/// from another thread.
#[derive(Debug)]
pub struct Speaks(AtomicU8);

/// The bit of [`Speaks`] that says a transform is on the leg's path.
const TRANSFORMED: u8 = 0x80;

impl Speaks {
    /// A leg that speaks `codec`, with nothing on its path.
    pub fn new(codec: Codec) -> Self {
        Self(AtomicU8::new(Self::index(codec)))
    }

    fn index(codec: Codec) -> u8 {
        Codec::ALL.iter().position(|&c| c == codec).unwrap_or(0) as u8
    }

    /// The leg speaks `codec` now.
    pub fn set(&self, codec: Codec) {
        let tenant = self.0.load(Ordering::Relaxed) & TRANSFORMED;
        self.0.store(Self::index(codec) | tenant, Ordering::Relaxed);
    }

    /// What the leg speaks.
    pub fn get(&self) -> Codec {
        let i = self.0.load(Ordering::Relaxed) & !TRANSFORMED;
        Codec::ALL[usize::from(i) % Codec::ALL.len()]
    }

    /// A transform is on the leg's path now.
    pub fn set_transformed(&self) {
        self.0.fetch_or(TRANSFORMED, Ordering::Relaxed);
    }

    /// Whether a transform is on the leg's path.
    pub fn transformed(&self) -> bool {
        self.0.load(Ordering::Relaxed) & TRANSFORMED != 0
    }
}

/// Whether two legs' packets can be relayed without decoding: the same codec, or the
/// two G.711 laws (converted byte by byte).
pub fn relayable(a: Codec, b: Codec) -> bool {
    a == b || (a != Codec::Opus && b != Codec::Opus)
}
