use super::*;
use crate::tone::goertzel_power;
use std::f64::consts::TAU;

/// `n` samples of a sine at `freq` Hz and `amplitude` (of full scale).
fn sine(freq: f64, rate: u32, n: usize, amplitude: f64) -> Vec<i16> {
    (0..n)
        .map(|i| (amplitude * 32767.0 * (TAU * freq * i as f64 / f64::from(rate)).sin()) as i16)
        .collect()
}

/// A signal that keeps changing: a chirp from 300 Hz to 3 kHz, amplitude-modulated
/// at 5 Hz, so that a lost frame cannot be guessed from the ones before it.
fn speechlike(rate: u32, n: usize) -> Vec<i16> {
    let mut phase = 0.0f64;
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            let f = 300.0 + 2700.0 * (t / (n as f64 / f64::from(rate)));
            phase += TAU * f / f64::from(rate);
            let envelope = 0.2 + 0.15 * (TAU * 5.0 * t).sin();
            (envelope * 32767.0 * phase.sin()) as i16
        })
        .collect()
}

fn energy(s: &[i16]) -> f64 {
    s.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>()
}

fn rms(s: &[i16]) -> f64 {
    (energy(s) / s.len().max(1) as f64).sqrt()
}

/// Encodes `pcm` frame by frame, returning the payloads.
fn encode_all(enc: &mut Encoder, pcm: &[i16]) -> Vec<Vec<u8>> {
    pcm.chunks(enc.frame_samples())
        .map(|f| {
            let mut out = Vec::new();
            enc.encode(f, &mut out);
            out
        })
        .collect()
}

fn decode_all(dec: &mut Decoder, packets: &[Vec<u8>]) -> Vec<i16> {
    let mut out = Vec::new();
    for p in packets {
        dec.decode(p, &mut out);
    }
    out
}

fn opus() -> Payload {
    Payload::Opus(OpusParams::default())
}

/// Lag (in samples, 0..max) at which `decoded` best matches `original`.
fn best_lag(original: &[i16], decoded: &[i16], max: usize) -> usize {
    (0..max)
        .max_by_key(|&lag| {
            let c: f64 = original
                .iter()
                .zip(&decoded[lag..])
                .map(|(&a, &b)| f64::from(a) * f64::from(b))
                .sum();
            c as i64
        })
        .unwrap()
}

#[test]
fn shapes_per_payload() {
    let pcmu = Encoder::new(&Payload::Pcmu).unwrap();
    assert_eq!((pcmu.rate(), pcmu.frame_samples()), (8000, 160));
    let op = Encoder::new(&opus()).unwrap();
    assert_eq!((op.rate(), op.frame_samples()), (16_000, 320));
    assert_eq!(Decoder::new(&Payload::Pcma).unwrap().rate(), 8000);
    assert_eq!(Decoder::new(&opus()).unwrap().rate(), 16_000);
    assert_eq!(opus().rtp_clock_rate(), 48_000);
    assert_eq!(Payload::Pcmu.rtp_clock_rate(), 8000);
}

#[test]
fn g711_frames_are_one_byte_per_sample_and_round_trip() {
    for p in [Payload::Pcmu, Payload::Pcma] {
        let mut enc = Encoder::new(&p).unwrap();
        let mut dec = Decoder::new(&p).unwrap();
        let tone = sine(1000.0, 8000, 160, 0.5);
        let mut payload = Vec::new();
        enc.encode(&tone, &mut payload);
        assert_eq!(payload.len(), 160);
        // A short frame is padded to 20 ms.
        enc.encode(&tone[..100], &mut payload);
        assert_eq!(payload.len(), 320);
        let mut pcm = Vec::new();
        dec.decode(&payload[..160], &mut pcm);
        let err: f64 = energy(
            &pcm.iter()
                .zip(&tone)
                .map(|(a, b)| a - b)
                .collect::<Vec<_>>(),
        );
        // G.711 keeps about 38 dB SNR on a loud tone.
        assert!(energy(&tone) / err > 1000.0, "{p:?}");
    }
}

