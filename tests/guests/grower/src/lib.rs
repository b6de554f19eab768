//! Allocates 1 MiB after 1 MiB, touching every page, until the host's memory limit
//! refuses to grow the heap (the allocation failure aborts the guest: a trap).
use std::hint::black_box;
use switchyard_sdk::{export_handler, AppError, Request, Response};

const CHUNK: usize = 1 << 20;

fn grower(_req: Request) -> Result<Response, AppError> {
    let mut held: Vec<Vec<u8>> = Vec::new();
    loop {
        // Written, not just reserved, so the pages are really committed.
        held.push(black_box(vec![0xA5; CHUNK]));
        black_box(&held);
    }
}

export_handler!(grower);
