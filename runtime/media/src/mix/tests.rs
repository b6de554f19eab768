use std::f64::consts::TAU;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::*;
use crate::tone::goertzel_power;

/// A participant playing a steady tone, as its leg's tap would hand it to the room.
struct Talker {
    id: ParticipantId,
    rate: u32,
    freq: f64,
    phase: f64,
    /// What it heard, at its rate.
    heard: Vec<i16>,
}

impl Talker {
    fn new(id: ParticipantId, rate: u32, freq: f64) -> Self {
        Self {
            id,
            rate,
            freq,
            phase: 0.0,
            heard: Vec::new(),
        }
    }

    fn frame(&mut self) -> Vec<i16> {
        let n = self.rate as usize / 50;
        (0..n)
            .map(|_| {
                let s = 6000.0 * self.phase.sin();
                self.phase = (self.phase + TAU * self.freq / f64::from(self.rate)) % TAU;
                s as i16
            })
            .collect()
    }

    /// Power of `freq` in the last second it heard.
    fn hears(&self, freq: f64) -> f64 {
        let tail = &self.heard[self.heard.len() - self.rate as usize..];
        goertzel_power(tail, freq, self.rate)
    }
}

/// `ticks` of 20 ms: each talker pushes a frame and pulls its mix, on the room's clock.
fn run(mixer: &mut Mixer, talkers: &mut [Talker], start: Instant, ticks: u32) {
    for t in 0..ticks {
        let now = start + TICK * t;
        for k in talkers.iter_mut() {
            let f = k.frame();
            mixer.push(k.id, k.rate, &f);
        }
        mixer.advance(now);
        for k in talkers.iter_mut() {
            let mut out = vec![0; k.rate as usize / 50];
            mixer.pull(k.id, k.rate, &mut out);
            k.heard.extend(&out);
        }
    }
}

/// Clearly present (a 6000-peak tone gives about 2.2e6) and clearly absent.
const PRESENT: f64 = 1e6;
const ABSENT: f64 = 1e3;

fn room(freqs: &[(u32, f64)]) -> (Mixer, Vec<Talker>) {
    let mut mixer = Mixer::new(8000);
    let talkers: Vec<Talker> = freqs
        .iter()
        .enumerate()
        .map(|(i, &(rate, f))| Talker::new(i as u64 + 1, rate, f))
        .collect();
    for t in &talkers {
        mixer.join(t.id, Role::default());
    }
    (mixer, talkers)
}

#[test]
fn each_participant_hears_the_others_and_not_itself() {
    let freqs = [440.0, 700.0, 1100.0];
    let (mut mixer, mut talkers) = room(&freqs.map(|f| (8000, f)));
    run(&mut mixer, &mut talkers, Instant::now(), 100);
    for t in &talkers {
        for f in freqs {
            let p = t.hears(f);
            if f == t.freq {
                assert!(p < ABSENT, "{} hears itself: {p}", t.id);
            } else {
                assert!(p > PRESENT, "{} does not hear {f} Hz: {p}", t.id);
            }
        }
    }
}

#[test]
fn a_wideband_participant_hears_the_narrowband_ones_at_its_rate() {
    let (mut mixer, mut talkers) = room(&[(8000, 440.0), (16_000, 700.0), (8000, 1100.0)]);
    run(&mut mixer, &mut talkers, Instant::now(), 100);
    let wide = &talkers[1];
    assert_eq!(wide.heard.len(), 100 * 320);
    assert!(wide.hears(440.0) > PRESENT && wide.hears(1100.0) > PRESENT);
    assert!(wide.hears(700.0) < ABSENT);
    assert!(talkers[0].hears(700.0) > PRESENT, "the 16 kHz one is heard");
}

#[test]
fn a_muted_participant_is_not_heard_but_hears() {
    let (mut mixer, mut talkers) = room(&[(8000, 440.0), (8000, 700.0), (8000, 1100.0)]);
    let start = Instant::now();
    run(&mut mixer, &mut talkers, start, 60);
    assert!(talkers[1].hears(440.0) > PRESENT);
    let muted = Role {
        muted: true,
        ..Role::default()
    };
    assert!(mixer.set_role(1, muted));
    run(&mut mixer, &mut talkers, start + TICK * 60, 60);
    assert!(talkers[1].hears(440.0) < ABSENT, "muted 440 Hz still heard");
    assert!(talkers[2].hears(440.0) < ABSENT, "muted 440 Hz still heard");
    assert!(talkers[2].hears(700.0) > PRESENT, "the others still are");
    assert!(talkers[0].hears(700.0) > PRESENT && talkers[0].hears(1100.0) > PRESENT);
}

#[test]
fn a_coach_is_heard_only_by_the_one_it_coaches_and_hears_everyone() {
    let (mut mixer, mut talkers) = room(&[(8000, 440.0), (8000, 700.0), (8000, 1100.0)]);
    let coach = Role {
        coaching: Some(2),
        ..Role::default()
    };
    mixer.join(1, coach);
    run(&mut mixer, &mut talkers, Instant::now(), 100);
    assert!(
        talkers[1].hears(440.0) > PRESENT,
        "the coached one hears its coach"
    );
    assert!(talkers[2].hears(440.0) < ABSENT, "another hears the coach");
    assert!(talkers[0].hears(700.0) > PRESENT && talkers[0].hears(1100.0) > PRESENT);
    assert!(talkers[0].hears(440.0) < ABSENT, "the coach hears itself");
}

