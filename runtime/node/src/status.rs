//! Status callbacks: Twilio's `StatusCallback` with `StatusCallbackEvent`.
//!
//! Each call has one ordered queue so `SequenceNumber` matches delivery order; a slow
//! callback server never delays the call itself.

use std::sync::Arc;

use switchyard_call::params::CallInfo;
use switchyard_types::CallStatus;
use switchyard_webhook::{Signer, Target};
use tokio::sync::mpsc;

use crate::shared::{NumberBinding, Shared};

#[derive(Debug)]
pub struct StatusReporter {
    events: Vec<String>,
    queue: Option<mpsc::UnboundedSender<Vec<(String, String)>>>,
    info: CallInfo,
    sequence: u32,
}

impl StatusReporter {
    pub fn new(
        shared: Arc<Shared>,
        binding: &NumberBinding,
        signer: Signer,
        info: CallInfo,
    ) -> Self {
        let queue = binding.status_callback.clone().map(|target| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(tracing::Instrument::in_current_span(deliver(
                shared, target, signer, rx,
            )));
            tx
        });
        Self {
            events: binding.status_events.clone(),
            queue,
            info,
            sequence: 0,
        }
    }

    /// Report `event` (initiated, ringing, answered, completed) if the number asked for it.
    pub fn report(&mut self, event: &str, call_status: &str, duration: Option<u64>) {
        let Some(queue) = &self.queue else { return };
        if !self.events.iter().any(|e| e == event) {
            return;
        }
        let mut extra = vec![
            (
                "CallbackSource".to_owned(),
                "call-progress-events".to_owned(),
            ),
            ("Timestamp".to_owned(), httpdate_now()),
            ("SequenceNumber".to_owned(), self.sequence.to_string()),
        ];
        if let Some(d) = duration {
            extra.push(("CallDuration".to_owned(), d.to_string()));
        }
        self.sequence += 1;
        let mut params = self.info.request_params(CallStatus::Ringing, &extra);
        if let Some(p) = params.iter_mut().find(|(k, _)| k == "CallStatus") {
            p.1 = call_status.to_owned();
        }
        let _ = queue.send(params);
    }
}

async fn deliver(
    shared: Arc<Shared>,
    target: Target,
    signer: Signer,
    mut rx: mpsc::UnboundedReceiver<Vec<(String, String)>>,
) {
    while let Some(params) = rx.recv().await {
        // `{Name}` in the callback URL expands from this callback's own parameters.
        let target = Target {
            url: switchyard_call::template::expand(&target.url, &params),
            method: target.method,
        };
        if let Err(e) = shared.webhook.notify(&target, &params, &signer).await {
            tracing::warn!(url = %target.url, error = %e, "status callback failed");
        }
    }
}

/// RFC 2822-style time, as Twilio's `Timestamp` parameter.
fn httpdate_now() -> String {
    let now = std::time::SystemTime::now();
    let secs = now
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format_rfc2822(secs)
}

pub(crate) fn format_rfc2822(unix: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix / 86_400;
    let rem = unix % 86_400;
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} +0000",
        DAYS[(days % 7) as usize],
        d,
        MONTHS[(m - 1) as usize],
        y,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_like_twilio_timestamps() {
        assert_eq!(super::format_rfc2822(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(
            super::format_rfc2822(1_700_000_000),
            "Tue, 14 Nov 2023 22:13:20 +0000"
        );
    }
}
