//! The pjsua2 phone peer (`tests/peers/phone.py`): a caller ([`Phone::call`],
//! [`Phone::spawn_call`]) or a callee waiting for the node's call ([`Phone::listen`]),
//! and what to make of its recording ([`tone_report`], [`dominant_frequency`]).

use crate::audio::{rms, Wav};
use crate::process::Guarded;
use anyhow::{Context, Result};
use serde::Deserialize;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Knobs of a call; `Default` sends DTMF 2 s after answer and gives up after 30 s.
#[derive(Debug, Clone)]
pub struct PhoneOptions {
    /// Delay between the call being confirmed and the DTMF being sent.
    pub dtmf_after: Duration,
    /// After this the phone hangs up itself (and the outcome says so).
    pub timeout: Duration,
    /// User part of the phone's From URI.
    pub from_user: String,
    /// Send a continuous sine of this many Hz once the call is confirmed, instead of
    /// silence (`--tone`). Whole-hertz values give a seamless tone.
    pub tone: Option<f64>,
    /// Hang up (BYE) this long after the call is confirmed (`--hangup-after`); the
    /// summary then says [`HangUp::Local`] and the exit code is still 0.
    pub hangup_after: Option<Duration>,
    /// Offer only these codecs, in this order, e.g. `["PCMU"]` (`--codecs`); empty:
    /// PJSIP's own list (speex first, then GSM, PCMU, PCMA, G722, ...).
    pub codecs: Vec<String>,
    /// Send this WAV file, looped, once the call is confirmed (`--play`; mono 16-bit,
    /// at the codec's rate).
    pub play: Option<PathBuf>,
}

impl Default for PhoneOptions {
    fn default() -> Self {
        PhoneOptions {
            dtmf_after: Duration::from_secs(2),
            timeout: Duration::from_secs(30),
            from_user: "+15557770000".to_string(),
            tone: None,
            hangup_after: None,
            codecs: Vec::new(),
            play: None,
        }
    }
}

/// Knobs of the callee mode (`phone.py --listen`); `Default` answers at once, stays
/// until the far end hangs up, and gives up after 60 s.
#[derive(Debug, Clone)]
pub struct CalleeOptions {
    /// UDP port on 127.0.0.1 to take the call on; `None` lets the OS pick one.
    pub port: Option<u16>,
    /// User part of the phone's own URI (see [`Callee::uri`]).
    pub user: String,
    /// Ring (180) this long before answering 200 (`--answer-after`).
    pub answer_after: Duration,
    /// Hang up (BYE) this long after the call is confirmed (`--hangup-after`).
    pub hangup_after: Option<Duration>,
    /// Send a continuous sine of this many Hz once confirmed (`--tone`).
    pub tone: Option<f64>,
    /// Record what the phone hears to this WAV (16-bit, the bridge's 16 kHz).
    pub record: Option<PathBuf>,
    /// Digits to send by RFC 4733, `dtmf_after` after the call is confirmed.
    pub dtmf: String,
    /// See `dtmf`.
    pub dtmf_after: Duration,
    /// Accept only these codecs, in this order (`--codecs`); empty: PJSIP's list.
    pub codecs: Vec<String>,
    /// Send this WAV file, looped, once answered (`--play`).
    pub play: Option<PathBuf>,
    /// The phone ends (hanging up if need be) after this long, call or not.
    pub timeout: Duration,
    /// Register first (as `user`, digest password) and unregister on exit.
    pub register: Option<Registration>,
}

/// Where and how a callee registers (`phone.py --register`).
#[derive(Debug, Clone)]
pub struct Registration {
    /// The registrar URI, `sip:<domain>`: the REGISTER's Request-URI, and the domain of
    /// the phone's address-of-record.
    pub registrar: String,
    /// The outbound proxy the REGISTER goes through, e.g. `sip:127.0.0.1:5060;lr`.
    pub proxy: String,
    /// The digest password of `user`.
    pub password: String,
}

