wit_bindgen::generate!({
    path: "../../../../../wit",
    world: "switchyard:telephony/call-handler",
});


struct App;
export!(App);

/// Recurses without bound.
#[allow(unconditional_recursion)]
fn deeper(n: u64, pad: [u64; 16]) -> u64 {
    let pad = std::hint::black_box(pad);
    deeper(n + 1, pad) + pad[(n % 16) as usize]
}

impl Guest for App {
    fn handle(_request: CallRequest) -> Result<Vec<Verb>, AppError> {
        let n = deeper(0, [1; 16]);
        Err(AppError { code: n as u32, message: "unreachable".into() })
    }
}
