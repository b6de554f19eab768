//! A conference room's mixer, sans-IO: N participants, each hearing the sum of all the
//! others but not itself, at its own leg's rate.
//!
//! Participants' legs may live on different media workers, each ticking on its own
//! clock, so the room is a meeting point rather than a bridge: a participant's tap
//! [`push`](Mixer::push)es each 20 ms frame it received into the room, the room mixes
//! once every 20 ms of the time it is given ([`advance`](Mixer::advance)), and each
//! participant's source [`pull`](Mixer::pull)s its own mix. Frames cross between the
//! clocks through small queues ([`Feed`]s, which also convert rates), primed with two
//! frames so that two clocks drifting against each other do not starve the mix.
//!
//! One tick sums every participant that is heard (not muted, not held, not a coach)
//! into a 32-bit total; a participant then hears the total minus its own frame, plus
//! the coaches that coach it, clamped to 16 bits. A coach hears the total. A beep (a
//! participant entering or leaving) is added to what everyone hears. The loudest
//! speaker is tracked for `speaker` events ([`speaker`]).

mod speaker;
#[cfg(test)]
mod tests;

pub use speaker::SpeakerEvent;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::codec::Feed;
use crate::leg::Tap;
use speaker::Speakers;

/// The room's tick.
pub const TICK: Duration = Duration::from_millis(20);

/// Ticks the room catches up at most when it was not given the time for a while
/// (nobody pulled): older ones are skipped, not mixed in a burst.
const MAX_CATCH_UP: u32 = 5;

/// Frames a participant's queues hold before they are read from, so that two 20 ms
/// clocks drifting against each other always find a frame.
const PRIME_FRAMES: usize = 2;

/// Frames a participant's queues hold at most (the oldest go first): the delay a
/// drifting clock can add stays under 100 ms.
const QUEUE_FRAMES: usize = 5;

/// A participant in a [`Mixer`], named by its owner.
pub type ParticipantId = u64;

/// How a participant takes part.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Role {
    /// It hears but is not heard.
    pub muted: bool,
    /// On hold: it neither hears the room nor is heard (its leg plays hold music).
    pub held: bool,
    /// It coaches this participant: only that one hears it.
    pub coaching: Option<ParticipantId>,
}

/// A frame queue between a leg's clock and the room's: it gives nothing until
/// primed, and stops giving (to prime again) when it runs dry.
#[derive(Debug)]
struct Queue {
    feed: Feed,
    primed: bool,
}

impl Queue {
    fn new(rate: u32) -> Self {
        Self {
            feed: Feed::with_depth(rate, QUEUE_FRAMES),
            primed: false,
        }
    }

    fn push(&mut self, rate: u32, pcm: &[i16]) {
        self.feed.push(rate, pcm);
        if self.feed.buffered() >= PRIME_FRAMES * self.feed.frame_samples() {
            self.primed = true;
        }
    }

    /// One frame into `out`, or false (and `out` untouched) when there is none.
    fn pop(&mut self, out: &mut [i16]) -> bool {
        if !self.primed {
            return false;
        }
        if self.feed.buffered() < out.len() {
            self.primed = false;
            return false;
        }
        self.feed.next_frame(out)
    }

    fn clear(&mut self) {
        self.feed.clear();
        self.primed = false;
    }
}

#[derive(Debug)]
struct Participant {
    id: ParticipantId,
    role: Role,
    /// What its leg received, at the room's rate.
    inbound: Queue,
    /// Its mix, at its leg's rate.
    outbound: Queue,
    /// This tick's frame of it, at the room's rate (silence when it had none).
    own: Vec<i16>,
    /// Whether `own` holds audio this tick.
    heard: bool,
}

