//! RTCP compound packets (RFC 3550 §6): SR, RR, SDES and BYE.

use std::time::Duration;

use crate::{Error, Ssrc};

const PT_SR: u8 = 200;
const PT_RR: u8 = 201;
const PT_SDES: u8 = 202;
const PT_BYE: u8 = 203;
/// SDES item type of the canonical name.
pub const SDES_CNAME: u8 = 1;
/// A report count is five bits.
const MAX_BLOCKS: usize = 31;
/// Seconds from the NTP epoch (1900) to the Unix epoch (1970).
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// One reception report block (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportBlock {
    /// The source this block reports on.
    pub ssrc: Ssrc,
    /// Fraction lost since the previous report, as a fixed-point number over 256.
    pub fraction_lost: u8,
    /// Cumulative number of packets lost (24-bit signed on the wire).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub extended_highest_seq: u32,
    /// Interarrival jitter in timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the last SR's NTP timestamp (0 if none).
    pub last_sr: u32,
    /// Delay since that SR in units of 1/65536 s (0 if none).
    pub delay_since_last_sr: u32,
}

/// A sender report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderReport {
    /// The sender.
    pub ssrc: Ssrc,
    /// Wall-clock time of the report, 64-bit NTP format (see [`ntp_timestamp`]).
    pub ntp_timestamp: u64,
    /// The same instant in the stream's RTP timestamp units.
    pub rtp_timestamp: u32,
    /// Packets sent.
    pub packet_count: u32,
    /// Payload octets sent.
    pub octet_count: u32,
    /// Reports on the sources we receive.
    pub reports: Vec<ReportBlock>,
}

/// A receiver report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiverReport {
    /// The reporter.
    pub ssrc: Ssrc,
    /// Reports on the sources we receive.
    pub reports: Vec<ReportBlock>,
}

/// One SDES chunk: a source and its items as (type, text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdesChunk {
    /// The source described.
    pub ssrc: Ssrc,
    /// Items in order, as (item type, UTF-8 text with invalid bytes replaced).
    pub items: Vec<(u8, String)>,
}

impl SdesChunk {
    /// The CNAME item, if present.
    pub fn cname(&self) -> Option<&str> {
        self.items
            .iter()
            .find(|(kind, _)| *kind == SDES_CNAME)
            .map(|(_, v)| v.as_str())
    }
}

/// One packet of a compound RTCP packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RtcpPacket {
    /// SR (200).
    SenderReport(SenderReport),
    /// RR (201).
    ReceiverReport(ReceiverReport),
    /// SDES (202).
    SourceDescription(Vec<SdesChunk>),
    /// BYE (203).
    Bye {
        /// The sources leaving.
        ssrcs: Vec<Ssrc>,
        /// The optional reason for leaving.
        reason: Option<String>,
    },
    /// Any other packet type (APP, feedback, XR, …), kept as its type only.
    Other {
        /// The packet type.
        packet_type: u8,
    },
}

/// The 64-bit NTP timestamp of a wall-clock time given as time since the Unix epoch.
/// The node reads the wall clock; this crate only converts.
pub fn ntp_timestamp(since_unix_epoch: Duration) -> u64 {
    let secs = since_unix_epoch.as_secs() + NTP_UNIX_OFFSET;
    let frac = (u64::from(since_unix_epoch.subsec_nanos()) << 32) / 1_000_000_000;
    (secs << 32) | frac
}

/// Appends a compound packet SR + SDES CNAME to `out`.
///
/// RFC 3550 §6.1: "The first RTCP packet in the compound packet MUST always be a report
/// packet" and "An SDES packet containing a CNAME item MUST be included in each compound
/// RTCP packet". At most 31 report blocks fit; extra blocks are left out.
pub fn write_sender_report(sr: &SenderReport, cname: &str, out: &mut Vec<u8>) {
    let blocks = &sr.reports[..sr.reports.len().min(MAX_BLOCKS)];
    let start = begin(out, PT_SR, blocks.len() as u8);
    out.extend_from_slice(&sr.ssrc.0.to_be_bytes());
    out.extend_from_slice(&sr.ntp_timestamp.to_be_bytes());
    out.extend_from_slice(&sr.rtp_timestamp.to_be_bytes());
    out.extend_from_slice(&sr.packet_count.to_be_bytes());
    out.extend_from_slice(&sr.octet_count.to_be_bytes());
    blocks.iter().for_each(|b| write_block(b, out));
    finish(out, start);
    write_sdes(sr.ssrc, cname, out);
}

