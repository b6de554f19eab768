//! Conference mixing per core: 100 rooms of 10 participants, all talking, mixed
//! in-process on one thread, next to the same 1,000 legs as 500 two-party decoded
//! bridges, timed in the same run.
//!
//! Mixer path, per participant and 20 ms: its PCMU payload → `Decoder` → the room
//! (`Mixer::push`, behind the room's mutex as on the node, which also gives the room
//! the time) and, once every room has mixed, its mix → `Mixer::pull` → PCMU `Encoder`.
//! Bridge path, per leg and 20 ms: its PCMU payload → `Decoder` → the other leg's
//! `Feed` → PCMU `Encoder`: what a transcoded `<Dial>` bridge costs a leg. Neither
//! counts RTP or sockets, which both share.

use crate::bridge_report::cell;
use anyhow::Result;
use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use switchyard_media::codec::{Decoder, Encoder, Feed, Payload};
use switchyard_media::mix::{Mixer, Role, TICK};

pub const HEADING: &str = "## Conference mixing per core";

pub const NOTES: &str = "One thread, no sockets. Rooms × participants legs, all talking \
(a synthetic voice, each leg at its own offset into it, PCMU). A leg's mixer path per 20 ms: \
decode its payload, push it into its room (mutex, as on the node), pull its mix (everyone \
but itself, clamped), encode it; the room mixes once per 20 ms of virtual time. The \
reference is the same legs as two-party decoded bridges (decode, the peer's feed, encode). \
Legs per core = 1 s ÷ (µs per leg-frame × 50). Median of the runs, spread in brackets.";

/// One run's cost, microseconds per leg and 20 ms frame.
#[derive(Debug, Clone, Copy)]
pub struct MixRun {
    pub mixer: f64,
    pub bridge: f64,
}

/// PCMU payloads of a voice, 20 ms each.
fn payloads() -> Result<Vec<Vec<u8>>> {
    let mut enc = Encoder::new(&Payload::Pcmu)?;
    Ok(crate::codec::voice(8000, 10)
        .chunks_exact(160)
        .map(|f| {
            let mut p = Vec::new();
            enc.encode(f, &mut p);
            p
        })
        .collect())
}

struct Leg {
    dec: Decoder,
    enc: Encoder,
    pcm: Vec<i16>,
    out: Vec<u8>,
}

fn leg() -> Result<Leg> {
    Ok(Leg {
        dec: Decoder::new(&Payload::Pcmu)?,
        enc: Encoder::new(&Payload::Pcmu)?,
        pcm: Vec::with_capacity(160),
        out: Vec::with_capacity(160),
    })
}

/// Microseconds per leg-frame of `rooms` × `size` mixed legs over `secs`.
fn mixer(rooms: usize, size: usize, secs: Duration, input: &[Vec<u8>]) -> Result<f64> {
    let mixers: Vec<Arc<Mutex<Mixer>>> = (0..rooms)
        .map(|_| {
            let mut m = Mixer::new(8000);
            for id in 0..size as u64 {
                m.join(id, Role::default());
            }
            Arc::new(Mutex::new(m))
        })
        .collect();
    let mut legs: Vec<Leg> = (0..rooms * size).map(|_| leg()).collect::<Result<_>>()?;
    let t0 = Instant::now();
    let mut frame = vec![0i16; 160];
    let mut tick = 0usize;
    let step = |tick: usize, legs: &mut [Leg], frame: &mut Vec<i16>| {
        let now = t0 + TICK * tick as u32;
        for (i, l) in legs.iter_mut().enumerate() {
            let (room, id) = (i / size, (i % size) as u64);
            l.pcm.clear();
            l.dec
                .decode(&input[(tick + i * 7) % input.len()], &mut l.pcm);
            let mut m = mixers[room].lock().unwrap_or_else(|e| e.into_inner());
            m.advance(now);
            m.push(id, 8000, &l.pcm);
        }
        for (i, l) in legs.iter_mut().enumerate() {
            let (room, id) = (i / size, (i % size) as u64);
            let mut m = mixers[room].lock().unwrap_or_else(|e| e.into_inner());
            m.advance(now);
            m.pull(id, 8000, frame);
            drop(m);
            l.out.clear();
            l.enc.encode(frame, &mut l.out);
            black_box(&l.out);
        }
    };
    // Warm up: the rooms' queues prime.
    for _ in 0..10 {
        step(tick, &mut legs, &mut frame);
        tick += 1;
    }
    let start = Instant::now();
    let mut frames = 0usize;
    while start.elapsed() < secs {
        step(tick, &mut legs, &mut frame);
        tick += 1;
        frames += legs.len();
    }
    Ok(start.elapsed().as_secs_f64() * 1e6 / frames as f64)
}

