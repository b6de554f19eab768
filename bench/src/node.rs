//! A `switchyard` node started for the benchmark, with its own config and data dir.
//!
//! The benchmark starts the binary itself (not through `timeout(1)` as the e2e harness
//! does) so that the process it samples in `/proc` is the node and not a wrapper.

use crate::procs::Guarded;
use anyhow::{bail, Result};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The account every benchmark number belongs to.
pub const ACCOUNT_SID: &str = "AC0000000000000000000000000000be01";
/// The account's auth token (HTTP Basic password of the REST API).
pub const AUTH_TOKEN: &str = "bench-token";
/// The number that is dialled.
pub const NUMBER: &str = "+15550001111";

/// A running node; killed when dropped.
#[derive(Debug)]
pub struct Node {
    child: Guarded,
    sip: SocketAddr,
    http: SocketAddr,
    stderr: PathBuf,
    _dir: tempfile::TempDir,
}

/// The node binary: `$SWITCHYARD_BIN`, else `switchyard` next to this executable
/// (both are built into the same `target/<profile>/`).
pub fn node_binary() -> Result<PathBuf> {
    if let Some(bin) = std::env::var_os("SWITCHYARD_BIN") {
        return Ok(PathBuf::from(bin));
    }
    let exe = std::env::current_exe()?;
    let candidate = exe.with_file_name("switchyard");
    if candidate.is_file() {
        return Ok(candidate);
    }
    bail!(
        "no node binary at {}: build it with `cargo build --release -p switchyard-node` \
         (same CARGO_TARGET_DIR) or set SWITCHYARD_BIN",
        candidate.display()
    )
}

impl Node {
    /// Starts a node whose [`NUMBER`] is served by `voice_url` (POST), with RTP ports
    /// `rtp` (inclusive), and waits until `/healthz` answers.
    pub fn start(voice_url: &str, rtp: (u16, u16)) -> Result<Node> {
        Node::start_with(voice_url, rtp, "")
    }

    /// [`Node::start`] with `account_extra` (TOML lines such as `calls_per_second = 0.5`)
    /// added to the [`ACCOUNT_SID`] account.
    pub fn start_with(voice_url: &str, rtp: (u16, u16), account_extra: &str) -> Result<Node> {
        Node::start_config(voice_url, rtp, account_extra, "", "")
    }

    /// [`Node::start`] with `sip_extra` (TOML lines) added to the `[sip]` section.
    pub fn start_sip(voice_url: &str, rtp: (u16, u16), sip_extra: &str) -> Result<Node> {
        Node::start_config(voice_url, rtp, "", sip_extra, "")
    }

    /// [`Node::start`] with `tables` (whole TOML tables such as `[metering]`) at the end
    /// of the config.
    pub fn start_tables(voice_url: &str, rtp: (u16, u16), tables: &str) -> Result<Node> {
        Node::start_config(voice_url, rtp, "", "", tables)
    }

    fn start_config(
        voice_url: &str,
        rtp: (u16, u16),
        account_extra: &str,
        sip_extra: &str,
        tables: &str,
    ) -> Result<Node> {
        let dir = tempfile::tempdir()?;
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data)?;
        let sip_port = free_port()?;
        let http_port = free_port()?;
        // The benchmarks measure the node, not a tenant's cap on calls up at once (100 by
        // default, inbound calls included), unless a benchmark sets one.
        let cap = if account_extra.contains("max_concurrent_calls") {
            ""
        } else {
            "max_concurrent_calls = 1000000\n"
        };
        let config = format!(
            "[node]\ndata_dir = {data:?}\n\n[sip]\nlisten = \"127.0.0.1:{sip_port}\"\n{sip_extra}\n\n\
             [http]\nlisten = \"127.0.0.1:{http_port}\"\n\n[media]\nrtp_ip = \"127.0.0.1\"\n\
             rtp_port_min = {}\nrtp_port_max = {}\n\n[[accounts]]\nsid = \"{ACCOUNT_SID}\"\n\
             auth_token = \"{AUTH_TOKEN}\"\n{cap}{account_extra}\n\n[[numbers]]\nnumber = \"{NUMBER}\"\n\
             account_sid = \"{ACCOUNT_SID}\"\nvoice_url = \"{voice_url}\"\nvoice_method = \"POST\"\n\n{tables}\n",
            rtp.0, rtp.1
        );
        let config_path = dir.path().join("switchyard.toml");
        std::fs::write(&config_path, config)?;
        let stderr = dir.path().join("stderr.txt");
        let mut cmd = Command::new(node_binary()?);
        cmd.arg("up")
            .arg("--config")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr)?);
        let child = Guarded::spawn(cmd, "switchyard")?;
        let mut node = Node {
            child,
            sip: SocketAddr::from(([127, 0, 0, 1], sip_port)),
            http: SocketAddr::from(([127, 0, 0, 1], http_port)),
            stderr,
            _dir: dir,
        };
        node.wait_healthy(http_port, Duration::from_secs(20))?;
        Ok(node)
    }

    fn wait_healthy(&mut self, http_port: u16, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.child.exited()? {
                bail!("the node exited before /healthz:\n{}", self.stderr_tail(20));
            }
            if healthz(http_port).unwrap_or(false) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!(
            "node /healthz not ok after {timeout:?}:\n{}",
            self.stderr_tail(20)
        )
    }

    /// The node's SIP address (UDP).
    pub fn sip(&self) -> SocketAddr {
        self.sip
    }

    /// The node's HTTP (REST API) address.
    pub fn http(&self) -> SocketAddr {
        self.http
    }

    /// The node's data directory (its store).
    pub fn data_dir(&self) -> PathBuf {
        self._dir.path().join("data")
    }

    /// The node's process id.
    pub fn pid(&self) -> u32 {
        self.child.pid()
    }

    /// Whether the node is still running.
    pub fn alive(&mut self) -> bool {
        !self.child.exited().unwrap_or(true)
    }

    /// The last `n` lines the node wrote to stderr.
    pub fn stderr_tail(&self, n: usize) -> String {
        let text = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Lines of stderr at WARN or ERROR level (at most `n`, the first ones) and how many
    /// there were in all.
    pub fn warnings(&self, n: usize) -> (usize, Vec<String>) {
        let text = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        let bad: Vec<&str> = text
            .lines()
            .filter(|l| l.contains(" WARN ") || l.contains(" ERROR "))
            .collect();
        (
            bad.len(),
            bad.iter().take(n).map(|s| s.to_string()).collect(),
        )
    }
}

/// One `GET /healthz`: true on `200` with body `ok`.
fn healthz(port: u16) -> Result<bool> {
    let reply = get(port, "/healthz")?;
    Ok(reply.starts_with("HTTP/1.1 200") && reply.trim_end().ends_with("ok"))
}

/// One `GET path` of the node's HTTP port over a raw TCP connection: the whole reply,
/// status line and headers included.
pub fn get(port: u16, path: &str) -> Result<String> {
    let mut s = TcpStream::connect_timeout(
        &SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(500),
    )?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )?;
    let mut reply = String::new();
    s.read_to_string(&mut reply)?;
    Ok(reply)
}

/// A port on 127.0.0.1 free for both UDP and TCP at the moment of the check (SIP
/// listens on both).
pub fn free_port() -> Result<u16> {
    for _ in 0..200 {
        let udp = UdpSocket::bind("127.0.0.1:0")?;
        let port = udp.local_addr()?.port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    bail!("no port free for both UDP and TCP after 200 tries")
}
