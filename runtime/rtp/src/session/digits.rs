//! `sendDigits`: keys sent as RFC 4733 events in place of the session's audio.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::RtpSender;

/// How long each `sendDigits` key is pressed.
const DIGIT_MS: u32 = 160;
/// Silence after a key's events before the next key (or the audio) starts.
const GAP: Duration = Duration::from_millis(80);
/// What `w` waits.
const PAUSE: Duration = Duration::from_millis(500);

/// The keys still to send, with the time the next may start.
#[derive(Debug, Default)]
pub(super) struct Digits {
    pending: VecDeque<char>,
    resume_at: Option<Instant>,
}

impl Digits {
    pub(super) fn push(&mut self, digits: &str) {
        self.pending.extend(digits.chars());
    }

    /// While `sendDigits` has digits left, they replace the audio: one RFC 4733 packet
    /// per frame of `frame_samples`. True when this tick at `now` belongs to the digits (their packet,
    /// appended to `out`, or their pause); false when it is the audio's.
    pub(super) fn turn(
        &mut self,
        sender: &mut RtpSender,
        event_pt: Option<u8>,
        now: Instant,
        frame_samples: u32,
        out: &mut Vec<u8>,
    ) -> bool {
        let Some(event_pt) = event_pt else {
            // The far end cannot receive telephone events.
            self.pending.clear();
            return false;
        };
        if !sender.dtmf_active() {
            if self.resume_at.is_some_and(|t| now < t) {
                sender.skip(frame_samples);
                return true;
            }
            self.resume_at = None;
            match self.pending.pop_front() {
                None => return false,
                Some('w') => {
                    self.resume_at = Some(now + PAUSE);
                    sender.skip(frame_samples);
                    return true;
                }
                Some(d) => {
                    if sender.start_dtmf(event_pt, d, DIGIT_MS).is_err() {
                        return false;
                    }
                    self.resume_at = Some(now + Duration::from_millis(DIGIT_MS.into()) + GAP);
                }
            }
        }
        sender.next_dtmf_packet(frame_samples, out);
        true
    }
}
