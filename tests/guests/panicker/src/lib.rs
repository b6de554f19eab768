//! Panics: the guest traps, and the node must treat it as a failed step.
use switchyard_sdk::{export_handler, AppError, Request, Response};

fn panicker(req: Request) -> Result<Response, AppError> {
    panic!("panicker guest: deliberate panic on {}", req.path());
}

export_handler!(panicker);
