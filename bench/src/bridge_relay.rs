//! The reference of the `bridge` benchmark: the least a relay can do with one socket
//! pair per call, as the node has. Each call gets two sockets on 127.0.0.1: side A
//! faces the generator (and latches to the address its packets come from), side B
//! faces the echo. A packet read on one side is written, untouched, out of the other.
//!
//! Plain std sockets, non-blocking, watched by one level-triggered epoll per worker
//! thread (through `nix`); every ready event is one `recvfrom` and one `sendto`. There is
//! nothing to batch: a call's socket holds one packet per wake-up, and
//! `recvmmsg`/`sendmmsg` batch within one socket only. One worker per core, the calls
//! split between them, as the node's media runtime has.

use anyhow::{Context, Result};
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags};
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Thread-name prefix of the relay's workers (for CPU accounting).
pub const THREAD_PREFIX: &str = "relay";

struct Pair {
    a: UdpSocket,
    b: UdpSocket,
    /// Where side A's packets come from (the generator's socket), once one came.
    latched: Option<SocketAddr>,
}

/// A running relay; stopped when dropped.
#[derive(Debug)]
pub struct Relay {
    /// Side A's address of each call, in call order: where the generator sends.
    pub inputs: Vec<SocketAddr>,
    /// Every port the relay bound (both sides).
    pub ports: std::collections::HashSet<u16>,
    stop: Arc<AtomicBool>,
    workers: Vec<JoinHandle<Result<()>>>,
}

impl Relay {
    /// Binds two sockets for each of `calls` calls and starts `workers` threads that
    /// relay between the generator and `echo`.
    pub fn start(calls: usize, echo: SocketAddr, workers: usize) -> Result<Relay> {
        let workers = workers.max(1);
        let mut shares: Vec<Vec<Pair>> = (0..workers).map(|_| Vec::new()).collect();
        let mut inputs = Vec::with_capacity(calls);
        let mut ports = std::collections::HashSet::with_capacity(2 * calls);
        for n in 0..calls {
            let a = UdpSocket::bind("127.0.0.1:0").context("relay socket")?;
            let b = UdpSocket::bind("127.0.0.1:0").context("relay socket")?;
            a.set_nonblocking(true)?;
            b.set_nonblocking(true)?;
            inputs.push(a.local_addr()?);
            ports.insert(a.local_addr()?.port());
            ports.insert(b.local_addr()?.port());
            shares[n % workers].push(Pair {
                a,
                b,
                latched: None,
            });
        }
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::with_capacity(workers);
        for (w, pairs) in shares.into_iter().enumerate() {
            let stop = stop.clone();
            threads.push(
                std::thread::Builder::new()
                    .name(format!("{THREAD_PREFIX}{w}"))
                    .spawn(move || work(pairs, echo, &stop))?,
            );
        }
        Ok(Relay {
            inputs,
            ports,
            stop,
            workers: threads,
        })
    }

    /// Stops and joins the workers.
    pub fn stop(mut self) -> Result<()> {
        self.stop.store(true, Ordering::Relaxed);
        for w in self.workers.drain(..) {
            w.join()
                .map_err(|_| anyhow::anyhow!("relay worker panicked"))??;
        }
        Ok(())
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn work(mut pairs: Vec<Pair>, echo: SocketAddr, stop: &AtomicBool) -> Result<()> {
    let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?;
    for (i, p) in pairs.iter().enumerate() {
        let key = 2 * i as u64;
        epoll.add(&p.a, EpollEvent::new(EpollFlags::EPOLLIN, key))?;
        epoll.add(&p.b, EpollEvent::new(EpollFlags::EPOLLIN, key + 1))?;
    }
    let mut events = vec![EpollEvent::empty(); 256];
    let mut buf = [0u8; 2048];
    while !stop.load(Ordering::Relaxed) {
        // 100 ms at most, so a stop is seen even when no packet comes.
        let n = match epoll.wait(&mut events, 100u16) {
            Ok(n) => n,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        };
        for ev in &events[..n] {
            let key = ev.data() as usize;
            let p = &mut pairs[key / 2];
            let from_generator = key.is_multiple_of(2);
            let sock = if from_generator { &p.a } else { &p.b };
            let (len, src) = match sock.recv_from(&mut buf) {
                Ok(r) => r,
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                // A queued ICMP error: nothing to relay.
                Err(_) => continue,
            };
            // A full send buffer loses the packet, as a network would.
            if from_generator {
                p.latched = Some(src);
                let _ = p.b.send_to(&buf[..len], echo);
            } else if let Some(to) = p.latched {
                let _ = p.a.send_to(&buf[..len], to);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn packets_go_to_the_echo_and_back_to_their_sender() {
        let echo = UdpSocket::bind("127.0.0.1:0").unwrap();
        echo.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let relay = Relay::start(3, echo.local_addr().unwrap(), 2).unwrap();
        let phone = UdpSocket::bind("127.0.0.1:0").unwrap();
        phone
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        phone.send_to(b"call 2", relay.inputs[2]).unwrap();
        let mut buf = [0u8; 64];
        let (n, via) = echo.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"call 2");
        assert!(!relay.inputs.contains(&via), "side B sends, not side A");
        echo.send_to(b"back", via).unwrap();
        let (n, from) = phone.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"back");
        assert_eq!(from, relay.inputs[2]);
        relay.stop().unwrap();
    }
}
