//! `…/Calls/{CallSid}/Streams`: start a Media Stream on a live call, and stop one by
//! its SID or name (`Status=stopped`), answered as Twilio's Stream resource.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use switchyard_store::Account;
use switchyard_types::CallSid;

use crate::auth::{authenticate, reach, strip_json};
use crate::date::rfc2822;
use crate::params::Params;
use crate::{validate, ApiState, Error, StreamAnswer, StreamControl, API_VERSION};

/// Most `ParameterN.Name`/`ParameterN.Value` pairs read (Twilio documents up to 99).
const MAX_PARAMETERS: usize = 99;

/// `POST …/Calls/{CallSid}/Streams.json`.
pub async fn create(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account, call)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    // The call is a path segment of its own here, without `.json`.
    let record = crate::calls::find(&state, &account, &format!("{call}.json"))?;
    let control = start_form(&Params::parse(&body)?)?;
    let answer = state.calls.stream(&account, record.sid, control).await?;
    Ok((
        StatusCode::CREATED,
        Json(render(&account, record.sid, &answer)),
    )
        .into_response())
}

/// `POST …/Calls/{CallSid}/Streams/{Sid or Name}.json` with `Status=stopped`.
pub async fn update(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account, call, stream)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    // The call is a path segment of its own here, without `.json`.
    let record = crate::calls::find(&state, &account, &format!("{call}.json"))?;
    let params = Params::parse(&body)?;
    if params.get("Status") != Some("stopped") {
        return Err(Error::InvalidParameter {
            name: "Status",
            reason: "the only update of a Stream is Status=stopped".into(),
        });
    }
    let control = StreamControl::Stop {
        sid_or_name: strip_json(&stream)?.to_owned(),
    };
    let answer = state.calls.stream(&account, record.sid, control).await?;
    Ok(Json(render(&account, record.sid, &answer)).into_response())
}

fn start_form(p: &Params) -> Result<StreamControl, Error> {
    let url = p.non_empty("Url").ok_or(Error::InvalidParameter {
        name: "Url",
        reason: "required: the WebSocket server (wss://)".into(),
    })?;
    let track = p.non_empty("Track").unwrap_or("inbound_track");
    if !matches!(track, "inbound_track" | "outbound_track" | "both_tracks") {
        return Err(Error::InvalidParameter {
            name: "Track",
            reason: format!("{track:?} is not inbound_track, outbound_track or both_tracks"),
        });
    }
    let status_callback = p
        .non_empty("StatusCallback")
        .map(|u| validate::url("StatusCallback", u))
        .transpose()?;
    let mut parameters = Vec::new();
    for i in 1..=MAX_PARAMETERS {
        match (
            p.get(&format!("Parameter{i}.Name")),
            p.get(&format!("Parameter{i}.Value")),
        ) {
            (Some(name), value) => {
                parameters.push((name.to_owned(), value.unwrap_or("").to_owned()))
            }
            (None, _) => break,
        }
    }
    Ok(StreamControl::Start {
        url: url.to_owned(),
        name: p.non_empty("Name").map(str::to_owned),
        track: track.to_owned(),
        status_callback,
        status_callback_method: p
            .non_empty("StatusCallbackMethod")
            .unwrap_or("POST")
            .to_owned(),
        parameters,
    })
}

/// Twilio's Stream resource.
fn render(account: &Account, call: CallSid, s: &StreamAnswer) -> Value {
    json!({
        "sid": s.sid,
        "account_sid": account.sid.to_string(),
        "call_sid": call.to_string(),
        "name": s.name.clone().unwrap_or_else(|| s.sid.clone()),
        "status": s.status,
        "date_updated": rfc2822(crate::now_ms()),
        "uri": format!("/{API_VERSION}/Accounts/{}/Calls/{call}/Streams/{}.json", account.sid, s.sid),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_form_reads_numbered_parameters_and_checks_track() {
        let p = |s: &str| Params::parse(s.as_bytes()).unwrap();
        let control = start_form(&p(
            "Url=wss%3A%2F%2Fs.test%2F&Name=n&Track=both_tracks&Parameter1.Name=a&Parameter1.Value=1&Parameter2.Name=b&Parameter2.Value=2&Parameter4.Name=skipped",
        ))
        .unwrap();
        assert_eq!(
            control,
            StreamControl::Start {
                url: "wss://s.test/".into(),
                name: Some("n".into()),
                track: "both_tracks".into(),
                status_callback: None,
                status_callback_method: "POST".into(),
                parameters: vec![("a".into(), "1".into()), ("b".into(), "2".into())],
            }
        );
        assert!(start_form(&p("Url=wss%3A%2F%2Fs.test%2F&Track=inbound")).is_err());
        assert!(start_form(&p("Name=x")).is_err());
    }
}
