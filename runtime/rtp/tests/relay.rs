//! Sender → lossy, reordering, duplicating link → relay → second such link → relay →
//! receiver, in virtual time: a call bridged twice (say, across two nodes).

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use switchyard_rtp::{
    parse_rtp, Discard, DtmfPayload, Forwarded, PayloadTypes, Relay, RtpSender, SeqExtender, Ssrc,
};

const TICK: Duration = Duration::from_millis(20);
const PACKETS: u32 = 3000;
const LOSS: f64 = 0.04;
const DUPLICATE: f64 = 0.02;
const BASE_DELAY_US: u64 = 10_000;
/// Up to 50 ms of jitter: packets overtake each other by up to two places.
const JITTER_US: u64 = 50_000;
/// Packets that cross each link cleanly, so each relay's mapping starts at packet 0.
const CLEAN_START: usize = 3;

const SOURCE: PayloadTypes = PayloadTypes {
    audio: 0,
    event: Some(101),
};
const MIDDLE: PayloadTypes = PayloadTypes {
    audio: 0,
    event: Some(96),
};
const FAR: PayloadTypes = PayloadTypes {
    audio: 0,
    event: Some(101),
};

struct Datagram {
    at: Instant,
    bytes: Vec<u8>,
}

/// What the source sent as packet `i` (its sequence number is the initial one plus `i`).
struct Sent {
    payload_type: u8,
    timestamp: u32,
    marker: bool,
    payload: Vec<u8>,
}

/// Four bytes of the packet counter make every audio payload recognisable.
fn payload(i: u32) -> Vec<u8> {
    let mut p = vec![0x55; 160];
    p[..4].copy_from_slice(&i.to_be_bytes());
    p
}

/// Delays, loses and duplicates datagrams; returns them in arrival order.
fn link(rng: &mut StdRng, sent: Vec<Datagram>) -> Vec<Datagram> {
    let mut arrivals = Vec::new();
    for (i, d) in sent.into_iter().enumerate() {
        let clean = i < CLEAN_START;
        if !clean && rng.random_bool(LOSS) {
            continue;
        }
        let copies = if !clean && rng.random_bool(DUPLICATE) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let jitter = if clean {
                0
            } else {
                rng.random_range(0..JITTER_US)
            };
            arrivals.push(Datagram {
                at: d.at + Duration::from_micros(BASE_DELAY_US + jitter),
                bytes: d.bytes.clone(),
            });
        }
    }
    // A stable sort: copies arriving at the same instant keep their order.
    arrivals.sort_by_key(|d| d.at);
    arrivals
}

/// Runs every arrival through `relay`, checking that nothing but stale packets is
/// dropped; returns what it sent, stamped with the arrival time.
fn relay_all(relay: &mut Relay, incoming: PayloadTypes, arrivals: &[Datagram]) -> Vec<Datagram> {
    let mut sent = Vec::new();
    for a in arrivals {
        let mut out = Vec::new();
        match relay.forward(&a.bytes, incoming, a.at, &mut out) {
            Ok(Forwarded::Sent { new_source, .. }) => {
                assert!(!new_source || sent.is_empty(), "one source throughout");
                sent.push(Datagram {
                    at: a.at,
                    bytes: out,
                });
            }
            Ok(Forwarded::Dropped(Discard::Stale)) => assert!(out.is_empty()),
            other => panic!("unexpected {other:?}"),
        }
    }
    sent
}

#[test]
fn two_relays_in_series_over_lossy_reordering_links_keep_payloads_and_mapping() {
    let mut rng = StdRng::seed_from_u64(0x4e1a_7001);
    let t0 = Instant::now();

    // --- the source: audio with a DTMF digit every 6 s, its sequence wrapping ---
    let mut source = RtpSender::with_initial(Ssrc(0xa), SOURCE.audio, 8000, 65_400, 1_000);
    let mut sent = Vec::new();
    let mut datagrams = Vec::new();
    for i in 0..PACKETS {
        if i % 300 == 150 {
            source.start_dtmf(101, '7', 120).unwrap();
        }
        let mut bytes = Vec::new();
        source.audio(&payload(i), 160, &mut bytes);
        let p = parse_rtp(&bytes).unwrap();
        assert_eq!(p.header.sequence, 65_400u16.wrapping_add(i as u16));
        sent.push(Sent {
            payload_type: p.header.payload_type,
            timestamp: p.header.timestamp,
            marker: p.header.marker,
            payload: p.payload.to_vec(),
        });
        datagrams.push(Datagram {
            at: t0 + TICK * i,
            bytes,
        });
    }

    // --- two bridges, each rewriting into its own stream (both wrap) ---
    let mut first = Relay::with_initial(Ssrc(0xb), MIDDLE, 8000, 65_500, 5);
    let mut second = Relay::with_initial(Ssrc(0xc), FAR, 8000, 64_000, 0xffff_ff00);
    let hop1 = relay_all(&mut first, SOURCE, &link(&mut rng, datagrams));
    let hop2 = relay_all(&mut second, MIDDLE, &link(&mut rng, hop1));

    // --- the receiver ---
    let mut ext = SeqExtender::new();
    let mut delivered = Vec::new();
    for d in &hop2 {
        let p = parse_rtp(&d.bytes).unwrap();
        assert_eq!(p.header.ssrc, Ssrc(0xc));
        let seq = ext.extend(p.header.sequence).unwrap().0;
        delivered.push((seq, p.header, p.payload.to_vec()));
    }
    // Each link's clean start delivers the source's packet 0 first, as our first.
    let (seq0, h0, p0) = &delivered[0];
    assert_eq!((*seq0, h0.timestamp), (64_000, 0xffff_ff00));
    assert_eq!(*p0, payload(0));

    let mut events = 0;
    let mut indices = Vec::new();
    for (seq, header, body) in &delivered {
        // One offset maps our sequence space onto the source's, across both wraps.
        let i = (seq - seq0) as usize;
        let s = &sent[i];
        assert_eq!(*body, s.payload, "payload of source packet {i}");
        assert_eq!(
            header.timestamp,
            s.timestamp.wrapping_sub(1_000).wrapping_add(0xffff_ff00),
            "timing of source packet {i}"
        );
        assert_eq!(header.marker, s.marker, "marker of source packet {i}");
        let expected_pt = if s.payload_type == SOURCE.audio {
            FAR.audio
        } else {
            events += 1;
            DtmfPayload::parse(body).unwrap();
            FAR.event.unwrap()
        };
        assert_eq!(header.payload_type, expected_pt);
        indices.push(i);
    }

    // In order by our sequence number is in order by the source's.
    let mut by_seq: Vec<_> = delivered
        .iter()
        .map(|(seq, h, _)| (*seq, h.timestamp))
        .collect();
    by_seq.sort();
    for pair in by_seq.windows(2) {
        assert!(pair[0].0 <= pair[1].0);
        let ts_step = pair[1].1.wrapping_sub(pair[0].1);
        assert!(
            ts_step < 160 * 100,
            "timestamps go forward with the sequence"
        );
    }
    // The run was long and rough enough to mean something.
    indices.sort();
    indices.dedup();
    assert!(indices.len() > PACKETS as usize * 85 / 100);
    assert!(indices.len() < PACKETS as usize);
    assert!(
        delivered.len() > indices.len(),
        "some duplicates came through"
    );
    assert!(
        delivered.windows(2).any(|w| w[1].0 < w[0].0),
        "some packets were relayed out of order"
    );
    assert!(events > 20, "DTMF events were relayed");
    assert!(
        by_seq.last().unwrap().0 > 65_535,
        "our sequence wrapped too"
    );
}
