//! `<Dial><Queue>`: the agent's call takes the caller at the head of a queue.
//!
//! Twilio's rules, each enforced below:
//! - "the caller will be connected with the first enqueued call in the specified queue";
//! - "If the queue is empty, Dial will wait until the next person joins the queue or until
//!   the <Dial> timeout duration is reached" (then `DialCallStatus=no-answer`);
//! - "If the queue does not exist, Dial will post an error status to its action URL"
//!   (`DialCallStatus=failed`);
//! - the noun's `url` runs on the dequeued caller before the two are connected (the
//!   member's side, see [`super::enqueue`]);
//! - the bridge ends when either hangs up or at `timeLimit`; the agent's `action` gets the
//!   Dial outcome with `QueueSid`, `DequeuedCallSid` and `DequeuedCallQueueTime`;
//! - `record` records the agent's call with the dequeued caller as the other party, as for
//!   any `<Dial>` (see [`super::dial::record`]): `record-from-ringing…` from the moment
//!   the caller is taken, `record-from-answer…` from the bridge.

use std::time::{Duration, Instant};

use switchyard_instructions::{Dial, DialTarget, HttpMethod};
use switchyard_types::{CallSid, CallStatus, QueueSid};

use crate::events::EventKind;
use crate::executor::{Action, AppFailure, Executor, Step};
use crate::queue::{self, QueueAction};

use super::dial::DialRecording;

use super::NOT_EXECUTED;

/// Whether this `<Dial>` takes a queue's caller (its first noun is a `<Queue>`).
pub(super) fn dials_queue(dial: &Dial) -> bool {
    matches!(dial.targets.first(), Some(DialTarget::Queue(_)))
}

#[derive(Debug)]
pub(crate) struct AgentState {
    name: String,
    action: Option<String>,
    method: HttpMethod,
    /// The noun's `url`, absolute.
    url: Option<(String, HttpMethod)>,
    wait_until: Instant,
    time_limit: Duration,
    /// The member taken, its queue and how long it waited.
    member: Option<(CallSid, QueueSid, Duration)>,
    /// Waiting for a member to join the empty queue.
    waiting: bool,
    bridged_at: Option<Instant>,
    /// The Dial's `record`.
    recording: Option<DialRecording>,
}

impl AgentState {
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self.bridged_at {
            Some(at) => Some(at + self.time_limit),
            None if self.waiting => Some(self.wait_until),
            None => None,
        }
    }
}

fn state(exec: &mut Executor) -> Option<&mut AgentState> {
    match &mut exec.step {
        Step::Agent(a) => Some(a),
        _ => None,
    }
}

pub(super) fn start(exec: &mut Executor, now: Instant, dial: Dial) {
    exec.ensure_answered();
    let recording = DialRecording::of(&dial);
    let mut targets = dial.targets.into_iter();
    let Some(DialTarget::Queue(q)) = targets.next() else {
        return;
    };
    if targets.next().is_some() {
        exec.notify(AppFailure {
            code: NOT_EXECUTED,
            message: "<Dial><Queue> takes one queue and no other noun; the rest are skipped".into(),
        });
    }
    let url = match q.url.as_deref().map(|u| exec.resolve(u)) {
        Some(Ok(u)) => Some((u, q.method)),
        Some(Err(message)) => {
            return exec.fail(AppFailure {
                code: 11100,
                message,
            })
        }
        None => None,
    };
    exec.step = Step::Agent(Box::new(AgentState {
        name: q.name,
        action: dial.action,
        method: dial.method,
        url,
        wait_until: now + Duration::from_secs(u64::from(dial.timeout)),
        time_limit: Duration::from_secs(u64::from(dial.time_limit)),
        member: None,
        waiting: false,
        bridged_at: None,
        recording,
    }));
    take(exec, now);
}

/// Take the head of the queue, or wait for one to join.
fn take(exec: &mut Executor, now: Instant) {
    let ids = exec.call_ids();
    let queues = exec.queues.clone();
    let Some(name) = state(exec).map(|a| a.name.clone()) else {
        return;
    };
    let (Some(queues), Some((account, agent))) = (queues, ids) else {
        return finish(exec, now, CallStatus::Failed, true);
    };
    let taken = queue::lock(&queues).take_front(now, account, &name, agent);
    match taken {
        Ok(Some(d)) => {
            let Some(a) = state(exec) else { return };
            a.waiting = false;
            a.member = Some((d.call, d.queue, d.waited));
            let url = a.url.clone();
            with_recording(exec, |r, exec| r.ringing(exec, now));
            exec.push(Action::Queue(QueueAction::Take {
                member: d.call,
                queue: d.queue,
                url,
                waited: d.waited,
            }));
        }
        Ok(None) => {
            if let Some(a) = state(exec) {
                a.waiting = true;
            }
        }
        Err(e) => {
            exec.notify(AppFailure {
                code: NOT_EXECUTED,
                message: format!("<Dial><Queue>{name}: {e}"),
            });
            finish(exec, now, CallStatus::Failed, true);
        }
    }
}