#[test]
fn opus_keeps_1_and_5_khz_tones_at_16_khz() {
    for freq in [1000.0, 5000.0] {
        let tone = sine(freq, 16_000, 16_000, 0.3);
        let mut enc = Encoder::new(&opus()).unwrap();
        let mut dec = Decoder::new(&opus()).unwrap();
        let decoded = decode_all(&mut dec, &encode_all(&mut enc, &tone));
        assert_eq!(decoded.len(), 16_000);
        let body = &decoded[3200..];
        let at = goertzel_power(body, freq, 16_000);
        for other in [300.0, 2000.0, 3000.0, freq + 700.0, 7000.0] {
            let p = goertzel_power(body, other, 16_000);
            assert!(at > 1000.0 * p, "{freq} Hz: {at} vs {p} at {other} Hz");
        }
        // And at about the level it went in with.
        let ratio = rms(body) / rms(&tone);
        assert!(
            (0.7..1.3).contains(&ratio),
            "{freq} Hz: level ratio {ratio}"
        );
    }
}

#[test]
fn g711_loses_5_khz_but_keeps_1_khz() {
    // A wideband tone on its way to a G.711 leg: converted to 8 kHz by the leg's
    // feed, encoded, decoded, and brought back to 16 kHz for comparison.
    for (freq, survives) in [(1000.0, true), (5000.0, false)] {
        let tone = sine(freq, 16_000, 16_000, 0.3);
        let mut feed = Feed::with_depth(8000, 60);
        feed.push(16_000, &tone);
        let mut narrow = vec![0; feed.buffered()];
        feed.next_frame(&mut narrow);
        let mut enc = Encoder::new(&Payload::Pcmu).unwrap();
        let mut dec = Decoder::new(&Payload::Pcmu).unwrap();
        let decoded = decode_all(&mut dec, &encode_all(&mut enc, &narrow));
        let mut back = Feed::with_depth(16_000, 60);
        back.push(8000, &decoded);
        let mut wide = vec![0; back.buffered()];
        back.next_frame(&mut wide);
        let body = &wide[1600..wide.len() - 1600];
        let kept = goertzel_power(body, freq, 16_000) / goertzel_power(&tone, freq, 16_000);
        if survives {
            assert!(kept > 0.8, "{freq} Hz kept {kept}");
        } else {
            assert!(kept < 1e-4, "{freq} Hz kept {kept}");
            // Nor is it folded back into the telephone band (5 kHz aliases to 3 kHz).
            let alias = goertzel_power(body, 3000.0, 16_000) / goertzel_power(&tone, freq, 16_000);
            assert!(alias < 1e-4, "alias {alias}");
        }
    }
}

#[test]
fn opus_plc_continues_a_lost_tone() {
    let tone = sine(1000.0, 16_000, 16_000, 0.3);
    let mut enc = Encoder::new(&opus()).unwrap();
    let packets = encode_all(&mut enc, &tone);
    let mut dec = Decoder::new(&opus()).unwrap();
    let mut out = decode_all(&mut dec, &packets[..20]);
    let start = out.len();
    dec.conceal(None, &mut out);
    let concealed = &out[start..];
    assert_eq!(concealed.len(), 320);
    assert!(
        rms(concealed) > 0.5 * rms(&tone),
        "concealment is near silence: rms {}",
        rms(concealed)
    );
    let at = goertzel_power(concealed, 1000.0, 16_000);
    for other in [400.0, 2500.0, 4000.0] {
        assert!(at > 100.0 * goertzel_power(concealed, other, 16_000));
    }
}

