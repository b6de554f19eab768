//! Transcoders: the examples change audio as they claim (AGC levels, DTMF energy);
//! a transcoder that loops, traps, grows or returns oversized frames is bypassed on
//! the first bad frame with its reason, the stream passes unchanged afterwards, and
//! other streams running at the same time never notice.

mod common;

use std::f32::consts::PI;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use switchyard_wasm::{
    Bypass, CompiledTranscoder, Error, Level, PcmFormat, TranscoderContext, TranscoderLimits,
    TranscoderStream,
};

const RATE: u32 = 8000;
const N: usize = 160;

fn transcoder(wasm: &[u8]) -> CompiledTranscoder {
    shared_host()
        .load_transcoder(wasm, limits(1, 20))
        .unwrap()
        .0
}

fn stream(t: &CompiledTranscoder, call: &str) -> (TranscoderStream, Arc<RecordingLog>) {
    let log = Arc::new(RecordingLog::default());
    let ctx = TranscoderContext {
        app_name: "tc-app".into(),
        call_sid: call.into(),
        log: log.clone(),
    };
    let format = PcmFormat::mono(RATE);
    let limits = TranscoderLimits {
        memory: 8 << 20,
        ..TranscoderLimits::default()
    };
    (TranscoderStream::new(t, format, format, limits, ctx), log)
}

/// Frame `index` of the sum of `tones` (Hz, RMS dBFS) at 8 kHz.
fn frame(tones: &[(f32, f32)], index: usize) -> Vec<i16> {
    (index * N..(index + 1) * N)
        .map(|i| {
            let t = i as f32 / RATE as f32;
            let v: f32 = tones
                .iter()
                .map(|(f, dbfs)| {
                    let amplitude = 32768.0 * 10f32.powf(dbfs / 20.0) * std::f32::consts::SQRT_2;
                    amplitude * (2.0 * PI * f * t).sin()
                })
                .sum();
            v as i16
        })
        .collect()
}

/// This thread's CPU time.
fn thread_cpu() -> Duration {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID)
        .unwrap()
        .into()
}

fn rms_dbfs(samples: &[i16]) -> f32 {
    let sum: f64 = samples.iter().map(|&s| f64::from(s).powi(2)).sum();
    (20.0 * ((sum / samples.len() as f64).sqrt() / 32768.0).log10()) as f32
}

