//! Where recordings live: a trait so that an object store can follow the local
//! directory, which is all a node needs alone.
//!
//! A recording is named by its account and `RE…` sid. The recorder writes it while it is
//! made (so the sink seeks, to rewrite the WAV header); readers open it to serve it.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::PathBuf;

/// What a recording is written to.
pub trait Sink: Write + Seek + Send {
    /// Cut the recording to `len` bytes (after its trailing silence was trimmed).
    fn set_len(&mut self, len: u64) -> io::Result<()>;
}

/// What a recording is read from.
pub trait Source: Read + Seek + Send {}

impl Sink for File {
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        File::set_len(self, len)
    }
}

impl Source for File {}

/// The recordings of a node.
pub trait RecordingStorage: Send + Sync + std::fmt::Debug {
    /// A new, empty recording (an existing one of that name is replaced).
    fn create(&self, account: &str, sid: &str) -> io::Result<Box<dyn Sink>>;
    /// A recording, to read; `NotFound` when it does not exist.
    fn open(&self, account: &str, sid: &str) -> io::Result<Box<dyn Source>>;
    /// A recording to repair after a crash (read and written).
    fn reopen(&self, account: &str, sid: &str) -> io::Result<File>;
    /// Delete a recording; deleting one that does not exist is not an error.
    fn remove(&self, account: &str, sid: &str) -> io::Result<()>;
}

/// Recordings as WAV files under a directory: `{root}/{AC…}/{RE…}.wav`.
#[derive(Debug, Clone)]
pub struct LocalRecordings {
    root: PathBuf,
}

impl LocalRecordings {
    /// Recordings under `root` (created when the first one is).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, account: &str, sid: &str) -> io::Result<PathBuf> {
        // Sids are letters and hex digits; anything else never names a file.
        let safe = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
        if !safe(account) || !safe(sid) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a recording name",
            ));
        }
        Ok(self.root.join(account).join(format!("{sid}.wav")))
    }
}

impl RecordingStorage for LocalRecordings {
    fn create(&self, account: &str, sid: &str) -> io::Result<Box<dyn Sink>> {
        let path = self.path(account, sid)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        Ok(Box::new(file))
    }

    fn open(&self, account: &str, sid: &str) -> io::Result<Box<dyn Source>> {
        Ok(Box::new(File::open(self.path(account, sid)?)?))
    }

    fn reopen(&self, account: &str, sid: &str) -> io::Result<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .open(self.path(account, sid)?)
    }

    fn remove(&self, account: &str, sid: &str) -> io::Result<()> {
        match std::fs::remove_file(self.path(account, sid)?) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_is_created_read_and_removed_under_its_account() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalRecordings::new(dir.path());
        let mut sink = store.create("AC1", "RE1").unwrap();
        sink.write_all(b"RIFF....").unwrap();
        sink.set_len(4).unwrap();
        drop(sink);
        assert!(dir.path().join("AC1/RE1.wav").exists());
        let mut got = String::new();
        store
            .open("AC1", "RE1")
            .unwrap()
            .read_to_string(&mut got)
            .unwrap();
        assert_eq!(got, "RIFF");
        store.remove("AC1", "RE1").unwrap();
        store.remove("AC1", "RE1").unwrap();
        assert_eq!(
            store.open("AC1", "RE1").err().map(|e| e.kind()),
            Some(io::ErrorKind::NotFound)
        );
    }

    #[test]
    fn names_that_are_not_sids_never_reach_the_file_system() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalRecordings::new(dir.path());
        for (account, sid) in [
            ("AC1", "../RE1"),
            ("..", "RE1"),
            ("AC1", ""),
            ("AC1", "RE1/x"),
        ] {
            assert_eq!(
                store.create(account, sid).err().map(|e| e.kind()),
                Some(io::ErrorKind::InvalidInput)
            );
        }
    }
}