/// Microseconds per leg-frame of `legs` legs as two-party decoded bridges over `secs`.
fn bridges(legs: usize, secs: Duration, input: &[Vec<u8>]) -> Result<f64> {
    let mut ends: Vec<Leg> = (0..legs).map(|_| leg()).collect::<Result<_>>()?;
    let mut feeds: Vec<Feed> = (0..legs).map(|_| Feed::new(8000)).collect();
    let mut frame = vec![0i16; 160];
    let step = |tick: usize, ends: &mut [Leg], feeds: &mut [Feed], frame: &mut Vec<i16>| {
        for (i, l) in ends.iter_mut().enumerate() {
            l.pcm.clear();
            l.dec
                .decode(&input[(tick + i * 7) % input.len()], &mut l.pcm);
            feeds[i ^ 1].push(8000, &l.pcm);
        }
        for (i, l) in ends.iter_mut().enumerate() {
            feeds[i].next_frame(frame);
            l.out.clear();
            l.enc.encode(frame, &mut l.out);
            black_box(&l.out);
        }
    };
    for t in 0..10 {
        step(t, &mut ends, &mut feeds, &mut frame);
    }
    let start = Instant::now();
    let (mut tick, mut frames) = (10usize, 0usize);
    while start.elapsed() < secs {
        step(tick, &mut ends, &mut feeds, &mut frame);
        tick += 1;
        frames += ends.len();
    }
    Ok(start.elapsed().as_secs_f64() * 1e6 / frames as f64)
}

/// `runs` runs of both paths, `rooms` rooms of `size`, each path timed for `secs`.
pub fn run(runs: usize, rooms: usize, size: usize, secs: Duration) -> Result<Vec<MixRun>> {
    let input = payloads()?;
    (0..runs)
        .map(|_| {
            Ok(MixRun {
                mixer: mixer(rooms, size, secs, &input)?,
                bridge: bridges(rooms * size, secs, &input)?,
            })
        })
        .collect()
}

pub fn table(runs: &[MixRun], rooms: usize, size: usize) -> String {
    let col = |f: &dyn Fn(&MixRun) -> f64| runs.iter().map(f).collect::<Vec<_>>();
    let mut t = String::from(
        "| Path (one thread) | Legs | µs per leg-frame | Legs per core | vs bridge |\n\
         |---|---|---|---|---|\n",
    );
    let legs = rooms * size;
    t.push_str(&format!(
        "| Two-party decoded bridges (reference) | {legs} | {} | {} | 100 % |\n",
        cell(col(&|r| r.bridge), 2),
        cell(col(&|r| 1e6 / (r.bridge * 50.0)), 0),
    ));
    t.push_str(&format!(
        "| Conference mixer, {rooms} rooms × {size} | {legs} | {} | {} | {} % |\n",
        cell(col(&|r| r.mixer), 2),
        cell(col(&|r| 1e6 / (r.mixer * 50.0)), 0),
        cell(col(&|r| 100.0 * r.mixer / r.bridge), 0),
    ));
    t
}
