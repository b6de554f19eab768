//! The codecs we speak and the media direction attributes.

use std::fmt;

/// An audio codec this node can encode and decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// G.711 µ-law, static payload type 0.
    Pcmu,
    /// G.711 A-law, static payload type 8.
    Pcma,
}

impl Codec {
    /// The static payload type of RFC 3551 Table 4.
    pub fn static_payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }

    /// The encoding name used in `a=rtpmap`.
    pub fn encoding_name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
        }
    }

    /// The RTP clock rate.
    pub fn clock_rate(self) -> u32 {
        8000
    }

    /// The codec of a static payload type, if it is one of ours.
    pub fn from_static(payload_type: u8) -> Option<Codec> {
        match payload_type {
            0 => Some(Codec::Pcmu),
            8 => Some(Codec::Pcma),
            _ => None,
        }
    }

    /// The codec named in an rtpmap (`PCMU/8000`, case-insensitive, mono).
    pub fn from_rtpmap(encoding: &str, clock_rate: u32, channels: Option<u32>) -> Option<Codec> {
        if clock_rate != 8000 || channels.is_some_and(|c| c != 1) {
            return None;
        }
        [Codec::Pcmu, Codec::Pcma]
            .into_iter()
            .find(|c| c.encoding_name().eq_ignore_ascii_case(encoding))
    }
}

/// A media stream's direction (RFC 4566 §6), from the point of view of the SDP's author.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// `a=sendrecv`, the default.
    #[default]
    SendRecv,
    /// `a=sendonly`.
    SendOnly,
    /// `a=recvonly`.
    RecvOnly,
    /// `a=inactive`.
    Inactive,
}

impl Direction {
    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The direction named by an attribute, if it is one.
    pub fn from_attribute(name: &str) -> Option<Direction> {
        match name {
            "sendrecv" => Some(Direction::SendRecv),
            "sendonly" => Some(Direction::SendOnly),
            "recvonly" => Some(Direction::RecvOnly),
            "inactive" => Some(Direction::Inactive),
            _ => None,
        }
    }

    /// Whether the author sends media.
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    /// Whether the author receives media.
    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }

    /// The direction with the given capabilities.
    pub fn from_flags(sends: bool, receives: bool) -> Direction {
        match (sends, receives) {
            (true, true) => Direction::SendRecv,
            (true, false) => Direction::SendOnly,
            (false, true) => Direction::RecvOnly,
            (false, false) => Direction::Inactive,
        }
    }

    /// The answerer's direction for an offered one, mirroring it (RFC 3264 §6.1).
    pub fn mirror(self) -> Direction {
        Direction::from_flags(self.receives(), self.sends())
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codecs_from_rtpmap_and_static_types() {
        assert_eq!(Codec::from_rtpmap("pcmu", 8000, None), Some(Codec::Pcmu));
        assert_eq!(Codec::from_rtpmap("PCMA", 8000, Some(1)), Some(Codec::Pcma));
        assert_eq!(Codec::from_rtpmap("PCMA", 16000, None), None);
        assert_eq!(Codec::from_rtpmap("PCMA", 8000, Some(2)), None);
        assert_eq!(Codec::from_rtpmap("opus", 48000, Some(2)), None);
        assert_eq!(Codec::from_static(8), Some(Codec::Pcma));
        assert_eq!(Codec::from_static(18), None);
    }

    #[test]
    fn direction_mirrors() {
        assert_eq!(Direction::SendOnly.mirror(), Direction::RecvOnly);
        assert_eq!(Direction::RecvOnly.mirror(), Direction::SendOnly);
        assert_eq!(Direction::Inactive.mirror(), Direction::Inactive);
        assert_eq!(Direction::SendRecv.mirror(), Direction::SendRecv);
        assert_eq!(
            Direction::from_attribute("recvonly"),
            Some(Direction::RecvOnly)
        );
        assert_eq!(Direction::from_attribute("rtcp-mux"), None);
    }
}
