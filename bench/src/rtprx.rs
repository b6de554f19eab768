//! The receiving side of the media benchmark: one UDP socket per stream, every RTP
//! packet's arrival time recorded twice (kernel receive timestamp and the moment the
//! receiving task read it), pacing jitter computed afterwards from either.

use crate::kstamp::{self, Clock};
use anyhow::{bail, Result};
use std::io::ErrorKind;
use std::sync::atomic::{AtomicU16, Ordering};
use switchyard_rtp::parse_rtp;
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio::sync::watch;
use tokio::time::Instant;

/// The packet interval of 20 ms G.711 frames, in microseconds.
pub const FRAME_US: i64 = 20_000;

/// First port of the receivers' range: above the node's RTP range and the pacer's
/// ephemeral sockets are bound by the kernel wherever they fit.
const RX_PORT_MIN: u16 = 40_000;
const RX_PORT_MAX: u16 = 60_000;
static NEXT_PORT: AtomicU16 = AtomicU16::new(RX_PORT_MIN);

/// An RTP/RTCP socket pair on an even port (RFC 3550 §11: "RTP SHOULD use an even
/// destination port number and the corresponding RTCP stream SHOULD use the next
/// higher (odd) destination port number"). The RTCP socket only exists so that the
/// node's reports land on a bound port and never in another stream's RTP socket.
#[derive(Debug)]
pub struct StreamSockets {
    /// Where RTP arrives.
    pub rtp: UdpSocket,
    /// Held for the stream's lifetime; never read.
    #[allow(dead_code)]
    pub rtcp: UdpSocket,
    /// The RTP port.
    pub port: u16,
}

/// Binds the next free even/odd pair in 40000..60000 on 127.0.0.1, with kernel receive
/// timestamps on the RTP socket.
pub async fn bind_pair() -> Result<StreamSockets> {
    for _ in 0..(RX_PORT_MAX - RX_PORT_MIN) / 2 {
        let mut port = NEXT_PORT.fetch_add(2, Ordering::Relaxed);
        if !(RX_PORT_MIN..RX_PORT_MAX).contains(&port) {
            // Wrap around: pairs released by earlier steps are free again.
            NEXT_PORT.store(RX_PORT_MIN + 2, Ordering::Relaxed);
            port = RX_PORT_MIN;
        }
        let (Ok(rtp), Ok(rtcp)) = (
            UdpSocket::bind(("127.0.0.1", port)).await,
            UdpSocket::bind(("127.0.0.1", port + 1)).await,
        ) else {
            continue;
        };
        kstamp::enable(&rtp)?;
        return Ok(StreamSockets { rtp, rtcp, port });
    }
    bail!("no free RTP port pair in {RX_PORT_MIN}..{RX_PORT_MAX}")
}

/// One received packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    /// When the receiving task read it, µs since the step's epoch.
    pub user_us: u64,
    /// When the kernel queued it on the socket, µs since the same epoch; `None` if the
    /// kernel attached no timestamp.
    pub kernel_us: Option<u64>,
    /// Its RTP sequence number.
    pub seq: u16,
}

