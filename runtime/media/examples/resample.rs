//! Quality and speed of the resampler on the conversions a call uses, frame by frame:
//! `cargo run --release -p switchyard-media --example resample`.
//!
//! Quality: the SNR of a 1 kHz tone against the ideal tone at the output rate, and
//! how far below the input tone what must not come out lies (a tone above the lower
//! Nyquist frequency when downsampling, the spectral image of the tone when
//! upsampling); `inf` means nothing is left in 16-bit output.

use std::f64::consts::TAU;
use std::hint::black_box;
use std::time::Instant;
use switchyard_media::resample::{to_i16, Resampler};
use switchyard_media::tone::goertzel_power;

fn sine(freq: f64, rate: u32, seconds: f64) -> Vec<f32> {
    let n = (f64::from(rate) * seconds) as usize;
    (0..n)
        .map(|i| (0.5 * (TAU * freq * i as f64 / f64::from(rate)).sin()) as f32)
        .collect()
}

/// `input` converted 20 ms at a time, then finished.
fn convert(from: u32, to: u32, input: &[f32]) -> Vec<f32> {
    let mut r = Resampler::new(from, to);
    let mut out = Vec::new();
    for frame in input.chunks(from as usize / 50) {
        r.process(frame, &mut out);
    }
    r.finish(&mut out);
    out
}

fn db(x: f64) -> f64 {
    10.0 * x.log10()
}

/// SNR (dB) of a converted 1 kHz tone against the ideal one, away from the edges.
fn tone_snr(from: u32, to: u32) -> f64 {
    let out = convert(from, to, &sine(1000.0, from, 1.0));
    let ideal = sine(1000.0, to, 1.0);
    let body = (to as usize / 10)..(to as usize * 9 / 10);
    let (sig, err) = body.fold((0.0, 0.0), |(s, e), i| {
        (
            s + f64::from(ideal[i]).powi(2),
            e + f64::from(out[i] - ideal[i]).powi(2),
        )
    });
    db(sig / err)
}

/// How far (dB) the power at `probe` Hz in the output lies below the input `tone`.
fn rejection(from: u32, to: u32, tone: f64, probe: f64) -> f64 {
    let input: Vec<i16> = sine(tone, from, 1.0).into_iter().map(to_i16).collect();
    let as_f32: Vec<f32> = input.iter().map(|&s| f32::from(s) / 32768.0).collect();
    let out: Vec<i16> = convert(from, to, &as_f32).into_iter().map(to_i16).collect();
    let body = &out[to as usize / 10..to as usize * 9 / 10];
    db(goertzel_power(&input, tone, from) / goertzel_power(body, probe, to))
}

/// Nanoseconds per 20 ms frame, converting frame by frame.
fn ns_per_frame(from: u32, to: u32) -> f64 {
    let frame = sine(440.0, from, 0.02);
    let mut r = Resampler::new(from, to);
    let mut out = Vec::with_capacity(4096);
    for _ in 0..100 {
        out.clear();
        r.process(&frame, &mut out);
    }
    let frames = 20_000;
    let start = Instant::now();
    for _ in 0..frames {
        out.clear();
        r.process(black_box(&frame), &mut out);
        black_box(&out);
    }
    start.elapsed().as_nanos() as f64 / f64::from(frames)
}

fn main() {
    println!("| conversion | 1 kHz SNR | rejection | ns / 20 ms frame |");
    println!("|---|---|---|---|");
    // (from, to, tone, where to probe, what the probe measures)
    for (from, to, tone, probe, what) in [
        (8000, 16_000, 1000.0, 7000.0, "7 kHz image of 1 kHz"),
        (16_000, 8000, 5000.0, 3000.0, "5 kHz, alias at 3 kHz"),
        (22_050, 16_000, 9000.0, 7000.0, "9 kHz, alias at 7 kHz"),
    ] {
        println!(
            "| {from} → {to} | {:.1} dB | {:.1} dB ({what}) | {:.0} |",
            tone_snr(from, to),
            rejection(from, to, tone, probe),
            ns_per_frame(from, to),
        );
    }
}