#[test]
fn a_held_participant_neither_hears_nor_is_heard() {
    let (mut mixer, mut talkers) = room(&[(8000, 440.0), (8000, 700.0)]);
    let held = Role {
        held: true,
        ..Role::default()
    };
    mixer.join(1, held);
    run(&mut mixer, &mut talkers, Instant::now(), 100);
    assert!(talkers[0].hears(700.0) < ABSENT);
    assert!(talkers[1].hears(440.0) < ABSENT);
}

#[test]
fn loud_sums_saturate_instead_of_wrapping() {
    let mut mixer = Mixer::new(8000);
    for id in 1..=3 {
        mixer.join(id, Role::default());
    }
    let start = Instant::now();
    let mut out = vec![0; 160];
    for t in 0..10 {
        mixer.push(1, 8000, &[30_000; 160]);
        mixer.push(2, 8000, &[30_000; 160]);
        mixer.push(3, 8000, &[0; 160]);
        mixer.advance(start + TICK * t);
        mixer.pull(3, 8000, &mut out);
    }
    assert!(out.iter().all(|&s| s == i16::MAX), "{out:?}");
}

#[test]
fn a_beep_is_heard_by_everyone_and_a_listener_hears_the_room() {
    let (mut mixer, mut talkers) = room(&[(8000, 440.0), (8000, 700.0)]);
    let heard = Arc::new(Mutex::new(Vec::new()));
    mixer.add_listener(9, Box::new(Collect(heard.clone())));
    let start = Instant::now();
    run(&mut mixer, &mut talkers, start, 20);
    mixer.announce(8000, &crate::beep());
    run(&mut mixer, &mut talkers, start + TICK * 20, 30);
    for t in &talkers {
        let beep = &t.heard[4000..7000];
        assert!(goertzel_power(beep, 1000.0, 8000) > PRESENT / 10.0);
    }
    let heard = heard.lock().unwrap();
    let tail = &heard[heard.len() - 8000..];
    for f in [440.0, 700.0, 1000.0] {
        assert!(goertzel_power(tail, f, 8000) > PRESENT / 10.0, "{f} Hz");
    }
}

struct Collect(Arc<Mutex<Vec<i16>>>);

impl Tap for Collect {
    fn wants_inbound(&self) -> bool {
        true
    }
    fn inbound(&mut self, _rate: u32, pcm: &[i16]) {
        self.0.lock().unwrap().extend(pcm);
    }
    fn outbound(&mut self, _rate: u32, _pcm: &[i16]) {}
}

#[test]
fn a_late_clock_is_caught_up_a_few_ticks_and_no_more() {
    let (mut mixer, _) = room(&[(8000, 440.0)]);
    let start = Instant::now();
    mixer.advance(start);
    mixer.advance(start + TICK * 100);
    assert_eq!(mixer.deadline(), Some(start + TICK * 101));
}

#[test]
fn the_loudest_speaker_is_tracked_with_hysteresis() {
    let mut mixer = Mixer::new(8000);
    mixer.join(1, Role::default());
    mixer.join(2, Role::default());
    let start = Instant::now();
    let mut t = 0;
    let mut step = |mixer: &mut Mixer, a: i16, b: i16, n: u32| {
        let mut events = Vec::new();
        for _ in 0..n {
            mixer.push(1, 8000, &square(a));
            mixer.push(2, 8000, &square(b));
            mixer.advance(start + TICK * t);
            t += 1;
            events.extend(std::iter::from_fn(|| mixer.poll_event()));
        }
        events
    };
    assert_eq!(step(&mut mixer, 0, 0, 10), vec![]);
    let ev = step(&mut mixer, 3000, 0, 20);
    assert_eq!(
        ev,
        vec![SpeakerEvent::SpeechStart(1), SpeakerEvent::Loudest(Some(1))]
    );
    // 2 speaks about as loud: 1 stays the loudest.
    let ev = step(&mut mixer, 3000, 4000, 20);
    assert_eq!(ev, vec![SpeakerEvent::SpeechStart(2)]);
    // 2 is far louder: it takes over.
    let ev = step(&mut mixer, 1000, 20_000, 20);
    assert_eq!(ev, vec![SpeakerEvent::Loudest(Some(2))]);
    // A short pause does not stop anyone; a long one does.
    assert_eq!(step(&mut mixer, 0, 0, 10), vec![]);
    let ev = step(&mut mixer, 0, 0, 40);
    assert!(ev.contains(&SpeakerEvent::SpeechStop(1)));
    assert!(ev.contains(&SpeakerEvent::SpeechStop(2)));
    assert_eq!(ev.last(), Some(&SpeakerEvent::Loudest(None)));
}

fn square(a: i16) -> Vec<i16> {
    (0..160).map(|i| if i % 20 < 10 { a } else { -a }).collect()
}
