//! Transcoding per core: the media path of one bridged call between a G.711 leg and an
//! Opus leg, both directions, next to raw libopus encoding and decoding the same
//! 16 kHz frames, timed in the same run on one thread.
//!
//! Bridge path, per 20 ms: PCMU payload → `Decoder` (8 kHz) → the Opus leg's `Feed`
//! (8 → 16 kHz) → Opus `Encoder`; and Opus packet → `Decoder` (16 kHz) → the PCMU leg's
//! `Feed` (16 → 8 kHz) → PCMU `Encoder`. The raw reference is `opus::Encoder::encode`
//! plus `opus::Decoder::decode` with the same settings, which is the floor the bridge
//! cannot beat: its figure is what transcoding adds.

use crate::bridge_report::cell;
use anyhow::{Context, Result};
use std::f64::consts::TAU;
use std::hint::black_box;
use std::time::{Duration, Instant};
use switchyard_media::codec::{Decoder, Encoder, Feed, OpusParams, Payload};

pub const HEADING: &str = "## Transcoding: G.711⇄Opus per core";

pub const NOTES: &str = "One thread. A frame pair is one 20 ms frame each way of one call \
(PCMU payload → decode → 8→16 kHz → Opus encode, and Opus packet → decode → 16→8 kHz → \
PCMU encode); raw libopus is one encode plus one decode of the same 16 kHz frame, with the \
codec's settings (VOIP, wideband, 24 kbit/s, in-band FEC, 5 % loss hint). Calls per core = \
frame pairs/s ÷ 50 (a call needs 50 each second). Input: 10 s of a synthetic voice \
(harmonics of a gliding 120–220 Hz pitch under moving formants, plus noise), looped. \
Median of the runs, spread in brackets. Target: the bridge at ≥ 90 % of raw libopus.";

/// Frames of input, looped.
const FRAMES: usize = 500;

/// One run's rates, frames (or frame pairs) per second.
#[derive(Debug, Clone, Copy)]
pub struct CodecRun {
    pub raw: f64,
    pub bridge: f64,
}

/// A voice-like signal at `rate`: a gliding pitch's harmonics shaped by two moving
/// formants, plus a little noise, so the codecs work as they do on speech.
pub(crate) fn voice(rate: u32, seconds: usize) -> Vec<i16> {
    let n = rate as usize * seconds;
    let mut phase = 0.0f64;
    let mut noise = 0x1234_5678u32;
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            let pitch = 170.0 + 50.0 * (TAU * 0.7 * t).sin();
            phase += TAU * pitch / f64::from(rate);
            let f1 = 600.0 + 300.0 * (TAU * 2.3 * t).sin();
            let f2 = 1800.0 + 700.0 * (TAU * 1.1 * t).cos();
            let mut v = 0.0;
            let nyquist = f64::from(rate) / 2.0;
            let mut h = 1.0;
            while h * pitch < nyquist - 200.0 {
                let f = h * pitch;
                let gain = 1.0 / (1.0 + ((f - f1) / 150.0).powi(2))
                    + 0.6 / (1.0 + ((f - f2) / 250.0).powi(2));
                v += gain * (h * phase).sin() / h.sqrt();
                h += 1.0;
            }
            noise ^= noise << 13;
            noise ^= noise >> 17;
            noise ^= noise << 5;
            let hiss = (f64::from(noise) / f64::from(u32::MAX) - 0.5) * 0.05;
            ((0.25 * v + hiss) * 32767.0).clamp(-32768.0, 32767.0) as i16
        })
        .collect()
}

fn frames(pcm: &[i16], size: usize) -> Vec<Vec<i16>> {
    pcm.chunks_exact(size)
        .take(FRAMES)
        .map(<[i16]>::to_vec)
        .collect()
}

/// Runs `step(i)` for frame indices 0, 1, 2… until `secs` have passed; returns the
/// rate in steps per second.
fn rate(secs: Duration, mut step: impl FnMut(usize)) -> f64 {
    // Warm up caches and the codecs' state.
    for i in 0..FRAMES {
        step(i);
    }
    let start = Instant::now();
    let mut done = 0usize;
    while start.elapsed() < secs {
        for _ in 0..50 {
            step(done % FRAMES);
            done += 1;
        }
    }
    done as f64 / start.elapsed().as_secs_f64()
}

fn raw_libopus() -> Result<(opus::Encoder, opus::Decoder)> {
    let mut enc = opus::Encoder::new(16_000, opus::Channels::Mono, opus::Application::Voip)?;
    enc.set_bitrate(opus::Bitrate::Bits(24_000))?;
    enc.set_max_bandwidth(opus::Bandwidth::Wideband)?;
    enc.set_signal(opus::Signal::Voice)?;
    enc.set_inband_fec(true)?;
    enc.set_packet_loss_perc(5)?;
    let dec = opus::Decoder::new(16_000, opus::Channels::Mono)?;
    Ok((enc, dec))
}

