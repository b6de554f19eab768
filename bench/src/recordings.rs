//! Concurrent recordings written: the recorder taps as the media workers run them, one
//! worker thread per core each owning its share of the recordings and ticking every
//! 20 ms, next to the same loop writing the same frames to plain files.
//!
//! Each recording gets its own tone (a frequency per recording, phase-continuous), so
//! a gap, a repeated or a lost frame anywhere shows: after the run every file is read
//! back and must hold exactly the samples fed, in order. Cases: `<Record>` (one track,
//! [`RecordTap`]) and a dual whole-call recording (a [`CallRecording`]'s caller tap and
//! bridged-leg tap, two channels); the reference writes the raw 16-bit frames with
//! `write_all` and no header, the floor any recorder pays for the disk.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use switchyard_media::leg::{Tap, TapReport};
use switchyard_media::record::{
    CallLayout, CallRecording, LocalRecordings, RecordLimits, RecordTap, RecordingStorage, Sides,
    Track,
};

use crate::bridge_report::cell;

pub const HEADING: &str = "## Recordings: concurrent recordings written";

pub const NOTES: &str = "In-process: one thread per core, as the media engine runs one \
worker per core, each owning its share of the recordings and ticking on an absolute 20 ms \
schedule; each tick hands every recording its next 20 ms frame (8 kHz), as a leg's tick \
does, through the same tap the node puts on a leg (`RecordTap` for `<Record>`, a \
`CallRecording`'s two taps for a dual whole-call recording), files under a temporary \
directory on the node's disk, checkpointed once a second. Reference: the same loop \
writing the same frames with `write_all` to plain files. tick work = time to serve one \
tick's share; late = how far a tick started after its schedule. CPU = the process's \
utime + stime over the run ÷ recordings, in % of one core. Every file is read back after \
the run: `no gap` counts files holding exactly the samples fed, in order (a per-recording \
tone, phase-continuous). Median of the runs, spread in brackets.";

/// What one case of one run measured.
#[derive(Debug, Clone)]
pub struct CaseRun {
    pub tick_p50_ms: f64,
    pub tick_p99_ms: f64,
    pub late_p99_ms: f64,
    pub cpu_per_recording: f64,
    pub intact: usize,
    pub recordings: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    Record,
    Dual,
    Raw,
}

impl Case {
    pub const ALL: [Case; 3] = [Case::Record, Case::Dual, Case::Raw];

    fn name(self) -> &'static str {
        match self {
            Case::Record => "`<Record>` (one track)",
            Case::Dual => "whole call, dual (two taps)",
            Case::Raw => "reference: raw `write_all`",
        }
    }
}

/// Recording `i`'s sample `n` on `channel`: a tone of its own.
fn sample(i: usize, channel: usize, n: usize) -> i16 {
    let freq = 300.0 + (i % 500) as f64 * 5.0 + channel as f64 * 1000.0;
    ((n as f64 * std::f64::consts::TAU * freq / 8000.0).sin() * 8000.0) as i16
}

fn frame(i: usize, channel: usize, tick: usize, out: &mut [i16]) {
    for (k, s) in out.iter_mut().enumerate() {
        *s = sample(i, channel, tick * 160 + k);
    }
}

/// One recording as a worker drives it.
enum Writer {
    Record(Box<dyn Tap>),
    Dual(Box<dyn Tap>, Box<dyn Tap>),
    Raw(File),
}

impl Writer {
    fn new(case: Case, storage: &LocalRecordings, dir: &Path, i: usize) -> Result<Self> {
        let sid = format!("RE{i:032}");
        Ok(match case {
            Case::Record => {
                let limits = RecordLimits::until_stopped(false);
                let sink = storage.create("AC1", &sid)?;
                Writer::Record(Box::new(RecordTap::new(sink, Track::Inbound, limits)?))
            }
            Case::Dual => {
                let layout = CallLayout {
                    channels: 2,
                    sides: Sides::Both,
                    trim_silence: false,
                };
                let (handle, caller) = CallRecording::new(storage.create("AC1", &sid)?, layout)?;
                Writer::Dual(Box::new(caller), Box::new(handle.peer_tap()))
            }
            Case::Raw => Writer::Raw(File::create(dir.join(format!("{sid}.raw")))?),
        })
    }

