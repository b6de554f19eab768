//! `<Pause>`: silence for `length` seconds.

use std::time::{Duration, Instant};

use switchyard_instructions::Pause;

use crate::executor::{Executor, Step};

pub(super) fn start(exec: &mut Executor, now: Instant, pause: Pause) {
    exec.step = Step::Pause {
        until: now + Duration::from_secs(u64::from(pause.length)),
    };
}
