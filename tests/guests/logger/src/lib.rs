//! Logs one line at each level (naming the call), then hangs up.
use switchyard_sdk::{clock, export_handler, log, AppError, Request, Response};

fn logger(req: Request) -> Result<Response, AppError> {
    let call = req.call_sid();
    let now = clock::now_ms();
    log::debug(format!("logger debug {call} at {now}"));
    log::info(format!("logger info {call}"));
    log::warn(format!("logger warn {call}"));
    log::error(format!("logger error {call}"));
    Ok(Response::new().hangup())
}

export_handler!(logger);
