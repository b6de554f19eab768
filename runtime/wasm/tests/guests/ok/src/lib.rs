wit_bindgen::generate!({
    path: "../../../../../wit",
    world: "switchyard:telephony/call-handler",
});


struct App;
export!(App);

use switchyard::telephony::log::{log, Level};
use switchyard::telephony::session;
use switchyard::telephony::types::{Gather, GatherChild, GatherInput, HttpMethod, Say};

/// Greets the caller with a visit counter kept in the session, then asks for a digit.
impl Guest for App {
    fn handle(request: CallRequest) -> Result<Vec<Verb>, AppError> {
        let visits: u32 = session::get("visits").and_then(|v| v.parse().ok()).unwrap_or(0) + 1;
        session::set("visits", &visits.to_string()).map_err(|message| AppError { code: 12100, message })?;
        log(Level::Info, &format!("visit {visits} from {}", request.from));
        if request.path == "/fail" {
            return Err(AppError { code: 12345, message: "asked to fail".into() });
        }
        let say = |text: String| Say { text, voice: "alice".into(), language: "en-US".into(), loop_count: 1 };
        Ok(vec![
            Verb::Say(say(format!("Hello {}, visit {visits}", request.from))),
            Verb::Gather(Gather {
                input: vec![GatherInput::Dtmf],
                action: Some("/menu".into()),
                method: HttpMethod::Post,
                timeout: 7,
                finish_on_key: Some("#".into()),
                num_digits: Some(1),
                action_on_empty_result: false,
                language: "en-US".into(),
                hints: None,
                speech_timeout: None,
                children: vec![GatherChild::Say(say("Press one".into()))],
            }),
        ])
    }
}