    fn tick(&mut self, i: usize, tick: usize, pcm: &mut [i16], bytes: &mut Vec<u8>) -> Result<()> {
        match self {
            Writer::Record(tap) => {
                frame(i, 0, tick, pcm);
                tap.inbound(8000, pcm);
            }
            Writer::Dual(caller, peer) => {
                frame(i, 0, tick, pcm);
                caller.inbound(8000, pcm);
                frame(i, 1, tick, pcm);
                peer.inbound(8000, pcm);
            }
            Writer::Raw(f) => {
                frame(i, 0, tick, pcm);
                bytes.clear();
                bytes.extend(pcm.iter().flat_map(|s| s.to_le_bytes()));
                f.write_all(bytes)?;
            }
        }
        Ok(())
    }

    fn close(self) -> Result<()> {
        let report = match self {
            Writer::Record(tap) => tap.close(),
            Writer::Dual(caller, peer) => {
                peer.close();
                caller.close()
            }
            Writer::Raw(mut f) => {
                f.flush()?;
                return Ok(());
            }
        };
        ensure!(
            matches!(report, TapReport::Recorded { .. }),
            "a recording ended {report:?}"
        );
        Ok(())
    }
}

/// Whether recording `i`'s file holds exactly the `ticks` frames fed, in order.
fn intact(
    case: Case,
    dir: &Path,
    storage: &LocalRecordings,
    i: usize,
    ticks: usize,
) -> Result<bool> {
    let sid = format!("RE{i:032}");
    let mut bytes = Vec::new();
    let (skip, channels) = match case {
        Case::Raw => {
            File::open(dir.join(format!("{sid}.raw")))?.read_to_end(&mut bytes)?;
            (0, 1)
        }
        Case::Record => {
            storage.open("AC1", &sid)?.read_to_end(&mut bytes)?;
            (44, 1)
        }
        Case::Dual => {
            storage.open("AC1", &sid)?.read_to_end(&mut bytes)?;
            (44, 2)
        }
    };
    let samples: Vec<i16> = bytes
        .get(skip..)
        .context("a short file")?
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    if samples.len() != ticks * 160 * channels {
        return Ok(false);
    }
    Ok(samples
        .chunks_exact(channels)
        .enumerate()
        .all(|(n, f)| f.iter().enumerate().all(|(c, &s)| s == sample(i, c, n))))
}

