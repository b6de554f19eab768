//! Text-to-speech through the installed espeak-ng.

mod common;

use common::{band_power, rms};
use switchyard_media::codec::Feed;
use switchyard_media::{synthesize, MediaCache, Player, FRAME_SAMPLES, MEDIA_RATE};

fn espeak_missing() -> bool {
    let missing = std::process::Command::new("espeak-ng")
        .arg("--version")
        .output()
        .is_err();
    if missing {
        println!("skipped: espeak-ng is not installed");
    }
    missing
}

#[tokio::test]
async fn sentence_produces_speech_of_plausible_length() {
    if espeak_missing() {
        return;
    }
    let text = "Thank you for calling. Please hold while we connect your call.";
    let pcm = synthesize(text, "alice", "en-US").await.unwrap();
    // About 11 words: between 2 and 8 seconds at any sane speaking rate.
    let seconds = pcm.len() as f64 / f64::from(MEDIA_RATE);
    assert!((2.0..8.0).contains(&seconds), "{seconds} s");
    assert!(rms(&pcm) > 500.0, "rms {}", rms(&pcm));
}

#[tokio::test]
async fn voices_and_languages_change_the_audio() {
    if espeak_missing() {
        return;
    }
    let man = synthesize("Good morning", "man", "en-US").await.unwrap();
    let woman = synthesize("Good morning", "woman", "en-US").await.unwrap();
    let french = synthesize("Bonjour tout le monde", "man", "fr-FR")
        .await
        .unwrap();
    assert_ne!(man, woman);
    assert!(!french.is_empty());
    // An unknown language still speaks (in English).
    let fallback = synthesize("Good morning", "man", "xx-XX").await.unwrap();
    assert_eq!(fallback, man);
}

#[tokio::test]
async fn text_is_an_argument_not_an_option_or_markup() {
    if espeak_missing() {
        return;
    }
    // Would be parsed as espeak-ng options (or shell syntax) if passed carelessly.
    let tricky = synthesize("--version; rm -rf / $(reboot)", "man", "en-US")
        .await
        .unwrap();
    assert!(
        tricky.len() > MEDIA_RATE as usize,
        "the text itself is spoken: {}",
        tricky.len()
    );
    let tagged = synthesize(
        "<speak>Hello <break time=\"1s\"/> there</speak>",
        "man",
        "en-US",
    )
    .await
    .unwrap();
    let plain = synthesize("Hello there", "man", "en-US").await.unwrap();
    assert_eq!(tagged, plain);
}

#[tokio::test]
async fn cached_speech_is_wideband_and_narrowband_frames_are_band_limited() {
    if espeak_missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cache = MediaCache::open(dir.path().to_path_buf(), reqwest::Client::new()).unwrap();
    let stream = cache
        .speech(
            "Sixty six sizzling sausages, fresh fish and chips.",
            "man",
            "en-US",
        )
        .await
        .unwrap();
    stream.wait_complete().await.unwrap();
    assert_eq!(stream.rate(), MEDIA_RATE);

    // What an Opus leg hears: the cache's samples, 20 ms at a time.
    let mut wide = Vec::new();
    let mut player = Player::default();
    player.play(1u8, stream.clone(), 1);
    let mut frame = vec![0i16; MEDIA_RATE as usize / 50];
    while player.next_frame_at(MEDIA_RATE, &mut frame).is_none() {
        wide.extend_from_slice(&frame);
    }
    let high = band_power(&wide, MEDIA_RATE, 4300.0, 7700.0);
    let low = band_power(&wide, MEDIA_RATE, 300.0, 3400.0);
    assert!(
        high > 0.01 * low,
        "no wideband speech: high {high}, low {low}"
    );

    // What a G.711 leg hears: 8 kHz frames from the same entry.
    let mut narrow = Vec::new();
    player.play(2, stream, 1);
    let mut frame = [0i16; FRAME_SAMPLES];
    while player.next_frame(&mut frame).is_none() {
        narrow.extend_from_slice(&frame);
    }
    let seconds = |n: usize, rate: u32| n as f64 / f64::from(rate);
    assert!((seconds(narrow.len(), 8000) - seconds(wide.len(), MEDIA_RATE)).abs() < 0.05);
    // Brought back to 16 kHz to compare with the original on equal terms: nothing
    // above 4 kHz, and the telephone band neither lost nor swollen by aliasing.
    let mut back = Feed::with_depth(MEDIA_RATE, wide.len() / 320 + 10);
    back.push(8000, &narrow);
    let mut narrow_16k = vec![0; back.buffered()];
    back.next_frame(&mut narrow_16k);
    let narrow_high = band_power(&narrow_16k, MEDIA_RATE, 4300.0, 7700.0);
    let narrow_low = band_power(&narrow_16k, MEDIA_RATE, 300.0, 3400.0);
    assert!(
        narrow_high < 1e-3 * high,
        "high band {narrow_high} vs {high}"
    );
    let kept = narrow_low / low;
    assert!(
        (0.8..1.25).contains(&kept),
        "telephone band {kept} of the original"
    );
}
