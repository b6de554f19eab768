//! Event ids: `epoch:shard:seq`.
//!
//! `seq` counts the events of one shard from 1 without gaps, so a subscriber that
//! remembers the last id it saw can ask for exactly what follows it. `epoch` changes
//! when a shard's log starts anew (a node restart with the in-process broker, a new
//! stream with NATS): a resume id from another epoch cannot be honoured and is
//! reported as a gap rather than silently skipped.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// The position of one event in its shard's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId {
    pub epoch: u64,
    pub shard: u32,
    pub seq: u64,
}

impl EventId {
    pub const fn new(epoch: u64, shard: u32, seq: u64) -> Self {
        Self { epoch, shard, seq }
    }

    /// Whether both ids are positions in the same log (so their `seq`s compare).
    pub fn same_log(&self, other: &EventId) -> bool {
        self.epoch == other.epoch && self.shard == other.shard
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.epoch, self.shard, self.seq)
    }
}

impl FromStr for EventId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = || Error::BadEventId(s.to_owned());
        let mut parts = s.trim().split(':');
        let mut next = || parts.next().ok_or_else(bad);
        let epoch = next()?.parse().map_err(|_| bad())?;
        let shard = next()?.parse().map_err(|_| bad())?;
        let seq = next()?.parse().map_err(|_| bad())?;
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(Self { epoch, shard, seq })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_malformed_ids() {
        let id = EventId::new(1_732_000_000, 7, 42);
        assert_eq!(id.to_string(), "1732000000:7:42");
        assert_eq!("1732000000:7:42".parse::<EventId>().unwrap(), id);
        for bad in ["", "1:2", "1:2:3:4", "a:2:3", "1:-2:3", "1:2:x"] {
            assert!(bad.parse::<EventId>().is_err(), "{bad:?} parsed");
        }
    }
}