impl Default for CalleeOptions {
    fn default() -> Self {
        CalleeOptions {
            port: None,
            user: "callee".to_string(),
            answer_after: Duration::ZERO,
            hangup_after: None,
            tone: None,
            record: None,
            dtmf: String::new(),
            dtmf_after: Duration::from_secs(2),
            codecs: Vec::new(),
            play: None,
            timeout: Duration::from_secs(60),
            register: None,
        }
    }
}

/// Who ended the call, as the phone saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HangUp {
    /// The far end: BYE, CANCEL (callee) or a final error response (caller).
    Remote,
    /// The phone itself, at `hangup_after`.
    Local,
    /// The phone itself, at its `timeout`.
    Timeout,
    /// The phone itself, told to stop by SIGTERM ([`PhoneProcess::stop`]).
    Stopped,
}

/// The JSON summary the phone prints.
#[derive(Debug, Clone, Deserialize)]
pub struct PhoneSummary {
    /// The call reached CONFIRMED (200 OK and ACK).
    pub connected: bool,
    /// The call ended without the phone hanging up (the far end sent BYE or CANCEL,
    /// or the INVITE was rejected).
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
    /// Call state names in order (CALLING, EARLY, CONNECTING, CONFIRMED, ...; a callee
    /// starts with INCOMING).
    pub states: Vec<String>,
    /// A pjsua2 error, if one was raised.
    pub error: Option<String>,
    /// Who ended the call; `None` if there was no call (callee never invited).
    #[serde(default)]
    pub hung_up_by: Option<HangUp>,
    /// The tone the phone sent, in Hz.
    #[serde(default)]
    pub tone: Option<f64>,
    /// Callee: the port it listened on.
    #[serde(default)]
    pub port: Option<u16>,
    /// Callee: the first INVITE as received (request line, headers, SDP).
    #[serde(default)]
    pub invite: Option<String>,
    /// Callee: further INVITEs (other calls) it answered 486 Busy Here.
    #[serde(default)]
    pub rejected_calls: u32,
}

impl PhoneSummary {
    /// The call was given up by the far end before it was answered: CANCEL (callee)
    /// or a 487 to our INVITE (caller).
    pub fn cancelled(&self) -> bool {
        !self.connected && self.last_status == Some(487)
    }

    /// Callee: the Request-URI of the INVITE.
    pub fn request_uri(&self) -> Option<&str> {
        self.invite.as_deref()?.lines().next()?.split(' ').nth(1)
    }

    /// Callee: the value of the first `name` header of the INVITE (case-insensitive,
    /// without the name), e.g. `invite_header("From")`.
    pub fn invite_header(&self, name: &str) -> Option<&str> {
        self.invite
            .as_deref()?
            .lines()
            .skip(1)
            .take_while(|l| !l.trim().is_empty())
            .find_map(|l| {
                let (n, v) = l.split_once(':')?;
                n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
            })
    }
}

/// How the phone process ended.
#[derive(Debug, Clone)]
pub struct PhoneOutcome {
    /// Exit code; `None` if killed. 0: a caller connected and the call was ended by
    /// the far end (or by its own `hangup_after`); a callee answered.
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

    /// Connected and exit code 0, whoever hung up: a caller whose call was ended by
    /// the far end or by its own `hangup_after`, or a callee that answered.
    pub fn completed(&self) -> bool {
        self.exit_code == Some(0) && self.summary.as_ref().is_some_and(|s| s.connected)
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
        Phone::spawn_call(uri, dtmf, record, opts)?.wait()
    }

