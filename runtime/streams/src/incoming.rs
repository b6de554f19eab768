//! Server → node: the messages a bidirectional stream's server may send.
//!
//! Twilio: `media` ("payload: Raw mulaw/8000 audio in encoded in base64"), `mark` ("Send
//! a mark event message after sending a media event message to be notified when the
//! audio that you have sent has been completed") and `clear` ("interrupt the audio that
//! has been sent"). `streamSid` names the stream the socket already belongs to, so it is
//! not checked. Anything else is a [`ProtocolError`], and the stream ends on it.

use base64::Engine;
use serde::Deserialize;

/// Largest text message accepted: 1 MiB (its base64 payload ≈ 98 s of audio).
pub const MAX_MESSAGE: usize = 1 << 20;

/// One message from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// µ-law audio to play after what is queued.
    Media(Vec<u8>),
    /// Return this name once the audio queued before it has played.
    Mark(String),
    /// Drop the queued audio; return the pending marks.
    Clear,
}

/// Why a server's message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("message of {0} bytes is over the {MAX_MESSAGE}-byte limit")]
    Oversize(usize),
    #[error("binary frames are not part of the Media Streams protocol")]
    Binary,
    #[error("message is not a JSON object with an \"event\": {0}")]
    NotJson(String),
    #[error("unknown event {0:?} (expected media, mark or clear)")]
    UnknownEvent(String),
    #[error("media message without media.payload")]
    NoPayload,
    #[error("media payload is not base64: {0}")]
    NotBase64(String),
    #[error("media payload is a WAV file; Media Streams carry raw µ-law/8000")]
    NotMulaw,
    #[error("mark message without mark.name")]
    NoMarkName,
}

#[derive(Deserialize)]
struct Message {
    event: String,
    media: Option<MediaIn>,
    mark: Option<MarkIn>,
}

#[derive(Deserialize)]
struct MediaIn {
    payload: Option<String>,
}

#[derive(Deserialize)]
struct MarkIn {
    name: Option<String>,
}

/// Reads one text message from the server.
pub fn parse(text: &str) -> Result<Incoming, ProtocolError> {
    if text.len() > MAX_MESSAGE {
        return Err(ProtocolError::Oversize(text.len()));
    }
    let message: Message =
        serde_json::from_str(text).map_err(|e| ProtocolError::NotJson(e.to_string()))?;
    match message.event.as_str() {
        "media" => {
            let payload = message
                .media
                .and_then(|m| m.payload)
                .ok_or(ProtocolError::NoPayload)?;
            let audio = base64::engine::general_purpose::STANDARD
                .decode(payload.as_bytes())
                .map_err(|e| ProtocolError::NotBase64(e.to_string()))?;
            // A whole file sent as the payload (the usual mistake) would be played as
            // noise: its RIFF header is the tell.
            if audio.starts_with(b"RIFF") && audio.get(8..12) == Some(b"WAVE") {
                return Err(ProtocolError::NotMulaw);
            }
            Ok(Incoming::Media(audio))
        }
        "mark" => message
            .mark
            .and_then(|m| m.name)
            .map(Incoming::Mark)
            .ok_or(ProtocolError::NoMarkName),
        "clear" => Ok(Incoming::Clear),
        other => Err(ProtocolError::UnknownEvent(other.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_mark_and_clear_as_twilio_documents_them() {
        let media = r#"{"event":"media","streamSid":"MZ1","media":{"payload":"/38A"}}"#;
        assert_eq!(parse(media), Ok(Incoming::Media(vec![0xFF, 0x7F, 0x00])));
        let mark = r#"{"event":"mark","streamSid":"MZ1","mark":{"name":"my label"}}"#;
        assert_eq!(parse(mark), Ok(Incoming::Mark("my label".into())));
        assert_eq!(
            parse(r#"{"event":"clear","streamSid":"MZ1"}"#),
            Ok(Incoming::Clear)
        );
    }

    #[test]
    fn garbage_is_refused_by_name() {
        assert!(matches!(
            parse("\u{0}\u{1}garbage"),
            Err(ProtocolError::NotJson(_))
        ));
        assert!(matches!(
            parse(r#"{"media":{}}"#),
            Err(ProtocolError::NotJson(_))
        ));
        assert_eq!(
            parse(r#"{"event":"play"}"#),
            Err(ProtocolError::UnknownEvent("play".into()))
        );
        assert_eq!(parse(r#"{"event":"media"}"#), Err(ProtocolError::NoPayload));
        assert!(matches!(
            parse(r#"{"event":"media","media":{"payload":"not base64!"}}"#),
            Err(ProtocolError::NotBase64(_))
        ));
        assert_eq!(
            parse(r#"{"event":"mark","mark":{}}"#),
            Err(ProtocolError::NoMarkName)
        );
        let wav = base64::engine::general_purpose::STANDARD.encode(b"RIFF\x24\0\0\0WAVEfmt ");
        assert_eq!(
            parse(&format!(
                r#"{{"event":"media","media":{{"payload":"{wav}"}}}}"#
            )),
            Err(ProtocolError::NotMulaw)
        );
        let big = format!(
            r#"{{"event":"media","media":{{"payload":"{}"}}}}"#,
            "A".repeat(MAX_MESSAGE)
        );
        assert_eq!(parse(&big), Err(ProtocolError::Oversize(big.len())));
    }
}
