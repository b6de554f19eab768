//! Running sipp (Debian `sip-tester`, 3.6.1) as a caller or as a test double.

use crate::ports::{free_port, free_udp_block};
use crate::process::Guarded;
use anyhow::{Context, Result};
use std::fmt;
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a finished (or killed) sipp left behind.
#[derive(Debug, Clone)]
pub struct SippOutcome {
    /// Exit code; `None` if killed. sipp: 0 all calls succeeded, 1 some failed,
    /// 97 stopped by command, 99 ended without any call, 255/254 fatal errors.
    pub exit_code: Option<i32>,
    /// True if the harness had to kill sipp at its hard timeout.
    pub timed_out: bool,
    /// sipp's final statistics screen.
    pub stdout: String,
    /// sipp's stderr.
    pub stderr: String,
    /// Contents of the `-trace_err` log (unexpected messages, failed checks).
    pub errors: String,
    /// Contents of the `-trace_msg` log, if sipp was run with it (see
    /// [`SippCommand::trace_messages`]): every message sent and received.
    pub message_log: String,
}

impl SippOutcome {
    /// Exited by itself with status 0.
    pub fn success(&self) -> bool {
        self.exit_code == Some(0) && !self.timed_out
    }

    /// The cumulative "Successful call" count of the final screen.
    pub fn successful_calls(&self) -> Option<u64> {
        self.cumulative("Successful call")
    }

    /// The cumulative "Failed call" count of the final screen.
    pub fn failed_calls(&self) -> Option<u64> {
        self.cumulative("Failed call")
    }

    fn cumulative(&self, row: &str) -> Option<u64> {
        let line = self
            .stdout
            .lines()
            .rev()
            .find(|l| l.trim_start().starts_with(row))?;
        line.rsplit('|').next()?.trim().parse().ok()
    }

    /// The messages of the `-trace_msg` log in order (empty without it). A
    /// retransmission is logged, and so listed, again.
    pub fn messages(&self) -> Vec<SippMessage> {
        const SEPARATOR: &str = "-----------------------------------------------";
        let mut out = Vec::new();
        for block in self.message_log.split(SEPARATOR).skip(1) {
            let mut lines = block.lines();
            let at = lines.next().and_then(trace_time);
            let Some(what) = lines.next() else { continue };
            let received = if what.contains("message received") {
                true
            } else if what.contains("message sent") || what.contains("message resent") {
                false
            } else {
                continue;
            };
            let text: Vec<&str> = lines.skip_while(|l| l.trim().is_empty()).collect();
            let text = text.join("\n").trim_end().to_string();
            if !text.is_empty() {
                out.push(SippMessage { received, text, at });
            }
        }
        out
    }

    /// The `method` requests sipp received (needs `-trace_msg`), e.g. `"CANCEL"`.
    pub fn received_requests(&self, method: &str) -> Vec<SippMessage> {
        self.messages()
            .into_iter()
            .filter(|m| m.received && m.method() == Some(method))
            .collect()
    }

    /// How many `method` requests sipp received (needs `-trace_msg`): e.g. one CANCEL
    /// for a forked leg that lost, none for the one that answered.
    pub fn received(&self, method: &str) -> usize {
        self.received_requests(method).len()
    }

    /// How many responses with `status` sipp sent (needs `-trace_msg`).
    pub fn sent_responses(&self, status: u16) -> usize {
        self.messages()
            .iter()
            .filter(|m| !m.received && m.status() == Some(status))
            .count()
    }
}

/// One message of sipp's `-trace_msg` log (see [`SippOutcome::messages`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SippMessage {
    /// Received by sipp (else sent by it).
    pub received: bool,
    /// The message, start line first, lines joined by `\n`.
    pub text: String,
    /// When sipp sent or received it (its trace's clock: since the Unix epoch, or since
    /// midnight when the trace only has the time of day); differences are what count.
    pub at: Option<Duration>,
}

