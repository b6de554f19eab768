//! Taps and sources on a `LegMedia` in virtual time: a tap hears what the far end says
//! (decoded, at the leg's rate) and what the leg sends; a source replaces the player and
//! the leg goes silent the tick it has nothing.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use switchyard_media::codec::{Decoder, Encoder, Payload};
use switchyard_media::leg::{LegMedia, LegParams, Source, Speaks, Tap};
use switchyard_media::tone::goertzel_power;
use switchyard_rtp::{parse_rtp, write_rtp, Codec, RtpHeader, Ssrc};

const TICK: Duration = Duration::from_millis(20);

fn far() -> SocketAddr {
    SocketAddr::from(([192, 0, 2, 1], 4000))
}

fn pcmu_leg(t0: Instant) -> LegMedia<u32> {
    let params = LegParams {
        remote: Some(far()),
        codec: Codec::Pcmu,
        opus: None,
        payload_type: 0,
        telephone_event: None,
        sending: true,
        srtp: None,
    };
    LegMedia::new(params, Arc::new(Speaks::new(Codec::Pcmu)), t0)
}

fn tone(freq: f64, from: usize, n: usize) -> Vec<i16> {
    (from..from + n)
        .map(|i| (8000.0 * (std::f64::consts::TAU * freq * i as f64 / 8000.0).sin()) as i16)
        .collect()
}

fn dominance(pcm: &[i16], freq: f64) -> f64 {
    let others = goertzel_power(pcm, freq * 0.7, 8000) + goertzel_power(pcm, freq * 1.4, 8000);
    goertzel_power(pcm, freq, 8000) / others.max(1e-9)
}

#[derive(Default)]
struct Heard {
    inbound: Vec<i16>,
    outbound: Vec<i16>,
    rates: Vec<u32>,
}

struct Recorder(Arc<Mutex<Heard>>);

impl Tap for Recorder {
    fn wants_inbound(&self) -> bool {
        true
    }
    fn inbound(&mut self, rate: u32, pcm: &[i16]) {
        let mut h = self.0.lock().unwrap();
        h.rates.push(rate);
        h.inbound.extend_from_slice(pcm);
    }
    fn outbound(&mut self, _rate: u32, pcm: &[i16]) {
        self.0.lock().unwrap().outbound.extend_from_slice(pcm);
    }
}

/// A 600 Hz tone for `frames` ticks, then nothing.
struct ToneSource {
    frames: usize,
    sent: usize,
}

impl Source for ToneSource {
    fn next_frame(&mut self, rate: u32, pcm: &mut [i16]) -> bool {
        assert_eq!(rate, 8000);
        if self.sent == self.frames {
            return false;
        }
        pcm.copy_from_slice(&tone(600.0, self.sent * pcm.len(), pcm.len()));
        self.sent += 1;
        true
    }
}

#[test]
fn a_tap_hears_both_ways_and_a_source_speaks_until_it_runs_dry() {
    let t0 = Instant::now();
    let mut leg = pcmu_leg(t0);
    let heard = Arc::new(Mutex::new(Heard::default()));
    leg.add_tap(1, Box::new(Recorder(heard.clone())));
    leg.set_source(Some(Box::new(ToneSource {
        frames: 50,
        sent: 0,
    })));
    let mut phone = Encoder::new(&Payload::Pcmu).unwrap();
    let mut ear = Decoder::new(&Payload::Pcmu).unwrap();
    let mut sent_to_phone = Vec::new();
    for i in 0..100usize {
        let now = t0 + TICK * i as u32;
        let mut body = Vec::new();
        phone.encode(&tone(1000.0, i * 160, 160), &mut body);
        let header = RtpHeader {
            marker: i == 0,
            payload_type: 0,
            sequence: i as u16,
            timestamp: 160 * i as u32,
            ssrc: Ssrc(9),
        };
        let mut packet = Vec::new();
        write_rtp(&header, &body, &mut packet);
        leg.receive_rtp(now, far(), &packet);
        leg.timeout(now);
        leg.poll_events(|_| {}, |_| {});
        while let Some(t) = leg.poll_transmit() {
            let p = parse_rtp(&t.contents).unwrap();
            if !t.rtcp {
                ear.decode(p.payload, &mut sent_to_phone);
            }
        }
    }
    let h = heard.lock().unwrap();
    assert!(h.rates.iter().all(|r| *r == 8000));
    // Inbound: every tick past the jitter buffer's start, carrying the phone's 1 kHz.
    assert!(h.inbound.len() >= 90 * 160, "{}", h.inbound.len());
    let d = dominance(&h.inbound[h.inbound.len() - 4000..], 1000.0);
    assert!(d > 50.0, "inbound tap hears 1 kHz: {d:.1}");
    // Outbound: the source's 600 Hz for its 50 frames, then silence, as the phone got it.
    assert_eq!(h.outbound.len(), 100 * 160);
    let d = dominance(&h.outbound[1600..8000], 600.0);
    assert!(d > 50.0, "outbound tap hears the source: {d:.1}");
    assert!(h.outbound[8000..].iter().all(|s| *s == 0));
    let d = dominance(&sent_to_phone[1600..8000], 600.0);
    assert!(d > 50.0, "the phone hears the source: {d:.1}");
    let tail = &sent_to_phone[8000..];
    assert!(
        tail.iter().all(|s| s.abs() < 10),
        "silence once the source is dry"
    );
    drop(h);

    // A removed tap hears nothing more.
    leg.remove_tap(1);
    let before = heard.lock().unwrap().outbound.len();
    leg.timeout(t0 + TICK * 100);
    assert_eq!(heard.lock().unwrap().outbound.len(), before);
}
