//! The record of a call: store, events, status callbacks, notifications.

use std::time::SystemTime;

use switchyard_call::{AppFailure, CallEvent, EventKind};
use switchyard_store::CallRecord;
use switchyard_types::CallStatus;

use super::Session;
use crate::shared::millis;
use crate::sip_io::SipCommand;

/// Twilio codes that are warnings (`log` = 1) rather than errors.
// 31930: a Media Stream's server fell behind and audio was dropped.
const WARNINGS: &[u32] = &[12200, 13520, 31930];

impl Session {
    fn call_record(&self) -> CallRecord {
        let status = self.sip.status();
        let end = status.is_final().then(SystemTime::now);
        CallRecord {
            sid: self.info.call_sid,
            account_sid: self.info.account_sid,
            from: self.info.from.clone(),
            to: self.info.to.clone(),
            status,
            direction: self.info.direction.as_str().to_owned(),
            date_created: millis(self.created),
            start_time: self.started_at.map(millis),
            end_time: end.map(millis),
            duration: self.duration_secs().map(|d| d as i64),
            date_updated: millis(SystemTime::now()),
            parent_call_sid: self.info.parent_call_sid,
            phone_number_sid: None,
        }
    }

    /// Whole seconds between answer and now (Twilio rounds call duration up).
    fn duration_secs(&self) -> Option<u64> {
        let answered = self.sip.answered_at()?;
        let d = answered.elapsed();
        Some(d.as_secs() + u64::from(d.subsec_nanos() > 0))
    }

    pub(super) fn record_initiated(&mut self) {
        self.shared.store.put_call(self.call_record());
        self.publish(EventKind::CallInitiated, Vec::new());
        self.status_reporter.report("initiated", "initiated", None);
    }

    pub(super) fn record_ringing(&mut self) {
        self.publish(EventKind::CallRinging, Vec::new());
        self.status_reporter
            .report("ringing", CallStatus::Ringing.as_str(), None);
    }

    pub(super) fn record_answered(&mut self) {
        if self.info.direction == switchyard_call::params::Direction::Inbound {
            // From the INVITE (its session starts on it) to the 200 OK just sent.
            let setup = self.created.elapsed().unwrap_or_default();
            crate::metrics::observe(&self.shared.metrics.setup_seconds, setup);
        }
        self.shared.store.put_call(self.call_record());
        self.publish(EventKind::CallAnswered, Vec::new());
        self.status_reporter
            .report("answered", CallStatus::InProgress.as_str(), None);
    }

    /// The call is over: the record is final and the completed callback fires.
    pub(super) fn finish(&mut self) {
        if self.exec.in_queue() {
            // However the call ended, it leaves its queue (and its agent's bridge).
            self.exec.hangup(std::time::Instant::now());
            self.perform();
        }
        if !self.sip.status().is_final() {
            self.sip.set_status(CallStatus::Completed);
        }
        self.sip.lost();
        let status = self.sip.status();
        self.shared.metrics.call_ended(status);
        // A leg's end is its parent's news before it is the record's.
        if let Some(parent) = &self.parent {
            parent.report(super::legs::LegReport::Ended(status));
        }
        // A call that ends without its executor's leave still leaves its room.
        self.leave_conference();
        self.media = None;
        let record = self.call_record();
        let duration = record.duration.unwrap_or(0);
        self.shared.store.put_call(record);
        let spans = crate::metering::records(
            self.info.account_sid,
            self.info.call_sid,
            self.exec.modules(),
            std::time::Instant::now(),
            SystemTime::now(),
        );
        switchyard_store::Repository::put_call_modules(&*self.shared.store, spans);
        let kind = match status {
            CallStatus::Failed => EventKind::CallFailed,
            _ => EventKind::CallCompleted,
        };
        self.publish(
            kind,
            vec![
                ("CallStatus".into(), status.as_str().into()),
                ("CallDuration".into(), duration.to_string()),
            ],
        );
        self.status_reporter
            .report("completed", status.as_str(), Some(duration as u64));
        self.shared.live.unregister(self.info.call_sid);
        let _ = self.shared.sip.send(SipCommand::Ended {
            call_id: self.sip.invite().call_id().unwrap_or_default().to_owned(),
        });
        tracing::info!(
            call = %self.info.call_sid,
            from = %self.info.from,
            to = %self.info.to,
            status = status.as_str(),
            duration,
            "call ended"
        );
    }

    /// A notification: stored, published and logged, as Twilio's debugger would show it.
    pub(super) fn notify(&mut self, failure: AppFailure) {
        let warning = WARNINGS.contains(&failure.code);
        self.shared.record_notification(
            self.info.account_sid,
            Some(self.info.call_sid),
            failure.code,
            warning,
            failure.message.clone(),
            Some(self.exec.document_url().to_owned()),
        );
        self.publish(
            EventKind::Notification,
            vec![
                ("ErrorCode".into(), failure.code.to_string()),
                ("Message".into(), failure.message),
            ],
        );
    }

    /// Every call event carries the call's From and To, so subscribers can filter any of
    /// them by number (and redacting filters have something to redact).
    pub(super) fn publish(&self, kind: EventKind, mut data: Vec<(String, String)>) {
        for (name, value) in [("To", &self.info.to), ("From", &self.info.from)] {
            if !data.iter().any(|(k, _)| k == name) {
                data.insert(0, (name.into(), value.clone()));
            }
        }
        self.shared.publish(CallEvent {
            account_sid: self.info.account_sid,
            call_sid: Some(self.info.call_sid),
            kind,
            timestamp: SystemTime::now(),
            data,
        });
    }
}
