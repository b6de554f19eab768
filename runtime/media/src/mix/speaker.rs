//! Who speaks in a room, from each participant's frame energy, with hysteresis so
//! that a syllable's dip or a cough does not flap the events: speech starts after a
//! few loud frames and stops after half a second of quiet; the loudest speaker
//! changes only to someone clearly louder (or when it stops).

use super::ParticipantId;

/// Level (dBFS, frame RMS) above which a frame counts as speech.
const SPEECH_DB: f64 = -40.0;
/// Level below which a frame counts as quiet (between the two: no change).
const QUIET_DB: f64 = -48.0;
/// Loud frames in a row that start speech (60 ms).
const START_FRAMES: u32 = 3;
/// Quiet frames in a row that stop it (500 ms).
const STOP_FRAMES: u32 = 25;
/// How much louder (dB) another speaker must be to take over as the loudest.
const TAKEOVER_DB: f64 = 6.0;
/// Weight of the newest frame in a participant's smoothed level.
const SMOOTHING: f64 = 0.3;

/// What the room reports about who speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpeakerEvent {
    /// The participant started speaking.
    SpeechStart(ParticipantId),
    /// The participant stopped speaking (or was silenced).
    SpeechStop(ParticipantId),
    /// The loudest speaker is now this one (`None`: nobody speaks).
    Loudest(Option<ParticipantId>),
}

#[derive(Debug)]
struct Voice {
    id: ParticipantId,
    /// Smoothed level, dBFS.
    level: f64,
    speaking: bool,
    /// Loud frames in a row while not speaking, quiet ones while speaking.
    run: u32,
}

/// The room's speakers. See the [module documentation](self).
#[derive(Debug, Default)]
pub(super) struct Speakers {
    voices: Vec<Voice>,
    loudest: Option<ParticipantId>,
    events: std::collections::VecDeque<SpeakerEvent>,
}

/// A frame's RMS level in dBFS (-100 for silence).
pub(super) fn level_db(pcm: &[i16]) -> f64 {
    if pcm.is_empty() {
        return -100.0;
    }
    let power = pcm.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / pcm.len() as f64;
    if power < 1.0 {
        return -100.0;
    }
    10.0 * (power / f64::from(i16::MAX).powi(2)).log10()
}

impl Speakers {
    /// One tick's frame of `id` (`None`: it is muted or held, so it does not speak).
    pub fn observe(&mut self, id: ParticipantId, frame: Option<&[i16]>) {
        let i = match self.voices.iter().position(|v| v.id == id) {
            Some(i) => i,
            None => {
                self.voices.push(Voice {
                    id,
                    level: -100.0,
                    speaking: false,
                    run: 0,
                });
                self.voices.len() - 1
            }
        };
        let v = &mut self.voices[i];
        let Some(frame) = frame else {
            v.level = -100.0;
            v.run = 0;
            if v.speaking {
                v.speaking = false;
                self.events.push_back(SpeakerEvent::SpeechStop(id));
            }
            return;
        };
        v.level += SMOOTHING * (level_db(frame) - v.level);
        if v.speaking {
            v.run = if v.level < QUIET_DB { v.run + 1 } else { 0 };
            if v.run >= STOP_FRAMES {
                v.speaking = false;
                v.run = 0;
                self.events.push_back(SpeakerEvent::SpeechStop(id));
            }
        } else {
            v.run = if v.level > SPEECH_DB { v.run + 1 } else { 0 };
            if v.run >= START_FRAMES {
                v.speaking = true;
                v.run = 0;
                self.events.push_back(SpeakerEvent::SpeechStart(id));
            }
        }
    }

    /// After a tick's frames: the loudest speaker, changed only for a clearly louder
    /// one or when it stopped.
    pub fn settle(&mut self) {
        let current = self
            .loudest
            .and_then(|id| self.voices.iter().find(|v| v.id == id && v.speaking));
        let best = self
            .voices
            .iter()
            .filter(|v| v.speaking)
            .max_by(|a, b| a.level.total_cmp(&b.level));
        let next = match (current, best) {
            (Some(c), Some(b)) if b.level < c.level + TAKEOVER_DB => Some(c.id),
            (_, best) => best.map(|b| b.id),
        };
        if next != self.loudest {
            self.loudest = next;
            self.events.push_back(SpeakerEvent::Loudest(next));
        }
    }

    /// `id` left the room.
    pub fn forget(&mut self, id: ParticipantId) {
        self.voices.retain(|v| v.id != id);
        if self.loudest == Some(id) {
            self.settle();
        }
    }

    pub fn poll_event(&mut self) -> Option<SpeakerEvent> {
        self.events.pop_front()
    }
}
