//! The crate's single error type.

use std::sync::Arc;

/// Everything that can go wrong while obtaining or converting media.
///
/// The type is `Clone` because one failed fetch is reported to every call that shares
/// it (see [`crate::MediaCache`]); I/O errors are therefore kept behind an `Arc`.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The media server answered with an error status (≥ 400) or a status we cannot use.
    #[error("GET {url} answered HTTP {status}")]
    HttpStatus {
        /// The requested URL.
        url: String,
        /// The HTTP status code received.
        status: u16,
    },
    /// The request could not be sent or the response could not be read (DNS,
    /// connection refused or reset, TLS failure, body cut short).
    #[error("fetching {url} failed: {reason}")]
    Transport {
        /// The requested URL.
        url: String,
        /// What the HTTP client reported.
        reason: String,
    },
    /// The media server did not answer, or stopped sending, within the allowed time.
    #[error("fetching {url} timed out")]
    Timeout {
        /// The requested URL.
        url: String,
    },
    /// The response (or inline webhook answer) is not audio.
    #[error("content type {content_type:?} is not audio")]
    InvalidContentType {
        /// The `Content-Type` received.
        content_type: String,
    },
    /// The media is larger than the configured bound.
    #[error("media exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The bound, in bytes.
        limit: u64,
    },
    /// The bytes are not a WAV or MP3 file we can decode, or contain no audio track.
    #[error("undecodable audio: {reason}")]
    Undecodable {
        /// What the decoder reported.
        reason: String,
    },
    /// The `espeak-ng` program is not installed.
    #[error("text-to-speech is unavailable: espeak-ng was not found")]
    TtsUnavailable,
    /// `espeak-ng` ran but did not produce audio.
    #[error("text-to-speech failed: {reason}")]
    TtsFailed {
        /// Exit status and standard error of the synthesiser.
        reason: String,
    },
    /// Reading or writing the cache directory failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// A codec library refused to set up or run (bad parameters, out of memory).
    #[error("{codec} codec: {reason}")]
    Codec {
        /// The codec (`opus`).
        codec: &'static str,
        /// What the library reported.
        reason: String,
    },
    /// The producer of a stream went away before finishing it (task cancelled,
    /// decoder aborted); the entry is discarded.
    #[error("media production was cancelled")]
    Cancelled,
}

impl Error {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source: Arc::new(source),
        }
    }

    /// The Twilio error code the node reports for this failure, when there is one:
    /// 11200 ("HTTP retrieval failure") for anything that went wrong fetching a URL,
    /// 12300 ("Invalid Content-Type") for non-audio answers. Undecodable audio and local
    /// failures have no Twilio equivalent and return `None`.
    pub fn twilio_code(&self) -> Option<u32> {
        match self {
            Error::HttpStatus { .. }
            | Error::Transport { .. }
            | Error::Timeout { .. }
            | Error::TooLarge { .. } => Some(11200),
            Error::InvalidContentType { .. } => Some(12300),
            _ => None,
        }
    }
}
