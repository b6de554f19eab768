//! Sender → seeded lossy, reordering, duplicating network → receiver (statistics,
//! jitter buffer, RTCP), all in virtual time.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use switchyard_rtp::{
    parse_rtcp, parse_rtp, rtp_units, write_receiver_report, JitterBuffer, ReceiveStats,
    ReceiverReport, RtcpPacket, RtpSender, Ssrc,
};

const TICK: Duration = Duration::from_millis(20);
const PACKETS: u32 = 4000;
const LOSS: f64 = 0.05;
const DUPLICATE: f64 = 0.02;
const BASE_DELAY_US: u64 = 30_000;
const JITTER_US: u64 = 40_000;
/// Packets sent before the network starts misbehaving, so the RFC 3550 A.1 probation
/// (which does not count the first packet) is passed deterministically.
const CLEAN_START: u32 = 5;

struct Arrival {
    at: Instant,
    bytes: Vec<u8>,
}

/// Two bytes of the per-packet counter make every payload checkable on the far side.
fn payload(i: u32) -> Vec<u8> {
    let mut p = vec![0x55; 160];
    p[..4].copy_from_slice(&i.to_be_bytes());
    p
}

#[test]
fn ordered_playout_exact_loss_accounting_and_a8_jitter() {
    let mut rng = StdRng::seed_from_u64(0x5eed_2026);
    let t0 = Instant::now();
    // Start just below the wrap so the run crosses it.
    let mut sender = RtpSender::with_initial(Ssrc(0xabcd), 0, 8000, 65000, 123_456);

    // --- the network ---
    let mut arrivals = Vec::new();
    let mut dropped: BTreeSet<u32> = BTreeSet::new();
    for i in 0..PACKETS {
        let mut bytes = Vec::new();
        sender.audio(&payload(i), 160, &mut bytes);
        let sent_at = t0 + TICK * i;
        let clean = i < CLEAN_START;
        if !clean && rng.random_bool(LOSS) {
            dropped.insert(i);
            continue;
        }
        let copies = if !clean && rng.random_bool(DUPLICATE) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let delay = BASE_DELAY_US
                + if clean {
                    0
                } else {
                    rng.random_range(0..JITTER_US)
                };
            arrivals.push(Arrival {
                at: sent_at + Duration::from_micros(delay),
                bytes: bytes.clone(),
            });
        }
    }
    arrivals.sort_by_key(|a| a.at);

    // --- the receiver: statistics on arrival, playout on a 20 ms tick ---
    let mut stats = ReceiveStats::new();
    let mut jb = JitterBuffer::new(4, TICK);
    let mut reference_jitter = 0.0f64;
    let mut prev_transit: Option<i64> = None;
    let mut deliveries: HashMap<u32, u32> = HashMap::new();
    let mut frames = Vec::new();
    let mut pending = arrivals.iter().peekable();
    let mut tick = t0 + TICK / 2;
    let end = t0 + TICK * (PACKETS + 20);
    while tick < end {
        while let Some(a) = pending.next_if(|a| a.at <= tick) {
            let packet = parse_rtp(&a.bytes).expect("our own packets parse");
            let index = u32::from_be_bytes(packet.payload[..4].try_into().unwrap());
            *deliveries.entry(index).or_default() += 1;
            let arrival = rtp_units(a.at - t0, 8000);
            stats.update(&packet.header, arrival);
            // A.8 reference in floating point, on the same arrival order.
            let transit = i64::from(arrival) - i64::from(packet.header.timestamp);
            if let Some(prev) = prev_transit {
                let d = (transit - prev).abs() as f64;
                reference_jitter += (d - reference_jitter) / 16.0;
            }
            prev_transit = Some(transit);
            jb.push(&packet.header, packet.payload, a.at);
        }
        if let Some(frame) = jb.pop(tick) {
            frames.push(frame);
        }
        tick += TICK;
    }

    // Order: one frame per sequence number, contiguous, across the wrap. After the last
    // packet the buffer conceals `depth` dry ticks and then stops (one underrun).
    for pair in frames.windows(2) {
        assert_eq!(pair[1].seq.0, pair[0].seq.0 + 1);
    }
    let first_seq = frames[0].seq.0;
    assert_eq!(first_seq, 65000);
    assert_eq!(frames.len() as u32, PACKETS + 4);
    assert!(frames[PACKETS as usize..].iter().all(|f| f.lost));
    frames.truncate(PACKETS as usize);
    assert_eq!(jb.stats().underruns, 1);
    assert!(
        frames.last().unwrap().seq.0 > 65535,
        "the run crossed the wrap"
    );

    // Every played frame carries its own payload; lost frames are exactly the dropped
    // packets (depth 80 ms covers the 40 ms of network jitter, so nothing is late).
    let mut lost_frames = BTreeSet::new();
    for f in &frames {
        let index = (f.seq.0 - first_seq) as u32;
        if f.lost {
            lost_frames.insert(index);
        } else {
            assert_eq!(f.payload, payload(index), "frame {index}");
        }
    }
    assert_eq!(lost_frames, dropped);
    assert_eq!(jb.stats().concealed, lost_frames.len() as u64 + 4);
    assert!(!dropped.is_empty() && deliveries.values().any(|&n| n == 2));

    // RFC 3550 A.3 accounting: expected counts from the second packet (probation),
    // received counts every delivery after it including duplicates.
    let highest = *deliveries.keys().max().unwrap();
    let received_after_probation: u32 = deliveries
        .iter()
        .filter(|(&i, _)| i >= 1)
        .map(|(_, &n)| n)
        .sum();
    let expected = u64::from(highest);
    assert_eq!(stats.expected(), expected);
    assert_eq!(stats.received(), u64::from(received_after_probation));
    let duplicates =
        i64::from(received_after_probation) - i64::from(highest - dropped.len() as u32);
    assert_eq!(stats.lost(), dropped.len() as i64 - duplicates);

    // A.8 jitter: the integer implementation tracks the floating-point formula, and for
    // delays uniform over 40 ms the mean |D| is 40/3 ms = 106.7 units at 8 kHz.
    let jitter = f64::from(stats.jitter());
    assert!(
        (jitter - reference_jitter).abs() <= 2.0,
        "{jitter} vs {reference_jitter}"
    );
    assert!((70.0..=145.0).contains(&jitter), "jitter {jitter}");

    // The figures survive the trip through an RTCP receiver report.
    let block = stats.report_block(end).expect("valid source");
    let mut rtcp = Vec::new();
    write_receiver_report(
        &ReceiverReport {
            ssrc: Ssrc(1),
            reports: vec![block],
        },
        "rx@test",
        &mut rtcp,
    );
    let parsed = parse_rtcp(&rtcp).unwrap();
    let RtcpPacket::ReceiverReport(rr) = &parsed[0] else {
        panic!("RR first");
    };
    let b = rr.reports[0];
    assert_eq!(b.ssrc, Ssrc(0xabcd));
    assert_eq!(i64::from(b.cumulative_lost), stats.lost());
    assert_eq!(b.extended_highest_seq, 65000 + highest);
    assert_eq!(b.jitter, stats.jitter());
    let fraction = f64::from(b.fraction_lost) / 256.0;
    let actual = stats.lost() as f64 / expected as f64;
    assert!(
        (fraction - actual).abs() < 1.0 / 256.0 + 1e-9,
        "{fraction} vs {actual}"
    );
}
