//! The far end of the `bridge` benchmark's bridged calls: a sipp callee
//! (`bench/sipp/uas_bridge.xml`) that answers and waits for BYE, and an RTP echo that
//! sends every packet back to where it came from: sipp's own (`-rtp_echo`, one thread,
//! `recvfrom` then `sendto`, the kernel's default receive buffer) or the benchmark's (one
//! thread, `recvmmsg`/`sendmmsg` on a socket with a 32 MiB receive buffer).

use crate::bridge_gen::{recv_batch, BUF};
use crate::node::free_port;
use crate::procs::Guarded;
use crate::rate::scenario;
use anyhow::{Context, Result};
use nix::sys::socket::{sendmmsg, setsockopt, sockopt, MsgFlags, MultiHeaders, SockaddrIn};
use std::io::IoSlice;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Which echo returns the RTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EchoKind {
    /// sipp's `-rtp_echo` on the callee's media port.
    Sipp,
    /// A `recvmmsg`/`sendmmsg` thread in the benchmark.
    Bench,
}

/// Thread name of the benchmark's echo.
pub const ECHO_THREAD: &str = "becho";

/// A sipp callee and its echo; both stop when dropped.
#[derive(Debug)]
pub struct Callee {
    sipp: Guarded,
    /// Where INVITEs go.
    pub sip: SocketAddr,
    /// Where RTP goes (the port its SDP names).
    pub media: SocketAddr,
    /// Held so the benchmark's echo runs as long as the callee.
    _echo: Option<BenchEcho>,
}

impl Callee {
    /// Starts the callee on free ports with its files in `dir`; it stops by itself after
    /// `lifetime`.
    pub fn start(kind: EchoKind, dir: &Path, lifetime: Duration) -> Result<Callee> {
        std::fs::create_dir_all(dir)?;
        let sip_port = free_port()?;
        let sipp_media = media_port()?;
        let echo = match kind {
            EchoKind::Sipp => None,
            EchoKind::Bench => Some(BenchEcho::start()?),
        };
        let media_port = echo.as_ref().map_or(sipp_media, |e| e.port);
        let mut cmd = Command::new("sipp");
        cmd.current_dir(dir)
            .arg("-sf")
            .arg(scenario("uas_bridge.xml"))
            .args(["-i", "127.0.0.1", "-p", &sip_port.to_string()])
            .args(["-mi", "127.0.0.1", "-mp", &sipp_media.to_string()])
            .args(["-set", "echo", &media_port.to_string()])
            .args(["-nostdin", "-trace_err", "-error_file", "callee-errors.log"])
            .args(["-timeout", &format!("{}s", lifetime.as_secs().max(1))])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("callee-stderr.txt"))?);
        if kind == EchoKind::Sipp {
            cmd.arg("-rtp_echo");
        }
        let sipp = Guarded::spawn(cmd, "sipp callee")?;
        // As for the reference callee of `foundation`: let sipp bind before INVITEs come.
        std::thread::sleep(Duration::from_millis(500));
        Ok(Callee {
            sipp,
            sip: SocketAddr::from(([127, 0, 0, 1], sip_port)),
            media: SocketAddr::from(([127, 0, 0, 1], media_port)),
            _echo: echo,
        })
    }

    /// The sipp process (whose CPU includes its echo thread when it echoes).
    pub fn pid(&self) -> u32 {
        self.sipp.pid()
    }

    /// Whether sipp is still running.
    pub fn alive(&mut self) -> bool {
        !self.sipp.exited().unwrap_or(true)
    }
}

/// An even port whose successor and the port after that (sipp's second echo port,
/// `-mp` + 2) are free too.
fn media_port() -> Result<u16> {
    for _ in 0..200 {
        let p = free_port()?;
        if p % 2 == 0
            && p < u16::MAX - 3
            && (1..=3).all(|d| UdpSocket::bind(("127.0.0.1", p + d)).is_ok())
        {
            return Ok(p);
        }
    }
    anyhow::bail!("no free media port for sipp after 200 tries")
}

/// The benchmark's echo thread.
#[derive(Debug)]
struct BenchEcho {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl BenchEcho {
    fn start() -> Result<BenchEcho> {
        let sock = UdpSocket::bind("127.0.0.1:0")?;
        let buf = 32usize << 20;
        setsockopt(&sock, sockopt::RcvBufForce, &buf)
            .or_else(|_| setsockopt(&sock, sockopt::RcvBuf, &buf))
            .context("echo SO_RCVBUF")?;
        // recvmmsg's own timeout is only checked between packets; this one bounds the
        // wait for the first.
        sock.set_read_timeout(Some(Duration::from_millis(100)))?;
        let port = sock.local_addr()?.port();
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let thread = std::thread::Builder::new()
            .name(ECHO_THREAD.into())
            .spawn(move || echo(&sock, &s))?;
        Ok(BenchEcho {
            port,
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for BenchEcho {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn echo(sock: &UdpSocket, stop: &AtomicBool) {
    const BATCH: usize = 64;
    let fd = sock.as_raw_fd();
    let mut bufs = vec![[0u8; BUF]; BATCH];
    while !stop.load(Ordering::Relaxed) {
        // Wait for the first packet (at most the socket's 100 ms read timeout, to see
        // `stop`), then take whatever else is queued.
        let got = match recv_batch(fd, &mut bufs, false, MsgFlags::MSG_WAITFORONE) {
            Ok(got) => got,
            // EAGAIN after the socket's read timeout: look at `stop` again.
            Err(_) => continue,
        };
        if got.is_empty() {
            continue;
        }
        let slices: Vec<[IoSlice<'_>; 1]> = got
            .iter()
            .zip(&bufs)
            .map(|((n, _, _), b)| [IoSlice::new(&b[..*n])])
            .collect();
        let addrs: Vec<Option<SockaddrIn>> = got.iter().map(|(_, a, _)| *a).collect();
        let mut out = MultiHeaders::<SockaddrIn>::preallocate(slices.len(), None);
        let _ = sendmmsg(fd, &mut out, &slices, &addrs, [], MsgFlags::empty());
    }
}