/// The time of a `-trace_msg` entry from the rest of its separator line: sipp 3.6 writes
/// `YYYY-MM-DD HH:MM:SS.UUUUUU` (some builds add `EPOCH.UUUUUU`, taken when present).
fn trace_time(line: &str) -> Option<Duration> {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    if let Some(epoch) = tokens.iter().find(|t| {
        t.chars().all(|c| c.is_ascii_digit() || c == '.')
            && t.split('.').next().is_some_and(|s| s.len() >= 9)
    }) {
        return epoch.parse::<f64>().ok().map(Duration::from_secs_f64);
    }
    let clock = tokens.iter().find(|t| t.contains(':'))?;
    let mut parts = clock.split(':');
    let (h, m, s) = (parts.next()?, parts.next()?, parts.next()?);
    let secs =
        h.parse::<f64>().ok()? * 3600.0 + m.parse::<f64>().ok()? * 60.0 + s.parse::<f64>().ok()?;
    Some(Duration::from_secs_f64(secs))
}

impl SippMessage {
    /// The start line (`INVITE sip:... SIP/2.0` or `SIP/2.0 200 OK`).
    pub fn start_line(&self) -> &str {
        self.text.lines().next().unwrap_or("")
    }

    /// The method of a request.
    pub fn method(&self) -> Option<&str> {
        let first = self.start_line();
        (!first.starts_with("SIP/")).then(|| first.split(' ').next())?
    }

    /// The status code of a response.
    pub fn status(&self) -> Option<u16> {
        self.start_line()
            .strip_prefix("SIP/2.0 ")?
            .split(' ')
            .next()?
            .parse()
            .ok()
    }

    /// The value of the first `name` header (case-insensitive, without the name), e.g.
    /// `header("Proxy-Authorization")`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.text
            .lines()
            .skip(1)
            .take_while(|l| !l.trim().is_empty())
            .find_map(|l| {
                let (n, v) = l.split_once(':')?;
                n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
            })
    }
}

impl fmt::Display for SippOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tail: Vec<&str> = self.stdout.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        write!(
            f,
            "sipp exit {:?} (timed out: {})\n--- stdout (tail) ---\n{}\n--- stderr ---\n{}\n--- errors ---\n{}",
            self.exit_code,
            self.timed_out,
            tail.join("\n"),
            self.stderr,
            self.errors
        )
    }
}

/// A sipp invocation: scenario, ports and arguments. Binds SIP to 127.0.0.1 on a
/// free port and its media to a free even block of 4 ports (audio and video, each
/// with RTCP, as sipp opens them).
#[derive(Debug, Clone)]
pub struct SippCommand {
    scenario: String,
    target: Option<String>,
    args: Vec<String>,
    timeout: Duration,
    sip_port: u16,
    media_port: u16,
}

/// Shorthand entry points.
#[derive(Debug)]
pub struct Sipp;

impl Sipp {
    /// Runs `scenario` (a file of `tests/sipp/`, a path to an XML file, or a built-in
    /// name such as `uas`) against `target` (`host:port`, or "" for a UAS) with extra
    /// `args`, killing it after 60 s.
    pub fn run(scenario: &str, target: &str, args: &[&str]) -> Result<SippOutcome> {
        let mut cmd = SippCommand::new(scenario)?.args(args);
        if !target.is_empty() {
            cmd = cmd.target(target);
        }
        cmd.run()
    }

    /// Starts a UAS test double of `tests/sipp/` for one call (`-m 1` unless `args`
    /// has `-m`) with its message log on (`-trace_msg`), on a fresh port, and waits
    /// until it listens. E.g. three forked legs:
    /// `Sipp::uas("uas_answer_after.xml", &["-d", "2000"])`, then each one's
    /// `wait()?.received("CANCEL")`.
    pub fn uas(scenario: &str, args: &[&str]) -> Result<SippProcess> {
        let mut cmd = SippCommand::new(scenario)?.trace_messages().args(args);
        if !args.contains(&"-m") {
            cmd = cmd.args(&["-m", "1"]);
        }
        let mut uas = cmd.spawn()?;
        uas.wait_listening(Duration::from_secs(5))?;
        Ok(uas)
    }

