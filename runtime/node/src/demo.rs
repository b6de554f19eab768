//! The built-in demo app: a webhook served by the node itself, bound to the demo number
//! when no configuration is given. It shows a Gather, a Play and a Say.

use axum::extract::Form;
use axum::http::header;
use axum::response::IntoResponse;
use std::collections::HashMap;
use std::sync::OnceLock;

use switchyard_instructions::{to_twiml, Gather, GatherChild, Play, Say, Verb};

fn say(text: &str) -> Say {
    Say {
        text: text.into(),
        ..Say::default()
    }
}

fn twiml(verbs: &[Verb]) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/xml")], to_twiml(verbs))
}

/// `/demo/voice`: the greeting and the menu.
pub async fn voice() -> impl IntoResponse {
    twiml(&[
        Verb::Gather(Gather {
            num_digits: Some(1),
            action: Some("/demo/gathered".into()),
            children: vec![GatherChild::Say(say(
                "Welcome to Switchyard. Press 1 to hear a tone, or 2 to hear your digits read back.",
            ))],
            ..Gather::default()
        }),
        Verb::Say(say("We did not receive any input. Goodbye.")),
        Verb::Hangup,
    ])
}

/// `/demo/gathered`: what the caller chose.
pub async fn gathered(Form(params): Form<HashMap<String, String>>) -> impl IntoResponse {
    let digits = params.get("Digits").cloned().unwrap_or_default();
    let verbs = match digits.as_str() {
        "1" => vec![
            Verb::Play(Play {
                url: Some("/demo/tone.wav".into()),
                ..Play::default()
            }),
            Verb::Say(say(
                "That was a four hundred and forty hertz tone. Goodbye.",
            )),
            Verb::Hangup,
        ],
        _ => vec![
            Verb::Say(say(&format!(
                "You pressed {}. Goodbye.",
                digits
                    .chars()
                    .map(String::from)
                    .collect::<Vec<_>>()
                    .join(" ")
            ))),
            Verb::Hangup,
        ],
    };
    twiml(&verbs)
}

/// `/demo/tone.wav`: two seconds of 440 Hz, 8 kHz 16-bit mono.
pub async fn tone() -> impl IntoResponse {
    static WAV: OnceLock<Vec<u8>> = OnceLock::new();
    let wav = WAV.get_or_init(|| {
        let samples: Vec<i16> = (0..16_000)
            .map(|n| {
                let t = n as f64 / 8000.0;
                ((2.0 * std::f64::consts::PI * 440.0 * t).sin() * 8000.0) as i16
            })
            .collect();
        switchyard_media::wav_bytes(&samples, 8000)
    });
    (
        [
            (header::CONTENT_TYPE, "audio/wav"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        wav.clone(),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn demo_documents_parse_back() {
        // The demo must stay valid TwiML for our own parser.
        let verbs = switchyard_instructions::parse_twiml(&switchyard_instructions::to_twiml(&[
            super::Verb::Say(super::say("hi")),
        ]))
        .unwrap();
        assert_eq!(verbs.len(), 1);
        let wav = switchyard_media::wav_bytes(&[0, 1, -1], 8000);
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(wav.len(), 44 + 6);
    }
}
