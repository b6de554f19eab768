wit_bindgen::generate!({
    path: "../../../../../wit",
    world: "switchyard:telephony/call-handler",
});


struct App;
export!(App);

use switchyard::telephony::types::Say;

/// Returns about 10 MB of verbs.
impl Guest for App {
    fn handle(_request: CallRequest) -> Result<Vec<Verb>, AppError> {
        let text = "x".repeat(10_000);
        Ok((0..1_000)
            .map(|_| Verb::Say(Say { text: text.clone(), voice: "alice".into(), language: "en-US".into(), loop_count: 1 }))
            .collect())
    }
}
