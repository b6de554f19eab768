//! WAV and MP3 decoding to 16 kHz mono 16-bit ([`MEDIA_RATE`]), whole or streamed.
//!
//! Container and codec work is done by symphonia (WAV with PCM 8/16/24/32-bit,
//! float, µ-law, A-law and ADPCM; MP3); this module mixes every channel down to mono
//! and resamples to [`MEDIA_RATE`] with [`Resampler`]. The streaming variant,
//! [`StreamDecoder`], runs the same code on a thread that reads from a channel, so
//! a download can be played while it is still arriving.

use crate::resample::{to_i16, Resampler};
use crate::{Error, MEDIA_RATE};
use bytes::Bytes;
use std::io::{self, Read};
use std::sync::mpsc;
use std::sync::Mutex;
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{DecoderOptions, CODEC_TYPE_NULL};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::{MediaSource, MediaSourceStream, ReadOnlySource};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

/// A corrupt MP3 frame is skipped, but a stream that never yields audio after this
/// many consecutive bad packets is rejected instead of being scanned to the end.
const MAX_CONSECUTIVE_DECODE_ERRORS: u32 = 64;

/// Decodes a complete WAV or MP3 file to mono samples at [`MEDIA_RATE`].
///
/// `content_type_hint` (a MIME type such as `audio/mpeg`) only helps format
/// detection; the bytes are probed either way.
pub fn decode_all(bytes: &[u8], content_type_hint: Option<&str>) -> Result<Vec<i16>, Error> {
    let mut samples = Vec::new();
    let source = io::Cursor::new(bytes.to_vec());
    decode_source(Box::new(source), content_type_hint, &mut |s| {
        samples.extend_from_slice(s)
    })?;
    Ok(samples)
}

/// Runs symphonia over `source` and hands mono samples at [`MEDIA_RATE`] to `sink` as soon as
/// each packet is decoded. Returns the number of samples produced.
fn decode_source(
    source: Box<dyn MediaSource>,
    content_type_hint: Option<&str>,
    sink: &mut dyn FnMut(&[i16]),
) -> Result<u64, Error> {
    let mut hint = Hint::new();
    if let Some(ct) = content_type_hint {
        let mime = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if let Some(ext) = extension_for(&mime) {
            hint.with_extension(ext);
        }
        hint.mime_type(&mime);
    }
    let stream = MediaSourceStream::new(source, Default::default());
    let probed = symphonia::default::get_probe()
        .format(
            &hint,
            stream,
            // An MP3's encoder delay and padding (LAME's Info tag) are trimmed, so a
            // file plays from its first sample and no longer than it is.
            &FormatOptions {
                enable_gapless: true,
                ..FormatOptions::default()
            },
            &MetadataOptions::default(),
        )
        .map_err(|e| undecodable(&e))?;
    let mut format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| Error::Undecodable {
            reason: "no audio track".into(),
        })?;
    let track_id = track.id;
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .map_err(|e| undecodable(&e))?;

    let mut resampler: Option<Resampler> = None;
    let mut mono = Vec::new();
    let mut resampled = Vec::new();
    let mut pcm = Vec::new();
    let mut produced = 0u64;
    let mut bad_packets = 0u32;
    let mut emit = |resampled: &mut Vec<f32>, produced: &mut u64| {
        pcm.clear();
        pcm.extend(resampled.drain(..).map(to_i16));
        if !pcm.is_empty() {
            *produced += pcm.len() as u64;
            sink(&pcm);
        }
    };
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            // Files are read until the bytes run out: WAV headers written by
            // streaming tools (espeak-ng among them) carry a bogus data length.
            Err(SymError::IoError(e)) if e.kind() == io::ErrorKind::UnexpectedEof => break,
            Err(SymError::IoError(e)) => return Err(Error::io("reading media", e)),
            Err(e) => return Err(undecodable(&e)),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(d) => d,
            Err(SymError::DecodeError(_)) | Err(SymError::IoError(_)) => {
                bad_packets += 1;
                if bad_packets > MAX_CONSECUTIVE_DECODE_ERRORS {
                    return Err(Error::Undecodable {
                        reason: "too many corrupt packets".into(),
                    });
                }
                continue;
            }
            Err(e) => return Err(undecodable(&e)),
        };
        bad_packets = 0;
        let spec = *decoded.spec();
        let channels = spec.channels.count().max(1);
        let mut buf = SampleBuffer::<f32>::new(decoded.capacity() as u64, spec);
        buf.copy_interleaved_ref(decoded);
        mono.clear();
        mono.extend(
            buf.samples()
                .chunks_exact(channels)
                .map(|frame| frame.iter().sum::<f32>() / channels as f32),
        );
        let r = resampler.get_or_insert_with(|| Resampler::new(spec.rate, MEDIA_RATE));
        r.process(&mono, &mut resampled);
        emit(&mut resampled, &mut produced);
    }
    if let Some(r) = resampler.as_mut() {
        r.finish(&mut resampled);
        emit(&mut resampled, &mut produced);
    }
    if produced == 0 {
        return Err(Error::Undecodable {
            reason: "no audio in the file".into(),
        });
    }
    Ok(produced)
}

