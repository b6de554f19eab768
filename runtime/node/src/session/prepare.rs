//! Turning a [`MediaSource`] into a playable stream: the media cache for speech and URLs,
//! generated tones for digits.

use switchyard_call::{AppFailure, MediaSource, MediaToken};
use switchyard_media::{beep, dtmf_tone, hold_music, ringback, silence, wait_music, AudioStream};

use super::Session;

/// Each DTMF digit of `<Play digits>` lasts this long, with this gap after it.
const DIGIT_MS: u32 = 100;
const DIGIT_GAP_MS: u32 = 100;
/// Twilio: "w" in `digits` is a half-second pause.
const WAIT_MS: u32 = 500;

pub(super) fn prepare(session: &mut Session, token: MediaToken, source: MediaSource, repeat: u32) {
    let cache = session.shared.media.clone();
    let done = session.prepared.clone();
    let preparing = async move {
        let stream = match source {
            MediaSource::Speech {
                text,
                voice,
                language,
            } => cache
                .speech(&text, &voice, &language)
                .await
                .map_err(failure),
            MediaSource::Url(url) => cache.url(&url).await.map_err(failure),
            MediaSource::Inline {
                bytes,
                content_type,
            } => cache
                .bytes(bytes.as_ref().clone(), &content_type)
                .await
                .map_err(failure),
            MediaSource::Digits(digits) => digit_tones(&digits),
            MediaSource::Silence(ms) => Ok(AudioStream::from_samples(silence(ms))),
            MediaSource::Beep => Ok(AudioStream::from_samples(beep())),
            MediaSource::HoldMusic => Ok(AudioStream::from_samples(hold_music())),
            MediaSource::WaitMusic => Ok(AudioStream::from_samples(wait_music())),
            MediaSource::Ringback(country) => Ok(AudioStream::from_samples(
                ringback(&country).unwrap_or_else(|| {
                    tracing::info!(%country, "no ringback tone for this ringTone; playing the US one");
                    ringback("us").unwrap_or_default()
                }),
            )),
        };
        let _ = done.send((token, repeat, stream));
    };
    tokio::spawn(tracing::Instrument::in_current_span(preparing));
}

fn failure(e: switchyard_media::Error) -> AppFailure {
    AppFailure {
        code: e.twilio_code().unwrap_or(11200),
        message: e.to_string(),
    }
}

/// In-band DTMF (ITU-T Q.23 tone pairs) for `<Play digits="…">`.
fn digit_tones(digits: &str) -> Result<AudioStream, AppFailure> {
    let mut pcm = Vec::new();
    for d in digits.chars() {
        if d == 'w' || d == 'W' {
            pcm.extend(silence(WAIT_MS));
            continue;
        }
        let tone = dtmf_tone(d, DIGIT_MS).ok_or_else(|| AppFailure {
            code: 13221,
            message: format!("<Play digits> contains {d:?}, which is not a DTMF digit"),
        })?;
        pcm.extend(tone);
        pcm.extend(silence(DIGIT_GAP_MS));
    }
    Ok(AudioStream::from_samples(pcm))
}
