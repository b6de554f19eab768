//! Recurses until the Wasm stack overflows (a trap).
use std::hint::black_box;
use switchyard_sdk::{export_handler, AppError, Request, Response};

/// Each frame keeps a buffer alive across the call, so it cannot become a loop.
// Endless by design: this guest exists to overflow the stack.
#[allow(unconditional_recursion)]
#[inline(never)]
fn descend(depth: u64) -> u64 {
    let frame = black_box([depth; 16]);
    let below = descend(black_box(depth + 1));
    below.wrapping_add(frame[(depth % 16) as usize])
}

fn recurser(_req: Request) -> Result<Response, AppError> {
    let depth = descend(0);
    Ok(Response::new().say(format!("unreachable {depth}")))
}

export_handler!(recurser);