fn undecodable(e: &SymError) -> Error {
    Error::Undecodable {
        reason: e.to_string(),
    }
}

/// The file extension symphonia associates with a MIME type we serve.
fn extension_for(mime: &str) -> Option<&'static str> {
    match mime {
        "audio/mpeg" | "audio/mp3" | "audio/mpeg3" | "audio/x-mpeg-3" | "audio/x-mp3" => {
            Some("mp3")
        }
        "audio/wav" | "audio/x-wav" | "audio/wave" | "audio/vnd.wave" => Some("wav"),
        _ => None,
    }
}

enum Feed {
    Data(Bytes),
    Abort,
}

/// A blocking reader over the chunks sent to a [`StreamDecoder`]; end of input is
/// the sender being dropped.
struct ChannelReader {
    rx: Mutex<mpsc::Receiver<Feed>>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            let next = self
                .rx
                .get_mut()
                .map_err(|_| io::Error::other("poisoned"))?
                .recv();
            match next {
                Ok(Feed::Data(b)) => self.current = b,
                Ok(Feed::Abort) => return Err(io::Error::other("aborted")),
                Err(mpsc::RecvError) => return Ok(0),
            }
        }
        let n = out.len().min(self.current.len());
        out[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// Decodes a file while its bytes are still arriving.
///
/// [`feed`](Self::feed) never blocks; decoding happens on a dedicated thread that
/// hands each batch of mono samples at [`MEDIA_RATE`] to the sink given to
/// [`spawn`](Self::spawn) as soon as it is decoded.
#[derive(Debug)]
pub struct StreamDecoder {
    tx: mpsc::Sender<Feed>,
    done: tokio::sync::oneshot::Receiver<Result<u64, Error>>,
}

impl StreamDecoder {
    /// Starts a decoder thread that calls `sink` with every batch of samples.
    pub fn spawn<F>(content_type_hint: Option<&str>, mut sink: F) -> Result<Self, Error>
    where
        F: FnMut(&[i16]) + Send + 'static,
    {
        let (tx, rx) = mpsc::channel();
        let (done_tx, done) = tokio::sync::oneshot::channel();
        let hint = content_type_hint.map(str::to_owned);
        std::thread::Builder::new()
            .name("media-decode".into())
            .spawn(move || {
                let reader = ChannelReader {
                    rx: Mutex::new(rx),
                    current: Bytes::new(),
                };
                let source = Box::new(ReadOnlySource::new(reader));
                let result = decode_source(source, hint.as_deref(), &mut sink);
                let _ = done_tx.send(result.map_err(|e| match e {
                    Error::Io { .. } => Error::Cancelled,
                    other => other,
                }));
            })
            .map_err(|e| Error::io("starting the decoder thread", e))?;
        Ok(StreamDecoder { tx, done })
    }

    /// Hands the next chunk of the file to the decoder. Returns `false` when the
    /// decoder has already stopped (its error is reported by [`finish`](Self::finish)),
    /// so the caller can stop downloading.
    pub fn feed(&self, bytes: Bytes) -> bool {
        self.tx.send(Feed::Data(bytes)).is_ok()
    }

    /// Signals the end of the file and waits for the last samples. Returns the
    /// number of samples produced.
    pub async fn finish(self) -> Result<u64, Error> {
        let StreamDecoder { tx, done } = self;
        drop(tx);
        done.await.unwrap_or(Err(Error::Cancelled))
    }

    /// Stops decoding; no more samples reach the sink once the thread notices.
    pub fn abort(self) {
        let _ = self.tx.send(Feed::Abort);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal 16-bit PCM WAV.
    fn wav16(rate: u32, channels: u16, samples: &[i16]) -> Vec<u8> {
        let data_len = (samples.len() * 2) as u32;
        let mut v = Vec::new();
        v.extend_from_slice(b"RIFF");
        v.extend_from_slice(&(36 + data_len).to_le_bytes());
        v.extend_from_slice(b"WAVEfmt ");
        v.extend_from_slice(&16u32.to_le_bytes());
        v.extend_from_slice(&1u16.to_le_bytes());
        v.extend_from_slice(&channels.to_le_bytes());
        v.extend_from_slice(&rate.to_le_bytes());
        v.extend_from_slice(&(rate * u32::from(channels) * 2).to_le_bytes());
        v.extend_from_slice(&(channels * 2).to_le_bytes());
        v.extend_from_slice(&16u16.to_le_bytes());
        v.extend_from_slice(b"data");
        v.extend_from_slice(&data_len.to_le_bytes());
        for s in samples {
            v.extend_from_slice(&s.to_le_bytes());
        }
        v
    }

    #[test]
    fn media_rate_pcm_passes_through_unchanged() {
        let input: Vec<i16> = (0..800).map(|i| (i * 37 % 2000 - 1000) as i16).collect();
        let out = decode_all(&wav16(MEDIA_RATE, 1, &input), Some("audio/wav")).unwrap();
        assert_eq!(out, input);
    }

    #[test]
    fn stereo_is_mixed_to_mono() {
        // Left and right in opposite phase cancel; equal channels keep their value.
        let frames: Vec<i16> = (0..400).flat_map(|_| [1000i16, 3000]).collect();
        let out = decode_all(&wav16(MEDIA_RATE, 2, &frames), None).unwrap();
        assert_eq!(out.len(), 400);
        assert!(out.iter().all(|&s| s == 2000), "{:?}", &out[..4]);
    }

    #[test]
    fn garbage_is_undecodable() {
        let err = decode_all(b"<html>not audio</html>", Some("text/html")).unwrap_err();
        assert!(matches!(err, Error::Undecodable { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn stream_decoder_emits_samples_before_the_end() {
        let input: Vec<i16> = (0..16_000).map(|i| ((i % 50) * 100) as i16).collect();
        let file = wav16(MEDIA_RATE, 1, &input);
        let got = std::sync::Arc::new(Mutex::new(Vec::new()));
        let sink_got = got.clone();
        let dec = StreamDecoder::spawn(Some("audio/x-wav"), move |s| {
            sink_got.lock().unwrap().extend_from_slice(s)
        })
        .unwrap();
        let (first, rest) = file.split_at(file.len() / 2);
        assert!(dec.feed(Bytes::copy_from_slice(first)));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while got.lock().unwrap().is_empty() {
            assert!(
                std::time::Instant::now() < deadline,
                "no samples from half a file"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert!(got.lock().unwrap().len() < input.len());
        assert!(dec.feed(Bytes::copy_from_slice(rest)));
        assert_eq!(dec.finish().await.unwrap(), input.len() as u64);
        assert_eq!(*got.lock().unwrap(), input);
    }

    #[tokio::test]
    async fn aborted_stream_reports_cancelled() {
        let file = wav16(8000, 1, &[0; 4000]);
        let dec = StreamDecoder::spawn(None, |_| {}).unwrap();
        dec.feed(Bytes::copy_from_slice(&file[..100]));
        let (tx, done) = (dec.tx.clone(), dec.done);
        tx.send(Feed::Abort).unwrap();
        drop(tx);
        assert!(matches!(done.await.unwrap(), Err(Error::Cancelled)));
    }
}