/// Appends a compound packet RR + SDES CNAME to `out` (see [`write_sender_report`]).
pub fn write_receiver_report(rr: &ReceiverReport, cname: &str, out: &mut Vec<u8>) {
    let blocks = &rr.reports[..rr.reports.len().min(MAX_BLOCKS)];
    let start = begin(out, PT_RR, blocks.len() as u8);
    out.extend_from_slice(&rr.ssrc.0.to_be_bytes());
    blocks.iter().for_each(|b| write_block(b, out));
    finish(out, start);
    write_sdes(rr.ssrc, cname, out);
}

/// Appends a compound packet RR (no blocks) + SDES CNAME + BYE, sent when a stream ends.
pub fn write_bye(ssrc: Ssrc, reason: Option<&str>, cname: &str, out: &mut Vec<u8>) {
    write_receiver_report(
        &ReceiverReport {
            ssrc,
            reports: Vec::new(),
        },
        cname,
        out,
    );
    let start = begin(out, PT_BYE, 1);
    out.extend_from_slice(&ssrc.0.to_be_bytes());
    if let Some(reason) = reason {
        let text = truncate(reason);
        out.push(text.len() as u8);
        out.extend_from_slice(text);
        pad_to_word(out, start);
    }
    finish(out, start);
}

/// At most 255 bytes of `s`, the limit of a one-octet length.
fn truncate(s: &str) -> &[u8] {
    &s.as_bytes()[..s.len().min(255)]
}

fn write_sdes(ssrc: Ssrc, cname: &str, out: &mut Vec<u8>) {
    let start = begin(out, PT_SDES, 1);
    out.extend_from_slice(&ssrc.0.to_be_bytes());
    let text = truncate(cname);
    out.push(SDES_CNAME);
    out.push(text.len() as u8);
    out.extend_from_slice(text);
    // RFC 3550 §6.5: the item list "is terminated by one or more null octets", padded
    // "until the next 32-bit boundary".
    out.push(0);
    pad_to_word(out, start);
    finish(out, start);
}

fn write_block(b: &ReportBlock, out: &mut Vec<u8>) {
    out.extend_from_slice(&b.ssrc.0.to_be_bytes());
    out.push(b.fraction_lost);
    out.extend_from_slice(&b.cumulative_lost.to_be_bytes()[1..]);
    out.extend_from_slice(&b.extended_highest_seq.to_be_bytes());
    out.extend_from_slice(&b.jitter.to_be_bytes());
    out.extend_from_slice(&b.last_sr.to_be_bytes());
    out.extend_from_slice(&b.delay_since_last_sr.to_be_bytes());
}

/// Writes a common header with a placeholder length and returns where it starts.
fn begin(out: &mut Vec<u8>, packet_type: u8, count: u8) -> usize {
    let start = out.len();
    out.extend_from_slice(&[0x80 | (count & 0x1f), packet_type, 0, 0]);
    start
}

fn pad_to_word(out: &mut Vec<u8>, start: usize) {
    while !(out.len() - start).is_multiple_of(4) {
        out.push(0);
    }
}

/// Fills in the length: "in 32-bit words minus one, including the header" (§6.4.1).
fn finish(out: &mut [u8], start: usize) {
    let words = ((out.len() - start) / 4 - 1) as u16;
    out[start + 2..start + 4].copy_from_slice(&words.to_be_bytes());
}