/// The process's CPU time so far (utime + stime).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // Fields 14 and 15 (utime, stime), counted from the state (field 3) here; 100 Hz.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// One case: `count` recordings over `workers` threads for `secs`.
pub fn run_case(case: Case, count: usize, workers: usize, secs: f64) -> Result<CaseRun> {
    let dir = tempfile::tempdir()?;
    let storage = LocalRecordings::new(dir.path());
    let ticks = (secs * 50.0).round() as usize;
    let cpu0 = cpu_time();
    let began = Instant::now();
    let results: Vec<Result<(Vec<f64>, Vec<f64>)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let (storage, dir) = (&storage, dir.path());
                s.spawn(move || -> Result<(Vec<f64>, Vec<f64>)> {
                    let mine: Vec<usize> = (w..count).step_by(workers).collect();
                    let mut writers = mine
                        .iter()
                        .map(|&i| Writer::new(case, storage, dir, i))
                        .collect::<Result<Vec<_>>>()?;
                    // Each worker's schedule starts once its files are open, as a media
                    // worker's legs tick from their own start.
                    let start = Instant::now() + Duration::from_millis(20);
                    let (mut work, mut late) = (Vec::new(), Vec::new());
                    let mut pcm = [0i16; 160];
                    let mut bytes = Vec::with_capacity(320);
                    for tick in 0..ticks {
                        let due = start + Duration::from_millis(20 * tick as u64);
                        if let Some(wait) = due.checked_duration_since(Instant::now()) {
                            std::thread::sleep(wait);
                        }
                        let began = Instant::now();
                        late.push(began.saturating_duration_since(due).as_secs_f64() * 1e3);
                        for (w, &i) in writers.iter_mut().zip(&mine) {
                            w.tick(i, tick, &mut pcm, &mut bytes)?;
                        }
                        work.push(began.elapsed().as_secs_f64() * 1e3);
                    }
                    for w in writers {
                        w.close()?;
                    }
                    Ok((work, late))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a worker panicked"))
            .collect()
    });
    let cpu = cpu_time().saturating_sub(cpu0);
    let wall = began.elapsed();
    let (mut work, mut late) = (Vec::new(), Vec::new());
    for r in results {
        let (w, l) = r?;
        work.extend(w);
        late.extend(l);
    }
    let pct = |v: &mut Vec<f64>, p: f64| {
        v.sort_by(f64::total_cmp);
        crate::stats::percentile(v, p).unwrap_or(f64::NAN)
    };
    let mut ok = 0;
    for i in 0..count {
        if intact(case, dir.path(), &storage, i, ticks)? {
            ok += 1;
        }
    }
    Ok(CaseRun {
        tick_p50_ms: pct(&mut work, 50.0),
        tick_p99_ms: pct(&mut work, 99.0),
        late_p99_ms: pct(&mut late, 99.0),
        cpu_per_recording: cpu.as_secs_f64() / wall.as_secs_f64() * 100.0 / count as f64,
        intact: ok,
        recordings: count,
    })
}

/// The table: one row per case, each cell the median of the runs with the spread.
pub fn table(count: usize, runs: &[(Case, Vec<CaseRun>)]) -> String {
    let mut out = format!(
        "| case ({count} recordings) | runs | tick work p50 / p99 ms | late p99 ms | CPU % per recording | no gap | CPU ÷ reference |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n"
    );
    let raw_cpu: Vec<f64> = runs
        .iter()
        .find(|(c, _)| *c == Case::Raw)
        .map(|(_, r)| r.iter().map(|x| x.cpu_per_recording).collect())
        .unwrap_or_default();
    for (case, r) in runs {
        let col = |f: fn(&CaseRun) -> f64| r.iter().map(f).collect::<Vec<f64>>();
        let ratio: Vec<f64> = r
            .iter()
            .zip(&raw_cpu)
            .map(|(x, raw)| x.cpu_per_recording / raw.max(1e-9))
            .collect();
        let intact = r.iter().map(|x| x.intact).min().unwrap_or(0);
        out.push_str(&format!(
            "| {} | {} | {} / {} | {} | {} | {} of {} (worst run) | {} |\n",
            case.name(),
            r.len(),
            cell(col(|x| x.tick_p50_ms), 2),
            cell(col(|x| x.tick_p99_ms), 2),
            cell(col(|x| x.late_p99_ms), 2),
            cell(col(|x| x.cpu_per_recording), 4),
            intact,
            r.first().map_or(0, |x| x.recordings),
            if *case == Case::Raw {
                "1".to_owned()
            } else {
                cell(ratio, 2)
            },
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_case_writes_files_that_hold_exactly_what_was_fed() {
        for case in Case::ALL {
            let r = run_case(case, 6, 2, 0.2).unwrap();
            assert_eq!(r.intact, 6, "{case:?}");
        }
    }

    #[test]
    fn a_file_missing_a_frame_is_not_intact() {
        let dir = tempfile::tempdir().unwrap();
        let storage = LocalRecordings::new(dir.path());
        let mut w = Writer::new(Case::Raw, &storage, dir.path(), 3).unwrap();
        let (mut pcm, mut bytes) = ([0i16; 160], Vec::new());
        for tick in [0, 1, 3] {
            w.tick(3, tick, &mut pcm, &mut bytes).unwrap();
        }
        w.close().unwrap();
        assert!(!intact(Case::Raw, dir.path(), &storage, 3, 3).unwrap());
    }
}
