//! The codecs we speak and the media direction attributes.

use std::fmt;

/// An audio codec this node can encode and decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// G.711 µ-law, static payload type 0.
    Pcmu,
    /// G.711 A-law, static payload type 8.
    Pcma,
    /// Opus (RFC 7587), a dynamic payload type.
    Opus,
}

/// The payload type we number Opus with when we offer it (any of 96-127 would do; 111
/// is what most peers use, so their answers keep it).
pub const OPUS_PAYLOAD_TYPE: u8 = 111;

impl Codec {
    /// Every codec we speak, in our default order of preference for offers.
    pub const ALL: [Codec; 3] = [Codec::Opus, Codec::Pcmu, Codec::Pcma];

    /// The payload type our offers use: the static one of RFC 3551 Table 4, or our
    /// dynamic choice for Opus.
    pub fn offer_payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
            Codec::Opus => OPUS_PAYLOAD_TYPE,
        }
    }

    /// The encoding name used in `a=rtpmap`.
    pub fn encoding_name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
            Codec::Opus => "opus",
        }
    }

    /// The RTP clock rate. RFC 7587 §4.1: "the RTP timestamp is incremented with a
    /// 48000 Hz clock rate for all modes of Opus and all sampling rates."
    pub fn clock_rate(self) -> u32 {
        match self {
            Codec::Pcmu | Codec::Pcma => 8000,
            Codec::Opus => 48000,
        }
    }

    /// The channel count written in `a=rtpmap`. RFC 7587 §7: "The media subtype
    /// ("opus") goes in SDP "a=rtpmap" as the encoding name. The RTP clock rate in
    /// "a=rtpmap" MUST be 48000, and the number of channels MUST be 2."
    pub fn rtpmap_channels(self) -> Option<u32> {
        match self {
            Codec::Pcmu | Codec::Pcma => None,
            Codec::Opus => Some(2),
        }
    }

    /// The `a=rtpmap` value for payload type `pt`.
    pub fn rtpmap(self, pt: u8) -> String {
        match self.rtpmap_channels() {
            Some(ch) => format!("{pt} {}/{}/{ch}", self.encoding_name(), self.clock_rate()),
            None => format!("{pt} {}/{}", self.encoding_name(), self.clock_rate()),
        }
    }

    /// The codec of a static payload type, if it is one of ours.
    pub fn from_static(payload_type: u8) -> Option<Codec> {
        match payload_type {
            0 => Some(Codec::Pcmu),
            8 => Some(Codec::Pcma),
            _ => None,
        }
    }

    /// The codec named in an rtpmap (`PCMU/8000`, `opus/48000/2`, case-insensitive).
    pub fn from_rtpmap(encoding: &str, clock_rate: u32, channels: Option<u32>) -> Option<Codec> {
        let codec = Codec::ALL
            .into_iter()
            .find(|c| c.encoding_name().eq_ignore_ascii_case(encoding))?;
        let channels_ok = match codec {
            Codec::Pcmu | Codec::Pcma => channels.is_none_or(|c| c == 1),
            // Two channels is the only correct value; a missing count is read leniently
            // (some peers write `opus/48000`), anything else is a different format.
            Codec::Opus => channels.is_none_or(|c| c == 2),
        };
        (clock_rate == codec.clock_rate() && channels_ok).then_some(codec)
    }

    /// The codec a configuration names (`opus`, `PCMU`, `pcma`).
    pub fn from_name(name: &str) -> Option<Codec> {
        Codec::ALL
            .into_iter()
            .find(|c| c.encoding_name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.encoding_name())
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
        assert_eq!(
            Codec::from_rtpmap("opus", 48000, Some(2)),
            Some(Codec::Opus)
        );
        assert_eq!(Codec::from_rtpmap("OPUS", 48000, None), Some(Codec::Opus));
        assert_eq!(Codec::from_rtpmap("opus", 16000, Some(2)), None);
        assert_eq!(Codec::from_rtpmap("opus", 48000, Some(1)), None);
        assert_eq!(Codec::from_rtpmap("G722", 8000, None), None);
        assert_eq!(Codec::Opus.rtpmap(96), "96 opus/48000/2");
        assert_eq!(Codec::Pcmu.rtpmap(0), "0 PCMU/8000");
        assert_eq!(Codec::from_name("pcma"), Some(Codec::Pcma));
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
