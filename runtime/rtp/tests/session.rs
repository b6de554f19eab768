//! `RtpSession` in virtual time, with no socket: latching, the RTCP schedule, hold,
//! RFC 4733 digits both ways, and taking a bridge's stream over and back. The two-leg
//! bridge over a lossy network is in `session_bridge.rs`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use switchyard_rtp::{
    ntp_timestamp, parse_rtcp, parse_rtp, write_rtp, write_sender_report, DtmfDetector,
    DtmfPayload, PayloadTypes, RtcpPacket, RtpEvent, RtpHeader, RtpParams, RtpSender, RtpSession,
    SenderReport, Ssrc, Transmit,
};

const MS: Duration = Duration::from_millis(1);
const TICK: Duration = Duration::from_millis(20);
const PCMU: PayloadTypes = PayloadTypes {
    audio: 0,
    event: Some(101),
};
const OUR_SSRC: Ssrc = Ssrc(0x5e55);
const FIRST_SEQ: u16 = 1000;
const FIRST_TS: u32 = 50_000;
/// The wall clock when the sessions start: 2023-11-14.
const UNIX_AT_START: Duration = Duration::from_secs(1_700_000_000);

fn addr(host: u8, port: u16) -> SocketAddr {
    SocketAddr::from(([192, 0, 2, host], port))
}

fn params(remote: Option<SocketAddr>, sending: bool) -> RtpParams {
    RtpParams {
        remote,
        payload_types: PCMU,
        clock_rate: 8000,
        sending,
    }
}

/// A session with known stream numbers.
fn session(params: RtpParams, t0: Instant) -> RtpSession {
    let audio = params.payload_types.audio;
    let sender = RtpSender::with_initial(OUR_SSRC, audio, 8000, FIRST_SEQ, FIRST_TS);
    RtpSession::with_sender(params, t0, UNIX_AT_START, sender)
}

fn silence(out: &mut Vec<u8>) {
    out.extend_from_slice(&[0xff; 160]);
}

fn rtp(ssrc: u32, pt: u8, seq: u16, ts: u32, marker: bool, payload: &[u8]) -> Vec<u8> {
    let header = RtpHeader {
        marker,
        payload_type: pt,
        sequence: seq,
        timestamp: ts,
        ssrc: Ssrc(ssrc),
    };
    let mut out = Vec::new();
    write_rtp(&header, payload, &mut out);
    out
}

fn audio(seq: u16) -> Vec<u8> {
    rtp(7, 0, seq, 160 * u32::from(seq), false, &[0x7f; 160])
}

fn event(seq: u16, ts: u32, digit: u8, end: bool, duration: u16) -> Vec<u8> {
    let mut body = Vec::new();
    DtmfPayload {
        event: digit,
        end,
        volume: 10,
        duration,
    }
    .write(&mut body);
    rtp(7, 101, seq, ts, duration == 160, &body)
}

fn transmits(s: &mut RtpSession) -> Vec<Transmit> {
    std::iter::from_fn(|| s.poll_transmit()).collect()
}

