//! Outbound calls from the REST API: validated by the API, recorded as `queued`, held in
//! the fair per-account queue (throttle and cap), then dialed by a session.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use switchyard_api::{CallControl, CallUpdate, Error as ApiError, NewCall};
use switchyard_store::{Account, CallRecord, Repository};
use switchyard_tenancy::{Limits, OutboundQueue, Ticket};
use switchyard_types::{CallSid, CallStatus};
use tokio::sync::Notify;

use crate::config::parse_method;
use crate::live::Control;
use crate::session::{spawn_outbound, OutboundApp, OutboundCall};
use crate::shared::{now_ms, target, Shared};

/// The node's side of `POST/GET …/Calls`.
#[derive(Debug)]
pub struct Outbound {
    pub(crate) shared: Arc<Shared>,
    queue: Mutex<OutboundQueue<OutboundCall>>,
    /// Tickets of calls still waiting in the queue.
    queued: Mutex<HashMap<CallSid, Ticket>>,
    wake: Notify,
    /// The Queues and Members resources.
    queues: crate::queues::NodeQueues,
}

impl Outbound {
    pub fn new(shared: Arc<Shared>) -> Arc<Self> {
        let queue = OutboundQueue::new(Limits::default()).expect("default limits are valid");
        Arc::new(Self {
            queues: crate::queues::NodeQueues::new(shared.clone()),
            shared,
            queue: Mutex::new(queue),
            queued: Mutex::default(),
            wake: Notify::new(),
        })
    }

    /// Start queued calls as their accounts' throttle and cap allow, forever.
    pub async fn dispatch(self: Arc<Self>) {
        loop {
            let next = self.start_due();
            let sleep = async {
                match next {
                    Some(t) => tokio::time::sleep_until(t.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = sleep => {}
                _ = self.wake.notified() => {}
            }
        }
    }

    fn start_due(self: &Arc<Self>) -> Option<Instant> {
        let now = Instant::now();
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(started) = queue.poll(now) {
            self.queued
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&started.item.call_sid);
            let me = self.clone();
            let account = started.account;
            let slot = crate::account_cap::outbound(&self.shared, account);
            spawn_outbound(self.shared.clone(), started.item, None, move || {
                drop(slot);
                let mut q = me.queue.lock().unwrap_or_else(|e| e.into_inner());
                let _ = q.finished(account);
                drop(q);
                me.wake.notify_one();
            });
        }
        queue.poll_timeout(now)
    }
}

impl CallControl for Outbound {
    fn queues(&self) -> Option<&dyn switchyard_api::QueueControl> {
        Some(&self.queues)
    }

    fn create(&self, account: &Account, call: NewCall) -> Result<CallRecord, ApiError> {
        let route =
            crate::routing::route(&self.shared.config, account.sid, &call.to).map_err(|e| {
                ApiError::InvalidParameter {
                    name: "To",
                    reason: e.to_string(),
                }
            })?;
        let now = now_ms();
        let record = CallRecord {
            sid: CallSid::random(),
            account_sid: account.sid,
            from: call.from.clone(),
            to: call.to.clone(),
            status: CallStatus::Queued,
            direction: "outbound-api".into(),
            date_created: now,
            start_time: None,
            end_time: None,
            duration: None,
            date_updated: now,
            parent_call_sid: None,
            phone_number_sid: None,
        };
        self.shared.store.put_call_durable(&record)?;
        let app = match (&call.url, &call.twiml) {
            (_, Some(twiml)) => OutboundApp::Twiml(twiml.clone()),
            (Some(url), None) => OutboundApp::Url(target(url, &call.method)),
            (None, None) => {
                return Err(ApiError::InvalidParameter {
                    name: "Url",
                    reason: "either Url or Twiml is required".into(),
                })
            }
        };
        let entry = crate::shared::AccountEntry::from_account(account);
        let outbound = OutboundCall {
            call_sid: record.sid,
            account: entry,
            from: call.from,
            to: call.to,
            request_uri: route.request_uri,
            destination: route.destination,
            transport: route.transport,
            credentials: route.credentials,
            headers: route.headers,
            app,
            fallback: call
                .fallback_url
                .as_deref()
                .map(|u| target(u, &call.fallback_method)),
            status_callback: call
                .status_callback
                .as_deref()
                .map(|u| target(u, &call.status_callback_method)),
            status_events: if call.status_callback_event.is_empty() {
                vec!["completed".into()]
            } else {
                call.status_callback_event
            },
            ring_timeout: Duration::from_secs(u64::from(call.timeout)),
            record: call.record,
            created: SystemTime::now(),
        };
        {
            let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            let limits = Limits {
                calls_per_second: account.calls_per_second,
                max_concurrent: account.max_concurrent_calls,
            };
            if let Err(e) = queue.set_limits(account.sid, limits) {
                tracing::warn!(account = %account.sid, error = %e, "invalid limits; defaults apply");
            }
            let ticket = queue.push(Instant::now(), account.sid, outbound);
            self.queued
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(record.sid, ticket);
        }
        self.wake.notify_one();
        Ok(record)
    }

