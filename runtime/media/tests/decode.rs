//! Decoding real files: WAV in every sample format, rates and channel counts, MP3.

mod common;

use common::{dominant, rms, sine_frames, wav, WavFormat};
use switchyard_media::{decode_all, ulaw_decode, Error, MEDIA_RATE};

const CANDIDATES: [f64; 6] = [250.0, 440.0, 697.0, 1000.0, 1500.0, 3000.0];

#[test]
fn wav_44k1_stereo_16bit_resamples_to_16k_mono() {
    let frames = sine_frames(1000.0, 44_100, 1.0, 0.5, 2);
    let out = decode_all(
        &wav(WavFormat::Pcm16, 44_100, 2, &frames),
        Some("audio/wav"),
    )
    .unwrap();
    assert_eq!(out.len(), MEDIA_RATE as usize);
    assert_eq!(dominant(&out, &CANDIDATES), 1000.0);
    // Level survives: a 0.5 sine has an RMS of 0.354 full scale.
    let level = rms(&out[1000..15_000]) / 32768.0;
    assert!((level - 0.3536).abs() < 0.01, "rms {level}");
}

#[test]
fn wav_16k_ulaw_is_decoded_exactly() {
    let frames = sine_frames(440.0, MEDIA_RATE, 0.5, 0.5, 1);
    let file = wav(WavFormat::Ulaw, MEDIA_RATE, 1, &frames);
    let out = decode_all(&file, None).unwrap();
    assert_eq!(out.len(), 8000);
    // The data chunk is the last thing in the file.
    let codes = &file[file.len() - 8000..];
    let expected: Vec<i16> = codes.iter().map(|&b| ulaw_decode(b)).collect();
    assert_eq!(out, expected);
    assert_eq!(dominant(&out, &CANDIDATES), 440.0);
}

#[test]
fn every_wav_sample_format_and_rate() {
    let cases = [
        (WavFormat::Pcm8, 11_025, 1),
        (WavFormat::Pcm16, 16_000, 1),
        (WavFormat::Pcm16, 22_050, 2),
        (WavFormat::Pcm24, 48_000, 2),
        (WavFormat::Pcm32, 32_000, 1),
        (WavFormat::Float32, 44_100, 1),
        (WavFormat::Alaw, 8000, 1),
        (WavFormat::Ulaw, 16_000, 2),
    ];
    for (format, rate, channels) in cases {
        let frames = sine_frames(697.0, rate, 0.5, 0.4, channels);
        let out = decode_all(&wav(format, rate, channels, &frames), Some("audio/x-wav"))
            .unwrap_or_else(|e| panic!("{format:?} {rate} Hz: {e}"));
        // ceil(n × 16000 / rate): 8000, or 8001 where 0.5 s is not a whole number of
        // input samples (11 025 Hz).
        let expected = (frames.len() as u64 * u64::from(MEDIA_RATE)).div_ceil(u64::from(rate));
        assert_eq!(out.len() as u64, expected, "{format:?} {rate} Hz");
        assert_eq!(dominant(&out, &CANDIDATES), 697.0, "{format:?} {rate} Hz");
        let level = rms(&out[800..7200]) / 32768.0;
        assert!(
            (level - 0.4 * std::f64::consts::FRAC_1_SQRT_2).abs() < 0.02,
            "{format:?} {rate} Hz: rms {level}"
        );
    }
}

#[test]
fn mp3_decodes_to_16k() {
    // 1 s of 440 Hz at 22.05 kHz mono, encoded with LAME 3.100 (-b 32 -m m).
    let mp3 = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/sine_440hz_1s_22050.mp3"
    ))
    .unwrap();
    let out = decode_all(&mp3, Some("audio/mpeg")).unwrap();
    // MP3 adds encoder delay and frame padding (at most a few frames of 576 samples).
    assert!(
        (16_000..=16_000 + 4 * 576 * 16_000 / 22_050 + 1).contains(&out.len()),
        "{}",
        out.len()
    );
    assert_eq!(dominant(&out, &CANDIDATES), 440.0);
    assert!(rms(&out[4000..12_000]) > 0.2 * 32768.0);
}

#[test]
fn mp3_without_hint_is_sniffed() {
    let mp3 = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/sine_440hz_1s_22050.mp3"
    ))
    .unwrap();
    let out = decode_all(&mp3, None).unwrap();
    assert_eq!(dominant(&out, &CANDIDATES), 440.0);
}

#[test]
fn truncated_and_empty_inputs() {
    assert!(matches!(
        decode_all(&[], None),
        Err(Error::Undecodable { .. })
    ));
    // A header with no data at all.
    let header_only = wav(WavFormat::Pcm16, 8000, 1, &[]);
    assert!(matches!(
        decode_all(&header_only, None),
        Err(Error::Undecodable { .. })
    ));
    // A file cut in the middle of its data still yields what is there.
    let file = wav(
        WavFormat::Pcm16,
        8000,
        1,
        &sine_frames(440.0, 8000, 1.0, 0.5, 1),
    );
    // Half of 1 s at 8 kHz: 0.5 s, 8000 samples at 16 kHz.
    let out = decode_all(&file[..file.len() / 2], None).unwrap();
    assert!((7800..=8000).contains(&out.len()), "{}", out.len());
}