    /// [`Phone::call`] in the background: the call starts at once, [`PhoneProcess::wait`]
    /// gives its outcome.
    pub fn spawn_call(
        uri: &str,
        dtmf: &str,
        record: Option<&Path>,
        opts: &PhoneOptions,
    ) -> Result<PhoneProcess> {
        let mut args: Vec<String> = vec![
            "--uri".into(),
            uri.into(),
            "--dtmf".into(),
            dtmf.into(),
            "--dtmf-after".into(),
            opts.dtmf_after.as_secs_f64().to_string(),
            "--timeout".into(),
            opts.timeout.as_secs_f64().to_string(),
            "--from-user".into(),
            opts.from_user.clone(),
        ];
        if let Some(path) = record {
            args.extend(["--record".into(), path.to_string_lossy().into_owned()]);
        }
        push_media_args(
            &mut args,
            opts.tone,
            opts.hangup_after,
            &opts.codecs,
            &opts.play,
        );
        PhoneProcess::spawn(&args, opts.timeout)
    }

    /// Starts a callee (`phone.py --listen`) and waits until it can take a call (at
    /// most 10 s; with [`CalleeOptions::register`], until it registered, or fails
    /// with its log, which says `phone.py: registered <status>`). It answers the first INVITE: 180, then 200 after
    /// `opts.answer_after`; stays until the far end hangs up, `opts.hangup_after`, or
    /// `opts.timeout`. Killed on drop.
    pub fn listen(opts: &CalleeOptions) -> Result<Callee> {
        let mut args: Vec<String> = vec![
            "--listen".into(),
            opts.port.unwrap_or(0).to_string(),
            "--user".into(),
            opts.user.clone(),
            "--answer-after".into(),
            opts.answer_after.as_secs_f64().to_string(),
            "--timeout".into(),
            opts.timeout.as_secs_f64().to_string(),
        ];
        if let Some(path) = &opts.record {
            args.extend(["--record".into(), path.to_string_lossy().into_owned()]);
        }
        if let Some(r) = &opts.register {
            args.extend([
                "--register".into(),
                r.registrar.clone(),
                "--proxy".into(),
                r.proxy.clone(),
                "--password".into(),
                r.password.clone(),
            ]);
        }
        if !opts.dtmf.is_empty() {
            args.extend([
                "--dtmf".into(),
                opts.dtmf.clone(),
                "--dtmf-after".into(),
                opts.dtmf_after.as_secs_f64().to_string(),
            ]);
        }
        push_media_args(
            &mut args,
            opts.tone,
            opts.hangup_after,
            &opts.codecs,
            &opts.play,
        );
        let mut process = PhoneProcess::spawn(&args, opts.timeout)?;
        let port = process.wait_listening(Duration::from_secs(10))?;
        Ok(Callee {
            process,
            port,
            user: opts.user.clone(),
        })
    }
}

fn push_media_args(
    args: &mut Vec<String>,
    tone: Option<f64>,
    hangup_after: Option<Duration>,
    codecs: &[String],
    play: &Option<PathBuf>,
) {
    if let Some(path) = play {
        args.extend(["--play".into(), path.to_string_lossy().into_owned()]);
    }
    if let Some(hz) = tone {
        args.extend(["--tone".into(), hz.to_string()]);
    }
    if let Some(after) = hangup_after {
        args.extend(["--hangup-after".into(), after.as_secs_f64().to_string()]);
    }
    if !codecs.is_empty() {
        args.extend(["--codecs".into(), codecs.join(",")]);
    }
}

/// A phone running in the background; killed on drop.
#[derive(Debug)]
pub struct PhoneProcess {
    child: Guarded,
    limit: Duration,
    started: Instant,
    stdout: PathBuf,
    stderr: PathBuf,
    _dir: tempfile::TempDir,
}

impl PhoneProcess {
    fn spawn(args: &[String], timeout: Duration) -> Result<PhoneProcess> {
        let dir = tempfile::tempdir()?;
        let stdout = dir.path().join("stdout.json");
        let stderr = dir.path().join("stderr.txt");
        let mut cmd = Command::new("python3");
        cmd.arg(crate::peer_script("phone.py"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout)?)
            .stderr(std::fs::File::create(&stderr)?);
        let child = Guarded::spawn(cmd, "phone.py")?;
        Ok(PhoneProcess {
            child,
            limit: timeout + Duration::from_secs(15),
            started: Instant::now(),
            stdout,
            stderr,
            _dir: dir,
        })
    }

