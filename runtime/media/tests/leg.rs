//! `LegMedia` in virtual time with no socket: an Opus leg bridged to a PCMU leg. What
//! the Opus far end sends (a 1 kHz tone) comes out of the PCMU leg as µ-law carrying
//! that tone, and the other way round (600 Hz); the decision to transcode is the legs'
//! own, read from what each speaks.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchyard_media::codec::{Decoder, Encoder, OpusParams, Payload};
use switchyard_media::leg::{LegMedia, LegParams, Relayed, Speaks};
use switchyard_media::tone::goertzel_power;
use switchyard_rtp::{parse_rtp, write_rtp, Codec, OpusFmtp, RtpHeader, Ssrc};

const TICK: Duration = Duration::from_millis(20);

fn far(port: u16) -> SocketAddr {
    SocketAddr::from(([192, 0, 2, 1], port))
}

fn leg(codec: Codec, port: u16, t0: Instant) -> (LegMedia<u32>, Arc<Speaks>) {
    let params = LegParams {
        remote: Some(far(port)),
        codec,
        opus: (codec == Codec::Opus).then(OpusFmtp::default),
        payload_type: if codec == Codec::Opus { 111 } else { 0 },
        telephone_event: None,
        sending: true,
        srtp: None,
    };
    let speaks = Arc::new(Speaks::new(codec));
    (LegMedia::new(params, speaks.clone(), t0), speaks)
}

fn tone(freq: f64, rate: u32, frame: usize, n: usize) -> Vec<i16> {
    (frame * n..(frame + 1) * n)
        .map(|i| {
            (8000.0 * (std::f64::consts::TAU * freq * i as f64 / f64::from(rate)).sin()) as i16
        })
        .collect()
}

/// The far end's packet `i` of a `freq` tone, encoded as `payload`.
fn packet(enc: &mut Encoder, payload: &Payload, pt: u8, freq: f64, i: usize) -> Vec<u8> {
    let mut body = Vec::new();
    enc.encode(&tone(freq, enc.rate(), i, enc.frame_samples()), &mut body);
    let header = RtpHeader {
        marker: i == 0,
        payload_type: pt,
        sequence: i as u16,
        timestamp: (payload.rtp_clock_rate() / 50) * i as u32,
        ssrc: Ssrc(7 + u32::from(pt)),
    };
    let mut out = Vec::new();
    write_rtp(&header, &body, &mut out);
    out
}

/// Power at `freq` over the power half an octave away on either side.
fn dominance(pcm: &[i16], freq: f64, rate: u32) -> f64 {
    let others = goertzel_power(pcm, freq * 0.7, rate) + goertzel_power(pcm, freq * 1.4, rate);
    goertzel_power(pcm, freq, rate) / others.max(1e-9)
}

#[test]
fn an_opus_leg_and_a_pcmu_leg_transcode_each_others_audio() {
    let t0 = Instant::now();
    let (mut opus, opus_speaks) = leg(Codec::Opus, 4000, t0);
    let (mut pcmu, pcmu_speaks) = leg(Codec::Pcmu, 5000, t0);
    opus.bridge(&pcmu_speaks);
    pcmu.bridge(&opus_speaks);

    let opus_payload = Payload::Opus(OpusParams::default());
    let (mut opus_phone, mut pcmu_phone) = (
        Encoder::new(&opus_payload).unwrap(),
        Encoder::new(&Payload::Pcmu).unwrap(),
    );
    let (mut opus_ear, mut pcmu_ear) = (
        Decoder::new(&opus_payload).unwrap(),
        Decoder::new(&Payload::Pcmu).unwrap(),
    );
    let (mut heard_by_opus, mut heard_by_pcmu) = (Vec::new(), Vec::new());
    for i in 0..100 {
        let now = t0 + TICK * i as u32;
        opus.receive_rtp(
            now,
            far(4000),
            &packet(&mut opus_phone, &opus_payload, 111, 1000.0, i),
        );
        pcmu.receive_rtp(
            now,
            far(5000),
            &packet(&mut pcmu_phone, &Payload::Pcmu, 0, 600.0, i),
        );
        opus.timeout(now);
        pcmu.timeout(now);
        // What each leg hands the other, straight across (one worker).
        let (mut to_pcmu, mut to_opus) = (Vec::new(), Vec::new());
        opus.poll_events(|r| to_pcmu.push(r), |_| {});
        pcmu.poll_events(|r| to_opus.push(r), |_| {});
        assert!(
            to_pcmu
                .iter()
                .chain(&to_opus)
                .all(|r| matches!(r, Relayed::Audio { .. })),
            "different codecs are transcoded, never relayed"
        );
        to_pcmu.iter().for_each(|r| pcmu.relayed(now, r));
        to_opus.iter().for_each(|r| opus.relayed(now, r));
        while let Some(t) = opus.poll_transmit() {
            let p = parse_rtp(&t.contents).unwrap();
            if !t.rtcp && p.header.payload_type == 111 {
                opus_ear.decode(p.payload, &mut heard_by_opus);
            }
        }
        while let Some(t) = pcmu.poll_transmit() {
            let p = parse_rtp(&t.contents).unwrap();
            if !t.rtcp && p.header.payload_type == 0 {
                pcmu_ear.decode(p.payload, &mut heard_by_pcmu);
            }
        }
    }
    // The last second, past the jitter buffers' start.
    let pcmu_tail = &heard_by_pcmu[heard_by_pcmu.len() - 8000..];
    let opus_tail = &heard_by_opus[heard_by_opus.len() - 16000..];
    let d = dominance(pcmu_tail, 1000.0, 8000);
    assert!(d > 50.0, "the PCMU far end hears 1 kHz: dominance {d:.1}");
    let d = dominance(opus_tail, 600.0, 16000);
    assert!(d > 50.0, "the Opus far end hears 600 Hz: dominance {d:.1}");
}

#[test]
fn legs_of_one_codec_relay_packets_untouched() {
    let t0 = Instant::now();
    let (mut a, a_speaks) = leg(Codec::Pcmu, 4000, t0);
    let (mut b, b_speaks) = leg(Codec::Pcma, 5000, t0);
    a.bridge(&b_speaks);
    b.bridge(&a_speaks);
    let mut enc = Encoder::new(&Payload::Pcmu).unwrap();
    a.receive_rtp(
        t0,
        far(4000),
        &packet(&mut enc, &Payload::Pcmu, 0, 440.0, 0),
    );
    let mut handed = Vec::new();
    a.poll_events(|r| handed.push(r), |_| {});
    assert!(
        matches!(
            handed.as_slice(),
            [Relayed::Packet {
                codec: Codec::Pcmu,
                ..
            }]
        ),
        "the two G.711 laws relay packets: {handed:?}"
    );
}
