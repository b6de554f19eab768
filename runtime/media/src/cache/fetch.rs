//! Fetching a URL into an entry: conditional requests, limits, streaming decode.

use super::entry::Entry;
use super::meta::Meta;
use super::produce::Produced;
use super::{Inner, Key};
use crate::decode::StreamDecoder;
use crate::Error;
use futures_util::StreamExt;
use reqwest::header::{CONTENT_TYPE, IF_MODIFIED_SINCE, IF_NONE_MATCH};
use reqwest::StatusCode;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::SystemTime;
use tokio::time::{timeout_at, Instant};

/// A stored copy of the URL that needs revalidation: its metadata, and its samples
/// if they are in memory.
pub(crate) type Stored = (Meta, Option<Arc<[i16]>>);

/// Fetches `url`, conditionally when a stored copy exists, streaming a new body
/// into `entry` as it decodes.
pub(crate) async fn fetch(
    inner: &Inner,
    key: &Key,
    url: &str,
    entry: &Arc<Entry>,
    stored: Option<Stored>,
) -> Result<Produced, Error> {
    let config = &inner.config;
    let deadline = Instant::now() + config.fetch_timeout;
    let mut request = inner.http.get(url);
    if let Some((meta, _)) = &stored {
        // RFC 9110 §13.1.2 / §13.1.3: a cache revalidates with the entity tag it
        // holds and, for servers without one, the Last-Modified date.
        if let Some(etag) = &meta.etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        if let Some(last_modified) = &meta.last_modified {
            request = request.header(IF_MODIFIED_SINCE, last_modified);
        }
    }
    inner.stats.fetches.fetch_add(1, Relaxed);
    let timeout = || Error::Timeout {
        url: url.to_owned(),
    };
    let transport = |e: reqwest::Error| Error::Transport {
        url: url.to_owned(),
        reason: error_chain(&e),
    };
    let response = timeout_at(deadline, request.send())
        .await
        .map_err(|_| timeout())?
        .map_err(transport)?;
    let now = SystemTime::now();
    let status = response.status();

    if status == StatusCode::NOT_MODIFIED {
        // A 304 is only meaningful as the answer to our conditional request.
        let Some((mut meta, samples)) = stored else {
            return Err(Error::HttpStatus {
                url: url.to_owned(),
                status: status.as_u16(),
            });
        };
        inner.stats.revalidations.fetch_add(1, Relaxed);
        let policy = meta.refresh(response.headers(), now);
        let samples = match samples {
            Some(s) => s,
            None => inner.disk.load(key).await?,
        };
        if policy.no_store {
            inner.disk.remove(key).await;
        } else if let Err(e) = inner.disk.write_meta(key, &meta).await {
            tracing::warn!(%url, error = %e, "could not update cache metadata");
        }
        return Ok(Produced {
            samples,
            meta,
            keep: !policy.no_store,
        });
    }
    if !status.is_success() {
        return Err(Error::HttpStatus {
            url: url.to_owned(),
            status: status.as_u16(),
        });
    }
    inner.stats.misses.fetch_add(1, Relaxed);
    let (meta, policy) = Meta::from_response(response.headers(), now);
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    if let Some(ct) = &content_type {
        if !is_audio(ct) {
            return Err(Error::InvalidContentType {
                content_type: ct.clone(),
            });
        }
    }
    let limit = config.max_fetch_bytes;
    if response.content_length().is_some_and(|len| len > limit) {
        return Err(Error::TooLarge { limit });
    }

    let sink_entry = entry.clone();
    let decoder = StreamDecoder::spawn(content_type.as_deref(), move |s| sink_entry.push(s))?;
    let mut body = response.bytes_stream();
    let mut received = 0u64;
    loop {
        let idle_deadline = (Instant::now() + config.idle_timeout).min(deadline);
        let chunk = match timeout_at(idle_deadline, body.next()).await {
            Err(_) => {
                decoder.abort();
                return Err(timeout());
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                decoder.abort();
                return Err(transport(e));
            }
            Ok(Some(Ok(chunk))) => chunk,
        };
        received += chunk.len() as u64;
        if received > limit {
            decoder.abort();
            return Err(Error::TooLarge { limit });
        }
        if !decoder.feed(chunk) {
            // The decoder gave up (undecodable data); `finish` says why.
            break;
        }
    }
    decoder.finish().await?;
    let samples = entry.snapshot();
    if policy.no_store {
        // RFC 9111 §5.2.2.5: "The no-store response directive indicates that a cache
        // MUST NOT store any part of either the immediate request or the response".
        inner.disk.remove(key).await;
    } else if let Err(e) = inner.disk.store(key, &meta, &samples).await {
        tracing::warn!(%url, error = %e, "could not persist a cache entry");
    }
    Ok(Produced {
        samples,
        meta,
        keep: !policy.no_store,
    })
}

/// Whether a `Content-Type` may carry a sound we can try to decode. Servers often
/// label files `application/octet-stream`; the decoder sniffs those.
fn is_audio(content_type: &str) -> bool {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime.starts_with("audio/") || mime == "application/octet-stream"
}

/// reqwest's top-level message hides the cause ("error sending request"); include
/// the chain so logs say "connection refused".
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::is_audio;

    #[test]
    fn audio_content_types() {
        assert!(is_audio("audio/mpeg"));
        assert!(is_audio("Audio/X-WAV; charset=binary"));
        assert!(is_audio("application/octet-stream"));
        assert!(!is_audio("text/html; charset=utf-8"));
        assert!(!is_audio("application/xml"));
    }
}
