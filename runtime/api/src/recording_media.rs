//! A recording's media: `…/Recordings/{Sid}` and `….wav` (the WAV as written,
//! `audio/x-wav`) and `….mp3` (encoded from it with LAME, `audio/mpeg`), with byte
//! ranges for seeking.
//!
//! Twilio: "It's only possible to fetch a Recording's media file when the Recording's
//! status is `completed`", and "If the media associated with a Recording resource is not
//! available […] the request returns `Not Found`." The file is read (and the MP3
//! encoded) on blocking threads, and a WAV is streamed in chunks rather than held.

use std::io::{Read, Seek, SeekFrom};

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use switchyard_store::RecordingRecord;
use switchyard_types::RecordingStatus;

use crate::params::Params;
use crate::{ApiState, Error};

/// Bytes read from the file per chunk of a streamed WAV.
const CHUNK: usize = 64 * 1024;

/// The media formats a recording is served in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// No extension or `.wav`.
    Wav,
    /// `.mp3`.
    Mp3,
}

impl Format {
    /// The sid and the format a media path segment names.
    pub fn of(segment: &str) -> (&str, Format) {
        if let Some(sid) = segment.strip_suffix(".mp3") {
            (sid, Format::Mp3)
        } else {
            (segment.strip_suffix(".wav").unwrap_or(segment), Format::Wav)
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Wav => "audio/x-wav",
            Format::Mp3 => "audio/mpeg",
        }
    }
}

/// What a `Range` header asks of a body of `len` bytes (RFC 9110 §14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeAsk {
    /// No usable range: the whole body, 200.
    Whole,
    /// Bytes `start..=end`, 206.
    Part {
        /// First byte.
        start: u64,
        /// Last byte (inclusive).
        end: u64,
    },
    /// 416: no byte of the body is in the range.
    Unsatisfiable,
}

/// Read a `Range: bytes=…` header for a body of `len` bytes.
///
/// RFC 9110 §14.2: "A server MAY ignore the Range header field", and a range that does
/// not parse is ignored; so are several ranges (a multipart answer is not offered).
/// §14.1.2: "If the last-pos value is absent, or if the value is greater than or equal
/// to the current length of the representation data, the byte range is interpreted as
/// the remainder of the representation"; a suffix "-n" asks for the last n bytes (all
/// of them when n exceeds the length). §15.5.17: 416 when "none of the ranges in the
/// request's Range header field overlap the current extent of the selected resource".
pub fn range_ask(value: Option<&str>, len: u64) -> RangeAsk {
    let Some(spec) = value.and_then(|v| v.trim().strip_prefix("bytes=")) else {
        return RangeAsk::Whole;
    };
    if spec.contains(',') {
        return RangeAsk::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeAsk::Whole;
    };
    let number = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match (first.trim(), last.trim()) {
        ("", suffix) => match number(suffix) {
            None => RangeAsk::Whole,
            Some(0) => RangeAsk::Unsatisfiable,
            Some(_) if len == 0 => RangeAsk::Unsatisfiable,
            Some(n) => RangeAsk::Part {
                start: len.saturating_sub(n),
                end: len - 1,
            },
        },
        (first, last) => {
            let Some(start) = number(first) else {
                return RangeAsk::Whole;
            };
            let end = match last {
                "" => u64::MAX,
                l => match number(l) {
                    Some(e) if e >= start => e,
                    _ => return RangeAsk::Whole,
                },
            };
            if start >= len {
                RangeAsk::Unsatisfiable
            } else {
                RangeAsk::Part {
                    start,
                    end: end.min(len - 1),
                }
            }
        }
    }
}

/// `RequestedChannels`: whether to downmix. Twilio: without it, a two-party call
/// recording comes "in the format specified when the Recording was created"; `1` downmixes
/// it to one channel; "Attempting to download a dual-channel media file when the
/// dual-channel format is not available results in a `400 Bad Request` error."
fn downmix(params: &Params, record: &RecordingRecord) -> Result<bool, Error> {
    match (params.get("RequestedChannels"), record.channels) {
        (None, _) => Ok(false),
        (Some("1"), channels) => Ok(channels > 1),
        (Some("2"), 2) => Ok(false),
        (Some("2"), _) => Err(Error::param(
            "RequestedChannels",
            "the recording has one channel: no dual-channel media is available",
        )),
        (Some(other), _) => Err(Error::param(
            "RequestedChannels",
            format!("{other:?} is not 1 or 2"),
        )),
    }
}

fn media_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("{what}: {e}"))
}

