//! Child processes that cannot outlive their handle.

use anyhow::{Context, Result};
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

/// A spawned peer. Dropping it kills the process (if still running) and reaps it,
/// so a failing test never leaves sipp, tcpdump or Python behind.
#[derive(Debug)]
pub(crate) struct Guarded {
    child: Child,
    name: String,
}

impl Guarded {
    pub(crate) fn spawn(mut command: Command, name: &str) -> Result<Guarded> {
        let child = command
            .spawn()
            .with_context(|| format!("spawning {name}: {command:?}"))?;
        Ok(Guarded {
            child,
            name: name.to_string(),
        })
    }

    pub(crate) fn id(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// Exit status if the process has ended, without blocking.
    pub(crate) fn try_wait(&mut self) -> Result<Option<ExitStatus>> {
        self.child
            .try_wait()
            .with_context(|| format!("polling {}", self.name))
    }

    /// Waits at most `timeout`; `None` means it is still running.
    pub(crate) fn wait_timeout(&mut self, timeout: Duration) -> Result<Option<ExitStatus>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_wait()? {
                return Ok(Some(status));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends a signal by name (`INT`, `TERM`) through kill(1): the workspace forbids
    /// `unsafe`, and std only offers SIGKILL, which would lose tcpdump's last buffer.
    pub(crate) fn signal(&self, signal: &str) -> Result<()> {
        let status = Command::new("kill")
            .arg("-s")
            .arg(signal)
            .arg(self.id().to_string())
            .status()
            .context("running kill")?;
        anyhow::ensure!(status.success(), "kill -s {signal} {} failed", self.id());
        Ok(())
    }

    /// Stops and reaps the process if it is still running: SIGTERM first, because
    /// peers run under `timeout(1)` and a SIGKILLed `timeout` would orphan the real
    /// process, while a terminated one passes the signal on; SIGKILL after 2 s.
    pub(crate) fn kill(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            if self.signal("TERM").is_ok() {
                if let Ok(Some(_)) = self.wait_timeout(Duration::from_secs(2)) {
                    return;
                }
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        self.kill();
    }
}
