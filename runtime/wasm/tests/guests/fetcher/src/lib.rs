wit_bindgen::generate!({
    path: "../../../../../wit",
    world: "switchyard:telephony/call-handler",
});


struct App;
export!(App);

use switchyard::telephony::http::fetch;
use switchyard::telephony::types::{HttpMethod, Say};

/// Fetches the URL in the `Url` parameter and says what happened.
impl Guest for App {
    fn handle(request: CallRequest) -> Result<Vec<Verb>, AppError> {
        let url = request
            .params
            .iter()
            .find(|(k, _)| k == "Url")
            .map(|(_, v)| v.clone())
            .ok_or(AppError { code: 12100, message: "no Url parameter".into() })?;
        let text = match fetch(HttpMethod::Get, &url, &[("x-test".into(), "1".into())], &[]) {
            Ok(resp) => format!("{} {}", resp.status, String::from_utf8_lossy(&resp.body)),
            Err(e) => format!("error: {e}"),
        };
        Ok(vec![Verb::Say(Say { text, voice: "alice".into(), language: "en-US".into(), loop_count: 1 })])
    }
}