/// `runs` runs of both paths, each timed for `secs`.
pub fn run(runs: usize, secs: Duration) -> Result<Vec<CodecRun>> {
    let opus_leg = Payload::Opus(OpusParams::default());
    let wide = frames(&voice(16_000, 10), 320);
    let narrow = frames(&voice(8000, 10), 160);
    // What each leg sends, encoded once up front.
    let mut pcmu_in = Vec::new();
    let mut enc = Encoder::new(&Payload::Pcmu)?;
    for f in &narrow {
        let mut p = Vec::new();
        enc.encode(f, &mut p);
        pcmu_in.push(p);
    }
    let mut opus_in = Vec::new();
    let mut enc = Encoder::new(&opus_leg)?;
    for f in &wide {
        let mut p = Vec::new();
        enc.encode(f, &mut p);
        opus_in.push(p);
    }

    let mut out = Vec::new();
    for r in 0..runs {
        // Raw libopus: encode and decode each 16 kHz frame.
        let (mut enc, mut dec) = raw_libopus().context("libopus")?;
        let mut packet = [0u8; 1275];
        let mut pcm = [0i16; 320];
        let mut bytes = 0usize;
        let raw = rate(secs, |i| {
            let n = enc.encode(&wide[i], &mut packet).unwrap_or(0);
            bytes += n;
            let _ = dec.decode(&packet[..n], &mut pcm, false);
            black_box(&pcm);
        });
        anyhow::ensure!(bytes > 0, "libopus produced nothing");

        // The bridge: both directions of one call.
        let mut pcmu_dec = Decoder::new(&Payload::Pcmu)?;
        let mut opus_enc = Encoder::new(&opus_leg)?;
        let mut to_opus = Feed::new(opus_enc.rate());
        let mut opus_dec = Decoder::new(&opus_leg)?;
        let mut pcmu_enc = Encoder::new(&Payload::Pcmu)?;
        let mut to_pcmu = Feed::new(pcmu_enc.rate());
        let mut decoded = Vec::with_capacity(1920);
        let mut wide_frame = [0i16; 320];
        let mut narrow_frame = [0i16; 160];
        let mut payload = Vec::with_capacity(1275);
        let mut sent = 0usize;
        let bridge = rate(secs, |i| {
            decoded.clear();
            pcmu_dec.decode(&pcmu_in[i], &mut decoded);
            to_opus.push(pcmu_dec.rate(), &decoded);
            to_opus.next_frame(&mut wide_frame);
            payload.clear();
            opus_enc.encode(&wide_frame, &mut payload);
            sent += payload.len();

            decoded.clear();
            opus_dec.decode(&opus_in[i], &mut decoded);
            to_pcmu.push(opus_dec.rate(), &decoded);
            to_pcmu.next_frame(&mut narrow_frame);
            payload.clear();
            pcmu_enc.encode(&narrow_frame, &mut payload);
            sent += payload.len();
        });
        anyhow::ensure!(sent > 0, "the bridge produced nothing");
        // Only the very first frame of each direction may be short (converter delay).
        let underruns = to_opus.stats().underruns + to_pcmu.stats().underruns;
        anyhow::ensure!(underruns <= 2, "{underruns} underruns in the bridge");
        eprintln!(
            "run {}: raw libopus {raw:.0} frames/s, bridge {bridge:.0} frame pairs/s ({:.1} %)",
            r + 1,
            100.0 * bridge / raw
        );
        out.push(CodecRun { raw, bridge });
    }
    Ok(out)
}

/// The benchmark's table.
pub fn table(runs: &[CodecRun]) -> String {
    let col = |f: &dyn Fn(&CodecRun) -> f64| runs.iter().map(f).collect::<Vec<_>>();
    let mut t = String::from(
        "| Path (one thread) | Frames/s | µs per frame | Calls per core | vs raw libopus |\n\
         |---|---|---|---|---|\n",
    );
    t.push_str(&format!(
        "| Raw libopus encode + decode, 16 kHz 20 ms | {} | {} | {} | 100 % |\n",
        cell(col(&|r| r.raw), 0),
        cell(col(&|r| 1e6 / r.raw), 1),
        cell(col(&|r| r.raw / 50.0), 0),
    ));
    t.push_str(&format!(
        "| G.711⇄Opus bridge, both directions (frame pairs) | {} | {} | {} | {} % |\n",
        cell(col(&|r| r.bridge), 0),
        cell(col(&|r| 1e6 / r.bridge), 1),
        cell(col(&|r| r.bridge / 50.0), 0),
        cell(col(&|r| 100.0 * r.bridge / r.raw), 1),
    ));
    t
}
