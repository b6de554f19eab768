//! The RTP fixed header (RFC 3550 §5.1) and RTP/RTCP demultiplexing (RFC 5761 §4).

use crate::{Error, Ssrc};

/// Length of the fixed RTP header.
pub const RTP_HEADER_LEN: usize = 12;

/// The fields of an RTP header that the node uses; CSRCs and header extensions are
/// skipped on parse and never written (we are not a mixer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    /// The marker bit: start of a talkspurt for audio, first packet of a DTMF event.
    pub marker: bool,
    /// The 7-bit payload type.
    pub payload_type: u8,
    /// The 16-bit wire sequence number.
    pub sequence: u16,
    /// The RTP timestamp, in clock-rate units.
    pub timestamp: u32,
    /// The synchronisation source.
    pub ssrc: Ssrc,
}

/// A parsed RTP packet borrowing its payload (padding removed) from the datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    /// The header.
    pub header: RtpHeader,
    /// The payload, without CSRCs, header extension or padding.
    pub payload: &'a [u8],
}

/// Parses an RTP packet. Never panics, whatever the input.
pub fn parse_rtp(buf: &[u8]) -> Result<RtpPacket<'_>, Error> {
    if buf.len() < RTP_HEADER_LEN {
        return Err(Error::RtpTooShort(buf.len()));
    }
    // RFC 3550 §5.1: "The version defined by this specification is two (2)."
    let version = buf[0] >> 6;
    if version != 2 {
        return Err(Error::RtpBadVersion(version));
    }
    let has_padding = buf[0] & 0x20 != 0;
    let has_extension = buf[0] & 0x10 != 0;
    let csrc_count = buf[0] & 0x0f;
    let header = RtpHeader {
        marker: buf[1] & 0x80 != 0,
        payload_type: buf[1] & 0x7f,
        sequence: u16::from_be_bytes([buf[2], buf[3]]),
        timestamp: u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]),
        ssrc: Ssrc(u32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]])),
    };

    let mut offset = RTP_HEADER_LEN + 4 * usize::from(csrc_count);
    if offset > buf.len() {
        return Err(Error::RtpCsrcOverrun(csrc_count));
    }
    // RFC 3550 §5.3.1: "If the X bit in the RTP header is one, a variable-length header
    // extension MUST be appended to the RTP header, following the CSRC list if present."
    // Its 16-bit length counts 32-bit words after the 4-byte extension header.
    if has_extension {
        let ext_header = buf
            .get(offset..offset + 4)
            .ok_or(Error::RtpExtensionOverrun)?;
        let words = usize::from(u16::from_be_bytes([ext_header[2], ext_header[3]]));
        offset += 4 + 4 * words;
        if offset > buf.len() {
            return Err(Error::RtpExtensionOverrun);
        }
    }

    let mut end = buf.len();
    // RFC 3550 §5.1: "The last octet of the padding contains a count of how many
    // padding octets should be ignored, including itself."
    if has_padding {
        let available = end - offset;
        let count = buf[end - 1];
        if count == 0 || usize::from(count) > available {
            return Err(Error::RtpBadPadding { count, available });
        }
        end -= usize::from(count);
    }
    Ok(RtpPacket {
        header,
        payload: &buf[offset..end],
    })
}

/// Appends an RTP packet (12-byte header, no CSRC, no extension, no padding) to `out`.
pub fn write_rtp(header: &RtpHeader, payload: &[u8], out: &mut Vec<u8>) {
    out.reserve(RTP_HEADER_LEN + payload.len());
    out.push(0x80);
    out.push((u8::from(header.marker) << 7) | (header.payload_type & 0x7f));
    out.extend_from_slice(&header.sequence.to_be_bytes());
    out.extend_from_slice(&header.timestamp.to_be_bytes());
    out.extend_from_slice(&header.ssrc.0.to_be_bytes());
    out.extend_from_slice(payload);
}

