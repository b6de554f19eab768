//! The tcpdump capture against packets sent from this process.

use std::net::UdpSocket;
use switchyard_e2e::{free_port, Capture};

fn rtp(seq: u16, ts: u32, pt: u8) -> Vec<u8> {
    let mut p = vec![0x80, pt, (seq >> 8) as u8, seq as u8];
    p.extend(ts.to_be_bytes());
    p.extend(0x1234_5678u32.to_be_bytes());
    p.extend([0xd5; 160]);
    p
}

#[test]
fn capture_counts_rtp_to_its_port_only() {
    let port = free_port().unwrap();
    let other = free_port().unwrap();
    let capture = Capture::start(port).unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..5u16 {
        sock.send_to(&rtp(100 + i, 160 * u32::from(i), 8), ("127.0.0.1", port))
            .unwrap();
        sock.send_to(&rtp(900 + i, 0, 0), ("127.0.0.1", other))
            .unwrap();
    }
    // Not RTP (version 1): captured on the wire but not returned as RTP.
    sock.send_to(&[0x40; 20], ("127.0.0.1", port)).unwrap();
    let packets = capture.stop().unwrap();
    assert_eq!(packets.len(), 5, "{packets:?}");
    let sender = sock.local_addr().unwrap().port();
    for (i, p) in packets.iter().enumerate() {
        assert_eq!(p.seq, 100 + i as u16);
        assert_eq!(p.timestamp, 160 * i as u32);
        assert_eq!(p.payload_type, 8);
        assert_eq!(p.ssrc, 0x1234_5678);
        assert_eq!(p.len, 172);
        assert_eq!(p.payload.len(), 160);
        assert_eq!(p.src_port, sender);
    }
    assert!(packets.windows(2).all(|w| w[0].time <= w[1].time));
}