/// Parses a compound RTCP packet, validating it as RFC 3550 A.2 describes.
pub fn parse_rtcp(buf: &[u8]) -> Result<Vec<RtcpPacket>, Error> {
    let mut packets = Vec::new();
    let mut rest = buf;
    while !rest.is_empty() {
        let [first, packet_type, l0, l1, ..] = *rest else {
            return Err(Error::RtcpTruncated);
        };
        let version = first >> 6;
        if version != 2 {
            return Err(Error::RtcpBadVersion(version));
        }
        // RFC 3550 §6.1: "The first RTCP packet in the compound packet MUST always be a
        // report packet to facilitate header validation".
        if packets.is_empty() && packet_type != PT_SR && packet_type != PT_RR {
            return Err(Error::RtcpNotReportFirst(packet_type));
        }
        let len = 4 * (usize::from(u16::from_be_bytes([l0, l1])) + 1);
        if len > rest.len() {
            return Err(Error::RtcpLengthOverrun);
        }
        let (packet, tail) = rest.split_at(len);
        let mut body = &packet[4..];
        if first & 0x20 != 0 {
            // A.2: "The padding bit (P) should be zero for the first packet of a compound
            // RTCP packet because padding should only be applied, if it is needed, to the
            // last packet."
            if !tail.is_empty() {
                return Err(Error::RtcpPaddingNotLast);
            }
            let pad = usize::from(packet[len - 1]);
            if pad == 0 || pad > body.len() {
                return Err(Error::RtcpBadPadding);
            }
            body = &body[..body.len() - pad];
        }
        let count = first & 0x1f;
        packets.push(parse_one(packet_type, count, body)?);
        rest = tail;
    }
    if packets.is_empty() {
        return Err(Error::RtcpTruncated);
    }
    Ok(packets)
}

