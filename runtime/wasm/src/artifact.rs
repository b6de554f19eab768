//! The on-disk cache of compiled components.
//!
//! An artifact is native code: loading one is only sound if this engine produced
//! it. So the cache is written only by [`store`] (from wasm we hashed and compiled
//! ourselves), named by the wasm's SHA-256 and the engine's compatibility hash,
//! written atomically, and checked against a digest of its own bytes before use.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::Engine;

use crate::error::Error;

/// Hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `dir/<wasm sha256>-<compat>.cwasm`.
pub(crate) fn path(dir: &Path, wasm_sha256: &str, compat: &str) -> PathBuf {
    dir.join(format!("{wasm_sha256}-{compat}.cwasm"))
}

/// The digest file that vouches for the artifact's bytes.
fn digest_path(artifact: &Path) -> PathBuf {
    let mut name = artifact.as_os_str().to_owned();
    name.push(".sha256");
    PathBuf::from(name)
}

/// Writes `artifact` and its digest, each atomically (temp file + rename), so a
/// crash or a concurrent writer never leaves a half-written file under the name.
pub(crate) fn store(path: &Path, artifact: &[u8]) -> Result<(), Error> {
    write_atomically(&digest_path(path), sha256_hex(artifact).as_bytes())?;
    write_atomically(path, artifact)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let cache_err = |source| Error::Cache {
        path: path.to_owned(),
        source,
    };
    let tmp = path.with_extension(format!(
        "tmp.{}.{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(cache_err)
}

/// The cached component at `path`, if present, intact, and loadable by `engine`.
/// Any problem is a miss: the caller recompiles and overwrites.
pub(crate) fn load(engine: &Engine, path: &Path) -> Option<Component> {
    let expected = fs::read_to_string(digest_path(path)).ok()?;
    let actual = sha256_hex(&fs::read(path).ok()?);
    if expected.trim() != actual {
        tracing::warn!(path = %path.display(), "artifact does not match its digest; recompiling");
        return None;
    }
    match deserialize(engine, path) {
        Ok(component) => Some(component),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "artifact not loadable; recompiling");
            None
        }
    }
}

#[allow(unsafe_code)]
fn deserialize(engine: &Engine, path: &Path) -> wasmtime::Result<Component> {
    // SAFETY: `deserialize_file` trusts the file to be native code produced by a
    // compatible wasmtime. It is: this host only writes artifacts in `store`, from
    // wasm it validated and compiled itself with `Engine::precompile_component`;
    // the name carries that wasm's SHA-256 and this engine's compatibility hash,
    // the file was written to a temp name and renamed (never seen half-written),
    // and its bytes were just checked against the digest written alongside it.
    // Tenants only ever upload wasm, never artifacts (`compile` refuses them).
    unsafe { Component::deserialize_file(engine, path) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_writes_artifact_and_digest_without_leftovers() {
        let dir = std::env::temp_dir().join(format!("sy-artifact-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let p = path(&dir, "ab", "cd");
        store(&p, b"native code").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"native code");
        assert_eq!(
            fs::read_to_string(digest_path(&p)).unwrap(),
            sha256_hex(b"native code")
        );
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(names.iter().all(|n| !n.contains("tmp")), "{names:?}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn sha256_matches_known_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