/// A conference room's mixer. See the [module documentation](self).
pub struct Mixer {
    rate: u32,
    frame: usize,
    participants: Vec<Participant>,
    /// The sum of everyone heard, this tick.
    total: Vec<i32>,
    /// One participant's mix, this tick.
    mix: Vec<i16>,
    /// A sound everyone hears (a beep), at the room's rate.
    announce: VecDeque<i16>,
    announce_feed: Feed,
    /// Who hears the whole room (a recording of the conference).
    listeners: Vec<(u64, Box<dyn Tap>)>,
    speakers: Speakers,
    /// The participants coaching someone and heard this tick (reused).
    coaches: Vec<usize>,
    next_tick: Option<Instant>,
}

impl std::fmt::Debug for Mixer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mixer")
            .field("rate", &self.rate)
            .field("participants", &self.participants.len())
            .field("listeners", &self.listeners.len())
            .finish_non_exhaustive()
    }
}

impl Mixer {
    /// An empty room mixing at `rate` Hz.
    pub fn new(rate: u32) -> Self {
        let frame = (rate as usize / 50).max(1);
        Self {
            rate,
            frame,
            participants: Vec::new(),
            total: vec![0; frame],
            mix: vec![0; frame],
            announce: VecDeque::new(),
            announce_feed: Feed::with_depth(rate, 500),
            listeners: Vec::new(),
            speakers: Speakers::default(),
            coaches: Vec::new(),
            next_tick: None,
        }
    }

    /// The rate it mixes at, Hz.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// How many participants are in the room.
    pub fn len(&self) -> usize {
        self.participants.len()
    }

    /// Whether the room is empty.
    pub fn is_empty(&self) -> bool {
        self.participants.is_empty()
    }

    /// `id` joins (its mix comes at the rate its leg pulls it). Joining again changes
    /// nothing but the role.
    pub fn join(&mut self, id: ParticipantId, role: Role) {
        if let Some(p) = self.find(id) {
            p.role = role;
            return;
        }
        self.participants.push(Participant {
            id,
            role,
            inbound: Queue::new(self.rate),
            outbound: Queue::new(self.rate),
            own: vec![0; self.frame],
            heard: false,
        });
    }

    /// `id` leaves; whoever it coached is coached no more.
    pub fn leave(&mut self, id: ParticipantId) {
        self.participants.retain(|p| p.id != id);
        for p in &mut self.participants {
            if p.role.coaching == Some(id) {
                p.role.coaching = None;
            }
        }
        self.speakers.forget(id);
    }

