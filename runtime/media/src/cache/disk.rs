//! The on-disk layout: `<hex>.pcm` (mono s16le at [`MEDIA_RATE`](crate::MEDIA_RATE)) and `<hex>.meta` per entry.

use super::meta::Meta;
use super::Key;
use crate::Error;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The cache directory.
#[derive(Debug, Clone)]
pub(crate) struct Disk {
    dir: PathBuf,
}

impl Disk {
    /// Uses `dir`, creating it if needed.
    pub(crate) fn open(dir: PathBuf) -> Result<Self, Error> {
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        Ok(Disk { dir })
    }

    fn path(&self, key: &Key, ext: &str) -> PathBuf {
        self.dir.join(format!("{}.{ext}", key.hex()))
    }

    /// The metadata of a complete entry whose sample file has the recorded length,
    /// or `None` (absent, interrupted by a crash, or damaged: fetch it again).
    pub(crate) async fn complete_meta(&self, key: &Key) -> Option<Meta> {
        let text = tokio::fs::read_to_string(self.path(key, "meta"))
            .await
            .ok()?;
        let meta = Meta::parse(&text)?;
        if !meta.complete {
            return None;
        }
        let len = tokio::fs::metadata(self.path(key, "pcm")).await.ok()?.len();
        (len == meta.samples * 2).then_some(meta)
    }

    /// Reads the samples of an entry.
    pub(crate) async fn load(&self, key: &Key) -> Result<Arc<[i16]>, Error> {
        let path = self.path(key, "pcm");
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        Ok(bytes
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect())
    }

    /// Stores an entry so that a crash at any point leaves either the previous
    /// complete entry or one marked incomplete.
    pub(crate) async fn store(&self, key: &Key, meta: &Meta, samples: &[i16]) -> Result<(), Error> {
        let mut bytes = Vec::with_capacity(samples.len() * 2);
        for s in samples {
            bytes.extend_from_slice(&s.to_le_bytes());
        }
        let pcm = self.path(key, "pcm");
        let tmp = self.path(key, "pcm.tmp");
        write(&tmp, &bytes).await?;
        let mut meta = meta.clone();
        meta.samples = samples.len() as u64;
        meta.complete = false;
        self.write_meta(key, &meta).await?;
        tokio::fs::rename(&tmp, &pcm)
            .await
            .map_err(|e| Error::io(format!("renaming {}", tmp.display()), e))?;
        meta.complete = true;
        self.write_meta(key, &meta).await
    }

    /// Replaces the metadata of an entry (atomically, via rename).
    pub(crate) async fn write_meta(&self, key: &Key, meta: &Meta) -> Result<(), Error> {
        let path = self.path(key, "meta");
        let tmp = self.path(key, "meta.tmp");
        write(&tmp, meta.to_text().as_bytes()).await?;
        tokio::fs::rename(&tmp, &path)
            .await
            .map_err(|e| Error::io(format!("renaming {}", tmp.display()), e))
    }

    /// Deletes an entry (a `no-store` answer replacing a stored one).
    pub(crate) async fn remove(&self, key: &Key) {
        for ext in ["meta", "pcm"] {
            let _ = tokio::fs::remove_file(self.path(key, ext)).await;
        }
    }
}

async fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    tokio::fs::write(path, bytes)
        .await
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))
}