    /// A UAS that answers at once (PCMU and telephone-event), echoes every RTP packet
    /// back to its sender (`-rtp_echo`) and waits for the caller's BYE
    /// (`uas_wait_bye.xml`); listening when returned.
    pub fn echo_uas() -> Result<SippProcess> {
        Sipp::uas("uas_wait_bye.xml", &["-rtp_echo"])
    }
}

impl SippCommand {
    /// A command for `scenario` (see [`Sipp::run`]) with fresh ports and a 60 s limit.
    pub fn new(scenario: &str) -> Result<SippCommand> {
        Ok(SippCommand {
            scenario: scenario.to_string(),
            target: None,
            args: Vec::new(),
            timeout: Duration::from_secs(60),
            sip_port: free_port()?,
            media_port: free_udp_block(4)?,
        })
    }

    /// The remote `host:port` (makes sipp a client).
    pub fn target(mut self, target: &str) -> SippCommand {
        self.target = Some(target.to_string());
        self
    }

    /// Adds arguments, e.g. `["-m", "1", "-s", "+15550001111"]`.
    pub fn args(mut self, args: &[&str]) -> SippCommand {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    /// The hard limit after which sipp is killed (sipp's own `-timeout` is set a
    /// little shorter so it normally stops by itself and prints its statistics).
    pub fn timeout(mut self, timeout: Duration) -> SippCommand {
        self.timeout = timeout;
        self
    }

    /// Logs every message sent and received (`-trace_msg`), for
    /// [`SippOutcome::messages`] and [`SippOutcome::received`].
    pub fn trace_messages(self) -> SippCommand {
        self.args(&["-trace_msg"])
    }

    /// The SIP port sipp will bind on 127.0.0.1.
    pub fn sip_port(&self) -> u16 {
        self.sip_port
    }

    /// The RTP port sipp will bind and put in its SDP (`[media_port]`).
    pub fn media_port(&self) -> u16 {
        self.media_port
    }

    fn scenario_args(&self) -> Vec<String> {
        if !self.scenario.ends_with(".xml") {
            return vec!["-sn".into(), self.scenario.clone()];
        }
        let shipped = crate::sipp_scenario(&self.scenario);
        let path: PathBuf = if !self.scenario.contains('/') && shipped.exists() {
            shipped
        } else {
            Path::new(&self.scenario).to_path_buf()
        };
        vec!["-sf".into(), path.to_string_lossy().into_owned()]
    }

    /// Starts sipp in the background (for a UAS test double).
    pub fn spawn(self) -> Result<SippProcess> {
        let dir = tempfile::tempdir()?;
        let stdout = dir.path().join("stdout.txt");
        let stderr = dir.path().join("stderr.txt");
        let own_timeout = self.timeout.as_secs().saturating_sub(2).max(1);
        let mut cmd = Command::new("sipp");
        cmd.args(self.scenario_args())
            .args([
                "-i",
                "127.0.0.1",
                "-mi",
                "127.0.0.1",
                "-nostdin",
                "-trace_err",
            ])
            .args(["-p", &self.sip_port.to_string()])
            .args(["-mp", &self.media_port.to_string()])
            .args(["-timeout", &format!("{own_timeout}s"), "-timeout_error"])
            .args(&self.args);
        if let Some(target) = &self.target {
            cmd.arg(target);
        }
        // sipp writes its logs into the working directory: keep them in our temp dir.
        cmd.current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout)?)
            .stderr(std::fs::File::create(&stderr)?);
        let child = Guarded::spawn(cmd, "sipp")?;
        Ok(SippProcess {
            child,
            started: Instant::now(),
            timeout: self.timeout,
            sip_port: self.sip_port,
            media_port: self.media_port,
            stdout,
            stderr,
            dir,
        })
    }

    /// Runs sipp to completion (or its hard timeout).
    pub fn run(self) -> Result<SippOutcome> {
        self.spawn()?.wait()
    }
}