/// A member joined the queue this agent waits on.
pub(crate) fn member_waiting(exec: &mut Executor, now: Instant) {
    if state(exec).is_some_and(|a| a.waiting) {
        take(exec, now);
    }
}

/// The member taken could not be reached or left before the bridge: take the next.
pub(crate) fn member_gone(exec: &mut Executor, now: Instant, member: CallSid) {
    let Some(a) = state(exec) else { return };
    if a.member.map(|m| m.0) != Some(member) {
        return;
    }
    if a.bridged_at.is_some() {
        return finish(exec, now, CallStatus::Completed, true);
    }
    a.member = None;
    take(exec, now);
}

/// The member's `<Queue url>` document is over and its media bridged to ours: whether
/// this agent still wants it (if not, the node unbridges and tells the member).
pub(crate) fn member_ready(exec: &mut Executor, now: Instant, member: CallSid) -> bool {
    let Some(a) = state(exec) else { return false };
    if a.member.map(|m| m.0) != Some(member) || a.bridged_at.is_some() {
        return false;
    }
    a.bridged_at = Some(now);
    with_recording(exec, |r, exec| r.bridged(exec, now));
    true
}

/// `f` on the Dial's recording, if it asked for one.
fn with_recording(exec: &mut Executor, f: impl FnOnce(&mut DialRecording, &mut Executor)) {
    let Some(mut r) = state(exec).and_then(|a| a.recording.take()) else {
        return;
    };
    f(&mut r, exec);
    if let Some(a) = state(exec) {
        a.recording = Some(r);
    }
}

/// The bridge's time limit, or the wait for a member, is over.
pub(crate) fn timeout(exec: &mut Executor, now: Instant) {
    let Some(a) = state(exec) else { return };
    match a.deadline() {
        Some(t) if now >= t => {}
        _ => return,
    }
    if a.bridged_at.is_some() {
        if let Some((member, ..)) = a.member {
            exec.push(Action::Queue(QueueAction::EndBridge { peer: member }));
        }
        return finish(exec, now, CallStatus::Completed, true);
    }
    finish(exec, now, CallStatus::NoAnswer, true);
}

/// The agent hung up.
pub(crate) fn caller_gone(exec: &mut Executor, now: Instant) {
    let Some(a) = state(exec) else { return };
    let outcome = if a.bridged_at.is_some() {
        CallStatus::Completed
    } else {
        CallStatus::Canceled
    };
    if let Some((member, ..)) = a.member {
        exec.push(Action::Queue(QueueAction::EndBridge { peer: member }));
    }
    finish(exec, now, outcome, false);
}

/// A live redirect or TwiML update takes the agent's call elsewhere: the member's bridge
/// ends, and `action` is not requested.
pub(crate) fn abandon(exec: &mut Executor) {
    let ids = exec.call_ids();
    let Step::Agent(a) = std::mem::replace(&mut exec.step, Step::Idle) else {
        return;
    };
    if let Some((member, ..)) = a.member {
        exec.push(Action::Queue(QueueAction::EndBridge { peer: member }));
    }
    if let (true, Some(q), Some((account, agent))) = (a.waiting, exec.queues.as_ref(), ids) {
        queue::lock(q).stop_waiting(account, &a.name, agent);
    }
}

/// The member's side ended the bridge (it hung up).
pub(crate) fn bridge_ended(exec: &mut Executor, now: Instant, member: CallSid) {
    member_gone(exec, now, member);
}

fn finish(exec: &mut Executor, now: Instant, status: CallStatus, agent_here: bool) {
    let ids = exec.call_ids();
    let Step::Agent(a) = std::mem::replace(&mut exec.step, Step::Idle) else {
        return;
    };
    if a.waiting {
        if let (Some(q), Some((account, agent))) = (exec.queues.as_ref(), ids) {
            queue::lock(q).stop_waiting(account, &a.name, agent);
        }
    }
    let bridged = a
        .bridged_at
        .map(|at| now.saturating_duration_since(at))
        .unwrap_or_default();
    exec.meter_bridged(bridged);
    let mut params = vec![("DialCallStatus".to_owned(), status.as_str().to_owned())];
    if let Some((member, sid, waited)) = a.member {
        params.push(("DialCallSid".into(), member.to_string()));
        params.push(("QueueSid".into(), sid.to_string()));
        params.push(("DequeuedCallSid".into(), member.to_string()));
        params.push(("DequeuedCallQueueTime".into(), waited.as_secs().to_string()));
    }
    let duration = bridged.as_secs_f64().round() as u64;
    params.push(("DialCallDuration".into(), duration.to_string()));
    params.push(("DialBridged".into(), a.bridged_at.is_some().to_string()));
    if let Some(r) = a.recording {
        params.extend(r.finish(exec, now));
    }
    let mut data = vec![("Verb".to_owned(), "Dial".to_owned())];
    data.extend(params.iter().cloned());
    exec.event(EventKind::VerbEnded, data);
    match (a.action, agent_here) {
        (Some(action), _) => {
            exec.verbs.clear();
            exec.fetch(action, a.method, params, false);
        }
        (None, true) => exec.advance(now),
        (None, false) => {}
    }
}
