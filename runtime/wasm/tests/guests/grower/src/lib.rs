wit_bindgen::generate!({
    path: "../../../../../wit",
    world: "switchyard:telephony/call-handler",
});


struct App;
export!(App);

/// Allocates and touches memory without bound.
impl Guest for App {
    fn handle(_request: CallRequest) -> Result<Vec<Verb>, AppError> {
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            hoard.push(vec![1u8; 1 << 20]);
            std::hint::black_box(&hoard);
        }
    }
}
