//! Reading UDP datagrams out of a classic pcap file (what `tcpdump -w` writes).

use anyhow::{bail, ensure, Result};

/// One IPv4/UDP datagram seen on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpDatagram {
    /// Capture time in microseconds since the Unix epoch.
    pub time_us: u64,
    /// Source address and port.
    pub src: ([u8; 4], u16),
    /// Destination address and port.
    pub dst: ([u8; 4], u16),
    /// The UDP payload.
    pub payload: Vec<u8>,
}

// Link-layer header types (https://www.tcpdump.org/linktypes.html).
const LINKTYPE_NULL: u32 = 0;
const LINKTYPE_ETHERNET: u32 = 1;
const LINKTYPE_RAW: u32 = 101;
const LINKTYPE_LINUX_SLL: u32 = 113;
const LINKTYPE_IPV4: u32 = 228;
const LINKTYPE_LINUX_SLL2: u32 = 276;
// DLT_RAW as some systems write it in files.
const DLT_RAW_ALT: u32 = 12;

/// Parses every IPv4/UDP datagram of a pcap file; other packets are skipped. A
/// truncated last record (capture stopped mid-write) ends the list quietly.
pub fn udp_datagrams(file: &[u8]) -> Result<Vec<UdpDatagram>> {
    ensure!(file.len() >= 24, "pcap file shorter than its header");
    let magic = [file[0], file[1], file[2], file[3]];
    let (little, nanos) = match magic {
        [0xd4, 0xc3, 0xb2, 0xa1] => (true, false),
        [0xa1, 0xb2, 0xc3, 0xd4] => (false, false),
        [0x4d, 0x3c, 0xb2, 0xa1] => (true, true),
        [0xa1, 0xb2, 0x3c, 0x4d] => (false, true),
        _ => bail!("not a classic pcap file (magic {magic:02x?})"),
    };
    let u32_at = |at: usize| {
        let b = [file[at], file[at + 1], file[at + 2], file[at + 3]];
        if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        }
    };
    let linktype = u32_at(20) & 0x0fff_ffff;
    let mut out = Vec::new();
    let mut at = 24;
    while at + 16 <= file.len() {
        let secs = u64::from(u32_at(at));
        let frac = u64::from(u32_at(at + 4));
        let incl = u32_at(at + 8) as usize;
        let start = at + 16;
        if start + incl > file.len() {
            break;
        }
        let frame = &file[start..start + incl];
        at = start + incl;
        let time_us = secs * 1_000_000 + if nanos { frac / 1000 } else { frac };
        if let Some(ip) = ipv4_of(linktype, frame) {
            if let Some(d) = udp_of(ip, time_us) {
                out.push(d);
            }
        }
    }
    Ok(out)
}

/// The IPv4 packet inside a link-layer frame, if it is one.
fn ipv4_of(linktype: u32, frame: &[u8]) -> Option<&[u8]> {
    let (ethertype, offset) = match linktype {
        LINKTYPE_ETHERNET => (u16::from_be_bytes([*frame.get(12)?, *frame.get(13)?]), 14),
        LINKTYPE_LINUX_SLL => (u16::from_be_bytes([*frame.get(14)?, *frame.get(15)?]), 16),
        LINKTYPE_LINUX_SLL2 => (u16::from_be_bytes([*frame.first()?, *frame.get(1)?]), 20),
        // The null header is the address family in host order; AF_INET is 2.
        LINKTYPE_NULL => (
            if frame.first()? == &2 || frame.get(3)? == &2 {
                0x0800
            } else {
                0
            },
            4,
        ),
        LINKTYPE_RAW | LINKTYPE_IPV4 | DLT_RAW_ALT => (0x0800, 0),
        _ => return None,
    };
    let ip = frame.get(offset..)?;
    (ethertype == 0x0800 && ip.first()? >> 4 == 4).then_some(ip)
}

fn udp_of(ip: &[u8], time_us: u64) -> Option<UdpDatagram> {
    let ihl = usize::from(ip.first()? & 0x0f) * 4;
    if *ip.get(9)? != 17 || ihl < 20 {
        return None;
    }
    let total = usize::from(u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?]));
    let ip = ip.get(..total.min(ip.len()))?;
    let udp = ip.get(ihl..)?;
    let udp_len = usize::from(u16::from_be_bytes([*udp.get(4)?, *udp.get(5)?]));
    let payload = udp.get(8..udp_len.min(udp.len()))?;
    Some(UdpDatagram {
        time_us,
        src: (
            ip.get(12..16)?.try_into().ok()?,
            u16::from_be_bytes([udp[0], udp[1]]),
        ),
        dst: (
            ip.get(16..20)?.try_into().ok()?,
            u16::from_be_bytes([udp[2], udp[3]]),
        ),
        payload: payload.to_vec(),
    })
}

