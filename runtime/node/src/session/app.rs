//! Fetching the next document from the application: a webhook, or a tenant Wasm app
//! (`app://NAME/…`); either may be the other's fallback.

use std::sync::Arc;

use switchyard_call::{AppFailure, Document, FetchRequest};
use switchyard_instructions::{parse_twiml, HttpMethod};
use switchyard_webhook::{AppResponse, Target};

use super::Session;

/// Twilio: "Document parse failure".
const PARSE_FAILURE: u32 = 12100;

fn target(url: String, method: HttpMethod) -> Target {
    Target {
        url,
        method: match method {
            HttpMethod::Get => switchyard_webhook::HttpMethod::Get,
            HttpMethod::Post => switchyard_webhook::HttpMethod::Post,
        },
    }
}

/// Start fetching; the document arrives on the session's document queue.
pub(super) fn fetch(session: &mut Session, req: FetchRequest) {
    let shared = session.shared.clone();
    let params = session.info.request_params(session.status, &req.params);
    let signer = session.account.signer.clone();
    let jar = session.jar.clone();
    let fallback = req
        .use_fallback
        .then(|| session.binding.fallback.clone())
        .flatten();
    let documents = session.documents.clone();
    let primary = target(req.url, req.method);
    let call = session.info.call_sid;
    let app_call = session.app_call();
    tokio::spawn(async move {
        let mut jar = jar.lock().await;
        let first = attempt(&shared, &app_call, &primary, &params, &signer, &mut jar).await;
        let result = match (first, fallback) {
            (Ok(doc), _) => Ok(doc),
            (Err(failure), None) => Err(failure),
            (Err(failure), Some(fallback)) => {
                // Twilio: when the Voice URL fails (unreachable, an error status, or a
                // document it cannot parse) it requests the fallback URL with ErrorCode
                // and ErrorUrl.
                tracing::warn!(%call, code = failure.code, url = %primary.url, "{}; trying the fallback URL", failure.message);
                // The failure is the account's to see even when the fallback saves the call.
                record_failure(&shared, &app_call, &primary.url, &failure);
                let mut with_error = params.clone();
                with_error.push(("ErrorCode".into(), failure.code.to_string()));
                with_error.push(("ErrorUrl".into(), primary.url.clone()));
                attempt(
                    &shared,
                    &app_call,
                    &fallback,
                    &with_error,
                    &signer,
                    &mut jar,
                )
                .await
                .map_err(|second| AppFailure {
                    code: failure.code,
                    message: format!(
                        "{} (fallback {} also failed: {})",
                        failure.message, fallback.url, second.message
                    ),
                })
            }
        };
        let _ = documents.send(result);
    });
}

async fn attempt(
    shared: &Arc<crate::Shared>,
    app_call: &super::wasm_step::AppCall,
    target: &Target,
    params: &[(String, String)],
    signer: &switchyard_webhook::Signer,
    jar: &mut switchyard_webhook::CookieJar,
) -> Result<Document, AppFailure> {
    let url = switchyard_call::app_url(&target.url);
    if url.starts_with("app://") {
        return super::wasm_step::step(shared, app_call, &url, params).await;
    }
    let response = shared
        .webhook
        .fetch(target, params, signer, jar)
        .await
        .map_err(|e| AppFailure {
            code: e.twilio_code(),
            message: format!("{} {}: {e}", method_name(target), target.url),
        })?;
    match response {
        AppResponse::Twiml(text) => {
            parse_twiml(&text)
                .map(Document::Verbs)
                .map_err(|e| AppFailure {
                    code: e.twilio_code(),
                    message: format!("{}: {e}", target.url),
                })
        }
        AppResponse::Audio {
            bytes,
            content_type,
        } => Ok(Document::Audio {
            bytes: Arc::new(bytes),
            content_type,
        }),
        AppResponse::Text(text) => Ok(Document::Text(text)),
        AppResponse::Empty => Err(AppFailure {
            code: PARSE_FAILURE,
            message: format!("{}: empty response body", target.url),
        }),
    }
}

fn method_name(target: &Target) -> &'static str {
    match target.method {
        switchyard_webhook::HttpMethod::Get => "GET",
        switchyard_webhook::HttpMethod::Post => "POST",
    }
}

/// A handler that failed: a `webhook.failed` event and a notification (Twilio's debugger
/// shows these even when the fallback then answers).
fn record_failure(
    shared: &crate::Shared,
    call: &super::wasm_step::AppCall,
    url: &str,
    failure: &AppFailure,
) {
    shared.publish(switchyard_call::CallEvent {
        account_sid: call.account,
        call_sid: Some(call.call_sid),
        kind: switchyard_call::EventKind::WebhookFailed,
        timestamp: std::time::SystemTime::now(),
        data: vec![
            ("From".into(), call.from.clone()),
            ("To".into(), call.to.clone()),
            ("Url".into(), url.to_owned()),
            ("ErrorCode".into(), failure.code.to_string()),
            ("Message".into(), failure.message.clone()),
        ],
    });
    shared.notify(
        call.account,
        Some(call.call_sid),
        failure.code,
        false,
        failure.message.clone(),
        Some(url.to_owned()),
    );
}
