//! A participant's leg and its room's mixer: a tap pushes what the leg receives into
//! the room, a source pulls the participant's mix for the leg to send. Both run on the
//! leg's media worker and give the mixer the time (it mixes every 20 ms of it).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use switchyard_media::leg::{Source, Tap};
use switchyard_media::mix::{Mixer, ParticipantId};

/// The tap id of a conference participant's tap, apart from recordings' and streams'.
pub const CONFERENCE_TAP: u64 = 1 << 61;

pub(crate) fn lock(mixer: &Mutex<Mixer>) -> std::sync::MutexGuard<'_, Mixer> {
    mixer.lock().unwrap_or_else(|e| e.into_inner())
}

/// What the participant's leg receives, into the room.
#[derive(Debug)]
pub struct MixTap {
    pub mixer: Arc<Mutex<Mixer>>,
    pub id: ParticipantId,
}

impl Tap for MixTap {
    fn wants_inbound(&self) -> bool {
        true
    }

    fn inbound(&mut self, rate: u32, pcm: &[i16]) {
        let mut m = lock(&self.mixer);
        m.advance(Instant::now());
        m.push(self.id, rate, pcm);
    }

    fn outbound(&mut self, _rate: u32, _pcm: &[i16]) {}
}

/// The participant's mix, for its leg to send.
#[derive(Debug)]
pub struct MixSource {
    pub mixer: Arc<Mutex<Mixer>>,
    pub id: ParticipantId,
}

impl Source for MixSource {
    fn next_frame(&mut self, rate: u32, pcm: &mut [i16]) -> bool {
        let mut m = lock(&self.mixer);
        m.advance(Instant::now());
        m.pull(self.id, rate, pcm)
    }
}
