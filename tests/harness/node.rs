//! A real `switchyard` node on loopback.

use crate::http::{request, HttpResponse};
use crate::ports::{free_port, free_udp_block};
use crate::process::Guarded;
use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// An `[[accounts]]` entry.
#[derive(Debug, Clone, Serialize)]
pub struct AccountConfig {
    /// `AC…` SID.
    pub sid: String,
    /// HTTP Basic password and `X-Twilio-Signature` key.
    pub auth_token: String,
    /// Key of `X-Switchyard-Signature`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_key: Option<String>,
    /// The account's cap on calls up at once; `None`: the node's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_concurrent_calls: Option<u32>,
}

/// A `[[numbers]]` entry.
#[derive(Debug, Clone, Serialize)]
pub struct NumberConfig {
    /// E.164 number, the Request-URI user part that routes to this app.
    pub number: String,
    /// Owning account.
    pub account_sid: String,
    /// Voice webhook.
    pub voice_url: String,
    /// `GET` or `POST`.
    pub voice_method: String,
    /// Fallback webhook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voice_fallback_url: Option<String>,
    /// Fallback method.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voice_fallback_method: Option<String>,
    /// Status callback URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_callback: Option<String>,
    /// Status callback method.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_callback_method: Option<String>,
    /// Events that fire the status callback.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_callback_event: Option<Vec<String>>,
}

impl NumberConfig {
    /// `number` of `account_sid` served by a webhook at `base` (e.g.
    /// [`crate::Webhook::base_url`]): POST `/voice`, fallback POST `/fallback`, status
    /// POST `/status` for all four events.
    pub fn webhook(number: &str, account_sid: &str, base: &str) -> NumberConfig {
        NumberConfig {
            number: number.to_string(),
            account_sid: account_sid.to_string(),
            voice_url: format!("{base}/voice"),
            voice_method: "POST".into(),
            voice_fallback_url: Some(format!("{base}/fallback")),
            voice_fallback_method: Some("POST".into()),
            status_callback: Some(format!("{base}/status")),
            status_callback_method: Some("POST".into()),
            status_callback_event: Some(
                ["initiated", "ringing", "answered", "completed"]
                    .map(String::from)
                    .to_vec(),
            ),
        }
    }
}

/// What to run; ports are chosen by [`Node::start`].
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Accounts (default: [`crate::ACCOUNT_SID`] with its token and signing key).
    pub accounts: Vec<AccountConfig>,
    /// Numbers.
    pub numbers: Vec<NumberConfig>,
    /// How many RTP ports to give the node (a free block is found).
    pub rtp_ports: u16,
    /// How long to wait for `/healthz`.
    pub start_timeout: Duration,
    /// Hard lifetime of the node process (it is run under `timeout(1)`).
    pub lifetime: Duration,
    /// Extra environment for the node, e.g. `("RUST_LOG", "debug")`.
    pub env: Vec<(String, String)>,
    /// The program to run; `None` finds it with [`node_binary`].
    pub binary: Option<PathBuf>,
    /// Arguments placed before `up --config FILE` (for wrappers and stand-ins).
    pub pre_args: Vec<String>,
    /// TOML appended to the generated file (e.g. a `[webhook]` section).
    pub extra_toml: String,
    /// Run `switchyard up` as a newcomer does, with no config file: the demo account and
    /// number (the listen addresses and data directory still come by flags). `accounts`,
    /// `numbers`, `rtp_ports` and `extra_toml` are then unused.
    pub demo: bool,
    /// Listen for SIP over TLS on a free port (else the node tries 5061 and goes
    /// without TLS when another node has it).
    pub sip_tls: bool,
    /// `[sip] inbound` (`any` or `trunks`); `None`: the node's default.
    pub sip_inbound: Option<String>,
    /// `[sip] digest_algorithms` (e.g. `["MD5"]`); empty: the node's default.
    pub sip_digest_algorithms: Vec<String>,
}