    /// How `id` takes part now, if it is in the room.
    pub fn role(&self, id: ParticipantId) -> Option<Role> {
        self.participants
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.role)
    }

    /// Change how `id` takes part. Returns whether it is in the room.
    pub fn set_role(&mut self, id: ParticipantId, role: Role) -> bool {
        let Some(p) = self.find(id) else {
            return false;
        };
        if role.held && !p.role.held {
            p.inbound.clear();
            p.outbound.clear();
        }
        p.role = role;
        true
    }

    fn find(&mut self, id: ParticipantId) -> Option<&mut Participant> {
        self.participants.iter_mut().find(|p| p.id == id)
    }

    /// Everyone hears `pcm` (at `rate` Hz) on top of the room, from the next tick.
    pub fn announce(&mut self, rate: u32, pcm: &[i16]) {
        self.announce_feed.push(rate, pcm);
        self.announce_feed.finish();
        let mut frame = vec![0; self.frame];
        while self.announce_feed.buffered() > 0 {
            let n = self.announce_feed.buffered().min(self.frame);
            self.announce_feed.next_frame(&mut frame[..n]);
            self.announce.extend(&frame[..n]);
        }
    }

    /// `tap` hears the whole room (everyone heard, and the beeps), under `id`.
    pub fn add_listener(&mut self, id: u64, tap: Box<dyn Tap>) {
        self.listeners.push((id, tap));
    }

    /// The listener added under `id` hears no more; it is handed back to be closed.
    pub fn remove_listener(&mut self, id: u64) -> Option<Box<dyn Tap>> {
        let i = self.listeners.iter().position(|(l, _)| *l == id)?;
        Some(self.listeners.remove(i).1)
    }

    /// Every listener, taken off (the room is over).
    pub fn take_listeners(&mut self) -> Vec<(u64, Box<dyn Tap>)> {
        std::mem::take(&mut self.listeners)
    }

    /// One frame `id`'s leg received, at `rate` Hz.
    pub fn push(&mut self, id: ParticipantId, rate: u32, pcm: &[i16]) {
        if let Some(p) = self.find(id) {
            if !p.role.held {
                p.inbound.push(rate, pcm);
            }
        }
    }

    /// `id`'s next frame of its mix (`out` is one frame at `rate` Hz, its leg's), or
    /// false when it has none yet (its leg then sends silence). A new rate starts its
    /// mix anew at that rate.
    pub fn pull(&mut self, id: ParticipantId, rate: u32, out: &mut [i16]) -> bool {
        let Some(p) = self.find(id) else {
            return false;
        };
        if p.outbound.feed.rate() != rate {
            p.outbound = Queue::new(rate);
        }
        p.outbound.pop(out)
    }

    /// Mix every tick due by `now`: the room's clock. The first call starts it.
    pub fn advance(&mut self, now: Instant) {
        let next = *self.next_tick.get_or_insert(now);
        if now < next {
            return;
        }
        let due = (now.duration_since(next).as_micros() / TICK.as_micros()) as u32 + 1;
        let skipped = due.saturating_sub(MAX_CATCH_UP);
        for _ in 0..due.min(MAX_CATCH_UP) {
            self.tick();
        }
        self.next_tick = Some(next + TICK * due);
        if skipped > 0 {
            tracing::trace!(skipped, "mixer ticks skipped");
        }
    }

    /// When the room wants the time next.
    pub fn deadline(&self) -> Option<Instant> {
        self.next_tick
    }

    /// What happened to who speaks since the last call.
    pub fn poll_event(&mut self) -> Option<SpeakerEvent> {
        self.speakers.poll_event()
    }

    /// One 20 ms mix.
    pub fn tick(&mut self) {
        let Self {
            rate,
            participants,
            coaches,
            total,
            mix,
            announce,
            listeners,
            speakers,
            ..
        } = self;
        total.fill(0);
        for p in participants.iter_mut() {
            p.heard = p.inbound.pop(&mut p.own);
            if !p.heard {
                p.own.fill(0);
            }
            let silenced = p.role.muted || p.role.held;
            speakers.observe(p.id, if silenced { None } else { Some(&p.own) });
            if silenced {
                p.heard = false;
            }
            if p.heard && p.role.coaching.is_none() {
                for (t, &s) in total.iter_mut().zip(&p.own) {
                    *t += i32::from(s);
                }
            }
        }
        speakers.settle();
        let n = announce.len().min(total.len());
        for (t, s) in total.iter_mut().zip(announce.drain(..n)) {
            *t += i32::from(s);
        }
        if !listeners.is_empty() {
            clamp_into(total, mix);
            for (_, tap) in listeners.iter_mut() {
                tap.inbound(*rate, mix);
            }
        }
        coaches.clear();
        coaches.extend(
            participants
                .iter()
                .enumerate()
                .filter(|(_, c)| c.heard && c.role.coaching.is_some())
                .map(|(i, _)| i),
        );
        for i in 0..participants.len() {
            let p = &participants[i];
            if p.role.held {
                continue;
            }
            let own = p.heard && p.role.coaching.is_none();
            for (k, m) in mix.iter_mut().enumerate() {
                let s = if own {
                    total[k] - i32::from(p.own[k])
                } else {
                    total[k]
                };
                *m = saturate(s);
            }
            for &c in coaches.iter() {
                let c = &participants[c];
                if c.role.coaching == Some(p.id) {
                    for (m, &s) in mix.iter_mut().zip(&c.own) {
                        *m = m.saturating_add(s);
                    }
                }
            }
            participants[i].outbound.push(*rate, mix);
        }
    }
}

fn saturate(s: i32) -> i16 {
    s.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

fn clamp_into(total: &[i32], out: &mut [i16]) {
    for (o, &t) in out.iter_mut().zip(total) {
        *o = saturate(t);
    }
}
