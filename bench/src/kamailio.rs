//! Kamailio as the stateless reference responder of the `overload` benchmark: a minimal
//! config (written to a temporary directory) that answers every INVITE with 200 by
//! `sl_send_reply` and absorbs the ACK, bound to 127.0.0.1.

use crate::node::free_port;
use crate::procs::Guarded;
use anyhow::{bail, Context, Result};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Debian's module directory (`apt-get install kamailio`).
const MODULES: &str = "/usr/lib/x86_64-linux-gnu/kamailio/modules/";

/// A running Kamailio; stopped when dropped.
#[derive(Debug)]
pub struct Kamailio {
    _child: Guarded,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

/// The config: two worker processes (one per core here), no transaction state.
pub fn config(port: u16, children: usize) -> String {
    format!(
        "#!KAMAILIO\ndebug=0\nlog_stderror=yes\nfork=yes\nchildren={children}\n\
         auto_aliases=no\nlisten=udp:127.0.0.1:{port}\nmpath=\"{MODULES}\"\n\
         loadmodule \"sl.so\"\n\
         request_route {{\n    if (method==\"ACK\") {{ exit; }}\n    \
         sl_send_reply(\"200\", \"OK\");\n    exit;\n}}\n"
    )
}

/// `kamailio -v`'s first line.
pub fn version(binary: &str) -> String {
    Command::new(binary)
        .arg("-v")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown version".into())
}

impl Kamailio {
    /// Starts `binary` with [`config`] and waits until it answers.
    pub fn start(binary: &str, children: usize) -> Result<Kamailio> {
        let dir = tempfile::tempdir()?;
        let port = free_port()?;
        let cfg = dir.path().join("kamailio.cfg");
        std::fs::write(&cfg, config(port, children))?;
        let mut cmd = Command::new(binary);
        cmd.arg("-f")
            .arg(&cfg)
            .args(["-DD", "-E", "-m", "64", "-M", "8", "-Y"])
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("stderr.txt"))?);
        let mut child = Guarded::spawn(cmd, "kamailio")
            .context("kamailio not found: `scripts/install-deps --bench` installs it")?;
        std::thread::sleep(Duration::from_millis(800));
        if child.exited()? {
            let log = std::fs::read_to_string(dir.path().join("stderr.txt")).unwrap_or_default();
            bail!("kamailio exited at start:\n{log}");
        }
        Ok(Kamailio {
            _child: child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            _dir: dir,
        })
    }

    /// Where to send the INVITEs.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_answers_statelessly_on_loopback() {
        let c = config(5070, 2);
        assert!(c.contains("listen=udp:127.0.0.1:5070"));
        assert!(c.contains("sl_send_reply(\"200\", \"OK\")"));
        assert!(c.contains("children=2"));
        assert!(!c.contains("tm.so"), "no transaction state");
    }
}
