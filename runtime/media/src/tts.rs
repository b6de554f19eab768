//! Text-to-speech with the `espeak-ng` command-line synthesiser.

use crate::decode::decode_all;
use crate::voices::espeak_voice;
use crate::Error;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

/// The synthesiser program, looked up in `PATH`.
const ESPEAK: &str = "espeak-ng";
/// A synthesiser that takes longer than this is stuck; Twilio's `<Say>` text is at
/// most a few thousand characters, which espeak-ng renders in well under a second.
const TTS_TIMEOUT: Duration = Duration::from_secs(30);

/// Speaks `text` with the espeak voice matching Twilio's `voice` and `language`
/// (see [`espeak_voice`]) and returns mono samples at [`MEDIA_RATE`](crate::MEDIA_RATE):
/// espeak-ng's 22.05 kHz output converted to 16 kHz, which keeps the fricatives
/// (s, f, sh) that narrowband telephony cuts off.
///
/// The text goes to espeak-ng as one argument of a directly executed program (no
/// shell), after `--` so that text starting with `-` is not taken for an option.
/// SSML-style tags (`<break/>`, `<prosody …>`) are stripped and the five XML
/// entities decoded. Empty text yields no samples.
pub async fn synthesize(text: &str, voice: &str, language: &str) -> Result<Vec<i16>, Error> {
    let text = strip_markup(text);
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let voice = espeak_voice(voice, language);
    let child = Command::new(ESPEAK)
        .args(["--stdout", "-v", &voice, "--", &text])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::TtsUnavailable,
            _ => Error::io("starting espeak-ng", e),
        })?;
    let output = tokio::time::timeout(TTS_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| Error::TtsFailed {
            reason: format!("no result within {TTS_TIMEOUT:?}"),
        })?
        .map_err(|e| Error::io("running espeak-ng", e))?;
    // espeak-ng exits 0 even for an unknown voice, so the output is checked too.
    if !output.status.success() || !output.stdout.starts_with(b"RIFF") {
        return Err(Error::TtsFailed {
            reason: format!(
                "{} (voice {voice}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        });
    }
    decode_all(&output.stdout, Some("audio/wav")).map_err(|e| Error::TtsFailed {
        reason: format!("unreadable espeak-ng output: {e}"),
    })
}

/// Removes `<…>` tags, decodes `&amp; &lt; &gt; &quot; &apos;` and collapses
/// whitespace.
pub fn strip_markup(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => {
                in_tag = true;
                // A tag separates words (<break/> between two words).
                plain.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if !in_tag => plain.push(c),
            _ => {}
        }
    }
    let decoded = plain
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_stripped() {
        assert_eq!(
            strip_markup("Hello <break time=\"1s\"/>world, <prosody rate='slow'>R&amp;D</prosody>"),
            "Hello world, R&D"
        );
        assert_eq!(strip_markup("  a\n\tb  "), "a b");
        assert_eq!(strip_markup("<speak></speak>"), "");
        assert_eq!(strip_markup("1 &lt; 2"), "1 < 2");
    }

    #[tokio::test]
    async fn empty_text_is_silent_without_running_espeak() {
        assert!(synthesize("<speak/>", "man", "en-US")
            .await
            .unwrap()
            .is_empty());
    }
}
