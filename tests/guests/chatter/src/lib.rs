//! Logs 200,000 warnings in one step (each would be a notification), then says so and hangs up.
use switchyard_sdk::{export_handler, log, AppError, Request, Response};

const LINES: u32 = 200_000;

fn chatter(_req: Request) -> Result<Response, AppError> {
    for i in 0..LINES {
        log::warn(format!("chatter line {i}"));
    }
    Ok(Response::new().say("done").hangup())
}

export_handler!(chatter);
