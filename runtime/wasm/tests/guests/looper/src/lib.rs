wit_bindgen::generate!({
    path: "../../../../../wit",
    world: "switchyard:telephony/call-handler",
});


struct App;
export!(App);

/// Spins forever: only the CPU budget stops it.
impl Guest for App {
    fn handle(request: CallRequest) -> Result<Vec<Verb>, AppError> {
        let mut n: u64 = request.path.len() as u64;
        loop {
            n = std::hint::black_box(n.wrapping_mul(6364136223846793005).wrapping_add(1));
            if n == 42 && request.path == "never" {
                return Ok(Vec::new());
            }
        }
    }
}