/// Receives on `sockets.rtp` until `stop` turns true, recording every RTP packet's
/// arrival relative to `clock`.
pub async fn receive(
    sockets: StreamSockets,
    clock: Clock,
    mut stop: watch::Receiver<bool>,
) -> Vec<Arrival> {
    let mut arrivals = Vec::with_capacity(2048);
    let mut buf = [0u8; 1500];
    let mut control = kstamp::control_buffer();
    let sock = &sockets.rtp;
    loop {
        tokio::select! {
            r = sock.readable() => {
                if r.is_err() {
                    break;
                }
                // Drain everything queued: one wake-up may cover several packets when the
                // task was late, and their kernel stamps still tell them apart.
                loop {
                    let got = sock.try_io(Interest::READABLE, || {
                        kstamp::recv_stamped(sock, &mut buf, &mut control)
                    });
                    let at = Instant::now();
                    match got {
                        Ok((n, ts)) => {
                            if let Ok(p) = parse_rtp(&buf[..n]) {
                                arrivals.push(Arrival {
                                    user_us: clock.user_us(at),
                                    kernel_us: ts.map(|ts| clock.kernel_us(&ts)),
                                    seq: p.header.sequence,
                                });
                            }
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        // A queued ICMP error and the like: back to waiting, where `stop`
                        // is still seen even if the error were to persist.
                        Err(_) => break,
                    }
                }
            }
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
    }
    arrivals
}

/// What one stream delivered inside the measurement window.
#[derive(Debug, Default, Clone)]
pub struct WindowStats {
    /// Packets that arrived inside the window.
    pub received: u64,
    /// Pacing jitter of each packet after the first, from user-space read times:
    /// |interarrival − n × 20 ms|, in microseconds, where n is the sequence-number step
    /// (so a lost packet shows as loss, not as a 20 ms jitter).
    pub jitter_us: Vec<u32>,
    /// The same, from kernel receive timestamps (packets without one are skipped).
    pub kernel_jitter_us: Vec<u32>,
}

/// |`t` − `pt` − `step` × 20 ms| in µs, saturated to `u32`.
fn deviation(t: u64, pt: u64, step: i64) -> u32 {
    let dev = (t as i64 - pt as i64 - step * FRAME_US).unsigned_abs();
    dev.min(u64::from(u32::MAX)) as u32
}

/// Keeps the arrivals read in `[from_us, to_us)` and measures their pacing on both clocks.
pub fn window(arrivals: &[Arrival], from_us: u64, to_us: u64) -> WindowStats {
    let mut out = WindowStats::default();
    let mut prev: Option<Arrival> = None;
    for &a in arrivals
        .iter()
        .filter(|a| (from_us..to_us).contains(&a.user_us))
    {
        out.received += 1;
        if let Some(p) = prev {
            let step = i64::from(a.seq.wrapping_sub(p.seq));
            // Reordered or duplicated packets (step 0 or a huge wrap) carry no pacing
            // information; loopback should never produce them.
            if (1..1000).contains(&step) {
                out.jitter_us.push(deviation(a.user_us, p.user_us, step));
                if let (Some(k), Some(pk)) = (a.kernel_us, p.kernel_us) {
                    out.kernel_jitter_us.push(deviation(k, pk, step));
                }
            }
        }
        prev = Some(a);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_is_deviation_from_the_20ms_grid() {
        // Read at 0, 20.5, 40, (seq 4 lost) 80.1 ms, one packet before the window; the
        // kernel queued them at 0, 20, 40.2, 80 ms (the reads lagged), the third unstamped
        // packet breaks no chain but yields no kernel figure.
        let at = |user_us, kernel_us, seq| Arrival {
            user_us,
            kernel_us,
            seq,
        };
        let a = [
            at(0, Some(0), 0),
            at(1_000_000, Some(999_900), 1),
            at(1_020_500, Some(1_019_900), 2),
            at(1_040_000, Some(1_040_100), 3),
            at(1_080_100, Some(1_079_900), 5),
            at(1_100_000, None, 6),
        ];
        let w = window(&a, 1_000_000, 2_000_000);
        assert_eq!(w.received, 5);
        assert_eq!(w.jitter_us, vec![500, 500, 100, 100]);
        assert_eq!(w.kernel_jitter_us, vec![0, 200, 200]);
    }

    #[tokio::test]
    async fn pairs_are_even_and_distinct() {
        let a = bind_pair().await.unwrap();
        let b = bind_pair().await.unwrap();
        assert_eq!(a.port % 2, 0);
        assert_ne!(a.port, b.port);
        assert_eq!(a.rtcp.local_addr().unwrap().port(), a.port + 1);
    }
}