impl NodeConfig {
    /// One account ([`crate::ACCOUNT_SID`]), no numbers, 40 RTP ports.
    pub fn new() -> NodeConfig {
        NodeConfig {
            accounts: vec![AccountConfig {
                sid: crate::ACCOUNT_SID.into(),
                auth_token: crate::AUTH_TOKEN.into(),
                signing_key: Some(crate::SIGNING_KEY.into()),
                max_concurrent_calls: None,
            }],
            numbers: Vec::new(),
            rtp_ports: 40,
            start_timeout: Duration::from_secs(20),
            lifetime: Duration::from_secs(300),
            env: Vec::new(),
            binary: None,
            pre_args: Vec::new(),
            extra_toml: String::new(),
            demo: false,
            sip_tls: false,
            sip_inbound: None,
            sip_digest_algorithms: Vec::new(),
        }
    }

    /// The node with no config file: the demo account and number, bound to the built-in
    /// demo app.
    pub fn demo() -> NodeConfig {
        NodeConfig {
            accounts: vec![AccountConfig {
                sid: crate::DEMO_ACCOUNT_SID.into(),
                auth_token: crate::DEMO_AUTH_TOKEN.into(),
                signing_key: None,
                max_concurrent_calls: None,
            }],
            demo: true,
            ..NodeConfig::new()
        }
    }

    /// Adds [`crate::NUMBER`] of the default account, served by the webhook at `base`.
    pub fn with_webhook(mut self, base: &str) -> NodeConfig {
        self.numbers.push(NumberConfig::webhook(
            crate::NUMBER,
            crate::ACCOUNT_SID,
            base,
        ));
        self
    }
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig::new()
    }
}

#[derive(Serialize)]
struct Toml<'a> {
    node: TomlNode,
    sip: TomlSip,
    http: Listen,
    media: TomlMedia,
    accounts: &'a [AccountConfig],
    numbers: &'a [NumberConfig],
}

#[derive(Serialize)]
struct TomlNode {
    data_dir: PathBuf,
}

#[derive(Serialize)]
struct Listen {
    listen: String,
}

#[derive(Serialize)]
struct TomlSip {
    listen: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inbound: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    digest_algorithms: Vec<String>,
}

#[derive(Serialize)]
struct TomlMedia {
    rtp_ip: String,
    rtp_port_min: u16,
    rtp_port_max: u16,
}

/// A running node; killed on drop, its stderr printed if the test is failing.
#[derive(Debug)]
pub struct Node {
    child: Guarded,
    sip_port: u16,
    tls_port: Option<u16>,
    http_port: u16,
    rtp: (u16, u16),
    accounts: Vec<AccountConfig>,
    stderr: PathBuf,
    config_path: PathBuf,
    dir: tempfile::TempDir,
    /// What [`Node::restart_same_data`] runs again.
    launch: Launch,
    /// Its data directory.
    data_dir: PathBuf,
}

/// How the node process was launched, kept so it can be started again on the same
/// config file and data directory.
#[derive(Debug, Clone)]
struct Launch {
    binary: PathBuf,
    pre_args: Vec<String>,
    env: Vec<(String, String)>,
    lifetime: Duration,
    start_timeout: Duration,
    /// What follows `up`.
    up_args: Vec<String>,
}

/// The node binary: `$SWITCHYARD_BIN`, else `switchyard` in the target directory
/// of the running test executable (`target/<profile>/deps/e2e-…` → `target/<profile>/`).
pub fn node_binary() -> Result<PathBuf> {
    if let Some(bin) = std::env::var_os("SWITCHYARD_BIN") {
        return Ok(PathBuf::from(bin));
    }
    let exe = std::env::current_exe()?;
    let mut dir = exe.parent();
    while let Some(d) = dir {
        let candidate = d.join("switchyard");
        if candidate.is_file() {
            return Ok(candidate);
        }
        if d.file_name().is_some_and(|n| n == "target") {
            break;
        }
        dir = d.parent();
    }
    bail!(
        "no switchyard binary next to {}: run `cargo build -p switchyard-node` with the same \
         CARGO_TARGET_DIR, or set SWITCHYARD_BIN",
        exe.display()
    )
}