fn digits(s: &mut RtpSession) -> String {
    std::iter::from_fn(|| s.poll_event())
        .map(|e| match e {
            RtpEvent::Digit(d) => d,
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}

/// One tick at `at`: where its packet went.
fn tick_to(s: &mut RtpSession, at: Instant) -> Vec<SocketAddr> {
    s.handle_timeout(at, &mut silence);
    transmits(s).iter().map(|t| t.destination).collect()
}

#[test]
fn latches_to_the_first_source_ignores_others_and_relatches_on_a_new_address() {
    let t0 = Instant::now();
    let sdp = addr(1, 4000);
    let mut s = session(params(Some(sdp), true), t0);
    assert_eq!(s.poll_timeout(), Some(t0));
    assert_eq!(
        tick_to(&mut s, t0),
        [sdp],
        "the SDP address until a packet comes"
    );

    // The phone is behind NAT: its media comes from its public address. A packet of a
    // payload type we did not negotiate does not move the latch.
    let nat = addr(2, 30_000);
    s.receive_rtp(t0 + MS, nat, &rtp(7, 13, 1, 0, false, &[40]));
    assert_eq!(tick_to(&mut s, t0 + TICK), [sdp]);
    s.receive_rtp(t0 + TICK + MS, nat, &audio(1));
    assert_eq!(s.remote(), Some(nat));
    assert_eq!(tick_to(&mut s, t0 + TICK * 2), [nat]);

    // Another source is ignored: not relayed, its digits not detected, the latch kept.
    s.bridge();
    let stray = addr(3, 5000);
    s.receive_rtp(t0 + TICK * 2 + MS, stray, &event(50, 0, 5, true, 160));
    s.receive_rtp(t0 + TICK * 2 + MS * 2, stray, &audio(51));
    assert_eq!(s.poll_event(), None);
    s.receive_rtp(t0 + TICK * 2 + MS * 3, nat, &audio(2));
    assert!(matches!(
        s.poll_event(),
        Some(RtpEvent::ToPeer {
            payload_types: PCMU,
            ..
        })
    ));
    s.unbridge(t0 + TICK * 3);
    assert_eq!(tick_to(&mut s, t0 + TICK * 3), [nat]);

    // A re-INVITE naming the same address keeps the latch; a new address starts over.
    s.configure(params(Some(sdp), true));
    assert_eq!(tick_to(&mut s, t0 + TICK * 4), [nat]);
    let moved = addr(4, 6000);
    s.configure(params(Some(moved), true));
    assert_eq!(tick_to(&mut s, t0 + TICK * 5), [moved]);
    let new_nat = addr(5, 7000);
    s.receive_rtp(t0 + TICK * 5 + MS, new_nat, &audio(3));
    assert_eq!(tick_to(&mut s, t0 + TICK * 6), [new_nat]);
}

/// Runs `s` from `from` (exclusive of earlier deadlines) to `until`, with a far end at
/// `far` sending audio every 20 ms (10 ms after our ticks) while `far_sends`, and
/// `hook` called before each tick. Returns every transmit with its time.
fn run(
    s: &mut RtpSession,
    far: SocketAddr,
    until: Instant,
    seq: &mut u16,
    mut hook: impl FnMut(&mut RtpSession, Instant),
) -> Vec<(Instant, Transmit)> {
    let mut out = Vec::new();
    while let Some(at) = s.poll_timeout().filter(|&at| at <= until) {
        hook(s, at);
        s.handle_timeout(at, &mut silence);
        out.extend(transmits(s).into_iter().map(|t| (at, t)));
        s.receive_rtp(at + MS * 10, far, &audio(*seq));
        *seq = seq.wrapping_add(1);
    }
    out
}

fn reports(sent: &[(Instant, Transmit)]) -> Vec<(Instant, SocketAddr, RtcpPacket)> {
    sent.iter()
        .filter(|(_, t)| t.rtcp)
        .map(|(at, t)| {
            let mut packets = parse_rtcp(&t.contents).unwrap();
            (*at, t.destination, packets.remove(0))
        })
        .collect()
}

#[test]
fn sender_reports_every_five_seconds_with_our_counts_and_the_far_ends_reception() {
    let t0 = Instant::now();
    let far = addr(2, 30_000);
    let mut s = session(params(Some(addr(1, 4000)), true), t0);
    let mut seq = 1;
    // The far end's own sender report arrives at 7 s.
    let far_sr = ntp_timestamp(UNIX_AT_START + Duration::from_secs(7)) - 12_345;
    let sent = run(
        &mut s,
        far,
        t0 + Duration::from_secs(16),
        &mut seq,
        |s, at| {
            if at == t0 + Duration::from_secs(7) {
                let mut sr = Vec::new();
                let report = SenderReport {
                    ssrc: Ssrc(7),
                    ntp_timestamp: far_sr,
                    rtp_timestamp: 0,
                    packet_count: 0,
                    octet_count: 0,
                    reports: vec![],
                };
                write_sender_report(&report, "phone", &mut sr);
                s.receive_rtcp(at, &sr);
            }
        },
    );
    let reports = reports(&sent);
    let secs: Vec<_> = reports.iter().map(|(at, ..)| *at - t0).collect();
    assert_eq!(secs, [5, 10, 15].map(Duration::from_secs));
    for (at, destination, packet) in &reports {
        // RFC 3550 §11: RTCP to the port above the (latched) RTP port.
        assert_eq!(*destination, addr(2, 30_001));
        let RtcpPacket::SenderReport(sr) = packet else {
            panic!("{packet:?}");
        };
        let elapsed = *at - t0;
        let audio_sent = sent
            .iter()
            .filter(|(when, t)| !t.rtcp && when <= at)
            .count() as u32;
        assert_eq!(audio_sent, (elapsed.as_millis() / 20 + 1) as u32);
        assert_eq!(sr.ssrc, OUR_SSRC);
        assert_eq!(sr.ntp_timestamp, ntp_timestamp(UNIX_AT_START + elapsed));
        assert_eq!(sr.rtp_timestamp, FIRST_TS + 160 * audio_sent);
        assert_eq!(
            (sr.packet_count, sr.octet_count),
            (audio_sent, 160 * audio_sent)
        );
        let block = sr.reports[0];
        assert_eq!(block.ssrc, Ssrc(7));
        assert_eq!((block.fraction_lost, block.cumulative_lost), (0, 0));
        let lsr = if elapsed.as_secs() > 7 {
            (far_sr >> 16) as u32
        } else {
            0
        };
        assert_eq!(block.last_sr, lsr);
    }
    // DLSR: 3 s since the far end's SR, in 1/65536 s.
    let RtcpPacket::SenderReport(sr) = &reports[1].2 else {
        unreachable!()
    };
    assert_eq!(sr.reports[0].delay_since_last_sr, 3 * 65_536);
}

#[test]
fn receiver_reports_while_not_sending_and_the_sound_keeps_its_pace() {
    let t0 = Instant::now();
    let mut s = session(params(Some(addr(1, 4000)), false), t0);
    let mut frames = 0;
    let mut count = |out: &mut Vec<u8>| {
        frames += 1;
        silence(out);
    };
    let mut sent = Vec::new();
    let mut seq = 1;
    while let Some(at) = s
        .poll_timeout()
        .filter(|&at| at <= t0 + Duration::from_secs(11))
    {
        s.handle_timeout(at, &mut count);
        sent.extend(transmits(&mut s).into_iter().map(|t| (at, t)));
        s.receive_rtp(at + MS * 10, addr(2, 30_000), &audio(seq));
        seq += 1;
    }
    assert_eq!(frames, 551, "one frame pulled per tick, 0 to 11 s");
    assert!(sent.iter().all(|(_, t)| t.rtcp), "no media before answer");
    let kinds: Vec<_> = reports(&sent)
        .into_iter()
        .map(|(at, _, p)| match p {
            RtcpPacket::ReceiverReport(rr) => {
                assert_eq!(rr.ssrc, OUR_SSRC);
                assert_eq!(rr.reports[0].ssrc, Ssrc(7));
                (at - t0).as_secs()
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(kinds, [5, 10]);
}

#[test]
fn hold_stops_the_audio_keeps_the_reports_and_resumes_in_the_same_stream() {
    let t0 = Instant::now();
    let far = addr(2, 30_000);
    let mut s = session(params(Some(far), true), t0);
    let mut seq = 1;
    let hold = t0 + Duration::from_secs(6);
    let resume = t0 + Duration::from_secs(21);
    let sent = run(&mut s, far, resume, &mut seq, |s, at| {
        if at == hold {
            s.configure(params(Some(far), false));
        } else if at == resume {
            s.configure(params(Some(far), true));
        }
    });
    let media: Vec<_> = sent.iter().filter(|(_, t)| !t.rtcp).collect();
    assert!(media.iter().all(|(at, _)| *at < hold || *at >= resume));
    // RFC 3550 §6.4: an SR while data went out since the report before last, then RRs.
    let kinds: Vec<_> = reports(&sent)
        .into_iter()
        .map(|(at, _, p)| {
            let sr = matches!(p, RtcpPacket::SenderReport(_));
            ((at - t0).as_secs(), if sr { "SR" } else { "RR" })
        })
        .collect();
    assert_eq!(kinds, [(5, "SR"), (10, "SR"), (15, "SR"), (20, "RR")]);
    // After the hold: the next sequence number, the clock advanced over the hold, and
    // the marker of a new talkspurt.
    let headers: Vec<_> = media
        .iter()
        .map(|(_, t)| parse_rtp(&t.contents).unwrap().header)
        .collect();
    let [.., before, after] = headers[..] else {
        unreachable!()
    };
    assert_eq!(after.sequence, before.sequence + 1);
    assert_eq!(
        after.timestamp - before.timestamp,
        160 * (21_000 - 5_980) / 20
    );
    assert!(after.marker && !before.marker);
}

#[test]
fn received_rfc_4733_events_are_digits_once_each() {
    let t0 = Instant::now();
    let far = addr(2, 30_000);
    let mut s = session(params(None, true), t0);
    // '5': two updates and the end sent three times.
    let packets = [
        event(1, 800, 5, false, 160),
        event(2, 800, 5, false, 320),
        event(3, 800, 5, true, 480),
        event(4, 800, 5, true, 480),
        event(5, 800, 5, true, 480),
    ];
    for (i, p) in packets.iter().enumerate() {
        s.receive_rtp(t0 + TICK * i as u32, far, p);
    }
    assert_eq!(digits(&mut s), "5");
    // Telephone events on a payload type we did not negotiate are not digits.
    let mut wrong = event(6, 2000, 1, true, 160);
    wrong[1] = 96;
    s.receive_rtp(t0 + TICK * 6, far, &wrong);
    assert_eq!(digits(&mut s), "");
    // '#' whose end packets are all lost is reported once the events stop for 200 ms.
    let last = t0 + TICK * 8;
    s.receive_rtp(t0 + TICK * 7, far, &event(7, 4000, 11, false, 160));
    s.receive_rtp(last, far, &event(8, 4000, 11, false, 320));
    s.handle_timeout(last + MS * 180, &mut silence);
    assert_eq!(digits(&mut s), "");
    s.handle_timeout(last + MS * 200, &mut silence);
    assert_eq!(digits(&mut s), "#");
    // Its late end packet does not report it again.
    s.receive_rtp(last + MS * 210, far, &event(9, 4000, 11, true, 480));
    assert_eq!(digits(&mut s), "");
}

#[test]
fn send_digits_replaces_the_audio_with_rfc_4733_events() {
    let t0 = Instant::now();
    let far = addr(2, 30_000);
    let mut s = session(params(Some(far), true), t0);
    s.send_digits("1w#");
    let mut sent = Vec::new();
    while let Some(at) = s
        .poll_timeout()
        .filter(|&at| at <= t0 + Duration::from_secs(1))
    {
        s.handle_timeout(at, &mut silence);
        sent.extend(transmits(&mut s).into_iter().map(|t| (at - t0, t.contents)));
    }
    let packets: Vec<_> = sent
        .iter()
        .map(|(at, bytes)| (at.as_millis(), parse_rtp(bytes).unwrap()))
        .collect();
    let events: Vec<_> = packets
        .iter()
        .filter(|(_, p)| p.header.payload_type == 101)
        .map(|(at, p)| (*at, p.header, DtmfPayload::parse(p.payload).unwrap()))
        .collect();
    // Each 160 ms key: 8 packets, the last of them the first of three end packets.
    assert_eq!(events.len(), 20);
    for (key, (start_ms, code)) in [(0, 1), (740, 11)].into_iter().enumerate() {
        let key_events = &events[key * 10..key * 10 + 10];
        for (i, (at, h, e)) in key_events.iter().enumerate() {
            assert_eq!(*at, start_ms + 20 * i as u128);
            // RFC 4733 §2.5.1.2: "The first packet for an event MUST have the M bit set".
            assert_eq!(h.marker, i == 0);
            // All packets of an event carry the timestamp of its start.
            assert_eq!(h.timestamp, FIRST_TS + 8 * start_ms as u32);
            assert_eq!(e.event, code);
            // RFC 4733 §2.5.1.4: the final packet is sent three times.
            assert_eq!(e.end, i >= 7);
            assert_eq!(e.duration, 160 * (i as u16 + 1).min(8));
        }
    }
    // Sequence numbers are contiguous: pauses send nothing.
    for (i, (_, p)) in packets.iter().enumerate() {
        assert_eq!(p.header.sequence, FIRST_SEQ + i as u16);
    }
    // The audio resumes 80 ms after the last key's events, as a new talkspurt.
    let (at, first_audio) = &packets[20];
    assert_eq!(*at, 740 + 240);
    assert_eq!(first_audio.header.payload_type, 0);
    assert!(first_audio.header.marker);
    assert_eq!(first_audio.header.timestamp, FIRST_TS + 8 * 980);
    // And the far end hears the keys.
    let mut detector = DtmfDetector::new();
    let heard: String = packets
        .iter()
        .filter(|(_, p)| p.header.payload_type == 101)
        .filter_map(|(_, p)| detector.push(&p.header, p.payload))
        .collect();
    assert_eq!(heard, "1#");
}

#[test]
fn digits_are_dropped_when_the_far_end_has_no_telephone_event() {
    let t0 = Instant::now();
    let far = addr(2, 30_000);
    let mut p = params(Some(far), true);
    p.payload_types.event = None;
    let mut s = session(p, t0);
    s.send_digits("123");
    for i in 0..20 {
        s.handle_timeout(t0 + TICK * i, &mut silence);
        for t in transmits(&mut s) {
            assert_eq!(parse_rtp(&t.contents).unwrap().header.payload_type, 0);
        }
    }
}

#[test]
fn a_stalled_driver_skips_stale_ticks_instead_of_bursting() {
    let t0 = Instant::now();
    let far = addr(2, 30_000);
    let mut s = session(params(Some(far), true), t0);
    s.handle_timeout(t0, &mut silence);
    assert_eq!(transmits(&mut s).len(), 1);
    // Woken a second late: only the ticks of the last 100 ms are sent.
    s.handle_timeout(t0 + Duration::from_secs(1), &mut silence);
    let sent = transmits(&mut s);
    assert_eq!(sent.len(), 6);
    let first = parse_rtp(&sent[0].contents).unwrap().header;
    assert_eq!(first.sequence, FIRST_SEQ + 1);
    assert_eq!(first.timestamp, FIRST_TS + 8 * 900);
    assert!(first.marker, "a new talkspurt after the gap");
    assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_millis(1020)));
}

#[test]
fn a_bridge_takes_over_the_stream_and_hands_it_back() {
    let t0 = Instant::now();
    let far = addr(2, 30_000);
    let mut s = session(params(Some(far), true), t0);
    let from = PayloadTypes {
        audio: 8,
        event: Some(96),
    };
    let flip: fn(&mut [u8]) = |p| p.iter_mut().for_each(|b| *b ^= 0x55);
    let mut sent = Vec::new();
    for i in 0..250u32 {
        let at = t0 + TICK * i;
        match i {
            5 => s.bridge(),
            10 => s.unbridge(at),
            _ => {}
        }
        // The other leg's packets, 5 ms after each tick: relayed only while bridged.
        let packet = rtp(9, 8, 40 + i as u16, 9_000 + 160 * i, false, &[0x0f; 160]);
        s.handle_timeout(at, &mut silence);
        s.relay_in(at + MS * 5, &packet, from, Some(flip));
        sent.extend(transmits(&mut s).into_iter().filter(|t| !t.rtcp));
    }
    let headers: Vec<_> = sent
        .iter()
        .map(|t| parse_rtp(&t.contents).unwrap())
        .map(|p| (p.header, p.payload[0]))
        .collect();
    // Ticks 0-4 our audio, 5-9 the relayed packets (µ-law to A-law by the hook, our
    // payload type), then our audio again: one SSRC, one sequence.
    for (i, (h, first_byte)) in headers.iter().enumerate() {
        assert_eq!(h.ssrc, OUR_SSRC);
        assert_eq!(h.sequence, FIRST_SEQ + i as u16);
        assert_eq!(h.payload_type, 0);
        let relayed = (5..10).contains(&i);
        assert_eq!(*first_byte, if relayed { 0x5a } else { 0xff });
        assert_eq!(h.marker, [0, 5, 10].contains(&i));
    }
    // The relayed packets start where our clock was; our audio resumes after the last
    // relayed packet's 20 ms (the unbridge came 15 ms after it was sent).
    assert_eq!(headers[5].0.timestamp, FIRST_TS + 160 * 5);
    assert_eq!(headers[10].0.timestamp, headers[9].0.timestamp + 160);
    assert_eq!(headers[11].0.timestamp, headers[10].0.timestamp + 160);
    // The sender report counts both.
    let sr = sent_report(&mut s, t0 + Duration::from_secs(5));
    assert_eq!(sr.packet_count as usize, headers.len() + 1);
    assert_eq!(sr.octet_count as usize, 160 * (headers.len() + 1));
}

/// Runs the tick at `at` and returns the sender report it sends.
fn sent_report(s: &mut RtpSession, at: Instant) -> SenderReport {
    s.handle_timeout(at, &mut silence);
    let t = transmits(s).into_iter().find(|t| t.rtcp).unwrap();
    match parse_rtcp(&t.contents).unwrap().remove(0) {
        RtcpPacket::SenderReport(sr) => sr,
        other => panic!("{other:?}"),
    }
}