#[test]
fn opus_fec_recovers_a_lost_frame_better_than_plc() {
    let signal = speechlike(16_000, 16_000);
    let mut enc = Encoder::new(&opus()).unwrap();
    enc.set_packet_loss(20);
    let packets = encode_all(&mut enc, &signal);
    let lost = 30;
    // The codec's delay, found on a clean decode.
    let clean = decode_all(&mut Decoder::new(&opus()).unwrap(), &packets);
    let lag = best_lag(&signal[..8000], &clean, 400);
    assert!(lag < 400, "lag {lag}");

    let error_with = |next: Option<&[u8]>| {
        let mut dec = Decoder::new(&opus()).unwrap();
        let mut out = decode_all(&mut dec, &packets[..lost]);
        dec.conceal(next, &mut out);
        let frame = &out[lost * 320..];
        assert_eq!(frame.len(), 320);
        let original = &signal[lost * 320 - lag..(lost + 1) * 320 - lag];
        energy(
            &frame
                .iter()
                .zip(original)
                .map(|(a, b)| a - b)
                .collect::<Vec<_>>(),
        ) / energy(original)
    };
    let plc = error_with(None);
    let fec = error_with(Some(&packets[lost + 1]));
    // Measured: FEC about 0.4 % of the frame's energy, PLC about 70 %.
    assert!(fec < 0.1 * plc, "FEC error {fec} vs PLC {plc}");
    assert!(fec < 0.05, "FEC error {fec}");
}

#[test]
fn corrupt_opus_packet_is_concealed() {
    let tone = sine(1000.0, 16_000, 3200, 0.3);
    let mut enc = Encoder::new(&opus()).unwrap();
    let packets = encode_all(&mut enc, &tone);
    let mut dec = Decoder::new(&opus()).unwrap();
    let mut out = decode_all(&mut dec, &packets);
    let start = out.len();
    // TOC code 3 announcing 63 frames of 0 bytes: invalid.
    dec.decode(&[0xfb, 0x3f], &mut out);
    assert_eq!(out.len() - start, 320);
    assert!(rms(&out[start..]) > 0.3 * rms(&tone));
}

#[test]
fn opus_bitrate_follows_maxaveragebitrate() {
    let signal = speechlike(16_000, 32_000);
    let mean_bytes = |params: OpusParams| {
        let mut enc = Encoder::new(&Payload::Opus(params)).unwrap();
        let packets = encode_all(&mut enc, &signal);
        packets.iter().map(Vec::len).sum::<usize>() as f64 / packets.len() as f64
    };
    let capped = mean_bytes(OpusParams {
        max_average_bitrate: Some(8000),
        ..OpusParams::default()
    });
    let free = mean_bytes(OpusParams::default());
    // 8 kbit/s is 20 bytes per 20 ms frame.
    assert!(capped <= 24.0, "capped at {capped} bytes per frame");
    assert!(free > 1.5 * capped, "uncapped {free}, capped {capped}");
}

#[test]
fn g711_concealment_repeats_the_last_frame_then_fades_to_silence() {
    let mut dec = Decoder::new(&Payload::Pcmu).unwrap();
    let tone = sine(1000.0, 8000, 160, 0.5);
    let mut payload = Vec::new();
    Encoder::new(&Payload::Pcmu)
        .unwrap()
        .encode(&tone, &mut payload);
    let mut out = Vec::new();
    dec.decode(&payload, &mut out);
    let received = rms(&out);
    let mut levels = Vec::new();
    for _ in 0..4 {
        let mut lost = Vec::new();
        dec.conceal(None, &mut lost);
        assert_eq!(lost.len(), 160);
        levels.push(rms(&lost));
    }
    assert!(levels[0] > 0.6 * received, "{levels:?} vs {received}");
    assert!(levels[0] > levels[1] && levels[1] > levels[2], "{levels:?}");
    assert_eq!(levels[3], 0.0);
    // A frame that arrives resets the fade.
    dec.decode(&payload, &mut out);
    let mut lost = Vec::new();
    dec.conceal(None, &mut lost);
    assert!(rms(&lost) > 0.6 * received);
}

