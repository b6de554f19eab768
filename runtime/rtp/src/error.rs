//! The one error type of this crate.
//!
//! Every way a peer can violate RTP, RTCP or SDP has its own variant so the node can log
//! precisely and map SDP problems to a SIP status with [`Error::sip_status`]. Malformed
//! RTP/RTCP datagrams are simply dropped by the node; they never end a call.

/// Everything that can go wrong in this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    // --- RTP (RFC 3550 §5.1) ---
    /// The datagram is shorter than the 12-byte fixed RTP header.
    #[error("RTP packet of {0} bytes is shorter than the 12-byte fixed header")]
    RtpTooShort(usize),
    /// The version field is not 2.
    #[error("RTP version {0}, expected 2")]
    RtpBadVersion(u8),
    /// The CSRC count announces more identifiers than the packet holds.
    #[error("RTP CSRC list ({0} entries) runs past the end of the packet")]
    RtpCsrcOverrun(u8),
    /// The header extension's length runs past the end of the packet.
    #[error("RTP header extension runs past the end of the packet")]
    RtpExtensionOverrun,
    /// The padding count is zero or larger than what follows the header.
    #[error("RTP padding count {count} is invalid with {available} bytes after the header")]
    RtpBadPadding {
        /// The padding count found in the last octet.
        count: u8,
        /// How many octets follow the header (payload plus padding).
        available: usize,
    },

    // --- RTCP (RFC 3550 §6 and A.2) ---
    /// An RTCP packet is shorter than its 4-byte common header or its fixed part.
    #[error("RTCP packet truncated")]
    RtcpTruncated,
    /// The version field of an RTCP packet is not 2.
    #[error("RTCP version {0}, expected 2")]
    RtcpBadVersion(u8),
    /// A length field points past the end of the compound packet.
    #[error("RTCP length field runs past the end of the compound packet")]
    RtcpLengthOverrun,
    /// The compound packet does not start with a sender or receiver report.
    #[error("compound RTCP packet starts with packet type {0}, not SR or RR")]
    RtcpNotReportFirst(u8),
    /// The padding bit is set on a packet that is not the last of the compound.
    #[error("RTCP padding bit set on a packet that is not the last one")]
    RtcpPaddingNotLast,
    /// The padding count of the last RTCP packet is invalid.
    #[error("RTCP padding count is invalid")]
    RtcpBadPadding,
    /// An SDES item runs past the end of its chunk.
    #[error("RTCP SDES item runs past the end of the packet")]
    RtcpSdesOverrun,

    // --- DTMF (RFC 4733) ---
    /// A telephone-event payload is shorter than 4 bytes.
    #[error("telephone-event payload of {0} bytes is shorter than 4")]
    DtmfTooShort(usize),
    /// The caller asked to send a character that is not a DTMF digit.
    #[error("{0:?} is not a DTMF digit (0-9, *, #, A-D)")]
    NotADtmfDigit(char),

    // --- SDP (RFC 4566) ---
    /// A line is not of the form `<type>=<value>` with a one-letter type.
    #[error("SDP line {line} is not `<letter>=<value>`")]
    SdpMalformedLine {
        /// 1-based line number.
        line: usize,
    },
    /// The description does not start with `v=0`.
    #[error("SDP must start with v=0")]
    SdpBadVersion,
    /// A mandatory line (`o=`, `s=`, `t=`) is missing.
    #[error("SDP lacks the mandatory {0}= line")]
    SdpMissingLine(char),
    /// The `o=` line does not have six fields with numeric id and version.
    #[error("SDP o= line is malformed")]
    SdpBadOrigin,
    /// A `c=` line does not have network type, address type and address.
    #[error("SDP c= line is malformed")]
    SdpBadConnection,
    /// An `m=` line lacks its media, port, proto or format fields.
    #[error("SDP m= line is malformed")]
    SdpBadMedia,

    // --- Offer/answer (RFC 3264) ---
    /// No offered audio stream carries a codec we support (the node answers 488).
    #[error("no offered audio stream has a codec in common with us")]
    NoCommonCodec,
    /// RFC 4568 §7.1.2 leaves the answerer to refuse what its policy forbids: a leg
    /// that requires SRTP was offered plain RTP only (the node answers 488).
    #[error("only plain RTP (RTP/AVP) was offered where SRTP is required")]
    SrtpRequired,
    /// SRTP could not be set up with the negotiated key.
    #[error("SRTP: {0}")]
    Srtp(String),
    /// A datagram failed SRTP/SRTCP authentication or could not be protected.
    #[error("SRTP packet rejected: {0}")]
    SrtpPacket(String),
    /// The answer changed the number of media streams of our offer.
    #[error("the answer has {answered} media streams, the offer had {offered}")]
    AnswerStreamCount {
        /// m-lines in our offer.
        offered: usize,
        /// m-lines in the answer.
        answered: usize,
    },
}

impl Error {
    /// The SIP final response this error calls for when it comes from a peer's SDP,
    /// or `None` for media-plane errors (a bad RTP/RTCP datagram is dropped, not
    /// answered).
    pub fn sip_status(&self) -> Option<u16> {
        match self {
            Error::SdpMalformedLine { .. }
            | Error::SdpBadVersion
            | Error::SdpMissingLine(_)
            | Error::SdpBadOrigin
            | Error::SdpBadConnection
            | Error::SdpBadMedia => Some(400),
            Error::NoCommonCodec | Error::SrtpRequired | Error::AnswerStreamCount { .. } => {
                Some(488)
            }
            _ => None,
        }
    }

    /// The `Warning` (RFC 3261 §20.43: code and text) that says why an offer was
    /// refused, for errors about what the offer asked for.
    pub fn sip_warning(&self) -> Option<(u16, &'static str)> {
        match self {
            // "305 Incompatible media format: One or more media formats requested by
            // the other side are not supported."
            Error::NoCommonCodec => Some((305, "Incompatible media format")),
            // "302 Incompatible transport protocol: One or more transport protocols
            // described in the session description are not available."
            Error::SrtpRequired => Some((302, "Incompatible transport protocol")),
            _ => None,
        }
    }
}
