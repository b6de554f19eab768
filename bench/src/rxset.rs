//! All the receiving sockets of one step, read either by one task per stream (woken by
//! each packet) or by a single sweeping task that drains every socket once per period.
//!
//! With kernel receive timestamps, a late read no longer shows as jitter, so the sweep
//! can afford to read late: it trades one wake-up per packet for one per period, which
//! leaves more of the shared cores to the sender being measured. Its user-space
//! timestamps, though, are late by design (up to one period).

use crate::kstamp::{self, Clock};
use crate::rtprx::{self, Arrival, StreamSockets};
use anyhow::{Context, Result};
use std::io::ErrorKind;
use std::time::Duration;
use switchyard_rtp::parse_rtp;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

/// The receivers of one step.
#[derive(Debug)]
pub enum Receivers {
    /// One task per stream ([`rtprx::receive`]).
    PerStream {
        /// When the step started.
        clock: Clock,
        /// Turns true when the step ends.
        stop: watch::Receiver<bool>,
        /// One task per stream, in the order they were added.
        tasks: Vec<JoinHandle<Vec<Arrival>>>,
    },
    /// One task draining every socket each period.
    Sweep {
        /// New sockets for the sweeping task.
        add: mpsc::UnboundedSender<StreamSockets>,
        /// The sweeping task; returns the arrivals per socket in the order added.
        task: JoinHandle<Vec<Vec<Arrival>>>,
    },
}

impl Receivers {
    /// Receivers for a step that began at `clock` and ends when `stop` turns true;
    /// `sweep` = `Some(period)` selects the single sweeping task.
    pub fn new(clock: Clock, stop: watch::Receiver<bool>, sweep: Option<Duration>) -> Receivers {
        match sweep {
            None => Receivers::PerStream {
                clock,
                stop,
                tasks: Vec::new(),
            },
            Some(period) => {
                let (add, rx) = mpsc::unbounded_channel();
                Receivers::Sweep {
                    add,
                    task: tokio::spawn(sweep_task(rx, clock, stop, period)),
                }
            }
        }
    }

    /// Starts receiving on `sockets`.
    pub fn add(&mut self, sockets: StreamSockets) -> Result<()> {
        match self {
            Receivers::PerStream { clock, stop, tasks } => {
                tasks.push(tokio::spawn(rtprx::receive(sockets, *clock, stop.clone())));
                Ok(())
            }
            Receivers::Sweep { add, .. } => add
                .send(sockets)
                .ok()
                .context("the sweeping receiver ended early"),
        }
    }

    /// Waits for the receivers to end (after `stop`) and returns each stream's arrivals.
    pub async fn finish(self) -> Result<Vec<Vec<Arrival>>> {
        match self {
            Receivers::PerStream { tasks, .. } => {
                let mut out = Vec::with_capacity(tasks.len());
                for t in tasks {
                    out.push(t.await?);
                }
                Ok(out)
            }
            Receivers::Sweep { add, task } => {
                drop(add);
                Ok(task.await?)
            }
        }
    }
}

async fn sweep_task(
    mut new: mpsc::UnboundedReceiver<StreamSockets>,
    clock: Clock,
    mut stop: watch::Receiver<bool>,
    period: Duration,
) -> Vec<Vec<Arrival>> {
    let mut streams: Vec<(StreamSockets, Vec<Arrival>)> = Vec::new();
    let mut buf = [0u8; 1500];
    let mut control = kstamp::control_buffer();
    let mut tick = tokio::time::interval(period);
    // A late sweep just reads more packets; catching up with a burst would only add
    // wake-ups.
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        let stopping = tokio::select! {
            _ = tick.tick() => *stop.borrow(),
            _ = stop.changed() => true,
        };
        while let Ok(s) = new.try_recv() {
            streams.push((s, Vec::with_capacity(2048)));
        }
        for (s, arrivals) in &mut streams {
            drain(s, &clock, arrivals, &mut buf, &mut control);
        }
        if stopping {
            break;
        }
    }
    streams.into_iter().map(|(_, a)| a).collect()
}

/// Reads everything queued on the stream's RTP socket, without waiting.
fn drain(
    s: &StreamSockets,
    clock: &Clock,
    arrivals: &mut Vec<Arrival>,
    buf: &mut [u8],
    control: &mut [u8],
) {
    loop {
        // Straight on the descriptor (it is non-blocking): tokio's readiness is never
        // awaited here, so it cannot go stale.
        let got = kstamp::recv_stamped(&s.rtp, buf, control);
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
            // Anything else (a queued ICMP error): try again next sweep.
            Err(_) => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_rtp::{write_rtp, RtpHeader, Ssrc};

    async fn send_three(to_port: u16) {
        let tx = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        for seq in 7..10u16 {
            let header = RtpHeader {
                marker: false,
                payload_type: 0,
                sequence: seq,
                timestamp: u32::from(seq) * 160,
                ssrc: Ssrc(1),
            };
            let mut packet = Vec::new();
            write_rtp(&header, &[0xFF; 160], &mut packet);
            tx.send_to(&packet, ("127.0.0.1", to_port)).await.unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn three_packets_each(sweep: Option<Duration>) {
        let clock = Clock::now();
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut rx = Receivers::new(clock, stop_rx, sweep);
        let a = rtprx::bind_pair().await.unwrap();
        let b = rtprx::bind_pair().await.unwrap();
        let ports = (a.port, b.port);
        rx.add(a).unwrap();
        rx.add(b).unwrap();
        tokio::join!(send_three(ports.0), send_three(ports.1));
        tokio::time::sleep(Duration::from_millis(150)).await;
        stop_tx.send(true).unwrap();
        let got = rx.finish().await.unwrap();
        assert_eq!(got.len(), 2);
        for arrivals in got {
            let seqs: Vec<u16> = arrivals.iter().map(|a| a.seq).collect();
            assert_eq!(seqs, vec![7, 8, 9]);
            let k: Vec<u64> = arrivals.iter().map(|a| a.kernel_us.unwrap()).collect();
            // Sent ≥ 20 ms apart; the kernel stamps keep that spacing even when the
            // sweep reads all three at once.
            assert!(k[1] >= k[0] + 19_000 && k[2] >= k[1] + 19_000, "{k:?}");
            assert!(arrivals
                .iter()
                .all(|a| a.kernel_us.unwrap() <= a.user_us + 100));
        }
    }

    #[tokio::test]
    async fn per_stream_tasks_record_every_packet() {
        three_packets_each(None).await;
    }

    #[tokio::test]
    async fn one_sweep_records_every_packet_of_every_socket() {
        three_packets_each(Some(Duration::from_millis(100))).await;
    }
}
