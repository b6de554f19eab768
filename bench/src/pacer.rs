//! The reference sender: a trivial RTP pacer, one tokio task per stream, each sending a
//! 20 ms PCMU packet per tick from its own socket. It runs on its own runtime (threads
//! named `pacer…`) so its CPU can be read apart from the receiver's.

use anyhow::Result;
use std::net::SocketAddr;
use std::time::Duration;
use switchyard_rtp::{write_rtp, RtpHeader, Ssrc};
use tokio::net::UdpSocket;
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

/// Thread name prefix of the pacer runtime.
pub const THREAD_PREFIX: &str = "pacer";

/// A runtime with `workers` threads for the pacer tasks.
pub fn runtime(workers: usize) -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name(THREAD_PREFIX)
        .enable_all()
        .build()?)
}

/// Sends 20 ms packets to `to` until `stop` turns true. Missed ticks are sent in a
/// burst, as the node's media task does, so both senders react to a late wake-up alike.
pub async fn pace(to: SocketAddr, mut stop: watch::Receiver<bool>) -> Result<()> {
    let sock = UdpSocket::bind("127.0.0.1:0").await?;
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut header = RtpHeader {
        marker: true,
        payload_type: 0,
        sequence: rand::random(),
        timestamp: rand::random(),
        ssrc: Ssrc(rand::random()),
    };
    // µ-law silence.
    let payload = [0xFFu8; 160];
    let mut packet = Vec::with_capacity(12 + payload.len());
    loop {
        tokio::select! {
            _ = tick.tick() => {
                packet.clear();
                write_rtp(&header, &payload, &mut packet);
                let _ = sock.send_to(&packet, to).await;
                header.marker = false;
                header.sequence = header.sequence.wrapping_add(1);
                header.timestamp = header.timestamp.wrapping_add(160);
            }
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
    }
    Ok(())
}