fn parse_one(packet_type: u8, count: u8, body: &[u8]) -> Result<RtcpPacket, Error> {
    Ok(match packet_type {
        PT_SR => {
            let fixed = body.get(..24).ok_or(Error::RtcpTruncated)?;
            RtcpPacket::SenderReport(SenderReport {
                ssrc: Ssrc(be32(&fixed[0..])),
                ntp_timestamp: (u64::from(be32(&fixed[4..])) << 32) | u64::from(be32(&fixed[8..])),
                rtp_timestamp: be32(&fixed[12..]),
                packet_count: be32(&fixed[16..]),
                octet_count: be32(&fixed[20..]),
                reports: parse_blocks(&body[24..], count)?,
            })
        }
        PT_RR => {
            let fixed = body.get(..4).ok_or(Error::RtcpTruncated)?;
            RtcpPacket::ReceiverReport(ReceiverReport {
                ssrc: Ssrc(be32(fixed)),
                reports: parse_blocks(&body[4..], count)?,
            })
        }
        PT_SDES => RtcpPacket::SourceDescription(parse_sdes(body, count)?),
        PT_BYE => {
            let n = 4 * usize::from(count);
            let ids = body.get(..n).ok_or(Error::RtcpTruncated)?;
            let ssrcs = ids.chunks_exact(4).map(|c| Ssrc(be32(c))).collect();
            let reason = match body.get(n) {
                Some(&len) => {
                    let text = body
                        .get(n + 1..n + 1 + usize::from(len))
                        .ok_or(Error::RtcpTruncated)?;
                    Some(String::from_utf8_lossy(text).into_owned())
                }
                None => None,
            };
            RtcpPacket::Bye { ssrcs, reason }
        }
        other => RtcpPacket::Other { packet_type: other },
    })
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn parse_blocks(body: &[u8], count: u8) -> Result<Vec<ReportBlock>, Error> {
    let n = usize::from(count);
    let bytes = body.get(..24 * n).ok_or(Error::RtcpTruncated)?;
    Ok(bytes
        .chunks_exact(24)
        .map(|b| {
            // Sign-extend the 24-bit cumulative loss.
            let lost = i32::from_be_bytes([b[5], b[6], b[7], 0]) >> 8;
            ReportBlock {
                ssrc: Ssrc(be32(b)),
                fraction_lost: b[4],
                cumulative_lost: lost,
                extended_highest_seq: be32(&b[8..]),
                jitter: be32(&b[12..]),
                last_sr: be32(&b[16..]),
                delay_since_last_sr: be32(&b[20..]),
            }
        })
        .collect())
}

fn parse_sdes(body: &[u8], count: u8) -> Result<Vec<SdesChunk>, Error> {
    let mut chunks = Vec::new();
    let mut pos = 0;
    for _ in 0..count {
        let ssrc = Ssrc(be32(body.get(pos..pos + 4).ok_or(Error::RtcpTruncated)?));
        pos += 4;
        let mut items = Vec::new();
        loop {
            let kind = *body.get(pos).ok_or(Error::RtcpSdesOverrun)?;
            if kind == 0 {
                // The null item ends the list; skip to the next 32-bit boundary.
                pos = (pos + 4) & !3;
                break;
            }
            let len = usize::from(*body.get(pos + 1).ok_or(Error::RtcpSdesOverrun)?);
            let text = body
                .get(pos + 2..pos + 2 + len)
                .ok_or(Error::RtcpSdesOverrun)?;
            items.push((kind, String::from_utf8_lossy(text).into_owned()));
            pos += 2 + len;
        }
        chunks.push(SdesChunk { ssrc, items });
    }
    Ok(chunks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block() -> ReportBlock {
        ReportBlock {
            ssrc: Ssrc(0x0102_0304),
            fraction_lost: 25,
            cumulative_lost: -3,
            extended_highest_seq: 70000,
            jitter: 12,
            last_sr: 0xaabb_ccdd,
            delay_since_last_sr: 655,
        }
    }

    #[test]
    fn sender_report_round_trips_with_cname() {
        let sr = SenderReport {
            ssrc: Ssrc(77),
            ntp_timestamp: ntp_timestamp(Duration::from_millis(1_500)),
            rtp_timestamp: 1234,
            packet_count: 10,
            octet_count: 1600,
            reports: vec![block()],
        };
        let mut out = Vec::new();
        write_sender_report(&sr, "switchyard@127.0.0.1", &mut out);
        assert_eq!(out.len() % 4, 0);
        assert!(crate::is_rtcp(&out));
        let parsed = parse_rtcp(&out).unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0], RtcpPacket::SenderReport(sr.clone()));
        let RtcpPacket::SourceDescription(chunks) = &parsed[1] else {
            panic!("expected SDES, got {:?}", parsed[1]);
        };
        assert_eq!(chunks[0].ssrc, Ssrc(77));
        assert_eq!(chunks[0].cname(), Some("switchyard@127.0.0.1"));
        // 1.5 s after 1970 in NTP: seconds offset plus half of 2^32.
        assert_eq!(
            sr.ntp_timestamp,
            ((NTP_UNIX_OFFSET + 1) << 32) | 0x8000_0000
        );
    }

    #[test]
    fn receiver_report_and_bye_round_trip() {
        let mut out = Vec::new();
        write_receiver_report(
            &ReceiverReport {
                ssrc: Ssrc(5),
                reports: vec![block(), block()],
            },
            "abc",
            &mut out,
        );
        write_bye(Ssrc(5), Some("hangup"), "abc", &mut out);
        let parsed = parse_rtcp(&out).unwrap();
        assert_eq!(parsed.len(), 5);
        assert_eq!(
            parsed[0],
            RtcpPacket::ReceiverReport(ReceiverReport {
                ssrc: Ssrc(5),
                reports: vec![block(), block()]
            })
        );
        assert_eq!(
            parsed[4],
            RtcpPacket::Bye {
                ssrcs: vec![Ssrc(5)],
                reason: Some("hangup".into())
            }
        );
    }

    #[test]
    fn rejects_invalid_compounds() {
        let mut good = Vec::new();
        write_receiver_report(
            &ReceiverReport {
                ssrc: Ssrc(5),
                reports: vec![],
            },
            "x",
            &mut good,
        );
        // SDES first.
        assert_eq!(parse_rtcp(&good[8..]), Err(Error::RtcpNotReportFirst(202)));
        // Truncated.
        assert_eq!(
            parse_rtcp(&good[..good.len() - 4]),
            Err(Error::RtcpLengthOverrun)
        );
        assert_eq!(parse_rtcp(&[]), Err(Error::RtcpTruncated));
        // Padding on the first packet of two.
        let mut padded = good.clone();
        padded[0] |= 0x20;
        assert_eq!(parse_rtcp(&padded), Err(Error::RtcpPaddingNotLast));
        let mut v1 = good.clone();
        v1[0] = 0x40;
        assert_eq!(parse_rtcp(&v1), Err(Error::RtcpBadVersion(1)));
        // A report count larger than the body.
        let mut count = good.clone();
        count[0] |= 1;
        assert_eq!(parse_rtcp(&count), Err(Error::RtcpTruncated));
    }

    #[test]
    fn never_panics_on_mutations() {
        let mut good = Vec::new();
        write_bye(Ssrc(1), Some("bye"), "cname", &mut good);
        for i in 0..good.len() {
            for v in [0u8, 1, 0x1f, 0x3f, 0x80, 0xa1, 0xff] {
                let mut b = good.clone();
                b[i] = v;
                let _ = parse_rtcp(&b);
                let _ = parse_rtcp(&b[..i]);
            }
        }
    }
}
