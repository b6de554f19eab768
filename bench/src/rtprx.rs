//! The receiving side of the media benchmark: one UDP socket per stream, every RTP
//! packet's arrival time recorded, pacing jitter computed afterwards.

use anyhow::{bail, Result};
use std::sync::atomic::{AtomicU16, Ordering};
use switchyard_rtp::parse_rtp;
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

/// Binds the next free even/odd pair in 40000..60000 on 127.0.0.1.
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
        return Ok(StreamSockets { rtp, rtcp, port });
    }
    bail!("no free RTP port pair in {RX_PORT_MIN}..{RX_PORT_MAX}")
}

/// One received packet: microseconds since the step's epoch, and its sequence number.
pub type Arrival = (u64, u16);

/// Receives on `sockets.rtp` until `stop` turns true, recording every RTP packet's
/// arrival relative to `epoch`.
pub async fn receive(
    sockets: StreamSockets,
    epoch: Instant,
    mut stop: watch::Receiver<bool>,
) -> Vec<Arrival> {
    let mut arrivals = Vec::with_capacity(2048);
    let mut buf = [0u8; 1500];
    loop {
        tokio::select! {
            r = sockets.rtp.recv_from(&mut buf) => {
                let at = Instant::now();
                if let Ok((n, _)) = r {
                    if let Ok(p) = parse_rtp(&buf[..n]) {
                        let us = at.duration_since(epoch).as_micros() as u64;
                        arrivals.push((us, p.header.sequence));
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
    /// Pacing jitter of each packet after the first: |interarrival − n × 20 ms|, in
    /// microseconds, where n is the sequence-number step (so a lost packet shows as loss,
    /// not as a 20 ms jitter).
    pub jitter_us: Vec<u32>,
}

/// Keeps the arrivals in `[from_us, to_us)` and measures their pacing.
pub fn window(arrivals: &[Arrival], from_us: u64, to_us: u64) -> WindowStats {
    let mut out = WindowStats::default();
    let mut prev: Option<Arrival> = None;
    for &(t, seq) in arrivals
        .iter()
        .filter(|(t, _)| (from_us..to_us).contains(t))
    {
        out.received += 1;
        if let Some((pt, pseq)) = prev {
            let step = i64::from(seq.wrapping_sub(pseq));
            // Reordered or duplicated packets (step 0 or a huge wrap) carry no pacing
            // information; loopback should never produce them.
            if (1..1000).contains(&step) {
                let dev = (t as i64 - pt as i64 - step * FRAME_US).unsigned_abs();
                out.jitter_us.push(dev.min(u64::from(u32::MAX)) as u32);
            }
        }
        prev = Some((t, seq));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_is_deviation_from_the_20ms_grid() {
        // 0, 20.5, 40, (seq 4 lost) 80.1 ms; one packet before the window.
        let a = [
            (0, 0),
            (1_000_000, 1),
            (1_020_500, 2),
            (1_040_000, 3),
            (1_080_100, 5),
        ];
        let w = window(&a, 1_000_000, 2_000_000);
        assert_eq!(w.received, 4);
        assert_eq!(w.jitter_us, vec![500, 500, 100]);
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