/// Serve `record`'s media in `format`, honouring a `Range` header.
pub async fn serve(
    state: &ApiState,
    record: &RecordingRecord,
    format: Format,
    params: &Params,
    headers: &HeaderMap,
) -> Result<Response, Error> {
    let not_found = || {
        Error::NotFound(format!(
            "/2010-04-01/Accounts/{}/Recordings/{}",
            record.account_sid, record.sid
        ))
    };
    if record.status != RecordingStatus::Completed {
        return Err(not_found());
    }
    let downmix = downmix(params, record)?;
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let storage = state.recordings.clone();
    let (account, sid) = (record.account_sid.to_string(), record.sid.to_string());
    let opened = tokio::task::spawn_blocking(move || storage.open(&account, &sid))
        .await
        .map_err(|e| media_error("opening the recording", e))?;
    let mut source = match opened {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(not_found()),
        Err(e) => return Err(media_error("opening the recording", e)),
    };
    if format == Format::Wav && !downmix {
        let (len, source) = tokio::task::spawn_blocking(move || {
            source.seek(SeekFrom::End(0)).map(|len| (len, source))
        })
        .await
        .map_err(|e| media_error("reading the recording", e))?
        .map_err(|e| media_error("reading the recording", e))?;
        let ask = range_ask(range.as_deref(), len);
        return Ok(answer(format, len, ask, |start, count| {
            stream_file(source, start, count)
        }));
    }
    // A body made from the file: the mono downmix, the MP3, or the MP3 of the downmix.
    let made = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, String> {
        let reader = std::io::BufReader::new(source);
        let text = |e: &dyn std::fmt::Display| e.to_string();
        match (format, downmix) {
            // A mono recording's downmix is itself; only a dual one is asked for here.
            (Format::Wav, _) => switchyard_media::wav::downmix(reader).map_err(|e| text(&e)),
            (Format::Mp3, true) => {
                let wav = switchyard_media::wav::downmix(reader).map_err(|e| text(&e))?;
                switchyard_media::mp3::encode_wav(wav.as_slice()).map_err(|e| text(&e))
            }
            (Format::Mp3, false) => switchyard_media::mp3::encode_wav(reader).map_err(|e| text(&e)),
        }
    })
    .await
    .map_err(|e| media_error("making the media", e))?
    .map_err(|e| media_error("making the media", e))?;
    let bytes = Bytes::from(made);
    let len = bytes.len() as u64;
    let ask = range_ask(range.as_deref(), len);
    Ok(answer(format, len, ask, |start, count| {
        Body::from(bytes.slice(start as usize..(start + count) as usize))
    }))
}

/// The response for a body of `len` bytes, `body(start, count)` giving the bytes sent.
fn answer(
    format: Format,
    len: u64,
    ask: RangeAsk,
    body: impl FnOnce(u64, u64) -> Body,
) -> Response {
    let (status, start, count, content_range) = match ask {
        RangeAsk::Whole => (StatusCode::OK, 0, len, None),
        RangeAsk::Part { start, end } => (
            StatusCode::PARTIAL_CONTENT,
            start,
            end - start + 1,
            Some(format!("bytes {start}-{end}/{len}")),
        ),
        RangeAsk::Unsatisfiable => {
            // RFC 9110 §14.4: a 416 "SHOULD send a Content-Range header field with an
            // unsatisfied-range value", the star form with the current length.
            let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            let h = r.headers_mut();
            h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                h.insert(header::CONTENT_RANGE, v);
            }
            return r;
        }
    };
    let mut r = (status, body(start, count)).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    if let Some(v) = content_range.and_then(|v| HeaderValue::from_str(&v).ok()) {
        h.insert(header::CONTENT_RANGE, v);
    }
    r
}

/// `count` bytes of `source` from `start`, read on a blocking thread a chunk at a time
/// as the client takes them.
fn stream_file(
    mut source: Box<dyn switchyard_media::record::Source>,
    start: u64,
    count: u64,
) -> Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(2);
    tokio::task::spawn_blocking(move || {
        if let Err(e) = source.seek(SeekFrom::Start(start)) {
            let _ = tx.blocking_send(Err(e));
            return;
        }
        let mut left = count;
        while left > 0 {
            let mut buf = vec![0u8; (left as usize).min(CHUNK)];
            match source.read(&mut buf) {
                Ok(0) => {
                    let _ = tx.blocking_send(Err(std::io::ErrorKind::UnexpectedEof.into()));
                    return;
                }
                Ok(n) => {
                    buf.truncate(n);
                    left -= n as u64;
                    // The client went away: stop reading.
                    if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
        }
    });
    Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_as_rfc_9110_reads_them() {
        let part = |start, end| RangeAsk::Part { start, end };
        let at = |v: &str| range_ask(Some(v), 1000);
        assert_eq!(at("bytes=0-99"), part(0, 99));
        assert_eq!(at("bytes=900-"), part(900, 999));
        assert_eq!(at("bytes=900-5000"), part(900, 999));
        assert_eq!(at("bytes=-100"), part(900, 999));
        assert_eq!(at("bytes=-5000"), part(0, 999));
        assert_eq!(at("bytes=999-999"), part(999, 999));
        assert_eq!(at("bytes=1000-"), RangeAsk::Unsatisfiable);
        assert_eq!(at("bytes=-0"), RangeAsk::Unsatisfiable);
        assert_eq!(range_ask(Some("bytes=-1"), 0), RangeAsk::Unsatisfiable);
        for ignored in [
            "bytes=5-1",
            "bytes=a-b",
            "bytes=0-1,5-9",
            "items=0-1",
            "bytes=",
            "bytes=+1-2",
        ] {
            assert_eq!(at(ignored), RangeAsk::Whole, "{ignored}");
        }
        assert_eq!(range_ask(None, 1000), RangeAsk::Whole);
    }

    #[test]
    fn extensions_name_the_format() {
        assert_eq!(Format::of("RE1"), ("RE1", Format::Wav));
        assert_eq!(Format::of("RE1.wav"), ("RE1", Format::Wav));
        assert_eq!(Format::of("RE1.mp3"), ("RE1", Format::Mp3));
        assert_eq!(Format::of("RE1.ogg"), ("RE1.ogg", Format::Wav));
    }
}
