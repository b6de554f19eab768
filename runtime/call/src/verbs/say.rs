//! `<Say>`: text-to-speech, `loop` times.

use switchyard_instructions::Say;

use crate::executor::{Executor, MediaSource, Step};

pub(super) fn start(exec: &mut Executor, say: Say) {
    let token = exec.play(speech(say.clone()), say.loop_count);
    exec.step = Step::Media { token, verb: "Say" };
}

/// The sound of a `<Say>`.
pub(crate) fn speech(say: Say) -> MediaSource {
    MediaSource::Speech {
        text: say.text,
        voice: say.voice,
        language: say.language,
    }
}