    /// PJSIP's log so far (and any Python traceback).
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// The phone has not exited yet.
    pub fn is_running(&mut self) -> Result<bool> {
        Ok(self.child.try_wait()?.is_none())
    }

    fn wait_listening(&mut self, timeout: Duration) -> Result<u16> {
        const MARK: &str = "phone.py: listening on 127.0.0.1:";
        let deadline = Instant::now() + timeout;
        loop {
            let log = self.stderr();
            if let Some(at) = log.find(MARK) {
                let rest = &log[at + MARK.len()..];
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                if rest.len() > digits.len() {
                    return digits
                        .parse()
                        .with_context(|| format!("bad listening line: {log}"));
                }
            }
            if let Some(status) = self.child.try_wait()? {
                anyhow::bail!("phone.py exited ({status}) before listening:\n{log}");
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "phone.py not listening after {timeout:?}:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the phone to end by itself (it is killed 15 s after its own timeout)
    /// and reads its summary.
    pub fn wait(mut self) -> Result<PhoneOutcome> {
        let left = self.limit.saturating_sub(self.started.elapsed());
        let status = self.child.wait_timeout(left)?;
        self.child.kill();
        self.outcome(status.and_then(|s| s.code()))
    }

    /// Tells the phone to stop now (SIGTERM: it hangs up if in a call, as
    /// [`HangUp::Stopped`], and prints its summary) and collects the outcome.
    pub fn stop(mut self) -> Result<PhoneOutcome> {
        if self.child.try_wait()?.is_none() {
            self.child.signal("TERM")?;
        }
        let status = self.child.wait_timeout(Duration::from_secs(5))?;
        self.child.kill();
        self.outcome(status.and_then(|s| s.code()))
    }

    fn outcome(&self, exit_code: Option<i32>) -> Result<PhoneOutcome> {
        let out = std::fs::read_to_string(&self.stdout).context("reading phone stdout")?;
        let summary = out
            .lines()
            .rev()
            .find(|l| l.trim_start().starts_with('{'))
            .map(serde_json::from_str)
            .transpose()
            .with_context(|| format!("phone printed a bad summary: {out}"))?;
        Ok(PhoneOutcome {
            exit_code,
            summary,
            stderr: self.stderr(),
        })
    }
}

/// A callee phone waiting for (or in) its call; killed on drop.
#[derive(Debug)]
pub struct Callee {
    process: PhoneProcess,
    port: u16,
    user: String,
}

impl Callee {
    /// The UDP port it takes calls on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `sip:<user>@127.0.0.1:<port>`, e.g. for `<Dial><Sip>`.
    pub fn uri(&self) -> String {
        format!("sip:{}@127.0.0.1:{}", self.user, self.port)
    }

    /// The phone has not exited yet.
    pub fn is_running(&mut self) -> Result<bool> {
        self.process.is_running()
    }

    /// PJSIP's log so far.
    pub fn stderr(&self) -> String {
        self.process.stderr()
    }

    /// Waits for the phone to end (far end's BYE, `hangup_after` or `timeout`);
    /// [`PhoneOutcome::completed`] if it answered, [`PhoneOutcome::success`] if the far
    /// end then hung up.
    pub fn wait(self) -> Result<PhoneOutcome> {
        self.process.wait()
    }

    /// Stops it now (see [`PhoneProcess::stop`]).
    pub fn stop(self) -> Result<PhoneOutcome> {
        self.process.stop()
    }
}

/// What a stretch of a recording sounds like, from [`tone_report`].
#[derive(Debug, Clone, PartialEq)]
pub struct ToneReport {
    /// Length of the analysed stretch in seconds (shorter than asked if the
    /// recording is).
    pub seconds: f64,
    /// RMS of the stretch, 0..=32768 ([`crate::audio::rms`]).
    pub rms: f64,
    /// RMS of the component at the asked frequency alone (a pure tone: about `rms`).
    pub level: f64,
    /// Share (0..=1) of the energy at the asked frequency (see
    /// [`crate::audio::tone_share`]), measured per 100 ms so that the phase breaks of
    /// a jitter buffer do not count against it.
    pub share: f64,
    /// The strongest frequency, to about 1 Hz; `None` for silence (RMS below 100).
    pub dominant: Option<f64>,
}

/// Samples of `wav` between `window.start` and `window.end` (clamped to its length).
pub fn wav_window(wav: &Wav, window: Range<Duration>) -> &[i16] {
    let at =
        |d: Duration| ((d.as_secs_f64() * f64::from(wav.rate)) as usize).min(wav.samples.len());
    let (from, to) = (at(window.start), at(window.end));
    &wav.samples[from.min(to)..to]
}

/// Reads the WAV at `path` (e.g. a phone's `record`) and reports on `window` of it:
/// loudness, energy at `freq` Hz (Goertzel) and the dominant frequency.
pub fn tone_report(path: &Path, freq: f64, window: Range<Duration>) -> Result<ToneReport> {
    let wav = Wav::read(path)?;
    Ok(ToneReport::of(wav_window(&wav, window), wav.rate, freq))
}

impl ToneReport {
    /// [`tone_report`] on samples already read (all of them).
    pub fn of(samples: &[i16], rate: u32, freq: f64) -> ToneReport {
        let (at_freq, energy) = chunked_power(samples, rate, freq);
        ToneReport {
            seconds: samples.len() as f64 / f64::from(rate),
            rms: rms(samples),
            level: tone_level(samples, rate, freq),
            share: if energy > 0.0 {
                (at_freq / energy).min(1.0)
            } else {
                0.0
            },
            dominant: dominant_frequency(samples, rate),
        }
    }
}

/// RMS of the component at `freq` Hz alone (Goertzel per 100 ms), in the units of
/// [`crate::audio::rms`]: about `rms` for a pure tone at `freq`, near 0 without it.
pub fn tone_level(samples: &[i16], rate: u32, freq: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    (chunked_power(samples, rate, freq).0 / samples.len() as f64).sqrt()
}

/// The strongest frequency between 50 Hz and 4 kHz (telephone band) of `samples`, to
/// about 1 Hz; `None` if they are near silence (RMS below 100).
pub fn dominant_frequency(samples: &[i16], rate: u32) -> Option<f64> {
    if rms(samples) < 100.0 {
        return None;
    }
    let top = (f64::from(rate) / 2.0 - 50.0).min(4000.0);
    let power = |f: f64| chunked_power(samples, rate, f).0;
    // 100 ms chunks resolve 10 Hz: a coarse 10 Hz sweep cannot step over a peak, then
    // refine around the best by 0.5 Hz.
    let best = |from: f64, to: f64, step: f64| {
        let mut f = from;
        let (mut best_f, mut best_p) = (from, f64::MIN);
        while f <= to {
            let p = power(f);
            if p > best_p {
                (best_f, best_p) = (f, p);
            }
            f += step;
        }
        best_f
    };
    let coarse = best(50.0, top, 10.0);
    Some(best((coarse - 10.0).max(1.0), coarse + 10.0, 0.5))
}

/// Goertzel energy at `freq` summed over 100 ms chunks, and the total energy.
fn chunked_power(samples: &[i16], rate: u32, freq: f64) -> (f64, f64) {
    let chunk = (rate as usize / 10).max(1);
    let w = 2.0 * std::f64::consts::PI * freq / f64::from(rate);
    let coeff = 2.0 * w.cos();
    let (mut at_freq, mut energy) = (0.0, 0.0);
    for part in samples.chunks(chunk) {
        let (mut s1, mut s2) = (0.0f64, 0.0f64);
        for &x in part {
            let x = f64::from(x);
            energy += x * x;
            let s0 = x + coeff * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        // A sinusoid of energy E in n samples gives a Goertzel power of about E * n / 2.
        let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
        at_freq += 2.0 * power / part.len() as f64;
    }
    (at_freq, energy)
}

/// One character per `step` of the recording at `path`, for assertions and messages:
/// `.` silence (RMS below 200), `T` the tone at `freq` (share above 0.8), `t` mostly
/// that tone (share above 0.3, e.g. a window spliced by a jitter buffer), `S` another
/// sound.
pub fn tone_picture(path: &Path, freq: f64, step: Duration) -> Result<String> {
    let wav = Wav::read(path)?;
    let win = ((step.as_secs_f64() * f64::from(wav.rate)) as usize).max(1);
    Ok(wav
        .samples
        .chunks(win)
        .map(|w| {
            let share = crate::audio::tone_share(w, wav.rate, freq);
            if rms(w) < 200.0 {
                '.'
            } else if share > 0.8 {
                'T'
            } else if share > 0.3 {
                't'
            } else {
                'S'
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, rate: u32, n: usize, amp: f64) -> Vec<i16> {
        (0..n)
            .map(|i| {
                (amp * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin())
                    as i16
            })
            .collect()
    }

    #[test]
    fn finds_the_dominant_frequency_and_the_level() {
        let mut tone = sine(1000.0, 16000, 16000, 8000.0);
        let quiet = sine(600.0, 16000, 16000, 1000.0);
        tone.iter_mut().zip(&quiet).for_each(|(a, b)| *a += b);
        let f = dominant_frequency(&tone, 16000).unwrap();
        assert!((f - 1000.0).abs() <= 1.0, "{f}");
        let r = ToneReport::of(&tone, 16000, 1000.0);
        assert!((r.level - 8000.0 / 2f64.sqrt()).abs() < 100.0, "{r:?}");
        assert!(r.share > 0.95, "{r:?}");
        let low = ToneReport::of(&tone, 16000, 600.0);
        assert!((low.level - 1000.0 / 2f64.sqrt()).abs() < 50.0, "{low:?}");
        assert!(tone_level(&tone, 16000, 2000.0) < 50.0);
        let odd = sine(437.0, 8000, 4000, 5000.0);
        let f = dominant_frequency(&odd, 8000).unwrap();
        assert!((f - 437.0).abs() <= 1.0, "{f}");
        assert_eq!(dominant_frequency(&[0; 8000], 8000), None);
    }

    #[test]
    fn windows_clamp_to_the_recording() {
        let samples: Vec<i16> = (0..16000).map(|i| i as i16).collect();
        let wav = Wav {
            rate: 8000,
            channels: vec![samples.clone()],
            samples,
        };
        let w = wav_window(&wav, Duration::from_millis(500)..Duration::from_secs(1));
        assert_eq!((w.len(), w[0]), (4000, 4000));
        assert_eq!(
            wav_window(&wav, Duration::from_secs(1)..Duration::from_secs(9)).len(),
            8000
        );
        assert!(wav_window(&wav, Duration::from_secs(5)..Duration::from_secs(9)).is_empty());
    }

    #[test]
    fn reads_the_invite() {
        let s: PhoneSummary = serde_json::from_value(serde_json::json!({
            "connected": false, "ended_by_remote": true, "disconnect_reason": "Request Terminated",
            "last_status": 487, "record": null, "duration": 0.0, "elapsed": 1.0,
            "dtmf_sent": "", "dtmf_received": "", "states": ["INCOMING", "DISCONNECTED"],
            "error": null, "hung_up_by": "remote", "port": 5070,
            "invite": "INVITE sip:bob@127.0.0.1:5070 SIP/2.0\r\nFrom: <sip:+1555@x>;tag=1\r\nX-A: b\r\n\r\nv=0\r\n",
        }))
        .unwrap();
        assert!(s.cancelled());
        assert_eq!(s.hung_up_by, Some(HangUp::Remote));
        assert_eq!(s.request_uri(), Some("sip:bob@127.0.0.1:5070"));
        assert_eq!(s.invite_header("from"), Some("<sip:+1555@x>;tag=1"));
        assert_eq!(s.invite_header("v"), None);
    }
}