impl Node {
    /// Writes the config, starts `switchyard up --config FILE` and waits until
    /// `GET /healthz` answers 200 `ok`.
    pub fn start(config: NodeConfig) -> Result<Node> {
        let binary = match &config.binary {
            Some(b) => b.clone(),
            None => node_binary()?,
        };
        let dir = tempfile::tempdir()?;
        let data_dir = dir.path().join("data");
        std::fs::create_dir_all(&data_dir)?;
        let sip_port = free_port()?;
        let tls_port = if config.sip_tls {
            Some(free_port()?)
        } else {
            None
        };
        let http_port = free_port()?;
        let rtp_min = free_udp_block(config.rtp_ports)?;
        let rtp = (rtp_min, rtp_min + config.rtp_ports - 1);
        let toml = toml::to_string(&Toml {
            node: TomlNode {
                data_dir: data_dir.clone(),
            },
            sip: TomlSip {
                listen: format!("127.0.0.1:{sip_port}"),
                tls_listen: tls_port.map(|p| format!("127.0.0.1:{p}")),
                inbound: config.sip_inbound.clone(),
                digest_algorithms: config.sip_digest_algorithms.clone(),
            },
            http: Listen {
                listen: format!("127.0.0.1:{http_port}"),
            },
            media: TomlMedia {
                rtp_ip: "127.0.0.1".into(),
                rtp_port_min: rtp.0,
                rtp_port_max: rtp.1,
            },
            accounts: &config.accounts,
            numbers: &config.numbers,
        })?;
        let config_path = dir.path().join("switchyard.toml");
        std::fs::write(&config_path, format!("{toml}\n{}\n", config.extra_toml))?;
        let stderr = dir.path().join("stderr.txt");
        let up_args = if config.demo {
            vec![
                format!("--sip-listen=127.0.0.1:{sip_port}"),
                format!("--http-listen=127.0.0.1:{http_port}"),
                format!("--data-dir={}", data_dir.display()),
            ]
        } else {
            vec!["--config".into(), config_path.display().to_string()]
        };
        let launch = Launch {
            binary,
            pre_args: config.pre_args,
            env: config.env,
            lifetime: config.lifetime,
            start_timeout: config.start_timeout,
            up_args,
        };
        let cmd = launch.command(dir.path(), &stderr)?;
        let child = Guarded::spawn(cmd, "switchyard")?;
        let mut node = Node {
            child,
            sip_port,
            tls_port,
            http_port,
            rtp,
            accounts: config.accounts,
            stderr,
            config_path,
            dir,
            launch,
            data_dir,
        };
        node.wait_healthy(node.launch.start_timeout)?;
        Ok(node)
    }