    fn update(
        &self,
        account: &Account,
        sid: CallSid,
        update: CallUpdate,
    ) -> Result<CallRecord, ApiError> {
        let not_found = || ApiError::NotFound(format!("/Calls/{sid}.json"));
        let mut record = self
            .shared
            .store
            .call(account.sid, sid)?
            .ok_or_else(not_found)?;
        let queued_ticket = self
            .queued
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&sid)
            .copied();
        let invalid = |action: &'static str, status: CallStatus| ApiError::InvalidCallState {
            status: status.as_str().into(),
            action,
        };
        if let Some(ticket) = queued_ticket {
            // Still in the queue: canceling (or completing) removes it; a redirect changes
            // what will run when it is answered.
            let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            match update {
                CallUpdate::Cancel | CallUpdate::Complete => {
                    if queue.cancel(ticket).is_some() {
                        self.queued
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .remove(&sid);
                        let now = now_ms();
                        record.status = CallStatus::Canceled;
                        record.end_time = Some(now);
                        record.date_updated = now;
                        self.shared.store.put_call_durable(&record)?;
                        return Ok(record);
                    }
                }
                CallUpdate::Redirect { .. } | CallUpdate::Twiml(_) => {
                    return Err(invalid("redirect", record.status))
                }
            }
        }
        let control = match update {
            CallUpdate::Cancel if record.status == CallStatus::Ringing => Control::Cancel,
            CallUpdate::Cancel => return Err(invalid("cancel", record.status)),
            CallUpdate::Complete if record.status.is_final() => {
                return Err(invalid("hang up", record.status))
            }
            CallUpdate::Complete => Control::Complete,
            CallUpdate::Redirect { .. } | CallUpdate::Twiml(_) if record.status.is_final() => {
                return Err(invalid("redirect", record.status))
            }
            CallUpdate::Redirect { url, method } => Control::Redirect {
                url,
                method: parse_method(&method).unwrap_or_default(),
            },
            CallUpdate::Twiml(text) => Control::Twiml(text),
        };
        let ending = matches!(control, Control::Complete | Control::Cancel);
        self.shared
            .live
            .send(sid, control)
            .map_err(|_| invalid("update", record.status))?;
        if ending {
            // The session ends the call now (BYE or CANCEL); the record it writes says
            // the same, and this answer should not show a status that is already over.
            record.status = if record.status == CallStatus::InProgress {
                CallStatus::Completed
            } else {
                CallStatus::Canceled
            };
        }
        Ok(record)
    }

    fn start_recording(
        &self,
        account: &Account,
        call: CallSid,
        start: switchyard_api::StartRecording,
    ) -> Result<switchyard_store::RecordingRecord, ApiError> {
        crate::recording_api::start(&self.shared, account, call, start)
    }

    fn update_recording(
        &self,
        account: &Account,
        call: CallSid,
        recording: switchyard_types::RecordingSid,
        update: switchyard_api::RecordingUpdate,
    ) -> Result<switchyard_store::RecordingRecord, ApiError> {
        crate::recording_api::update(&self.shared, account, call, recording, update)
    }

    fn conferences(&self) -> Option<&dyn switchyard_api::ConferenceControl> {
        Some(self)
    }

    fn stream(
        &self,
        _account: &Account,
        call: CallSid,
        control: switchyard_api::StreamControl,
    ) -> switchyard_api::StreamFuture {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let sent = self
            .shared
            .live
            .send(call, Control::Stream { control, reply });
        Box::pin(async move {
            let not_live = || ApiError::InvalidCallState {
                status: "not in progress".into(),
                action: "stream",
            };
            sent.map_err(|_| not_live())?;
            answer.await.map_err(|_| not_live())?
        })
    }
}