/// A sipp running in the background; killed on drop.
#[derive(Debug)]
pub struct SippProcess {
    child: Guarded,
    started: Instant,
    timeout: Duration,
    sip_port: u16,
    media_port: u16,
    stdout: PathBuf,
    stderr: PathBuf,
    dir: tempfile::TempDir,
}

impl SippProcess {
    /// `127.0.0.1:<sip port>`, the target for a client.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.sip_port)
    }

    /// The SIP port.
    pub fn sip_port(&self) -> u16 {
        self.sip_port
    }

    /// The RTP port in sipp's SDP.
    pub fn media_port(&self) -> u16 {
        self.media_port
    }

    /// Waits until sipp has bound its SIP port (so a client's first INVITE is not
    /// lost to a socket that does not exist yet).
    pub fn wait_listening(&mut self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        while UdpSocket::bind(("127.0.0.1", self.sip_port)).is_ok() {
            if let Some(status) = self.child.try_wait()? {
                anyhow::bail!(
                    "sipp exited ({status}) before listening:\n{}",
                    self.collect(status.code(), false)?
                );
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "sipp not listening on {} after {timeout:?}",
                self.sip_port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// Waits for sipp to end (killing it at the hard timeout) and collects its output.
    pub fn wait(mut self) -> Result<SippOutcome> {
        let left = self.timeout.saturating_sub(self.started.elapsed());
        match self.child.wait_timeout(left)? {
            Some(status) => self.collect(status.code(), false),
            None => {
                self.child.kill();
                self.collect(None, true)
            }
        }
    }

    fn collect(&self, exit_code: Option<i32>, timed_out: bool) -> Result<SippOutcome> {
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        let mut errors = String::new();
        let mut message_log = String::new();
        for entry in std::fs::read_dir(self.dir.path()).context("listing sipp dir")? {
            let path = entry?.path();
            if path.to_string_lossy().ends_with("_errors.log") {
                errors.push_str(&read(&path));
            } else if path.to_string_lossy().ends_with("_messages.log") {
                message_log.push_str(&read(&path));
            }
        }
        Ok(SippOutcome {
            exit_code,
            timed_out,
            stdout: read(&self.stdout),
            stderr: read(&self.stderr),
            errors,
            message_log,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_message_log() {
        let sep = "-----------------------------------------------";
        let log = format!(
            "{sep} 2026-01-01 00:00:00.000001\nUDP message received [10] bytes :\n\n\
             CANCEL sip:a@127.0.0.1:5060 SIP/2.0\nVia: SIP/2.0/UDP x\nCSeq: 1 CANCEL\n\n\n\
             {sep} 2026-01-01 00:00:00.000002\nUDP message sent (10 bytes):\n\n\
             SIP/2.0 487 Request Terminated\nproxy-authorization: Digest a=1\n\n\n"
        );
        let out = SippOutcome {
            exit_code: Some(0),
            timed_out: false,
            stdout: String::new(),
            stderr: String::new(),
            errors: String::new(),
            message_log: log,
        };
        let messages = out.messages();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].received);
        assert_eq!(messages[0].method(), Some("CANCEL"));
        assert_eq!(messages[0].header("cseq"), Some("1 CANCEL"));
        assert_eq!(messages[1].status(), Some(487));
        assert_eq!(messages[1].method(), None);
        assert_eq!(
            messages[1].header("Proxy-Authorization"),
            Some("Digest a=1")
        );
        assert_eq!(out.received("CANCEL"), 1);
        assert_eq!(out.received("BYE"), 0);
        assert_eq!(out.sent_responses(487), 1);
    }
}