    fn wait_healthy(&mut self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "switchyard exited ({status}) before /healthz:\n{}",
                    self.stderr()
                );
            }
            let r = request("GET", &self.http_url("/healthz"))
                .timeout(Duration::from_millis(500))
                .call();
            if let Ok(r) = r {
                if r.status == 200 && r.text().trim() == "ok" {
                    return Ok(());
                }
            }
            if Instant::now() >= deadline {
                bail!(
                    "switchyard /healthz not ok after {timeout:?}:\n{}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIP over TLS port on 127.0.0.1 (with [`NodeConfig::sip_tls`]).
    pub fn sip_tls_port(&self) -> Option<u16> {
        self.tls_port
    }

    /// SIP port (UDP and TCP) on 127.0.0.1.
    pub fn sip_port(&self) -> u16 {
        self.sip_port
    }

    /// `127.0.0.1:<sip port>`: the remote host argument for sipp.
    pub fn sip_target(&self) -> String {
        format!("127.0.0.1:{}", self.sip_port)
    }

    /// `sip:<number>@127.0.0.1:<sip port>`: what a phone dials.
    pub fn sip_uri(&self, number: &str) -> String {
        format!("sip:{number}@127.0.0.1:{}", self.sip_port)
    }

    /// The RTP port range given to the node (inclusive).
    pub fn rtp_range(&self) -> (u16, u16) {
        self.rtp
    }

    /// `http://127.0.0.1:<http port><path>`.
    pub fn http_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.http_port)
    }

    /// The node's data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.clone()
    }

    /// The TOML file the node was started with.
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// The first account's `(AccountSid, AuthToken)`, the REST API's Basic credentials.
    pub fn credentials(&self) -> Result<(String, String)> {
        let a = self.accounts.first().context("node has no account")?;
        Ok((a.sid.clone(), a.auth_token.clone()))
    }

    /// GET `path` with the first account's Basic credentials; any status.
    pub fn get(&self, path: &str) -> Result<HttpResponse> {
        let a = self.accounts.first().context("node has no account")?;
        request("GET", &self.http_url(path))
            .basic_auth(&a.sid, &a.auth_token)
            .call()
    }

    /// GET `path` with the first account's Basic credentials and parse the JSON;
    /// fails unless the status is 200.
    pub fn get_json(&self, path: &str) -> Result<serde_json::Value> {
        let r = self.get(path)?;
        anyhow::ensure!(r.status == 200, "GET {path}: {} {}", r.status, r.text());
        r.json()
    }

    /// Whether the node process is still running.
    pub fn is_running(&mut self) -> Result<bool> {
        Ok(self.child.try_wait()?.is_none())
    }

    /// Everything the node wrote to stdout so far.
    pub fn stdout(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stdout.txt")).unwrap_or_default()
    }

    /// Everything the node wrote to stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Launch {
    /// `timeout --signal=KILL <lifetime> <binary> <pre_args> up --config FILE` (or the
    /// demo's flags), stdout and stderr into files of `dir` (appended, so a restart keeps
    /// the first run's output).
    fn command(&self, dir: &Path, stderr: &Path) -> Result<Command> {
        let mut cmd = Command::new("timeout");
        cmd.args(["--signal=KILL", &self.lifetime.as_secs().max(1).to_string()])
            .arg(&self.binary)
            .args(&self.pre_args)
            .arg("up")
            .args(&self.up_args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(dir.join("stdout.txt"))?,
            )
            .stderr(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(stderr)?,
            );
        Ok(cmd)
    }
}

impl Node {
    /// PID of the `switchyard` process itself (the node runs as a child of `timeout(1)`,
    /// whose own PID is not the one to signal for a crash test).
    pub fn pid(&self) -> Result<u32> {
        let parent = self.child.id();
        for entry in std::fs::read_dir("/proc")? {
            let entry = entry?;
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            // `/proc/PID/stat`: "pid (comm) state ppid …"; comm may contain spaces, so
            // split after the last ')'.
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            let Some((_, rest)) = stat.rsplit_once(')') else {
                continue;
            };
            let ppid = rest
                .split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u32>().ok());
            if ppid == Some(parent) {
                return Ok(pid);
            }
        }
        bail!("no child process of timeout({parent}) found")
    }

    /// Crashes the node: SIGKILL to the `switchyard` process (no shutdown code runs), then
    /// waits until its `timeout(1)` wrapper has exited.
    pub fn kill9(&mut self) -> Result<()> {
        let pid = self.pid()?;
        let status = Command::new("kill")
            .args(["-s", "KILL", &pid.to_string()])
            .status()
            .context("running kill")?;
        anyhow::ensure!(status.success(), "kill -s KILL {pid} failed");
        anyhow::ensure!(
            self.child.wait_timeout(Duration::from_secs(10))?.is_some(),
            "timeout(1) still running 10 s after its node was killed"
        );
        Ok(())
    }

    /// Starts the node again with the same config file, ports and data directory (after
    /// [`Node::kill9`] or an exit) and waits for `/healthz`.
    pub fn restart_same_data(&mut self) -> Result<()> {
        anyhow::ensure!(
            self.child.try_wait()?.is_some(),
            "restart_same_data: the node is still running"
        );
        let cmd = self.launch.command(self.dir.path(), &self.stderr)?;
        self.child = Guarded::spawn(cmd, "switchyard")?;
        self.wait_healthy(self.launch.start_timeout)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.child.kill();
        // The node is gone: its RTP ports may serve the suite's next nodes.
        crate::ports::release_udp_block(self.rtp.0, self.rtp.1 - self.rtp.0 + 1);
        if std::thread::panicking() {
            eprintln!(
                "----- switchyard stderr (sip {}, http {}) -----\n{}\n----- end -----",
                self.sip_port,
                self.http_port,
                self.stderr()
            );
        }
    }
}