#[test]
fn feed_converts_to_its_rate_frame_by_frame() {
    let tone = sine(1000.0, 8000, 8000, 0.3);
    let mut feed = Feed::new(16_000);
    let mut out = Vec::new();
    let mut frame = [0i16; 320];
    for chunk in tone.chunks(160) {
        feed.push(8000, chunk);
        feed.next_frame(&mut frame);
        out.extend_from_slice(&frame);
    }
    assert_eq!(out.len(), 16_000);
    // Only the very first frame is short (the converter's 10 ms delay).
    assert_eq!(feed.stats().underruns, 1);
    let body = &out[1600..];
    let at = goertzel_power(body, 1000.0, 16_000);
    assert!(at > 1000.0 * goertzel_power(body, 3000.0, 16_000));
    assert!(at > 1000.0 * goertzel_power(body, 7000.0, 16_000));
    // Continuous: no sample-to-sample jump larger than the tone's own slope allows.
    let max_step = body
        .windows(2)
        .map(|w| (i32::from(w[1]) - i32::from(w[0])).abs())
        .max()
        .unwrap();
    assert!(max_step < 4000, "discontinuity of {max_step}");
}

#[test]
fn feed_pads_underruns_with_silence_and_counts_them() {
    let mut feed = Feed::new(8000);
    let mut frame = [7i16; 160];
    assert!(!feed.next_frame(&mut frame));
    assert!(frame.iter().all(|&s| s == 0));
    feed.push(8000, &[5; 100]);
    assert!(!feed.next_frame(&mut frame));
    // What there is comes last, so it runs on into the next frame.
    assert!(frame[..60].iter().all(|&s| s == 0));
    assert!(frame[60..].iter().all(|&s| s == 5));
    feed.push(8000, &[6; 160]);
    assert!(feed.next_frame(&mut frame));
    assert_eq!(
        feed.stats(),
        FeedStats {
            underruns: 2,
            dropped_samples: 0
        }
    );
}

#[test]
fn feed_keeps_latency_bounded_by_dropping_the_oldest_audio() {
    let mut feed = Feed::new(8000);
    for i in 0..10i16 {
        feed.push(8000, &[i; 160]);
    }
    assert_eq!(feed.buffered(), 3 * 160);
    assert_eq!(feed.stats().dropped_samples, 7 * 160);
    let mut frame = [0i16; 160];
    for expected in 7..10 {
        assert!(feed.next_frame(&mut frame));
        assert!(frame.iter().all(|&s| s == expected));
    }
    // One push larger than the whole queue keeps only its newest part.
    let ramp: Vec<i16> = (0..1000).collect();
    feed.push(8000, &ramp);
    assert_eq!(feed.buffered(), 480);
    feed.next_frame(&mut frame);
    assert_eq!(frame[0], 520);
}

#[test]
fn opus_decoder_takes_a_peers_48_khz_stereo_packets() {
    // What a softphone may send: fullband stereo at 48 kHz, 20 ms per packet.
    let mut peer =
        ::opus::Encoder::new(48_000, ::opus::Channels::Stereo, ::opus::Application::Audio).unwrap();
    let tone = sine(1000.0, 48_000, 48_000, 0.3);
    let mut dec = Decoder::new(&opus()).unwrap();
    let mut out = Vec::new();
    for frame in tone.chunks(960) {
        let stereo: Vec<i16> = frame.iter().flat_map(|&s| [s, s]).collect();
        let mut packet = [0u8; 1275];
        let n = peer.encode(&stereo, &mut packet).unwrap();
        let before = out.len();
        dec.decode(&packet[..n], &mut out);
        assert_eq!(out.len() - before, 320);
    }
    let body = &out[3200..];
    let at = goertzel_power(body, 1000.0, 16_000);
    assert!(at > 1000.0 * goertzel_power(body, 3000.0, 16_000));
    let ratio = rms(body) / rms(&tone);
    assert!((0.7..1.3).contains(&ratio), "level ratio {ratio}");
}
