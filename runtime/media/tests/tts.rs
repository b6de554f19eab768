//! Text-to-speech through the installed espeak-ng.

mod common;

use common::rms;
use switchyard_media::synthesize;

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
    let seconds = pcm.len() as f64 / 8000.0;
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
        tricky.len() > 8000,
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
