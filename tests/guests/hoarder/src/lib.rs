//! Fills its conversation state with 60 KiB values under new keys until the node
//! refuses one, then logs (as a warning, hence a notification) how many it stored and
//! the error, says so and hangs up.
use switchyard_sdk::{export_handler, log, session, AppError, Request, Response};

const VALUE: usize = 60 * 1024;
/// Far past any quota: a node that never refuses fails the step instead of looping.
const MAX_TRIES: usize = 10_000;

fn hoarder(_req: Request) -> Result<Response, AppError> {
    let value = "x".repeat(VALUE);
    for stored in 0..MAX_TRIES {
        if let Err(err) = session::set(&format!("hoard-{stored:05}"), &value) {
            log::warn(format!(
                "hoarder stored {stored} values, then {}: {err}",
                err.kind.name()
            ));
            return Ok(Response::new().say("full").hangup());
        }
    }
    Err(AppError::new(
        12100,
        format!("{MAX_TRIES} values stored, none refused"),
    ))
}

export_handler!(hoarder);
