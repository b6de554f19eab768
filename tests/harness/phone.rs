//! The pjsua2 phone peer (`tests/peers/phone.py`).

use crate::process::Guarded;
use anyhow::{Context, Result};
use serde::Deserialize;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Knobs of a call; `Default` sends DTMF 2 s after answer and gives up after 30 s.
#[derive(Debug, Clone)]
pub struct PhoneOptions {
    /// Delay between the call being confirmed and the DTMF being sent.
    pub dtmf_after: Duration,
    /// After this the phone hangs up itself (and the outcome says so).
    pub timeout: Duration,
    /// User part of the phone's From URI.
    pub from_user: String,
}

impl Default for PhoneOptions {
    fn default() -> Self {
        PhoneOptions {
            dtmf_after: Duration::from_secs(2),
            timeout: Duration::from_secs(30),
            from_user: "+15557770000".to_string(),
        }
    }
}

/// The JSON summary the phone prints.
#[derive(Debug, Clone, Deserialize)]
pub struct PhoneSummary {
    /// The call reached CONFIRMED (200 OK and ACK).
    pub connected: bool,
    /// The call ended without the phone hanging up (the far end sent BYE, or the
    /// INVITE was rejected).
    pub ended_by_remote: bool,
    /// PJSIP's last reason text ("Normal call clearing" after a BYE).
    pub disconnect_reason: Option<String>,
    /// Last SIP status code PJSIP saw for the call.
    pub last_status: Option<i64>,
    /// The recording path, if one was asked for.
    pub record: Option<String>,
    /// Connected time in seconds.
    pub duration: f64,
    /// Wall time of the whole run in seconds.
    pub elapsed: f64,
    /// Digits sent as RFC 4733 events ("" if the call ended first).
    pub dtmf_sent: String,
    /// Digits received from the far end.
    pub dtmf_received: String,
    /// Call state names in order (CALLING, EARLY, CONNECTING, CONFIRMED, ...).
    pub states: Vec<String>,
    /// A pjsua2 error, if one was raised.
    pub error: Option<String>,
}

/// How the phone process ended.
#[derive(Debug, Clone)]
pub struct PhoneOutcome {
    /// Exit code (0 only if connected and ended by the far end); `None` if killed.
    pub exit_code: Option<i32>,
    /// The summary, if the phone got to print it.
    pub summary: Option<PhoneSummary>,
    /// PJSIP's log and any Python traceback.
    pub stderr: String,
}

impl PhoneOutcome {
    /// Connected, ended by the far end, exit code 0.
    pub fn success(&self) -> bool {
        self.exit_code == Some(0)
            && self
                .summary
                .as_ref()
                .is_some_and(|s| s.connected && s.ended_by_remote)
    }
}

/// Entry point for phone calls.
#[derive(Debug)]
pub struct Phone;

impl Phone {
    /// Calls `uri`, sends `dtmf` (may be empty) by RFC 4733, records what it hears to
    /// `record` and waits for the far end's BYE. Blocks until the phone exits; the
    /// process is killed 15 s after `opts.timeout` if it has not.
    pub fn call(
        uri: &str,
        dtmf: &str,
        record: Option<&Path>,
        opts: &PhoneOptions,
    ) -> Result<PhoneOutcome> {
        let dir = tempfile::tempdir()?;
        let stdout = dir.path().join("stdout.json");
        let stderr = dir.path().join("stderr.txt");
        let mut cmd = Command::new("python3");
        cmd.arg(crate::peer_script("phone.py"))
            .args(["--uri", uri, "--dtmf", dtmf])
            .args(["--dtmf-after", &opts.dtmf_after.as_secs_f64().to_string()])
            .args(["--timeout", &opts.timeout.as_secs_f64().to_string()])
            .args(["--from-user", &opts.from_user]);
        if let Some(path) = record {
            cmd.arg("--record").arg(path);
        }
        cmd.stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout)?)
            .stderr(std::fs::File::create(&stderr)?);
        let mut child = Guarded::spawn(cmd, "phone.py")?;
        let status = child.wait_timeout(opts.timeout + Duration::from_secs(15))?;
        child.kill();
        let out = std::fs::read_to_string(&stdout).context("reading phone stdout")?;
        let summary = out
            .lines()
            .rev()
            .find(|l| l.trim_start().starts_with('{'))
            .map(serde_json::from_str)
            .transpose()
            .with_context(|| format!("phone printed a bad summary: {out}"))?;
        Ok(PhoneOutcome {
            exit_code: status.and_then(|s| s.code()),
            summary,
            stderr: std::fs::read_to_string(&stderr).unwrap_or_default(),
        })
    }
}
