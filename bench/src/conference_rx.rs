//! What the `conference` benchmark sends and how it reads what comes back.
//!
//! Every participant talks: participant `i` of its room sends a steady tone at
//! [`tone_hz`]`(i)`, a multiple of 50 Hz so that each 20 ms frame holds whole cycles
//! and every frame is the same (the stream stays continuous whatever the packet
//! index). The node's mixer sends each participant the sum of the others, so a leg's
//! audio must carry every other participant's tone at its level and not its own:
//! [`check_content`] measures each tone with a Goertzel filter on the decoded µ-law.
//!
//! The mix carries no mark of its own, so the receiver tells the legs apart by the
//! node's port each comes from (one per leg) and times packets with the kernel's
//! receive timestamps.

use crate::bridge_gen::{recv_batch, PayloadFn, BUF, PAYLOAD};
use crate::kstamp::Clock;
use crate::rtprx::Arrival;
use anyhow::Result;
use nix::sys::socket::MsgFlags;
use std::collections::{HashMap, HashSet};
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use switchyard_media::{ulaw_decode, ulaw_encode};
use switchyard_rtp::parse_rtp;
use tokio::time::Instant;

/// Thread name of the receiver, for CPU accounting.
pub const RX_THREAD: &str = "confrx";

/// Peak amplitude of each participant's tone: 9 of them summed (a room of 10) peak at
/// 22,500, under the 16-bit clamp of the mixer, so nothing clips.
pub const TONE_AMPLITUDE: f64 = 2500.0;

/// The largest room [`tone_hz`] has distinct tones for (under 4 kHz, the Nyquist limit
/// of 8 kHz audio).
pub const MAX_ROOM: usize = 14;

/// The tone of participant `i` of a room, Hz: 300, 550, 800 … (multiples of 50 Hz, so
/// a 20 ms frame holds whole cycles).
pub fn tone_hz(i: usize) -> u32 {
    300 + 250 * i as u32
}

/// One 20 ms µ-law frame of participant `i`'s tone.
pub fn tone_frame(i: usize) -> [u8; PAYLOAD] {
    let hz = f64::from(tone_hz(i));
    let mut f = [0u8; PAYLOAD];
    for (n, b) in f.iter_mut().enumerate() {
        let t = n as f64 / 8000.0;
        let s = TONE_AMPLITUDE * (2.0 * std::f64::consts::PI * hz * t).sin();
        *b = ulaw_encode(s.round() as i16);
    }
    f
}

/// The generator's payload: stream `n` is participant `n % room` of room `n / room`.
pub fn payload(room: usize) -> PayloadFn {
    let frames: Vec<[u8; PAYLOAD]> = (0..room).map(tone_frame).collect();
    Arc::new(move |stream, _, _| frames[stream as usize % frames.len()])
}