/// Goertzel power of `samples` at `freq`.
fn goertzel(samples: &[i16], freq: f32) -> f32 {
    let coeff = 2.0 * (2.0 * PI * freq / RATE as f32).cos();
    let (mut s1, mut s2) = (0.0f32, 0.0f32);
    for &x in samples {
        let s0 = f32::from(x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    s1 * s1 + s2 * s2 - coeff * s1 * s2
}

#[test]
fn agc_raises_a_quiet_caller_to_the_target_level() {
    let (mut s, _log) = stream(&transcoder(&example("agc")), "CA-agc");
    let mut out = Vec::new();
    let mut levels = Vec::new();
    for i in 0..100 {
        let input = frame(&[(1000.0, -30.0)], i);
        s.process(&input, RATE, &mut out).unwrap();
        assert_eq!(out.len(), N);
        levels.push(rms_dbfs(&out));
    }
    assert!(
        levels[0] < -28.0,
        "the first frame is barely raised: {}",
        levels[0]
    );
    for (i, level) in levels.iter().enumerate().skip(50) {
        assert!((level - -20.0).abs() <= 3.0, "frame {i}: {level} dBFS");
    }
}

#[test]
fn dtmf_mute_removes_a_digit_and_keeps_the_tone_around_it() {
    let (mut s, _log) = stream(&transcoder(&example("dtmf-mute")), "CA-dtmf");
    let music = [(440.0, -18.0)];
    let digit_1 = [(697.0, -12.0), (1209.0, -14.0)];
    let inputs: Vec<Vec<i16>> = (0..30)
        .map(|i| {
            if (10..16).contains(&i) {
                frame(&digit_1, i)
            } else {
                frame(&music, i)
            }
        })
        .collect();
    let mut out = Vec::new();
    let mut heard = Vec::new();
    for input in &inputs {
        s.process(input, RATE, &mut out).unwrap();
        heard.extend_from_slice(&out);
    }
    let sent: Vec<i16> = inputs.concat();
    // One frame late: output frame i + 1 is input frame i.
    let digit_in = &sent[10 * N..16 * N];
    let digit_out = &heard[11 * N..17 * N];
    let energy = |x: &[i16]| goertzel(x, 697.0) + goertzel(x, 1209.0);
    assert!(energy(digit_out) < energy(digit_in) * 1e-4);
    assert_eq!(&heard[N..9 * N], &sent[..8 * N], "the tone before passes");
    assert_eq!(
        &heard[18 * N..],
        &sent[17 * N..29 * N],
        "the tone after passes"
    );
}

/// Runs 20 frames through guest `name` (which misbehaves from the 11th) and checks
/// the bypass: reported on that frame, frames unchanged from it on, the notice logged.
fn assert_bypassed_on_the_eleventh_frame(name: &str, expected: impl Fn(&Bypass) -> bool) {
    let (mut s, log) = stream(&transcoder(&workspace_guest(name)), "CA-bad");
    let mut out = Vec::new();
    for i in 0..20 {
        let input = frame(&[(700.0, -20.0)], i);
        let started = thread_cpu();
        let result = s.process(&input, RATE, &mut out);
        let took = thread_cpu() - started;
        if i == 10 {
            let bypass = result.expect_err("the 11th frame is bypassed");
            assert!(expected(&bypass), "{name}: {bypass:?}");
            // Stopped within one frame period of CPU, well before the next frame is
            // due (CPU time: on a loaded machine the thread may wait for a core).
            assert!(
                took < Duration::from_millis(20),
                "{name} took {took:?} of CPU"
            );
            assert!(s.is_bypassed());
        } else {
            result.unwrap_or_else(|e| panic!("{name} frame {i}: {e}"));
        }
        assert_eq!(out, input, "{name} frame {i} passes unchanged");
        assert_eq!(s.out_rate(), RATE);
    }
    let lines = log.lines();
    let notice = lines
        .iter()
        .find(|(_, _, level, line)| *level == Level::Error && line.contains("bypassed"))
        .unwrap_or_else(|| panic!("{name}: no notice in {lines:?}"));
    assert_eq!((notice.0.as_str(), notice.1.as_str()), ("tc-app", "CA-bad"));
}

#[test]
fn a_looping_transcoder_is_stopped_by_its_cpu_budget() {
    assert_bypassed_on_the_eleventh_frame("tc-looper", |b| {
        *b == Bypass::CpuBudget { budget_us: 1000 }
    });
}

#[test]
fn a_trapping_transcoder_is_bypassed_with_its_panic_in_the_log() {
    assert_bypassed_on_the_eleventh_frame("tc-trapper", |b| matches!(b, Bypass::Trap(_)));
    let (mut s, log) = stream(&transcoder(&workspace_guest("tc-trapper")), "CA-panic");
    let mut out = Vec::new();
    for i in 0..11 {
        let _ = s.process(&frame(&[(700.0, -20.0)], i), RATE, &mut out);
    }
    assert!(
        log.lines()
            .iter()
            .any(|(_, _, _, line)| line.contains("tc-trapper gives up at timestamp 1600")),
        "{:?}",
        log.lines()
    );
}

#[test]
fn a_growing_transcoder_is_stopped_by_its_memory_limit() {
    assert_bypassed_on_the_eleventh_frame("tc-grower", |b| *b == Bypass::Memory { limit: 8 << 20 });
}

#[test]
fn a_transcoder_returning_a_second_of_audio_is_bypassed() {
    assert_bypassed_on_the_eleventh_frame("tc-oversized", |b| {
        *b == Bypass::OversizedFrame {
            samples: 50 * N,
            max: 2 * N,
        }
    });
}

#[test]
fn a_transcoder_that_sleeps_is_refused_the_wait_and_bypassed() {
    assert_bypassed_on_the_eleventh_frame(
        "tc-sleeper",
        |b| matches!(b, Bypass::Trap(m) if m.contains("may not wait")),
    );
}

#[test]
fn frames_at_the_wrong_rate_or_too_long_bypass_the_stream() {
    let t = transcoder(&workspace_guest("tc-passthrough"));
    let (mut s, _log) = stream(&t, "CA-rate");
    let mut out = Vec::new();
    let wide = vec![5; 320];
    assert_eq!(
        s.process(&wide, 16000, &mut out),
        Err(Bypass::WrongRate {
            expected: RATE,
            got: 16000
        })
    );
    assert_eq!(out, wide);
    assert_eq!(s.process(&wide, 16000, &mut out), Ok(()));
    assert_eq!(out, wide);

    let (mut s, _log) = stream(&t, "CA-long");
    assert_eq!(
        s.process(&wide, RATE, &mut out),
        Err(Bypass::OversizedInput {
            samples: 320,
            max: N
        })
    );
}

#[test]
fn a_bad_stream_does_not_disturb_streams_running_beside_it() {
    let good = transcoder(&workspace_guest("tc-passthrough"));
    let agc = transcoder(&example("agc"));
    let bad: Vec<CompiledTranscoder> = ["tc-looper", "tc-grower", "tc-trapper"]
        .iter()
        .map(|n| transcoder(&workspace_guest(n)))
        .collect();
    std::thread::scope(|scope| {
        for (k, t) in bad.iter().enumerate() {
            scope.spawn(move || {
                let (mut s, _log) = stream(t, &format!("CA-bad{k}"));
                let mut out = Vec::new();
                let errors = (0..60)
                    .filter(|&i| {
                        s.process(&frame(&[(500.0, -20.0)], i), RATE, &mut out)
                            .is_err()
                    })
                    .count();
                assert_eq!(errors, 1);
            });
        }
        let checks = [(&good, false), (&agc, true)];
        for (k, (t, is_agc)) in checks.into_iter().enumerate() {
            scope.spawn(move || {
                let (mut s, _log) = stream(t, &format!("CA-good{k}"));
                let mut out = Vec::new();
                for i in 0..60 {
                    let input = frame(&[(1000.0, -30.0)], i);
                    s.process(&input, RATE, &mut out).unwrap();
                    if is_agc && i >= 50 {
                        assert!((rms_dbfs(&out) - -20.0).abs() <= 3.0);
                    } else if !is_agc {
                        assert_eq!(out, input);
                    }
                }
                assert!(!s.is_bypassed());
            });
        }
    });
}

#[test]
fn only_components_of_the_transcoder_world_are_accepted() {
    let host = shared_host();
    let err = host
        .compile_transcoder(&guest("ok"), limits(1, 20))
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::MissingExport {
                world: "transcoder",
                exports,
                ..
            } if exports.contains("handle")
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("switchyard:telephony/transcode"),
        "{err}"
    );
    let err = host
        .compile(&workspace_guest("tc-passthrough"), limits(50, 1000))
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::MissingExport {
                export: "handle",
                world: "call-handler",
                exports,
            } if exports.contains("switchyard:telephony/transcode")
        ),
        "{err}"
    );
}
