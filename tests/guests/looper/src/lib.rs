//! Never returns: the host's epoch deadline must kill the step, not the node.
use std::hint::black_box;
use switchyard_sdk::{export_handler, AppError, Request, Response};

fn looper(_req: Request) -> Result<Response, AppError> {
    // black_box keeps the optimiser from proving the loop pointless.
    let mut n: u64 = 0;
    loop {
        n = black_box(n.wrapping_add(1));
    }
}

export_handler!(looper);
