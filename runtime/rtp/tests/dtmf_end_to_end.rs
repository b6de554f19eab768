//! DTMF sent by `RtpSender` over a lossy, duplicating network is detected exactly once
//! per digit by `DtmfDetector`.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use switchyard_rtp::{parse_rtp, DtmfDetector, DtmfPayload, RtpSender, Ssrc};

const EVENT_PT: u8 = 101;
const DIGITS: &str = "0123456789*#ABCD55#1";

/// Sends `DIGITS` with 60 ms of audio between them and returns the wire packets.
fn send_digits(duration_ms: u32) -> Vec<Vec<u8>> {
    let mut sender = RtpSender::with_initial(Ssrc(3), 0, 8000, 65530, 0xffff_f000);
    let mut packets = Vec::new();
    for digit in DIGITS.chars() {
        for _ in 0..3 {
            let mut out = Vec::new();
            sender.audio(&[0xff; 160], 160, &mut out);
            packets.push(out);
        }
        sender.start_dtmf(EVENT_PT, digit, duration_ms).unwrap();
        while sender.dtmf_active() {
            let mut out = Vec::new();
            assert!(sender.next_dtmf_packet(160, &mut out));
            packets.push(out);
        }
    }
    packets
}

fn detect<'a>(packets: impl IntoIterator<Item = &'a Vec<u8>>) -> String {
    let mut detector = DtmfDetector::new();
    let mut digits = String::new();
    for bytes in packets {
        let p = parse_rtp(bytes).unwrap();
        if p.header.payload_type != EVENT_PT {
            continue;
        }
        digits.extend(detector.push(&p.header, p.payload));
    }
    digits.extend(std::iter::from_fn(|| detector.flush()));
    digits
}

fn is_end(bytes: &[u8]) -> bool {
    let p = parse_rtp(bytes).unwrap();
    p.header.payload_type == EVENT_PT && DtmfPayload::parse(p.payload).unwrap().end
}

#[test]
fn clean_network_yields_each_digit_once() {
    let packets = send_digits(120);
    assert_eq!(detect(&packets), DIGITS);
}

#[test]
fn loss_of_non_end_packets_and_duplicated_end_packets() {
    let mut rng = StdRng::seed_from_u64(4733);
    let packets = send_digits(100);
    let mut wire = Vec::new();
    let mut lost_events = 0;
    for p in &packets {
        if is_end(p) {
            // Every end packet arrives twice, some three times.
            let copies = if rng.random_bool(0.3) { 3 } else { 2 };
            wire.extend(std::iter::repeat_n(p, copies));
        } else if parse_rtp(p).unwrap().header.payload_type == EVENT_PT && rng.random_bool(0.4) {
            lost_events += 1;
        } else {
            wire.push(p);
        }
    }
    assert!(
        lost_events > 10,
        "the network must actually lose event packets"
    );
    assert_eq!(detect(wire), DIGITS);
}

#[test]
fn loss_of_some_end_packets_and_reordering() {
    let mut rng = StdRng::seed_from_u64(2833);
    let packets = send_digits(80);
    let mut wire: Vec<&Vec<u8>> = Vec::new();
    for p in &packets {
        // Drop up to two of the three end packets of an event, never all three.
        if is_end(p) && rng.random_bool(0.5) {
            let following_end = wire.last().is_some_and(|last| is_end(last));
            if !following_end {
                continue;
            }
        }
        wire.push(p);
    }
    // Swap neighbours now and then: a late packet of the same or an older event.
    for i in (1..wire.len()).step_by(7) {
        wire.swap(i - 1, i);
    }
    assert_eq!(detect(wire.iter().copied()), DIGITS);
}

#[test]
fn an_event_whose_end_packets_are_all_lost_is_still_reported_once() {
    let packets = send_digits(60);
    let mut seen_ends = 0;
    let wire: Vec<&Vec<u8>> = packets
        .iter()
        .filter(|p| {
            if !is_end(p) {
                return true;
            }
            seen_ends += 1;
            // All three end packets of the 4th digit disappear.
            !(10..13).contains(&seen_ends)
        })
        .collect();
    assert_eq!(detect(wire), DIGITS);
}
