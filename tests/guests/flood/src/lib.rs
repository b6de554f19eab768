//! Answers with 100,000 Say verbs of 100 characters each: about 10 MB of text.
use switchyard_sdk::{export_handler, AppError, Request, Response, Verb};

const VERBS: usize = 100_000;
const TEXT_LEN: usize = 100;

fn flood(_req: Request) -> Result<Response, AppError> {
    let text = "x".repeat(TEXT_LEN);
    Ok((0..VERBS)
        .map(|_| Verb::Say(text.as_str().into()))
        .collect())
}

export_handler!(flood);
