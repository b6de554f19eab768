//! The engine on real loopback sockets: two far ends' packets cross a bridge on one
//! worker and across two, rewritten into the other leg's stream, and a leg whose
//! bridged leg closed plays on its own again.

use std::net::{SocketAddr, UdpSocket};
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use switchyard_rtp::Codec;
use switchyard_rtp::{parse_rtp, write_rtp, RtpHeader, Ssrc};
use tokio::sync::mpsc;

use super::{MediaCommand, MediaEngine, MediaHandle, MediaParams};
use crate::ports::MediaSockets;

const FAR_SSRC: u32 = 0x5157_0001;

struct Leg {
    media: MediaHandle,
    phone: UdpSocket,
    port: u16,
}

fn sockets() -> MediaSockets {
    let rtp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let rtcp = UdpSocket::bind("127.0.0.1:0").unwrap();
    rtp.set_nonblocking(true).unwrap();
    rtcp.set_nonblocking(true).unwrap();
    let port = rtp.local_addr().unwrap().port();
    MediaSockets { rtp, rtcp, port }
}

/// A leg whose far end is a socket of the test's, sending and receiving PCMU.
fn leg(
    engine: &MediaEngine,
    near: Option<&super::MediaLink>,
    exits: &std_mpsc::Sender<u16>,
) -> Leg {
    let phone = UdpSocket::bind("127.0.0.1:0").unwrap();
    phone
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let s = sockets();
    let port = s.port;
    let params = MediaParams {
        remote: Some(phone.local_addr().unwrap()),
        codec: Codec::Pcmu,
        opus: None,
        payload_type: 0,
        telephone_event: Some(101),
        sending: true,
        srtp: None,
    };
    let (events, _) = mpsc::unbounded_channel();
    let exits = exits.clone();
    let media = engine.spawn(s, params, events, near, move |p, _| {
        let _ = exits.send(p);
    });
    Leg { media, phone, port }
}

fn node_addr(leg: &Leg) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], leg.port))
}

/// `count` packets from `from`'s phone, 20 ms apart, each payload marked with its index.
fn send_marked(from: &Leg, count: u16) {
    for i in 0..count {
        let header = RtpHeader {
            marker: i == 0,
            payload_type: 0,
            sequence: 1000 + i,
            timestamp: 160 * u32::from(i),
            ssrc: Ssrc(FAR_SSRC),
        };
        let mut payload = vec![0x42u8; 160];
        payload[..2].copy_from_slice(&i.to_be_bytes());
        let mut out = Vec::new();
        write_rtp(&header, &payload, &mut out);
        from.phone.send_to(&out, node_addr(from)).unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// What `to`'s phone receives for `window`: (ssrc, sequence, marked index or None).
fn receive(to: &Leg, window: Duration) -> Vec<(u32, u16, Option<u16>)> {
    let end = Instant::now() + window;
    let mut got = Vec::new();
    let mut buf = [0u8; 2048];
    while Instant::now() < end {
        let Ok(n) = to.phone.recv(&mut buf) else {
            continue;
        };
        let p = parse_rtp(&buf[..n]).unwrap();
        let marked = (p.payload.len() == 160 && p.payload[2..].iter().all(|&b| b == 0x42))
            .then(|| u16::from_be_bytes([p.payload[0], p.payload[1]]));
        got.push((p.header.ssrc.0, p.header.sequence, marked));
    }
    got
}

fn bridge(a: &Leg, b: &Leg) {
    a.media.send(MediaCommand::Bridge(Some(b.media.link())));
    b.media.send(MediaCommand::Bridge(Some(a.media.link())));
}

/// Phone A's marked packets reach phone B, all of them, in order, in B's leg's own
/// stream (one SSRC, consecutive sequence numbers across the switch from its own audio).
fn assert_relayed(a: &Leg, b: &Leg) {
    // Let the legs' own audio reach both phones first: the phones' packets latch.
    let warm = std::thread::scope(|s| {
        s.spawn(|| send_marked(a, 1));
        s.spawn(|| send_marked(b, 1));
        receive(b, Duration::from_millis(200))
    });
    assert!(!warm.is_empty(), "leg B played nothing before the bridge");
    bridge(a, b);
    std::thread::sleep(Duration::from_millis(50));
    let got = std::thread::scope(|s| {
        s.spawn(|| send_marked(a, 50));
        receive(b, Duration::from_millis(1400))
    });
    let marked: Vec<u16> = got.iter().filter_map(|g| g.2).collect();
    assert_eq!(marked, (0..50).collect::<Vec<_>>(), "relayed packets");
    let ssrcs: std::collections::BTreeSet<u32> = warm.iter().chain(&got).map(|g| g.0).collect();
    assert_eq!(ssrcs.len(), 1, "B's leg keeps one SSRC: {ssrcs:x?}");
    assert_ne!(ssrcs.first(), Some(&FAR_SSRC));
    let seqs: Vec<u16> = warm.iter().chain(&got).map(|g| g.1).collect();
    for w in seqs.windows(2) {
        assert_eq!(w[1], w[0].wrapping_add(1), "sequence gap in {seqs:?}");
    }
}

#[test]
fn a_bridge_on_one_worker_relays_into_the_other_legs_stream() {
    let engine = MediaEngine::with_workers(2).unwrap();
    let (exits, _) = std_mpsc::channel();
    let a = leg(&engine, None, &exits);
    let b = leg(&engine, Some(&a.media.link()), &exits);
    assert_eq!(a.media.link().worker.index, b.media.link().worker.index);
    assert_relayed(&a, &b);
}

#[test]
fn a_bridge_across_two_workers_relays_into_the_other_legs_stream() {
    let engine = MediaEngine::with_workers(2).unwrap();
    let (exits, _) = std_mpsc::channel();
    let a = leg(&engine, None, &exits);
    let b = leg(&engine, None, &exits);
    assert_ne!(a.media.link().worker.index, b.media.link().worker.index);
    assert_relayed(&b, &a);
}

#[test]
fn a_closed_leg_returns_its_port_and_its_bridged_leg_plays_on() {
    let engine = MediaEngine::with_workers(1).unwrap();
    let (exits, exited) = std_mpsc::channel();
    let a = leg(&engine, None, &exits);
    let b = leg(&engine, Some(&a.media.link()), &exits);
    bridge(&a, &b);
    let Leg {
        media,
        port: b_port,
        ..
    } = b;
    drop(media);
    assert_eq!(
        exited.recv_timeout(Duration::from_secs(2)),
        Ok(b_port),
        "B's port back"
    );
    // A's phone talks; the packet finds B gone and A's leg unbridges: its own audio
    // (silence) reaches A's phone again, every 20 ms.
    let got = std::thread::scope(|s| {
        s.spawn(|| send_marked(&a, 3));
        receive(&a, Duration::from_millis(600))
    });
    let after: Vec<_> = got.iter().filter(|g| g.2.is_none()).collect();
    assert!(
        after.len() >= 20,
        "A's own audio after the bridge ended: {} packets",
        after.len()
    );
    assert!(exited.try_recv().is_err(), "A's port is still in use");
}