/// Whether a datagram received on a multiplexed RTP/RTCP port is RTCP.
///
/// RFC 5761 §4 sets aside payload types 64-95 ("payload type values in the range 64-95
/// MUST NOT be used") so that the second octet of an RTCP packet, whose packet types
/// 192-223 cover SR, RR, SDES, BYE, APP and the feedback messages, can never be
/// confused with an RTP marker bit plus payload type.
pub fn is_rtcp(buf: &[u8]) -> bool {
    buf.len() >= 2 && buf[0] >> 6 == 2 && (64..=95).contains(&(buf[1] & 0x7f))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> RtpHeader {
        RtpHeader {
            marker: true,
            payload_type: 8,
            sequence: 0xfffe,
            timestamp: 0x1234_5678,
            ssrc: Ssrc(0xcafe_babe),
        }
    }

    #[test]
    fn write_then_parse_round_trips() {
        let mut out = Vec::new();
        write_rtp(&header(), b"abc", &mut out);
        assert_eq!(out.len(), 15);
        let p = parse_rtp(&out).unwrap();
        assert_eq!(p.header, header());
        assert_eq!(p.payload, b"abc");
    }

    #[test]
    fn skips_csrcs_extension_and_padding() {
        let mut buf = vec![0x80 | 0x20 | 0x10 | 2, 0x00, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        buf.extend_from_slice(&[0xaa; 8]); // two CSRCs
        buf.extend_from_slice(&[0xbe, 0xde, 0, 1, 1, 2, 3, 4]); // one-word extension
        buf.extend_from_slice(b"payload");
        buf.extend_from_slice(&[0, 0, 3]); // three octets of padding
        let p = parse_rtp(&buf).unwrap();
        assert_eq!(p.payload, b"payload");
        assert_eq!(p.header.sequence, 1);
        assert_eq!(p.header.timestamp, 2);
        assert_eq!(p.header.ssrc, Ssrc(3));
        assert!(!p.header.marker);
    }

    #[test]
    fn rejects_malformed_packets() {
        assert_eq!(parse_rtp(&[0x80; 11]), Err(Error::RtpTooShort(11)));
        let mut v1 = vec![0u8; 12];
        v1[0] = 0x40;
        assert_eq!(parse_rtp(&v1), Err(Error::RtpBadVersion(1)));
        let mut csrc = vec![0u8; 12];
        csrc[0] = 0x81;
        assert_eq!(parse_rtp(&csrc), Err(Error::RtpCsrcOverrun(1)));
        let mut ext = vec![0u8; 16];
        ext[0] = 0x90;
        ext[15] = 5;
        assert_eq!(parse_rtp(&ext), Err(Error::RtpExtensionOverrun));
        let mut pad = vec![0u8; 14];
        pad[0] = 0xa0;
        pad[13] = 3;
        assert_eq!(
            parse_rtp(&pad),
            Err(Error::RtpBadPadding {
                count: 3,
                available: 2
            })
        );
        pad[13] = 0;
        assert!(matches!(parse_rtp(&pad), Err(Error::RtpBadPadding { .. })));
    }

    #[test]
    fn never_panics_on_any_short_or_truncated_input() {
        // Every prefix of a packet using all optional parts, and every first byte.
        let mut buf = vec![0xb1, 0x00, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 9, 9, 9, 9];
        buf.extend_from_slice(&[0xbe, 0xde, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2]);
        for len in 0..=buf.len() {
            let _ = parse_rtp(&buf[..len]);
        }
        for first in 0..=255u8 {
            for last in 0..=255u8 {
                let mut b = buf.clone();
                b[0] = first;
                *b.last_mut().unwrap() = last;
                let _ = parse_rtp(&b);
            }
        }
    }

    #[test]
    fn demultiplexes_rtcp_from_rtp() {
        let mut rtp = Vec::new();
        write_rtp(&header(), b"x", &mut rtp);
        assert!(!is_rtcp(&rtp));
        // Payload type 0 with the marker bit set is still RTP.
        let mut marked = rtp.clone();
        marked[1] = 0x80;
        assert!(!is_rtcp(&marked));
        for pt in [200u8, 201, 202, 203, 204, 205, 206] {
            assert!(is_rtcp(&[0x80, pt, 0, 1]), "packet type {pt}");
        }
        assert!(!is_rtcp(&[0x80]));
    }
}
