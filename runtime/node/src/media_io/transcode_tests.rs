//! A bridge between an Opus leg and a PCMU leg on real sockets: each phone hears the
//! other's tone (checked by frequency after decoding what it received), and a key
//! pressed on the Opus side as a 48 kHz RFC 4733 event reaches the PCMU side as events.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use switchyard_media::codec::{Decoder, Encoder, OpusParams, Payload};
use switchyard_media::tone::goertzel_power;
use switchyard_rtp::{parse_rtp, write_rtp, Codec, DtmfPayload, OpusFmtp, RtpHeader, Ssrc};
use tokio::sync::mpsc;

use super::{MediaCommand, MediaEngine, MediaHandle, MediaParams};
use crate::ports::MediaSockets;

const OPUS_PT: u8 = 111;
const OPUS_EVENT_PT: u8 = 110;

pub(super) struct Phone {
    pub media: MediaHandle,
    pub socket: UdpSocket,
    pub port: u16,
    payload: Payload,
    pt: u8,
}

/// A leg speaking `codec` whose far end is a socket of the test's.
pub(super) fn phone(engine: &MediaEngine, codec: Codec, near: Option<&super::MediaLink>) -> Phone {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    let rtp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let rtcp = UdpSocket::bind("127.0.0.1:0").unwrap();
    rtp.set_nonblocking(true).unwrap();
    rtcp.set_nonblocking(true).unwrap();
    let port = rtp.local_addr().unwrap().port();
    let (pt, event, payload) = match codec {
        Codec::Opus => (OPUS_PT, OPUS_EVENT_PT, Payload::Opus(OpusParams::default())),
        _ => (0, 101, Payload::Pcmu),
    };
    let params = MediaParams {
        remote: Some(socket.local_addr().unwrap()),
        codec,
        opus: (codec == Codec::Opus).then(OpusFmtp::default),
        payload_type: pt,
        telephone_event: Some(event),
        sending: true,
        srtp: None,
    };
    let (events, _) = mpsc::unbounded_channel();
    let media = engine.spawn(
        MediaSockets { rtp, rtcp, port },
        params,
        events,
        near,
        |_, _| {},
    );
    Phone {
        media,
        socket,
        port,
        payload,
        pt,
    }
}

fn node(p: &Phone) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], p.port))
}

fn tone(freq: f64, rate: u32, start: usize, n: usize) -> Vec<i16> {
    (start..start + n)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            (8000.0 * (std::f64::consts::TAU * freq * t).sin()) as i16
        })
        .collect()
}

/// `frames` × 20 ms of a `freq` tone from the phone, encoded in its codec.
fn talk(p: &Phone, freq: f64, frames: usize) {
    let mut enc = Encoder::new(&p.payload).unwrap();
    let rate = enc.rate();
    let n = enc.frame_samples();
    let clock = p.payload.rtp_clock_rate() / 50;
    for i in 0..frames {
        let mut payload = Vec::new();
        enc.encode(&tone(freq, rate, i * n, n), &mut payload);
        let header = RtpHeader {
            marker: i == 0,
            payload_type: p.pt,
            sequence: i as u16,
            timestamp: clock * i as u32,
            ssrc: Ssrc(0xabc0 + u32::from(p.pt)),
        };
        let mut out = Vec::new();
        write_rtp(&header, &payload, &mut out);
        p.socket.send_to(&out, node(p)).unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// What the phone hears for `window`, decoded; and the RFC 4733 events it got.
fn listen(p: &Phone, window: Duration) -> (Vec<i16>, Vec<DtmfPayload>) {
    let mut dec = Decoder::new(&p.payload).unwrap();
    let (mut pcm, mut events) = (Vec::new(), Vec::new());
    let end = Instant::now() + window;
    let mut buf = [0u8; 2048];
    while Instant::now() < end {
        let Ok(n) = p.socket.recv(&mut buf) else {
            continue;
        };
        let packet = parse_rtp(&buf[..n]).unwrap();
        if packet.header.payload_type == p.pt {
            dec.decode(packet.payload, &mut pcm);
        } else if let Ok(e) = DtmfPayload::parse(packet.payload) {
            events.push(e);
        }
    }
    (pcm, events)
}

/// Power at `freq` against the power at a few frequencies away from it.
fn dominance(pcm: &[i16], freq: f64, rate: u32) -> f64 {
    let at = goertzel_power(pcm, freq, rate);
    let others = [freq * 0.5, freq * 1.5, 2300.0]
        .iter()
        .map(|&f| goertzel_power(pcm, f, rate))
        .fold(0.0f64, f64::max);
    at / others.max(1e-9)
}

#[test]
fn an_opus_leg_and_a_pcmu_leg_hear_each_others_tones_and_keys() {
    let engine = MediaEngine::with_workers(2).unwrap();
    let opus = phone(&engine, Codec::Opus, None);
    let pcmu = phone(&engine, Codec::Pcmu, Some(&opus.media.link()));
    opus.media
        .send(MediaCommand::Bridge(Some(pcmu.media.link())));
    pcmu.media
        .send(MediaCommand::Bridge(Some(opus.media.link())));

    let ((opus_heard, _), (pcmu_heard, _)) = std::thread::scope(|s| {
        s.spawn(|| talk(&opus, 1000.0, 60));
        s.spawn(|| talk(&pcmu, 600.0, 60));
        let o = s.spawn(|| listen(&opus, Duration::from_millis(1500)));
        let p = listen(&pcmu, Duration::from_millis(1500));
        (o.join().unwrap(), p)
    });
    // Each side decodes its own codec and finds the other's tone dominant.
    assert!(pcmu_heard.len() >= 8000 / 2, "{} samples", pcmu_heard.len());
    let d = dominance(&pcmu_heard, 1000.0, 8000);
    assert!(d > 50.0, "PCMU phone: 1 kHz dominance {d:.1}");
    assert!(
        opus_heard.len() >= 16000 / 2,
        "{} samples",
        opus_heard.len()
    );
    let d = dominance(&opus_heard, 600.0, 16000);
    assert!(d > 50.0, "Opus phone: 600 Hz dominance {d:.1}");

    // A key on the Opus side, as 48 kHz events, reaches the PCMU phone as events.
    let key = std::thread::scope(|s| {
        s.spawn(|| {
            for (i, duration) in [960u16, 1920, 2880, 3840, 3840, 3840]
                .into_iter()
                .enumerate()
            {
                let mut body = Vec::new();
                DtmfPayload {
                    event: 7,
                    end: i >= 3,
                    volume: 10,
                    duration,
                }
                .write(&mut body);
                let header = RtpHeader {
                    marker: i == 0,
                    payload_type: OPUS_EVENT_PT,
                    sequence: 100 + i as u16,
                    timestamp: 48_000 * 5,
                    ssrc: Ssrc(0xabc0 + u32::from(OPUS_PT)),
                };
                let mut out = Vec::new();
                write_rtp(&header, &body, &mut out);
                opus.socket.send_to(&out, node(&opus)).unwrap();
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        listen(&pcmu, Duration::from_millis(800)).1
    });
    assert!(!key.is_empty(), "no events reached the PCMU phone");
    assert!(key.iter().all(|e| e.event == 7), "{key:?}");
    assert!(key.iter().any(|e| e.end), "{key:?}");
}