/// A little-endian microsecond pcap file with Ethernet framing holding `datagrams`, as
/// sipp's `play_pcap_audio` replays them (only their timing and UDP payloads count).
pub fn write_udp(datagrams: &[UdpDatagram]) -> Vec<u8> {
    let mut f = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    f.extend([0; 8]);
    f.extend(65535u32.to_le_bytes());
    f.extend(LINKTYPE_ETHERNET.to_le_bytes());
    for d in datagrams {
        let udp_len = 8 + d.payload.len();
        let total = 20 + udp_len;
        let frame_len = (14 + total) as u32;
        f.extend(((d.time_us / 1_000_000) as u32).to_le_bytes());
        f.extend(((d.time_us % 1_000_000) as u32).to_le_bytes());
        f.extend(frame_len.to_le_bytes());
        f.extend(frame_len.to_le_bytes());
        f.extend([0; 12]);
        f.extend([0x08, 0x00]);
        f.extend([0x45, 0]);
        f.extend((total as u16).to_be_bytes());
        f.extend([0, 0, 0, 0, 64, 17, 0, 0]);
        f.extend(d.src.0);
        f.extend(d.dst.0);
        f.extend(d.src.1.to_be_bytes());
        f.extend(d.dst.1.to_be_bytes());
        f.extend((udp_len as u16).to_be_bytes());
        f.extend([0, 0]);
        f.extend(&d.payload);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a little-endian microsecond pcap with Ethernet framing.
    fn pcap_with(frames: &[(u32, u32, Vec<u8>)]) -> Vec<u8> {
        let mut f = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
        f.extend([0; 8]);
        f.extend(65535u32.to_le_bytes());
        f.extend(LINKTYPE_ETHERNET.to_le_bytes());
        for (s, us, data) in frames {
            f.extend(s.to_le_bytes());
            f.extend(us.to_le_bytes());
            f.extend((data.len() as u32).to_le_bytes());
            f.extend((data.len() as u32).to_le_bytes());
            f.extend(data);
        }
        f
    }

    fn eth_udp(src_port: u16, dst_port: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0; 12];
        f.extend([0x08, 0x00]);
        let total = (20 + 8 + payload.len()) as u16;
        f.extend([
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            0,
            0,
            0,
            64,
            17,
            0,
            0,
        ]);
        f.extend([127, 0, 0, 1, 127, 0, 0, 2]);
        f.extend(src_port.to_be_bytes());
        f.extend(dst_port.to_be_bytes());
        f.extend(((8 + payload.len()) as u16).to_be_bytes());
        f.extend([0, 0]);
        f.extend(payload);
        f
    }

    #[test]
    fn parses_udp_and_skips_the_rest() {
        let mut tcp = eth_udp(1, 2, b"x");
        tcp[14 + 9] = 6;
        let file = pcap_with(&[
            (10, 5, eth_udp(4000, 5000, b"hello")),
            (11, 7, tcp),
            (12, 9, eth_udp(4001, 5001, b"")),
        ]);
        let d = udp_datagrams(&file).unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].time_us, 10_000_005);
        assert_eq!(d[0].src, ([127, 0, 0, 1], 4000));
        assert_eq!(d[0].dst, ([127, 0, 0, 2], 5000));
        assert_eq!(d[0].payload, b"hello");
        assert_eq!(d[1].dst.1, 5001);
        assert!(d[1].payload.is_empty());
    }

    #[test]
    fn a_written_file_reads_back() {
        let written: Vec<UdpDatagram> = (0..3u8)
            .map(|n| UdpDatagram {
                time_us: 1_000_000 + u64::from(n) * 20_000,
                src: ([127, 0, 0, 1], 4000),
                dst: ([127, 0, 0, 2], 5000 + u16::from(n)),
                payload: vec![n; 12 + usize::from(n)],
            })
            .collect();
        assert_eq!(udp_datagrams(&write_udp(&written)).unwrap(), written);
    }

    #[test]
    fn truncated_tail_is_ignored_and_garbage_rejected() {
        let mut file = pcap_with(&[(1, 0, eth_udp(1, 2, b"abc"))]);
        let whole = udp_datagrams(&file).unwrap();
        file.extend([1, 0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, 100, 0, 0, 0, 1, 2]);
        assert_eq!(udp_datagrams(&file).unwrap(), whole);
        assert!(udp_datagrams(b"not a pcap file at all, clearly").is_err());
    }
}
