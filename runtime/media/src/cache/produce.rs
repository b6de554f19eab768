//! The task that fills one cache entry: from disk, from the network, from the
//! synthesiser or from inline bytes. Exactly one runs per key at a time.

use super::entry::Entry;
use super::fetch::{fetch, Stored};
use super::hot::HotEntry;
use super::meta::{Meta, Origin};
use super::{Inner, Key};
use crate::{decode_all, tts, Error};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::SystemTime;

/// What to produce.
#[derive(Debug)]
pub(crate) enum Job {
    Url(String),
    Speech {
        text: String,
        voice: String,
        language: String,
    },
    Bytes {
        bytes: Vec<u8>,
        content_type: String,
    },
}

/// A successfully produced sound.
#[derive(Debug)]
pub(crate) struct Produced {
    pub samples: Arc<[i16]>,
    pub meta: Meta,
    /// Whether it may be kept in memory (false for `no-store` answers).
    pub keep: bool,
}

/// Ends the entry and leaves the in-flight map whatever happens to the task,
/// including cancellation at runtime shutdown: waiters must never hang.
struct Guard {
    inner: Arc<Inner>,
    key: Key,
    entry: Arc<Entry>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if !self.entry.has_ended() {
            self.entry.fail(Error::Cancelled);
        }
        let mut state = self.inner.lock();
        if state
            .inflight
            .get(&self.key)
            .is_some_and(|e| Arc::ptr_eq(e, &self.entry))
        {
            state.inflight.remove(&self.key);
        }
    }
}

/// Fills `entry` for `key`; `hot` is the stale in-memory copy, if any.
pub(crate) async fn run(
    inner: Arc<Inner>,
    key: Key,
    entry: Arc<Entry>,
    job: Job,
    hot: Option<HotEntry>,
) {
    let guard = Guard {
        inner: inner.clone(),
        key: key.clone(),
        entry: entry.clone(),
    };
    let result = match job {
        Job::Url(url) => produce_url(&inner, &key, &url, &entry, hot).await,
        Job::Speech {
            text,
            voice,
            language,
        } => {
            produce_immutable(&inner, &key, Origin::Speech, None, async {
                tts::synthesize(&text, &voice, &language).await
            })
            .await
        }
        Job::Bytes {
            bytes,
            content_type,
        } => {
            let hint = content_type.clone();
            produce_immutable(
                &inner,
                &key,
                Origin::Bytes,
                Some(content_type),
                async move {
                    tokio::task::spawn_blocking(move || decode_all(&bytes, Some(&hint)))
                        .await
                        .unwrap_or(Err(Error::Cancelled))
                },
            )
            .await
        }
    };
    match result {
        Ok(produced) => {
            entry.finish(produced.samples.clone());
            if produced.keep {
                inner
                    .lock()
                    .hot
                    .insert(key, entry.clone(), produced.samples, produced.meta);
            } else {
                inner.lock().hot.remove(&key);
            }
        }
        Err(e) => {
            tracing::debug!(key = %key.hex(), error = %e, "media production failed");
            entry.fail(e);
        }
    }
    drop(guard);
}

async fn produce_url(
    inner: &Inner,
    key: &Key,
    url: &str,
    entry: &Arc<Entry>,
    hot: Option<HotEntry>,
) -> Result<Produced, Error> {
    let stored: Option<Stored> = match hot {
        Some(h) => Some((h.meta, Some(h.samples))),
        None => match inner.disk.complete_meta(key).await {
            Some(meta) if meta.is_fresh(SystemTime::now()) => {
                if let Ok(samples) = inner.disk.load(key).await {
                    inner.stats.hits.fetch_add(1, Relaxed);
                    return Ok(Produced {
                        samples,
                        meta,
                        keep: true,
                    });
                }
                None
            }
            Some(meta) => Some((meta, None)),
            None => None,
        },
    };
    fetch(inner, key, url, entry, stored).await
}

/// Speech and inline audio: the key is derived from the content, so a stored copy
/// never goes stale.
async fn produce_immutable(
    inner: &Inner,
    key: &Key,
    origin: Origin,
    content_type: Option<String>,
    make: impl std::future::Future<Output = Result<Vec<i16>, Error>>,
) -> Result<Produced, Error> {
    if let Some(meta) = inner.disk.complete_meta(key).await {
        if let Ok(samples) = inner.disk.load(key).await {
            inner.stats.hits.fetch_add(1, Relaxed);
            return Ok(Produced {
                samples,
                meta,
                keep: true,
            });
        }
    }
    inner.stats.misses.fetch_add(1, Relaxed);
    let samples: Arc<[i16]> = make.await?.into();
    let meta = Meta::immutable(origin, content_type);
    if let Err(e) = inner.disk.store(key, &meta, &samples).await {
        tracing::warn!(key = %key.hex(), error = %e, "could not persist a cache entry");
    }
    Ok(Produced {
        samples,
        meta,
        keep: true,
    })
}
