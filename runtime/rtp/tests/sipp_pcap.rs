//! Reads the RFC 2833/4733 captures shipped with sipp (Debian `sip-tester`) and checks
//! that the detector reports exactly the digit each file is named after.
//!
//! The pcap parsing is done here by hand: classic pcap (either byte order, micro- or
//! nanosecond), Ethernet, IPv4, UDP.

use std::path::Path;
use std::time::Duration;

use switchyard_rtp::{is_rtcp, parse_rtp, rtp_units, DtmfDetector, ReceiveStats};

const DIR: &str = "/usr/share/sip-tester";
const LINKTYPE_ETHERNET: u32 = 1;

/// The UDP payloads of a classic pcap file of Ethernet/IPv4/UDP packets, with their
/// capture times in microseconds.
fn udp_payloads(file: &[u8]) -> Vec<(u64, Vec<u8>)> {
    let magic = u32::from_le_bytes(file[0..4].try_into().unwrap());
    let (little, nanos) = match magic {
        0xa1b2_c3d4 => (true, false),
        0xa1b2_3c4d => (true, true),
        0xd4c3_b2a1 => (false, false),
        0x4d3c_b2a1 => (false, true),
        other => panic!("not a classic pcap file (magic {other:08x})"),
    };
    let u32_at = |b: &[u8], at: usize| {
        let bytes: [u8; 4] = b[at..at + 4].try_into().unwrap();
        if little {
            u32::from_le_bytes(bytes)
        } else {
            u32::from_be_bytes(bytes)
        }
    };
    assert_eq!(u32_at(file, 20), LINKTYPE_ETHERNET, "link type");
    let mut out = Vec::new();
    let mut pos = 24;
    while pos + 16 <= file.len() {
        let secs = u64::from(u32_at(file, pos));
        let frac = u64::from(u32_at(file, pos + 4));
        let micros = secs * 1_000_000 + if nanos { frac / 1000 } else { frac };
        let captured = u32_at(file, pos + 8) as usize;
        let frame = &file[pos + 16..pos + 16 + captured];
        pos += 16 + captured;
        // Ethernet II: 14-byte header, EtherType 0x0800 for IPv4.
        if frame.len() < 14 || frame[12..14] != [0x08, 0x00] {
            continue;
        }
        let ip = &frame[14..];
        let header_len = usize::from(ip[0] & 0x0f) * 4;
        let total_len = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
        if ip[0] >> 4 != 4 || ip[9] != 17 || total_len > ip.len() {
            continue;
        }
        let udp = &ip[header_len..total_len];
        let udp_len = usize::from(u16::from_be_bytes([udp[4], udp[5]]));
        out.push((micros, udp[8..udp_len].to_vec()));
    }
    out
}

fn read(name: &str) -> Option<Vec<u8>> {
    let path = Path::new(DIR).join(name);
    if !path.exists() {
        eprintln!(
            "SKIPPED: {} is absent (install the Debian package sip-tester)",
            path.display()
        );
        return None;
    }
    Some(std::fs::read(path).unwrap())
}

#[test]
fn each_sipp_dtmf_capture_yields_exactly_its_digit() {
    let names: Vec<(String, char)> = (0..=9)
        .map(|d| (d.to_string(), char::from(b'0' + d)))
        .chain([("star".to_owned(), '*'), ("pound".to_owned(), '#')])
        .collect();
    let mut checked = 0;
    for (suffix, digit) in names {
        let Some(file) = read(&format!("dtmf_2833_{suffix}.pcap")) else {
            continue;
        };
        let payloads = udp_payloads(&file);
        assert!(!payloads.is_empty());
        // sipp's captures carry the events with the dynamic payload type 101.
        let mut detector = DtmfDetector::new();
        let mut digits = Vec::new();
        let mut events = 0;
        for (_, datagram) in &payloads {
            assert!(!is_rtcp(datagram));
            let packet = parse_rtp(datagram).expect("sipp's captures are valid RTP");
            if packet.header.payload_type == 101 {
                events += 1;
                digits.extend(detector.push(&packet.header, packet.payload));
            }
        }
        assert!(events >= 3, "{suffix}: {events} event packets");
        assert_eq!(
            detector.flush(),
            None,
            "{suffix}: the end packet settled it"
        );
        assert_eq!(digits, [digit], "dtmf_2833_{suffix}.pcap");
        checked += 1;
    }
    if checked > 0 {
        assert_eq!(checked, 12);
    }
}

#[test]
fn sipp_g711a_capture_is_a_clean_stream() {
    let Some(file) = read("g711a.pcap") else {
        return;
    };
    let payloads = udp_payloads(&file);
    let start = payloads[0].0;
    let mut stats = ReceiveStats::new();
    let mut reference = 0.0f64;
    let mut prev_transit: Option<i64> = None;
    for (i, (micros, datagram)) in payloads.iter().enumerate() {
        let packet = parse_rtp(datagram).expect("valid RTP");
        assert_eq!(packet.header.payload_type, 8, "PCMA");
        // The capture is 30 ms packets: 240 samples of A-law each.
        assert_eq!(packet.payload.len(), 240);
        let arrival = rtp_units(Duration::from_micros(micros - start), 8000);
        // Only the first packet is on RFC 3550 A.1 probation.
        assert_eq!(stats.update(&packet.header, arrival), i > 0);
        if i > 0 {
            let transit = i64::from(arrival) - i64::from(packet.header.timestamp);
            if let Some(prev) = prev_transit {
                reference += ((transit - prev).abs() as f64 - reference) / 16.0;
            }
            prev_transit = Some(transit);
        }
    }
    assert!(payloads.len() > 100);
    assert_eq!(stats.expected(), payloads.len() as u64 - 1);
    assert_eq!(stats.lost(), 0);
    // The A.8 figure on the capture's real arrival times matches the formula, and a
    // capture paced by sipp stays well under one packet (240 units) of jitter.
    let jitter = f64::from(stats.jitter());
    assert!((jitter - reference).abs() <= 2.0, "{jitter} vs {reference}");
    assert!(jitter < 240.0, "jitter {jitter}");
}
