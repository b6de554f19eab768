//! `RtpSession` at Opus's 48 kHz clock and its playout of received frames, in virtual
//! time with no socket.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use switchyard_rtp::{
    parse_rtp, write_rtp, DtmfPayload, PayloadTypes, RtpEvent, RtpHeader, RtpParams, RtpSender,
    RtpSession, Ssrc,
};

const TICK: Duration = Duration::from_millis(20);
const OPUS: PayloadTypes = PayloadTypes {
    audio: 111,
    event: Some(110),
};
const FIRST_TS: u32 = 1_000;
const UNIX_AT_START: Duration = Duration::from_secs(1_700_000_000);

fn far() -> SocketAddr {
    SocketAddr::from(([192, 0, 2, 2], 30_000))
}

fn opus_session(t0: Instant) -> RtpSession {
    let params = RtpParams {
        remote: Some(far()),
        payload_types: OPUS,
        clock_rate: 48_000,
        sending: true,
    };
    let sender = RtpSender::with_initial(Ssrc(0x0b05), 111, 48_000, 100, FIRST_TS);
    RtpSession::with_sender(params, t0, UNIX_AT_START, sender)
}

fn packet(pt: u8, seq: u16, ts: u32, payload: &[u8]) -> Vec<u8> {
    let header = RtpHeader {
        marker: false,
        payload_type: pt,
        sequence: seq,
        timestamp: ts,
        ssrc: Ssrc(7),
    };
    let mut out = Vec::new();
    write_rtp(&header, payload, &mut out);
    out
}

/// An Opus-sized packet whose payload says which it is.
fn opus_packet(seq: u16) -> Vec<u8> {
    packet(111, seq, 960 * u32::from(seq), &[seq as u8; 60])
}

fn run(s: &mut RtpSession, t0: Instant, until: Duration) -> Vec<(Duration, RtpHeader, Vec<u8>)> {
    let mut sent = Vec::new();
    while let Some(at) = s.poll_timeout().filter(|&at| at <= t0 + until) {
        s.handle_timeout(at, &mut |out: &mut Vec<u8>| {
            out.extend_from_slice(&[0xfc; 40])
        });
        while let Some(t) = s.poll_transmit() {
            if !t.rtcp {
                let p = parse_rtp(&t.contents).unwrap();
                sent.push((at - t0, p.header, p.payload.to_vec()));
            }
        }
    }
    sent
}

#[test]
fn a_48_khz_stream_counts_960_per_frame_and_its_digits_in_48_khz_units() {
    let t0 = Instant::now();
    let mut s = opus_session(t0);
    assert_eq!(s.frame_samples(), 960);
    let sent = run(&mut s, t0, Duration::from_millis(100));
    assert_eq!(sent.len(), 6);
    for (i, (_, h, _)) in sent.iter().enumerate() {
        assert_eq!(h.timestamp, FIRST_TS + 960 * i as u32);
    }

    // sendDigits: RFC 4733 §2.5.1.3, the duration is "in timestamp units", so a 160 ms
    // key lasts 7680 at 48 kHz.
    s.send_digits("5");
    let sent = run(&mut s, t0, Duration::from_millis(400));
    let events: Vec<DtmfPayload> = sent
        .iter()
        .filter(|(_, h, _)| h.payload_type == 110)
        .map(|(_, _, p)| DtmfPayload::parse(p).unwrap())
        .collect();
    assert_eq!(events.len(), 10);
    assert_eq!(events[0].duration, 960);
    assert_eq!(events.last().unwrap().duration, 7680);
    assert!(events.iter().all(|e| e.event == 5));

    // Received 48 kHz events are digits.
    let at = t0 + Duration::from_millis(500);
    for (i, dur) in [960u16, 1920, 7680].into_iter().enumerate() {
        let mut body = Vec::new();
        DtmfPayload {
            event: 11,
            end: dur == 7680,
            volume: 10,
            duration: dur,
        }
        .write(&mut body);
        s.receive_rtp(at, far(), &packet(110, 50 + i as u16, 48_000, &body));
    }
    let digits: Vec<RtpEvent> = std::iter::from_fn(|| s.poll_event()).collect();
    assert_eq!(digits, vec![RtpEvent::Digit('#')]);
}

#[test]
fn playout_hands_out_each_ticks_frame_and_a_lost_frames_successor() {
    let t0 = Instant::now();
    let mut s = opus_session(t0);
    s.set_playout(true);
    // Packets 0..6 arrive on time, but 2 never does.
    let mut at = t0;
    let mut played = Vec::new();
    for seq in 0..8u16 {
        if seq != 2 && seq < 6 {
            s.receive_rtp(at, far(), &opus_packet(seq));
        }
        s.handle_timeout(at, &mut |out: &mut Vec<u8>| out.push(0));
        while s.poll_transmit().is_some() {}
        while let Some(ev) = s.poll_event() {
            if let RtpEvent::Playout { frame, next } = ev {
                played.push((
                    frame.seq.0,
                    frame.lost,
                    frame.payload.first().copied(),
                    next,
                ));
            }
        }
        at += TICK;
    }
    // Playout starts once three frames are buffered; then one frame per tick, in
    // order, the missing one lost with packet 3's payload beside it for FEC.
    let (first, rest) = played.split_first().unwrap();
    assert_eq!(*first, (0, false, Some(0), None));
    assert_eq!(rest[0], (1, false, Some(1), None));
    assert_eq!(rest[1], (2, true, None, Some(vec![3; 60])));
    assert_eq!(rest[2], (3, false, Some(3), None));
    assert!(played.len() >= 5, "{played:?}");

    // With playout off, the same stream gives no playout events.
    let mut quiet = opus_session(t0);
    let mut at = t0;
    for seq in 0..6u16 {
        quiet.receive_rtp(at, far(), &opus_packet(seq));
        quiet.handle_timeout(at, &mut |out: &mut Vec<u8>| out.push(0));
        at += TICK;
    }
    assert_eq!(quiet.poll_event(), None);
}
