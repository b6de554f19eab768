//! The Python webhook peer (`tests/peers/webhook.py`).

use crate::process::Guarded;
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Behaviour of the webhook per path; see `tests/peers/webhook.py`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// `/voice` gathers one digit; `/gathered` plays `/audio/tone.wav` on "1".
    GatherPlay,
    /// `/voice` answers after `--delay` s; `/fallback` says and hangs up.
    Slow,
    /// `/voice` answers HTTP 500; `/fallback` says and hangs up.
    Error500,
    /// `/voice` answers malformed XML.
    BadXml,
    /// `/voice` says "Hello" and hangs up, fast.
    SayHangup,
    /// Every path serves the TwiML file `--docs-dir DIR/<path>.xml` (`/voice` →
    /// `voice.xml`), or 404.
    Docs,
}

impl Scenario {
    /// The `--scenario` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scenario::GatherPlay => "gather-play",
            Scenario::Slow => "slow",
            Scenario::Error500 => "error500",
            Scenario::BadXml => "badxml",
            Scenario::SayHangup => "say-hangup",
            Scenario::Docs => "docs",
        }
    }
}

/// One request as the webhook logged it.
#[derive(Debug, Clone, Deserialize)]
pub struct WebhookRequest {
    /// Path without the query string.
    pub path: String,
    /// The raw query string ("" if none).
    pub query: String,
    /// HTTP method.
    pub method: String,
    /// Query and form parameters; a repeated name maps to a JSON array.
    pub params: BTreeMap<String, serde_json::Value>,
    /// Twilio's `RequestValidator` accepted `X-Twilio-Signature`.
    pub signature_valid: bool,
    /// The `X-Twilio-Signature` header as received.
    pub twilio_signature: Option<String>,
    /// The `X-Switchyard-Signature` header as received.
    pub switchyard_signature: Option<String>,
    /// Its validity when the webhook was given `--signing-key`, else `None`.
    pub switchyard_signature_valid: Option<bool>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
    /// Arrival time, seconds since the Unix epoch.
    pub time: f64,
    /// The status the webhook answered.
    pub status: u16,
    /// A JSON body as received (event sinks).
    #[serde(default)]
    pub body: Option<String>,
    /// The `Idempotency-Key` header.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

impl WebhookRequest {
    /// A single-valued parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).and_then(|v| v.as_str())
    }
}

/// A running webhook peer; killed on drop (and it exits by itself after its lifetime).
#[derive(Debug)]
pub struct Webhook {
    port: u16,
    log: PathBuf,
    stderr: PathBuf,
    child: Guarded,
    _dir: tempfile::TempDir,
}

impl Webhook {
    /// Starts `webhook.py --scenario <scenario> --auth-token <token>` plus `extra`
    /// arguments (e.g. `["--delay", "2"]`, `["--signing-key", "k"]`,
    /// `["--lifetime", "30"]`) and waits for it to print its port.
    pub fn start(scenario: Scenario, auth_token: &str, extra: &[&str]) -> Result<Webhook> {
        let dir = tempfile::tempdir()?;
        let log = dir.path().join("requests.jsonl");
        let stderr = dir.path().join("stderr.txt");
        let mut cmd = Command::new("python3");
        cmd.arg(crate::peer_script("webhook.py"))
            .args(["--scenario", scenario.as_str(), "--auth-token", auth_token])
            .arg("--log")
            .arg(&log)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr)?);
        let mut child = Guarded::spawn(cmd, "webhook.py")?;
        let stdout = child.child_mut().stdout.take().context("webhook stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(port) = line.strip_prefix("PORT ") {
                    let _ = tx.send(port.trim().parse::<u16>());
                }
            }
        });
        let port = match rx.recv_timeout(Duration::from_secs(15)) {
            Ok(Ok(port)) => port,
            _ => {
                child.kill();
                let said = std::fs::read_to_string(&stderr).unwrap_or_default();
                bail!("webhook.py did not report its port within 15 s:\n{said}");
            }
        };
        Ok(Webhook {
            port,
            log,
            stderr,
            child,
            _dir: dir,
        })
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:<port><path>`, e.g. `url("/voice")`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }

    /// Every request logged so far, in arrival order.
    pub fn requests(&self) -> Result<Vec<WebhookRequest>> {
        let text = match std::fs::read_to_string(&self.log) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e.into()),
        };
        // Only complete lines: the peer may be writing the next one right now.
        let complete = text.rfind('\n').map_or("", |end| &text[..end]);
        complete
            .lines()
            .map(|l| serde_json::from_str(l).with_context(|| format!("bad log line {l}")))
            .collect()
    }

    /// Logged requests to `path`.
    pub fn requests_to(&self, path: &str) -> Result<Vec<WebhookRequest>> {
        Ok(self
            .requests()?
            .into_iter()
            .filter(|r| r.path == path)
            .collect())
    }

    /// Polls the log until `done(requests)` holds or `timeout` passes; returns the
    /// requests either way so the caller's assertion shows what did arrive.
    pub fn wait_for(
        &self,
        timeout: Duration,
        done: impl Fn(&[WebhookRequest]) -> bool,
    ) -> Result<Vec<WebhookRequest>> {
        let deadline = Instant::now() + timeout;
        loop {
            let requests = self.requests()?;
            if done(&requests) || Instant::now() >= deadline {
                return Ok(requests);
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> Result<bool> {
        Ok(self.child.try_wait()?.is_none())
    }

    /// What the peer wrote to stderr (Python tracebacks).
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}
