//! `<Pause>`: silence for `length` seconds.
//!
//! Twilio: "If <Pause> is the first verb in a TwiML document, Twilio will wait the
//! specified number of seconds before picking up the call." A first Pause on an
//! unanswered call leaves it ringing and answers when it ends; anywhere else the call is
//! answered before the silence.

use std::time::{Duration, Instant};

use switchyard_instructions::Pause;

use crate::executor::{Executor, Step};

pub(super) fn start(exec: &mut Executor, now: Instant, pause: Pause, first: bool) {
    let answer_after = first && !exec.answered;
    if !answer_after {
        exec.ensure_answered();
    }
    exec.step = Step::Pause {
        until: now + Duration::from_secs(u64::from(pause.length)),
        answer_after,
    };
}
