wit_bindgen::generate!({
    path: "../../../../../wit",
    world: "switchyard:telephony/call-handler",
});


struct App;
export!(App);

/// Panics on every step.
impl Guest for App {
    fn handle(request: CallRequest) -> Result<Vec<Verb>, AppError> {
        panic!("guest gave up on {}", request.call_sid);
    }
}
