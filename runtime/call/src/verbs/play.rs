//! `<Play>`: an audio file `loop` times, or DTMF `digits`.

use switchyard_instructions::Play;

use crate::executor::{AppFailure, Executor, MediaSource, Step};

/// Twilio's "Play: invalid URL" family; a Play with neither a URL nor digits has nothing
/// to play.
const PLAY_NOTHING: u32 = 13520;

pub(super) fn start(exec: &mut Executor, play: Play) {
    match source(exec, play.clone()) {
        Ok(source) => {
            let token = exec.play(source, play.loop_count);
            exec.step = Step::Media {
                token,
                verb: "Play",
            };
        }
        Err(failure) => exec.fail(failure),
    }
}

/// The sound of a `<Play>`: `{Name}` templates in its URL expand from the parameters of
/// the request that brought the document, then it resolves against the document's URL.
pub(crate) fn source(exec: &Executor, play: Play) -> Result<MediaSource, AppFailure> {
    if let Some(digits) = play.digits {
        return Ok(MediaSource::Digits(digits));
    }
    let Some(url) = play.url else {
        return Err(AppFailure {
            code: PLAY_NOTHING,
            message: "<Play> has neither a URL nor digits".into(),
        });
    };
    let url = crate::template::expand(url.trim(), &exec.request_params(&exec.document_params));
    exec.resolve(&url)
        .map(MediaSource::Url)
        .map_err(|message| AppFailure {
            code: 11100,
            message,
        })
}
