//! The Media Streams server peer (`tests/peers/media_stream.py`).

use crate::process::Guarded;
use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// One line of the server's log: a message received or sent, or a connection event.
#[derive(Debug, Clone)]
pub struct StreamLogEntry {
    /// Seconds since the Unix epoch (comparable with RTP capture times).
    pub time: f64,
    /// The whole line.
    pub raw: Value,
}

impl StreamLogEntry {
    /// A message received from the node (not one the server sent).
    pub fn received(&self) -> Option<&Value> {
        (!self.raw["sent"].as_bool().unwrap_or(false))
            .then(|| self.raw.get("message"))
            .flatten()
    }

    /// A message the server sent.
    pub fn sent(&self) -> Option<&Value> {
        self.raw["sent"]
            .as_bool()
            .unwrap_or(false)
            .then(|| self.raw.get("message"))
            .flatten()
    }
}

/// A running server; killed on drop.
#[derive(Debug)]
pub struct MediaStreamServer {
    port: u16,
    log: PathBuf,
    stderr: PathBuf,
    _child: Guarded,
    _dir: tempfile::TempDir,
}

impl MediaStreamServer {
    /// Starts `media_stream.py --mode <mode>` plus `extra` arguments and waits for
    /// its port.
    pub fn start(mode: &str, auth_token: &str, extra: &[&str]) -> Result<Self> {
        let mut args = vec!["--mode", mode, "--auth-token", auth_token];
        args.extend_from_slice(extra);
        Self::spawn("media_stream.py", &args)
    }

    /// Starts `pipecat_stream.py` (pipecat's TwilioFrameSerializer as the server).
    pub fn pipecat(extra: &[&str]) -> Result<Self> {
        Self::spawn("pipecat_stream.py", extra)
    }

    fn spawn(script: &str, args: &[&str]) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let log = dir.path().join("messages.jsonl");
        let stderr = dir.path().join("stderr.txt");
        let mut cmd = Command::new("python3");
        cmd.arg(crate::peer_script(script))
            .args(args)
            .arg("--log")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr)?);
        let mut child = Guarded::spawn(cmd, script)?;
        let stdout = child.child_mut().stdout.take().context("stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(port) = line.strip_prefix("PORT ") {
                    let _ = tx.send(port.trim().parse::<u16>());
                }
            }
        });
        let Ok(Ok(port)) = rx.recv_timeout(Duration::from_secs(15)) else {
            let said = std::fs::read_to_string(&stderr).unwrap_or_default();
            bail!("{script} did not report its port (scripts/install-deps --test):\n{said}");
        };
        Ok(MediaStreamServer {
            port,
            log,
            stderr,
            _child: child,
            _dir: dir,
        })
    }

    /// `ws://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{path}", self.port)
    }

    /// Everything logged so far (complete lines).
    pub fn log(&self) -> Result<Vec<StreamLogEntry>> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let complete = text.rfind('\n').map_or("", |end| &text[..end]);
        complete
            .lines()
            .map(|l| {
                let raw: Value =
                    serde_json::from_str(l).with_context(|| format!("bad line {l}"))?;
                let time = raw["time"].as_f64().unwrap_or_default();
                Ok(StreamLogEntry { time, raw })
            })
            .collect()
    }

    /// The messages received from the node, in order, with their arrival times.
    pub fn received(&self) -> Result<Vec<(f64, Value)>> {
        Ok(self
            .log()?
            .iter()
            .filter_map(|e| e.received().map(|m| (e.time, m.clone())))
            .collect())
    }

    /// Polls the log until `done` holds or `timeout` passes; the log either way.
    pub fn wait_for(
        &self,
        timeout: Duration,
        done: impl Fn(&[StreamLogEntry]) -> bool,
    ) -> Result<Vec<StreamLogEntry>> {
        let deadline = Instant::now() + timeout;
        loop {
            let log = self.log()?;
            if done(&log) || Instant::now() >= deadline {
                return Ok(log);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What the server wrote to stderr.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}
