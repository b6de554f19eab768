use std::io::Read;

use super::*;
use crate::record::{LocalRecordings, RecordingStorage};
use crate::tone::goertzel_power;
use crate::wav::{parse_header, HEADER_LEN};

fn tone(freq: f64, rate: u32, frame: usize) -> Vec<i16> {
    let n = rate as usize / 50;
    (frame * n..(frame + 1) * n)
        .map(|i| {
            ((i as f64 * std::f64::consts::TAU * freq / f64::from(rate)).sin() * 8000.0) as i16
        })
        .collect()
}

fn layout(channels: u16, sides: Sides) -> CallLayout {
    CallLayout {
        channels,
        sides,
        trim_silence: false,
    }
}

/// A recording in a temporary directory, its handle and the caller's tap.
fn recording(
    l: CallLayout,
) -> (
    tempfile::TempDir,
    LocalRecordings,
    CallRecording,
    Box<dyn Tap>,
) {
    let dir = tempfile::tempdir().unwrap();
    let storage = LocalRecordings::new(dir.path());
    let (handle, tap) = CallRecording::new(storage.create("AC1", "RE1").unwrap(), l).unwrap();
    (dir, storage, handle, Box::new(tap))
}

/// The finished file's channels, deinterleaved.
fn channels(storage: &LocalRecordings) -> Vec<Vec<i16>> {
    let mut wav = Vec::new();
    storage
        .open("AC1", "RE1")
        .unwrap()
        .read_to_end(&mut wav)
        .unwrap();
    let header: [u8; HEADER_LEN as usize] = wav[..HEADER_LEN as usize].try_into().unwrap();
    let format = parse_header(&header).unwrap();
    assert_eq!(format.rate, 8000);
    let n = usize::from(format.channels);
    let samples: Vec<i16> = wav[HEADER_LEN as usize..]
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    (0..n)
        .map(|c| samples.iter().skip(c).step_by(n).copied().collect())
        .collect()
}

fn power(samples: &[i16], freq: f64) -> f64 {
    goertzel_power(samples, freq, 8000)
}

#[test]
fn dual_puts_the_caller_on_the_first_channel_and_the_bridged_party_on_the_second() {
    let (_dir, storage, handle, mut caller) = recording(layout(2, Sides::Both));
    let mut peer: Box<dyn Tap> = Box::new(handle.peer_tap());
    for i in 0..100 {
        caller.inbound(8000, &tone(440.0, 8000, i));
        // What the caller's leg sends while bridged is the peer's audio again: not
        // recorded twice.
        caller.outbound(8000, &tone(440.0 * 3.0, 8000, i));
        // The called party is an Opus leg at 16 kHz.
        peer.inbound(16_000, &tone(1000.0, 16_000, i));
    }
    assert_eq!(peer.close(), TapReport::Closed);
    let TapReport::Recorded {
        duration_ms,
        voiced,
    } = caller.close()
    else {
        panic!("not recorded")
    };
    assert!(voiced);
    assert!((1960..=2000).contains(&duration_ms), "{duration_ms}");
    let ch = channels(&storage);
    assert_eq!(ch.len(), 2);
    // Past the resampler's start-up, each channel holds its party alone.
    let (a, b) = (&ch[0][800..], &ch[1][800..]);
    assert!(power(a, 440.0) > 100.0 * power(a, 1000.0));
    assert!(power(b, 1000.0) > 100.0 * power(b, 440.0));
    assert!(power(b, 1000.0) > 100.0 * power(b, 1320.0));
}

#[test]
fn mono_mixes_what_the_caller_says_with_what_it_hears() {
    let (_dir, storage, _handle, mut caller) = recording(layout(1, Sides::Both));
    for i in 0..50 {
        caller.inbound(8000, &tone(440.0, 8000, i));
        caller.outbound(8000, &tone(1000.0, 8000, i));
    }
    caller.close();
    let ch = channels(&storage);
    assert_eq!(ch.len(), 1);
    let m = &ch[0];
    assert_eq!(m.len(), 50 * 160);
    assert!(power(m, 440.0) > 1000.0 && power(m, 1000.0) > 1000.0);
    // Each tone at the level it was fed: a mix, not one side alone.
    let ratio = power(m, 440.0) / power(m, 1000.0);
    assert!((0.8..1.25).contains(&ratio), "{ratio}");
}

#[test]
fn a_track_keeps_only_its_side() {
    for (sides, kept, dropped) in [
        (Sides::Caller, 440.0, 1000.0),
        (Sides::Other, 1000.0, 440.0),
    ] {
        let (_dir, storage, _handle, mut caller) = recording(layout(1, sides));
        for i in 0..25 {
            caller.inbound(8000, &tone(440.0, 8000, i));
            caller.outbound(8000, &tone(1000.0, 8000, i));
        }
        caller.close();
        let m = &channels(&storage)[0];
        assert!(
            power(m, kept) > 1000.0 * power(m, dropped).max(1e-9),
            "{sides:?}"
        );
    }
}

#[test]
fn a_silent_side_is_written_as_silence_so_the_file_has_no_gap() {
    // The bridged party sends nothing at all (a one-way call): the caller's two
    // seconds are all there, the second channel silent.
    let (_dir, storage, handle, mut caller) = recording(layout(2, Sides::Both));
    let peer: Box<dyn Tap> = Box::new(handle.peer_tap());
    for i in 0..100 {
        caller.inbound(8000, &tone(440.0, 8000, i));
    }
    peer.close();
    caller.close();
    let ch = channels(&storage);
    assert_eq!(ch[0].len(), 100 * 160);
    assert!(ch[1].iter().all(|&s| s == 0));
    assert!(power(&ch[0], 440.0) > 1000.0);
}

#[test]
fn pausing_skips_or_writes_silence_as_asked_and_resuming_records_again() {
    for (how, expected_frames) in [(Paused::Skip, 50), (Paused::Silence, 75)] {
        let (_dir, storage, handle, mut caller) = recording(layout(1, Sides::Caller));
        for i in 0..75 {
            match i {
                25 => handle.pause(how),
                50 => handle.resume(),
                _ => {}
            }
            caller.inbound(8000, &tone(440.0, 8000, i));
            caller.outbound(8000, &[0; 160]);
        }
        caller.close();
        let m = &channels(&storage)[0];
        assert_eq!(m.len(), expected_frames * 160, "{how:?}");
        if how == Paused::Silence {
            assert!(m[25 * 160..50 * 160].iter().all(|&s| s == 0));
            assert!(power(&m[50 * 160..], 440.0) > 1000.0);
        }
    }
}

#[test]
fn once_the_bridged_leg_is_gone_the_caller_hears_the_app_again_on_the_second_side() {
    let (_dir, storage, handle, mut caller) = recording(layout(2, Sides::Both));
    let mut peer: Box<dyn Tap> = Box::new(handle.peer_tap());
    for i in 0..25 {
        caller.inbound(8000, &[0; 160]);
        caller.outbound(8000, &tone(440.0, 8000, i));
        peer.inbound(8000, &tone(1000.0, 8000, i));
    }
    peer.close();
    for i in 25..50 {
        caller.inbound(8000, &[0; 160]);
        caller.outbound(8000, &tone(440.0, 8000, i));
    }
    caller.close();
    let b = &channels(&storage)[1];
    assert_eq!(b.len(), 50 * 160);
    let (bridged, after) = b.split_at(25 * 160);
    assert!(power(bridged, 1000.0) > 1000.0 * power(bridged, 440.0).max(1e-9));
    assert!(power(after, 440.0) > 1000.0 * power(after, 1000.0).max(1e-9));
}
