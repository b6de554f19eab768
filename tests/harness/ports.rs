//! Free loopback ports for the node and its peers.
//!
//! Tests run in parallel threads, so every port handed out is remembered and not handed
//! out again by this process until its user gives it back ([`release_udp_block`], when a
//! node has stopped); a port is only "free" if it could be bound at the moment it was
//! checked (another process may still race us for it).

use anyhow::{bail, Result};
use std::collections::HashSet;
use std::net::{TcpListener, UdpSocket};
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

fn reserved() -> &'static Mutex<HashSet<u16>> {
    static RESERVED: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();
    RESERVED.get_or_init(|| Mutex::new(HashSet::new()))
}

/// A port on 127.0.0.1 that is free for both UDP and TCP (SIP listens on both).
///
/// Picked below the Linux ephemeral range (32768+), like [`free_udp_block`]: a node
/// restarted on its ports after a SIGKILL must find them free, and a port in the
/// ephemeral range can be taken meanwhile as the local end of any outgoing
/// connection on the machine (or of a connect to the dead port itself).
pub fn free_port() -> Result<u16> {
    const LOW: u32 = 10000;
    const HIGH: u32 = 20000;
    let mut taken = reserved().lock().unwrap_or_else(|e| e.into_inner());
    let slots = HIGH - LOW;
    let start = seed() % slots;
    for i in 0..400 {
        let port = (LOW + (start + i * 97) % slots) as u16;
        if taken.contains(&port) {
            continue;
        }
        if UdpSocket::bind(("127.0.0.1", port)).is_ok()
            && TcpListener::bind(("127.0.0.1", port)).is_ok()
        {
            taken.insert(port);
            return Ok(port);
        }
    }
    bail!("no port free for both UDP and TCP in {LOW}..{HIGH}")
}

/// The first of `len` consecutive UDP ports on 127.0.0.1, all free, starting at an
/// even port (RTP on even, RTCP on odd: RFC 3550 §11). Picked below the Linux
/// ephemeral range (32768+) so outgoing sockets of other programs do not land in it.
pub fn free_udp_block(len: u16) -> Result<u16> {
    const LOW: u32 = 20000;
    const HIGH: u32 = 32000;
    anyhow::ensure!(
        len > 0 && u32::from(len) < HIGH - LOW,
        "bad block length {len}"
    );
    let mut taken = reserved().lock().unwrap_or_else(|e| e.into_inner());
    let slots = (HIGH - LOW - u32::from(len)) / 2;
    let start = seed() % slots;
    // Every slot once, from a random one on: a whole suite's nodes fragment the range,
    // and a large block may fit only in the last gap left.
    for i in 0..slots {
        let base = (LOW + 2 * ((start + i) % slots)) as u16;
        let ports: Vec<u16> = (base..base + len).collect();
        if ports.iter().any(|p| taken.contains(p)) {
            continue;
        }
        let bound: Result<Vec<UdpSocket>, _> = ports
            .iter()
            .map(|p| UdpSocket::bind(("127.0.0.1", *p)))
            .collect();
        if bound.is_ok() {
            taken.extend(ports);
            return Ok(base);
        }
    }
    bail!("no block of {len} free UDP ports in {LOW}..{HIGH}")
}

/// Give back a block of [`free_udp_block`] whose user (a node) has stopped.
pub fn release_udp_block(base: u16, len: u16) {
    let mut taken = reserved().lock().unwrap_or_else(|e| e.into_inner());
    for p in base..base.saturating_add(len) {
        taken.remove(&p);
    }
}

fn seed() -> u32 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    nanos ^ std::process::id().wrapping_mul(2_654_435_761)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_bindable_and_never_repeated() {
        let mut seen = HashSet::new();
        for _ in 0..20 {
            let p = free_port().unwrap();
            assert!(seen.insert(p), "port {p} handed out twice");
            assert!(p < 32768, "port {p} is in the ephemeral range");
            UdpSocket::bind(("127.0.0.1", p)).unwrap();
            TcpListener::bind(("127.0.0.1", p)).unwrap();
        }
    }

    #[test]
    fn blocks_are_even_free_and_disjoint() {
        let a = free_udp_block(50).unwrap();
        let b = free_udp_block(50).unwrap();
        assert_eq!(a % 2, 0);
        assert_eq!(b % 2, 0);
        assert!(a + 50 <= b || b + 50 <= a, "blocks {a} and {b} overlap");
        let held: Vec<UdpSocket> = (a..a + 50)
            .map(|p| UdpSocket::bind(("127.0.0.1", p)).unwrap())
            .collect();
        assert_eq!(held.len(), 50);
    }

    #[test]
    fn a_released_block_can_be_handed_out_again() {
        let a = free_udp_block(10).unwrap();
        assert!(reserved().lock().unwrap().contains(&a));
        release_udp_block(a, 10);
        let taken = reserved().lock().unwrap();
        assert!((a..a + 10).all(|p| !taken.contains(&p)));
    }
}
