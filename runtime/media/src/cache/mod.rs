//! The media cache: every sound is converted once to mono s16le at
//! [`MEDIA_RATE`](crate::MEDIA_RATE) (16 kHz, wideband), stored under
//! a content address, shared by all calls that play it, and streamed while it fills.
//!
//! Keys are SHA-256 digests: of the URL for fetched sounds, of (text, voice,
//! language) for speech, of the bytes for audio a webhook answered inline. On disk
//! each entry is `<hex>.pcm` plus `<hex>.meta`; in memory, complete entries are kept
//! in a byte-bounded LRU set. Concurrent requests for one key share one producer
//! (the in-flight map) and one sample buffer.
//!
//! HTTP caching follows RFC 9111 for a private cache: a fresh copy (per
//! `Cache-Control: max-age` or `Expires`) is served without a request; a stale one,
//! or one without freshness information, is revalidated with `If-None-Match` /
//! `If-Modified-Since`; `no-store` answers are played but never kept.

mod disk;
mod entry;
mod fetch;
mod hot;
mod meta;
mod produce;

pub use entry::{AudioStream, FrameStatus};

use crate::Error;
use disk::Disk;
use entry::Entry;
use hot::HotSet;
use produce::Job;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

/// A cache key: the SHA-256 of what identifies the sound.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Key([u8; 32]);

impl Key {
    /// The digest of `bytes` (a URL, or inline audio).
    pub(crate) fn of(bytes: &[u8]) -> Self {
        Key(Sha256::digest(bytes).into())
    }

    /// The digest of a speech request. Each field is length-prefixed so that
    /// ("ab", "c") and ("a", "bc") differ.
    fn speech(text: &str, voice: &str, language: &str) -> Self {
        let mut h = Sha256::new();
        h.update(b"speech\0");
        for field in [text, voice, language] {
            h.update((field.len() as u64).to_be_bytes());
            h.update(field.as_bytes());
        }
        Key(h.finalize().into())
    }

    pub(crate) fn hex(&self) -> String {
        hex::encode(self.0)
    }
}

/// Limits of the cache.
#[derive(Debug, Clone)]
pub struct CacheConfig {
    /// Largest media file fetched, in bytes.
    pub max_fetch_bytes: u64,
    /// Longest a whole fetch may take, from request to last byte.
    pub fetch_timeout: Duration,
    /// Longest the server may stay silent in the middle of a response.
    pub idle_timeout: Duration,
    /// Bytes of samples kept in memory for replay.
    pub memory_budget: usize,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            max_fetch_bytes: 64 << 20,
            fetch_timeout: Duration::from_secs(300),
            idle_timeout: Duration::from_secs(15),
            memory_budget: 256 << 20,
        }
    }
}

/// Counters of what the cache did, since it was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Served from a stored copy without any request (memory or disk).
    pub hits: u64,
    /// No usable stored copy, or the origin sent a new version: converted anew.
    pub misses: u64,
    /// Conditional requests answered `304 Not Modified`.
    pub revalidations: u64,
    /// HTTP requests sent.
    pub fetches: u64,
    /// Requests that joined a fetch or synthesis already under way.
    pub shared: u64,
}

#[derive(Debug, Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    revalidations: AtomicU64,
    fetches: AtomicU64,
    shared: AtomicU64,
}

#[derive(Debug)]
struct State {
    inflight: HashMap<Key, Arc<Entry>>,
    hot: HotSet,
}

#[derive(Debug)]
struct Inner {
    disk: Disk,
    http: reqwest::Client,
    config: CacheConfig,
    state: Mutex<State>,
    stats: Counters,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The node's media cache. Cloning is cheap and clones share everything.
#[derive(Debug, Clone)]
pub struct MediaCache {
    inner: Arc<Inner>,
}

impl MediaCache {
    /// Opens (creating if needed) the cache in `dir`, fetching with `http`.
    pub fn open(dir: PathBuf, http: reqwest::Client) -> Result<Self, Error> {
        Self::open_with(dir, http, CacheConfig::default())
    }

    /// [`open`](Self::open) with explicit limits.
    pub fn open_with(
        dir: PathBuf,
        http: reqwest::Client,
        config: CacheConfig,
    ) -> Result<Self, Error> {
        let state = State {
            inflight: HashMap::new(),
            hot: HotSet::new(config.memory_budget),
        };
        Ok(MediaCache {
            inner: Arc::new(Inner {
                disk: Disk::open(dir)?,
                http,
                config,
                state: Mutex::new(state),
                stats: Counters::default(),
            }),
        })
    }

    /// The sound at `url` (`<Play>`). Returns once playback can start; errors that
    /// happen before the first sample (HTTP status, connection, content type,
    /// undecodable data) are returned here, later ones through
    /// [`FrameStatus::Failed`].
    pub async fn url(&self, url: &str) -> Result<AudioStream, Error> {
        self.lookup(Key::of(url.as_bytes()), || Job::Url(url.to_owned()))
            .await
    }

    /// `text` spoken with Twilio's `voice` and `language` (`<Say>`).
    pub async fn speech(
        &self,
        text: &str,
        voice: &str,
        language: &str,
    ) -> Result<AudioStream, Error> {
        self.lookup(Key::speech(text, voice, language), || Job::Speech {
            text: text.to_owned(),
            voice: voice.to_owned(),
            language: language.to_owned(),
        })
        .await
    }

    /// Audio a webhook answered directly (`Content-Type: audio/*`), keyed by the
    /// SHA-256 of the bytes.
    pub async fn bytes(&self, bytes: Vec<u8>, content_type: &str) -> Result<AudioStream, Error> {
        let mime = content_type.split(';').next().unwrap_or("").trim();
        if !mime.to_ascii_lowercase().starts_with("audio/") {
            return Err(Error::InvalidContentType {
                content_type: content_type.to_owned(),
            });
        }
        let key = Key::of(&bytes);
        let content_type = content_type.to_owned();
        self.lookup(key, move || Job::Bytes {
            bytes,
            content_type,
        })
        .await
    }

    /// What the cache has done so far.
    pub fn stats(&self) -> CacheStats {
        let c = &self.inner.stats;
        CacheStats {
            hits: c.hits.load(Relaxed),
            misses: c.misses.load(Relaxed),
            revalidations: c.revalidations.load(Relaxed),
            fetches: c.fetches.load(Relaxed),
            shared: c.shared.load(Relaxed),
        }
    }

    async fn lookup(&self, key: Key, job: impl FnOnce() -> Job) -> Result<AudioStream, Error> {
        let entry = {
            let mut state = self.inner.lock();
            if let Some(entry) = state.inflight.get(&key) {
                self.inner.stats.shared.fetch_add(1, Relaxed);
                entry.clone()
            } else {
                let hot = state.hot.get(&key);
                if let Some(h) = &hot {
                    if h.meta.is_fresh(SystemTime::now()) {
                        self.inner.stats.hits.fetch_add(1, Relaxed);
                        return Ok(AudioStream::new(h.entry.clone()));
                    }
                }
                let entry = Entry::filling();
                state.inflight.insert(key.clone(), entry.clone());
                tokio::spawn(produce::run(
                    self.inner.clone(),
                    key,
                    entry.clone(),
                    job(),
                    hot,
                ));
                entry
            }
        };
        entry.started().await?;
        Ok(AudioStream::new(entry))
    }
}
