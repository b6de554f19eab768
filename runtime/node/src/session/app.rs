//! Fetching the next document from the application: a webhook, or a tenant Wasm app
//! (`app://NAME/…`); either may be the other's fallback.

use std::sync::Arc;

use switchyard_call::modules::StepCost;
use switchyard_call::{AppFailure, Document, FetchRequest};
use switchyard_instructions::{parse_twiml, HttpMethod};
use switchyard_webhook::{
    redact_url, run_with_fallback, AppResponse, Attempt, FetchFailure, Target, TwilioCoded,
};

use tracing::Instrument;

use super::Session;
use crate::metrics::Metrics;

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
    let params = session
        .info
        .request_params(session.sip.status(), &req.params);
    let signer = session.account.signer.clone();
    let jar = session.jar.clone();
    let fallback = req
        .use_fallback
        .then(|| session.binding.fallback.clone())
        .flatten();
    let documents = session.documents.clone();
    let primary = target(req.url, req.method);
    let app_call = session.app_call();
    let fetching = async move {
        let mut jar = jar.lock().await;
        let mut app = App {
            shared: &shared,
            call: &app_call,
            signer: &signer,
            jar: &mut jar,
            cost: StepCost::default(),
            fallback_url: fallback.as_ref().map(|f| f.url.clone()),
            fallback_cost: StepCost::default(),
        };
        let mut answered_by_fallback = None;
        let result = match run_with_fallback(&mut app, &primary, fallback.as_ref(), &params).await {
            Ok(fetched) => {
                // Twilio's debugger shows a failed Voice URL even when the fallback saves
                // the call.
                if let Some(Failure(first)) = &fetched.primary_error {
                    record_failure(&shared, &app_call, &primary.url, first);
                    answered_by_fallback = app.fallback_url.clone().map(|u| (u, app.fallback_cost));
                }
                Ok(fetched.response)
            }
            Err(FetchFailure {
                primary: Failure(first),
                fallback: None,
            }) => Err(first),
            Err(FetchFailure {
                primary: Failure(first),
                fallback: Some(Failure(second)),
            }) => {
                record_failure(&shared, &app_call, &primary.url, &first);
                let fallback_url = fallback.as_ref().map(|f| redact_url(&f.url));
                Err(AppFailure {
                    code: first.code,
                    message: format!(
                        "{} (fallback {} also failed: {})",
                        first.message,
                        fallback_url.unwrap_or_default(),
                        second.message
                    ),
                })
            }
        };
        if answered_by_fallback.is_none() {
            // A fallback that failed too never controlled the call: its requests are the
            // failed step's.
            app.cost.add(&app.fallback_cost);
        }
        let _ = documents.send(Fetched {
            document: result,
            cost: app.cost,
            fallback: answered_by_fallback,
        });
    };
    tokio::spawn(tracing::Instrument::in_current_span(fetching));
}

/// A document fetched for the session, with what fetching it cost the module that was
/// asked, and, when that failed and the number's fallback answered, the fallback's URL
/// and cost (the fallback then controls the call).
#[derive(Debug)]
pub(super) struct Fetched {
    pub document: Result<Document, AppFailure>,
    pub cost: StepCost,
    pub fallback: Option<(String, StepCost)>,
}

/// An application failure as the fallback runner sees it.
#[derive(Debug)]
struct Failure(AppFailure);

impl TwilioCoded for Failure {
    fn twilio_code(&self) -> u32 {
        self.0.code
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.message)
    }
}

/// One request to the call's application: a webhook, or a step of a tenant Wasm app.
struct App<'a> {
    shared: &'a Arc<crate::Shared>,
    call: &'a super::wasm_step::AppCall,
    signer: &'a switchyard_webhook::Signer,
    jar: &'a mut switchyard_webhook::CookieJar,
    /// What the requests made so far cost (charged to the module in control).
    cost: StepCost,
    /// The number's fallback URL, whose requests are counted apart.
    fallback_url: Option<String>,
    fallback_cost: StepCost,
}

impl Attempt for App<'_> {
    type Output = Document;
    type Failure = Failure;
    async fn attempt(
        &mut self,
        target: &Target,
        params: &[(String, String)],
    ) -> Result<Document, Failure> {
        attempt(
            self.shared,
            self.call,
            target,
            params,
            self.signer,
            self.jar,
            if self.fallback_url.as_deref() == Some(target.url.as_str()) {
                &mut self.fallback_cost
            } else {
                &mut self.cost
            },
        )
        .await
        .map_err(Failure)
    }
}

/// Requests `target`. Every message it returns names the URL by [`redact_url`]: the
/// credentials in it are for this request alone.
async fn attempt(
    shared: &Arc<crate::Shared>,
    app_call: &super::wasm_step::AppCall,
    target: &Target,
    params: &[(String, String)],
    signer: &switchyard_webhook::Signer,
    jar: &mut switchyard_webhook::CookieJar,
    cost: &mut StepCost,
) -> Result<Document, AppFailure> {
    let url = switchyard_call::app_url(&target.url);
    if url.starts_with("app://") {
        return super::wasm_step::step(shared, app_call, &url, params, cost).await;
    }
    let shown = redact_url(&target.url);
    let request = shared.webhook.fetch(target, params, signer, jar);
    let span = tracing::info_span!("webhook", url = %shown);
    let sent = std::time::Instant::now();
    let response = Metrics::timed(&shared.metrics.webhook_seconds, request)
        .instrument(span)
        .await;
    cost.webhook_requests += 1;
    cost.webhook_latency += sent.elapsed();
    let response = response.map_err(|e| AppFailure {
        code: e.twilio_code(),
        message: format!("{} {shown}: {e}", method_name(target)),
    })?;
    match response {
        AppResponse::Twiml(text) => {
            parse_twiml(&text)
                .map(Document::Verbs)
                .map_err(|e| AppFailure {
                    code: e.twilio_code(),
                    message: format!("{shown}: {e}"),
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
            message: format!("{shown}: empty response body"),
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
    let url = redact_url(url);
    tracing::warn!(call = %call.call_sid, code = failure.code, %url, "{}", failure.message);
    shared.publish(switchyard_call::CallEvent {
        account_sid: call.account,
        call_sid: Some(call.call_sid),
        kind: switchyard_call::EventKind::WebhookFailed,
        timestamp: std::time::SystemTime::now(),
        data: vec![
            ("From".into(), call.from.clone()),
            ("To".into(), call.to.clone()),
            ("Url".into(), url.clone()),
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
        Some(url),
    );
}
