// A component of the step-handler world as it was released (bound directly, without the
// SDK, which now targets the instruction-handler world): the node must keep running it.
wit_bindgen::generate!({
    path: "../../../../../wit",
    world: "switchyard:telephony/step-handler",
});

struct App;
export!(App);

use switchyard::telephony::types::{Enqueue, HttpMethod, StreamTrack, Verb, WebsocketStream};

/// Forks the call's audio, then puts the caller in the queue `support` (a verb case).
impl Guest for App {
    fn handle_steps(_request: CallRequest) -> Result<Vec<Step>, AppError> {
        Ok(vec![
            Step::StartStream(WebsocketStream {
                url: "wss://bot.example.com/media".into(),
                name: Some("fork".into()),
                track: StreamTrack::BothTracks,
                status_callback: None,
                status_callback_method: HttpMethod::Post,
                parameters: vec![],
            }),
            Step::Verb(Verb::Enqueue(Enqueue {
                name: "support".into(),
                action: Some("/left".into()),
                method: HttpMethod::Post,
                wait_url: None,
            })),
        ])
    }
}