/// Amplitude of the `hz` component of `pcm` (8 kHz), by the Goertzel algorithm: the
/// peak amplitude of a sine at exactly that frequency.
pub fn tone_amplitude(pcm: &[i16], hz: u32) -> f64 {
    if pcm.is_empty() {
        return 0.0;
    }
    let w = 2.0 * std::f64::consts::PI * f64::from(hz) / 8000.0;
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in pcm {
        let s0 = f64::from(x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    2.0 * power.max(0.0).sqrt() / pcm.len() as f64
}

/// Each other participant's tone must arrive within this ratio of its sent level
/// (±4 dB); a tone from another room on the same frequency would double it.
const LEVEL_RANGE: (f64, f64) = (0.63, 1.58);
/// A leg's own tone must be under this share of its sent level (−26 dB).
const OWN_MAX: f64 = 0.05;
/// Samples the check reads: the last second of the window.
const CHECK_SAMPLES: usize = 8000;

/// What one sampled leg heard.
#[derive(Debug, Clone, PartialEq)]
pub struct Heard {
    /// Its own tone's amplitude ÷ the sent level.
    pub own: f64,
    /// The other participants' tones' amplitudes ÷ the sent level, lowest and highest.
    pub others: (f64, f64),
    /// Whether it heard the others and not itself.
    pub ok: bool,
}

/// Checks the µ-law payloads `frames` (in order) received by participant `me` of a room
/// of `size`: every other participant's tone at its level, its own absent.
pub fn check_content(frames: &[Vec<u8>], me: usize, size: usize) -> Heard {
    let mut pcm: Vec<i16> = frames
        .iter()
        .flat_map(|f| f.iter().map(|&b| ulaw_decode(b)))
        .collect();
    if pcm.len() > CHECK_SAMPLES {
        pcm.drain(..pcm.len() - CHECK_SAMPLES);
    }
    // Too little audio to tell tones apart (under 0.2 s) counts as nothing heard.
    let enough = pcm.len() >= 1600;
    let level = |i: usize| {
        if enough {
            tone_amplitude(&pcm, tone_hz(i)) / TONE_AMPLITUDE
        } else {
            0.0
        }
    };
    let own = level(me);
    let others: Vec<f64> = (0..size).filter(|&i| i != me).map(level).collect();
    let lo = others.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = others.iter().copied().fold(0.0, f64::max);
    let ok =
        enough && !others.is_empty() && own < OWN_MAX && lo >= LEVEL_RANGE.0 && hi <= LEVEL_RANGE.1;
    Heard {
        own,
        others: (if others.is_empty() { 0.0 } else { lo }, hi),
        ok,
    }
}

/// Packets the node should have sent a leg in `[from_us, to_us)` (read times): the
/// span of sequence numbers that arrived (so a gap counts as lost), and at least
/// `floor` (so a leg that fell silent counts its missing tail, and a silent leg all of
/// it).
pub fn expected_in_window(arrivals: &[Arrival], from_us: u64, to_us: u64, floor: u64) -> u64 {
    let mut span = 0u64;
    let mut prev: Option<u16> = None;
    for a in arrivals
        .iter()
        .filter(|a| (from_us..to_us).contains(&a.user_us))
    {
        span += match prev {
            None => 1,
            Some(p) => {
                let step = u64::from(a.seq.wrapping_sub(p));
                // A duplicate or a reordered packet (never seen on loopback) adds nothing.
                if (1..1000).contains(&step) {
                    step
                } else {
                    0
                }
            }
        };
        prev = Some(a.seq);
    }
    span.max(floor)
}

/// What the receiver got: per node port, the arrivals of the whole step and, for the
/// sampled ports, the payloads that arrived in the window.
#[derive(Debug, Default)]
pub struct Received {
    pub arrivals: HashMap<u16, Vec<Arrival>>,
    pub payloads: HashMap<u16, Vec<Vec<u8>>>,
    /// Packets without a kernel timestamp.
    pub unstamped: u64,
}

/// The window of a step on the receiver's clock (µs since its epoch) and the node ports
/// whose payloads are kept.
#[derive(Debug, Default)]
struct Sampling {
    window: Option<(u64, u64)>,
    ports: HashSet<u16>,
}

/// The receiver thread of a step.
#[derive(Debug)]
pub struct Receiver {
    clock: Clock,
    sampling: Arc<Mutex<Sampling>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Received>>,
}

impl Receiver {
    /// Reads the shard sockets `fds` until stopped.
    pub fn start(fds: Vec<Arc<OwnedFd>>) -> Result<Receiver> {
        let clock = Clock::now();
        let sampling = Arc::new(Mutex::new(Sampling::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (sampling, stop) = (sampling.clone(), stop.clone());
            std::thread::Builder::new()
                .name(RX_THREAD.into())
                .spawn(move || receive(&fds, clock, &sampling, &stop))?
        };
        Ok(Receiver {
            clock,
            sampling,
            stop,
            thread: Some(thread),
        })
    }

    /// Now on the receiver's clock, µs.
    pub fn now_us(&self) -> u64 {
        self.clock.user_us(Instant::now())
    }

    /// Keeps the payloads from `ports` that arrive in `[from_us, to_us)`.
    pub fn sample(&self, ports: HashSet<u16>, from_us: u64, to_us: u64) {
        let mut s = self.sampling.lock().unwrap_or_else(|e| e.into_inner());
        s.ports = ports;
        s.window = Some((from_us, to_us));
    }

    /// Stops the thread and returns what it got.
    pub fn finish(mut self) -> Result<Received> {
        self.stop.store(true, Ordering::Relaxed);
        let t = self
            .thread
            .take()
            .ok_or_else(|| anyhow::anyhow!("receiver joined twice"))?;
        t.join()
            .map_err(|_| anyhow::anyhow!("the receiver panicked"))
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn receive(
    fds: &[Arc<OwnedFd>],
    clock: Clock,
    sampling: &Mutex<Sampling>,
    stop: &AtomicBool,
) -> Received {
    const BATCH: usize = 64;
    let mut out = Received::default();
    let mut bufs = vec![[0u8; BUF]; BATCH];
    let mut kept: (Option<(u64, u64)>, HashSet<u16>) = (None, HashSet::new());
    loop {
        let stopping = stop.load(Ordering::Relaxed);
        if let Ok(s) = sampling.try_lock() {
            if s.window != kept.0 {
                kept = (s.window, s.ports.clone());
            }
        }
        for fd in fds {
            loop {
                let got = match recv_batch(fd.as_raw_fd(), &mut bufs, true, MsgFlags::MSG_DONTWAIT)
                {
                    Ok(got) => got,
                    Err(nix::errno::Errno::EAGAIN) => break,
                    Err(nix::errno::Errno::EINTR) => continue,
                    // A queued ICMP error: read on.
                    Err(_) => continue,
                };
                let user_us = clock.user_us(Instant::now());
                let n = got.len();
                for ((len, from, stamp), buf) in got.into_iter().zip(&bufs) {
                    let Some(from) = from else { continue };
                    let Ok(p) = parse_rtp(&buf[..len.min(buf.len())]) else {
                        continue;
                    };
                    let kernel_us = stamp.map(|ts| clock.kernel_us(&ts));
                    if kernel_us.is_none() {
                        out.unstamped += 1;
                    }
                    let port = from.port();
                    out.arrivals.entry(port).or_default().push(Arrival {
                        user_us,
                        kernel_us,
                        seq: p.header.sequence,
                    });
                    if let Some((a, b)) = kept.0 {
                        if (a..b).contains(&user_us) && kept.1.contains(&port) {
                            out.payloads
                                .entry(port)
                                .or_default()
                                .push(p.payload.to_vec());
                        }
                    }
                }
                if n < BATCH {
                    break;
                }
            }
        }
        if stopping {
            break;
        }
        // Kernel timestamps make a late read harmless; one sweep per millisecond keeps
        // this thread's wake-ups (and its share of the cores) small.
        std::thread::sleep(Duration::from_millis(1));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the mixer sends participant `me` of `size`: the others' tones summed.
    fn mix(me: usize, size: usize, extra: &[usize]) -> Vec<Vec<u8>> {
        let frames: Vec<Vec<i16>> = (0..size)
            .filter(|&i| i != me)
            .chain(extra.iter().copied())
            .map(|i| tone_frame(i).iter().map(|&b| ulaw_decode(b)).collect())
            .collect();
        let one: Vec<u8> = (0..PAYLOAD)
            .map(|n| {
                let s: i32 = frames.iter().map(|f| i32::from(f[n])).sum();
                ulaw_encode(s.clamp(-32768, 32767) as i16)
            })
            .collect();
        vec![one; 50]
    }

    #[test]
    fn tones_are_distinct_whole_cycle_frames_under_nyquist() {
        assert!(tone_hz(MAX_ROOM - 1) < 4000);
        for i in 0..MAX_ROOM {
            assert_eq!(tone_hz(i) % 50, 0);
        }
        let pcm: Vec<i16> = tone_frame(3).iter().map(|&b| ulaw_decode(b)).collect();
        let pcm: Vec<i16> = pcm.iter().cycle().take(8000).copied().collect();
        let a = tone_amplitude(&pcm, tone_hz(3));
        assert!((a / TONE_AMPLITUDE - 1.0).abs() < 0.03, "{a}");
        assert!(tone_amplitude(&pcm, tone_hz(4)) < 0.01 * TONE_AMPLITUDE);
    }

    #[test]
    fn the_mix_of_the_others_passes() {
        let h = check_content(&mix(2, 10, &[]), 2, 10);
        assert!(h.ok, "{h:?}");
        assert!(
            h.own < 0.01 && h.others.0 > 0.9 && h.others.1 < 1.1,
            "{h:?}"
        );
    }

    #[test]
    fn hearing_oneself_fails() {
        let h = check_content(&mix(2, 10, &[2]), 2, 10);
        assert!(!h.ok && h.own > 0.9, "{h:?}");
    }

    #[test]
    fn a_missing_participant_fails() {
        // Participant 5 is not in the mix of participant 2 (say, its leg went silent).
        let mut frames = mix(2, 10, &[]);
        let five: Vec<i16> = tone_frame(5).iter().map(|&b| ulaw_decode(b)).collect();
        for f in &mut frames {
            for (b, s) in f.iter_mut().zip(&five) {
                *b = ulaw_encode(ulaw_decode(*b).saturating_sub(*s));
            }
        }
        let h = check_content(&frames, 2, 10);
        assert!(!h.ok && h.others.0 < 0.2, "{h:?}");
    }

    #[test]
    fn another_room_leaking_in_fails() {
        // Participant 4 of the next room has the same tone as our participant 4.
        let h = check_content(&mix(2, 10, &[4]), 2, 10);
        assert!(!h.ok && h.others.1 > 1.8, "{h:?}");
    }

    #[test]
    fn silence_or_too_little_fails() {
        assert!(!check_content(&vec![vec![0xFF; PAYLOAD]; 50], 0, 2).ok);
        assert!(!check_content(&mix(0, 2, &[])[..5], 0, 2).ok);
    }

    #[test]
    fn expected_packets_span_the_sequence_numbers_in_the_window() {
        let at = |user_us, seq| Arrival {
            user_us,
            kernel_us: Some(user_us),
            seq,
        };
        // Seq 65534..=3 across the wrap, 1 lost; one packet before the window.
        let a = [
            at(0, 65533),
            at(10, 65534),
            at(30, 65535),
            at(70, 1),
            at(90, 2),
            at(110, 3),
        ];
        assert_eq!(expected_in_window(&a, 10, 200, 0), 6);
        assert_eq!(expected_in_window(&a, 10, 200, 9), 9);
        assert_eq!(expected_in_window(&[], 10, 200, 9), 9);
    }

    #[test]
    fn the_generator_payload_follows_the_room() {
        let p = payload(4);
        assert_eq!(p(0, 0, 0), tone_frame(0));
        assert_eq!(p(6, 9, 1), tone_frame(2));
    }
}
