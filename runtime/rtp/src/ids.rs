//! Typed identifiers: the synchronisation source and the extended sequence number.

use std::fmt;

/// An RTP synchronisation source identifier (RFC 3550 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ssrc(pub u32);

impl Ssrc {
    /// A fresh random SSRC.
    ///
    /// RFC 3550 §5.1: "This identifier SHOULD be chosen randomly, with the intent that
    /// no two synchronization sources within the same RTP session will have the same
    /// SSRC identifier."
    pub fn random() -> Self {
        Ssrc(rand::random())
    }
}

impl fmt::Display for Ssrc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}", self.0)
    }
}

/// An extended RTP sequence number: the 16-bit wire value plus 65536 times the number
/// of times it has wrapped (RFC 3550 A.1), so ordering survives the roll-over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeqNo(pub u64);

impl SeqNo {
    /// The 16-bit sequence number as carried on the wire.
    pub fn wire(self) -> u16 {
        self.0 as u16
    }

    /// The number of completed 16-bit cycles.
    pub fn cycles(self) -> u64 {
        self.0 >> 16
    }
}

impl fmt::Display for SeqNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Extends 16-bit sequence numbers to [`SeqNo`] by picking, for each wire value, the
/// extended value closest to the highest one seen so far.
///
/// This is enough for reordering within half the sequence space (32768 packets, about
/// 11 minutes of 20 ms audio); deciding whether a far jump is a restart is left to the
/// caller, which knows its own tolerance.
#[derive(Debug, Clone, Default)]
pub struct SeqExtender {
    highest: Option<u64>,
}

impl SeqExtender {
    /// An extender that has seen nothing; the first value extends to cycle 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// The extended value of `seq` without recording it. `None` when it would fall
    /// before cycle 0 (a packet older than the first one seen, across a wrap).
    pub fn peek(&self, seq: u16) -> Option<SeqNo> {
        let Some(highest) = self.highest else {
            return Some(SeqNo(u64::from(seq)));
        };
        // The signed 16-bit distance from the highest value picks the nearest cycle.
        let delta = i64::from(seq.wrapping_sub(highest as u16) as i16);
        let extended = highest as i64 + delta;
        (extended >= 0).then_some(SeqNo(extended as u64))
    }

    /// Extends `seq` and records it if it is the highest so far.
    pub fn extend(&mut self, seq: u16) -> Option<SeqNo> {
        let ext = self.peek(seq)?;
        if self.highest.is_none_or(|h| ext.0 > h) {
            self.highest = Some(ext.0);
        }
        Some(ext)
    }

    /// The highest extended value seen.
    pub fn highest(&self) -> Option<SeqNo> {
        self.highest.map(SeqNo)
    }

    /// Forgets everything, as after an SSRC change.
    pub fn reset(&mut self) {
        self.highest = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extends_across_wrap_and_keeps_reordered_packets_in_the_old_cycle() {
        let mut ext = SeqExtender::new();
        assert_eq!(ext.extend(65534), Some(SeqNo(65534)));
        assert_eq!(ext.extend(65535), Some(SeqNo(65535)));
        assert_eq!(ext.extend(1), Some(SeqNo(65537)));
        // A late packet from before the wrap stays in cycle 0.
        assert_eq!(ext.extend(0), Some(SeqNo(65536)));
        assert_eq!(ext.extend(65533), Some(SeqNo(65533)));
        assert_eq!(ext.highest(), Some(SeqNo(65537)));
        assert_eq!(SeqNo(65537).wire(), 1);
        assert_eq!(SeqNo(65537).cycles(), 1);
    }

    #[test]
    fn refuses_values_before_cycle_zero() {
        let mut ext = SeqExtender::new();
        ext.extend(2);
        assert_eq!(ext.peek(65535), None);
        assert_eq!(ext.peek(1), Some(SeqNo(1)));
    }

    #[test]
    fn ssrc_displays_as_hex() {
        assert_eq!(Ssrc(0xdead_beef).to_string(), "deadbeef");
    }
}
