//! `<Enqueue>` and `<Leave>`: the caller waits in a queue, hearing the `waitUrl` document
//! in a loop (or the built-in hold music), until an agent takes it, the API dequeues it,
//! the wait document says `<Leave>`, or it hangs up.
//!
//! Twilio's rules, each enforced below:
//! - the queue is created on demand; a full queue refuses the caller with
//!   `QueueResult=queue-full` at once;
//! - the `waitUrl` document "may contain only Play, Say, Pause, Hangup, Redirect, Leave and
//!   Gather" and is requested again each time it ends, with `QueuePosition`, `QueueSid`,
//!   `QueueTime`, `AvgQueueTime`, `CurrentQueueSize` and `MaxQueueSize`;
//! - `action` is requested "when the call leaves the queue": at once for `<Leave>` and
//!   the API, after the bridge for a call dequeued by `<Dial>`, with `QueueResult`,
//!   `QueueSid` and `QueueTime`; without `action` the caller's document goes on;
//! - the `<Dial><Queue url>` document runs on the dequeued caller before the bridge, with
//!   Play, Say, Pause and Redirect only.

use std::time::{Duration, Instant};

use switchyard_instructions::{Enqueue, HttpMethod, Verb};
use switchyard_types::{CallSid, QueueSid};

use crate::events::EventKind;
use crate::executor::side::{Holder, Place, Side};
use crate::executor::{AppFailure, Executor, MediaSource, Step};
use crate::queue::{self, Dequeue, QueueAction, QueueError, QueueResult};

use super::NOT_EXECUTED;

/// Twilio: "The verbs … allowed in the waitUrl document: Play, Say, Pause, Hangup,
/// Redirect, Leave and Gather".
const WAIT: Side = Side {
    holder: Holder::Queue,
    verbs: &[
        "Play", "Say", "Pause", "Hangup", "Redirect", "Leave", "Gather",
    ],
    looping: true,
};

/// Twilio: "The allowed verbs in this [`<Queue url>`] TwiML document are Play, Say,
/// Pause, and Redirect." It runs once, before the bridge.
const DEQUEUE: Side = Side {
    holder: Holder::Queue,
    verbs: &["Play", "Say", "Pause", "Redirect"],
    looping: false,
};

/// A caller in a queue, from `<Enqueue>` until it leaves.
#[derive(Debug)]
pub(crate) struct Waiting {
    queue: QueueSid,
    action: Option<String>,
    method: HttpMethod,
    /// The absolute `waitUrl`.
    wait: Option<(String, HttpMethod)>,
    /// The document `<Enqueue>` was in: where the caller goes on without `action`, and
    /// what `action` resolves against.
    place: Place,
    phase: Phase,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Waiting,
    /// An agent took it; the `<Queue url>` document runs.
    Dequeued {
        agent: CallSid,
        waited: Duration,
    },
    Bridged {
        agent: CallSid,
        waited: Duration,
    },
}

fn ids(exec: &Executor) -> Option<(switchyard_types::AccountSid, CallSid)> {
    exec.call_ids()
}

pub(super) fn start(exec: &mut Executor, now: Instant, e: Enqueue) {
    exec.ensure_answered();
    if e.workflow_sid.is_some() {
        exec.notify(AppFailure {
            code: NOT_EXECUTED,
            message: "workflowSid on <Enqueue> (TaskRouter) is not executed by this node; \
                      the caller waits in the named queue"
                .into(),
        });
    }
    let wait = match e.wait_url.as_deref().map(|u| exec.resolve(u)) {
        Some(Ok(url)) => Some((url, e.wait_url_method)),
        Some(Err(message)) => {
            return exec.fail(AppFailure {
                code: 11100,
                message,
            })
        }
        None => None,
    };
    let left = |exec: &mut Executor, result, sid: Option<QueueSid>| {
        let place = Place::keep(exec);
        report(
            exec,
            e.action.clone(),
            e.method,
            place,
            result,
            sid,
            Duration::ZERO,
        );
    };
    let (Some(queues), Some((account, call))) = (exec.queues.clone(), ids(exec)) else {
        exec.notify(AppFailure {
            code: NOT_EXECUTED,
            message: "<Enqueue>: this node keeps no queues".into(),
        });
        return left(exec, QueueResult::SystemError, None);
    };
    if e.name.is_empty() {
        return left(exec, QueueResult::Error, None);
    }
    let joined = queue::lock(&queues).enqueue(now, account, &e.name, call, e.max_queue_size);
    let joined = match joined {
        Ok(j) => j,
        Err(QueueError::Full(sid)) => return left(exec, QueueResult::QueueFull, Some(sid)),
        Err(_) => return left(exec, QueueResult::Error, None),
    };
    if !joined.wake.is_empty() {
        exec.push(crate::Action::Queue(QueueAction::Wake(joined.wake)));
    }
    let p = &joined.position;
    exec.event(
        EventKind::QueueJoined,
        vec![
            ("QueueSid".into(), p.queue.sid.to_string()),
            ("QueueName".into(), p.queue.name.clone()),
            ("QueuePosition".into(), p.position.to_string()),
            ("CurrentQueueSize".into(), p.queue.size.to_string()),
        ],
    );
    exec.queued = Some(Box::new(Waiting {
        queue: p.queue.sid,
        action: e.action,
        method: e.method,
        wait,
        place: Place::keep(exec),
        phase: Phase::Waiting,
    }));
    hold(exec, now);
}

/// (Re)start what the waiting caller hears: the wait document, fetched anew with where
/// the caller stands now, or the built-in music.
fn hold(exec: &mut Executor, now: Instant) {
    let Some(w) = exec.queued.as_ref() else {
        return;
    };
    let Some((url, method)) = w.wait.clone() else {
        exec.play(MediaSource::HoldMusic, 0);
        exec.step = Step::Queue;
        return;
    };
    let sid = w.queue;
    let position = exec
        .queues
        .as_ref()
        .zip(ids(exec))
        .and_then(|(q, (_, call))| queue::lock(q).position(now, sid, call));
    let Some(p) = position else {
        // Taken from the book a moment ago: the dequeue is on its way.
        exec.step = Step::Queue;
        return;
    };
    let params = vec![
        ("QueuePosition".into(), p.position.to_string()),
        ("QueueSid".into(), sid.to_string()),
        ("QueueTime".into(), p.waited.as_secs().to_string()),
        (
            "AvgQueueTime".into(),
            p.queue.average_wait.as_secs().to_string(),
        ),
        ("CurrentQueueSize".into(), p.queue.size.to_string()),
        ("MaxQueueSize".into(), p.queue.max_size.to_string()),
    ];
    exec.fetch_side(WAIT, url, method, params);
}

/// A verb of a wait document (the side document filtered it already): `None` when it
/// was handled here.
pub(super) fn filter(exec: &mut Executor, now: Instant, verb: Verb) -> Option<Verb> {
    let waiting = exec.queued.is_some() && exec.side.is_some_and(|s| s.holder == Holder::Queue);
    match verb {
        Verb::Leave if !waiting => {
            warn(exec, "<Leave> outside a queue's wait document; skipped");
            None
        }
        Verb::Leave => {
            exit(exec, now, QueueResult::Leave);
            None
        }
        Verb::Hangup if waiting => {
            // The caller's call ends; `action` is told (its answer is not executed).
            exit(exec, now, QueueResult::Hangup);
            exec.finish_hangup();
            None
        }
        other => Some(other),
    }
}

fn warn(exec: &mut Executor, message: &str) {
    exec.notify(AppFailure {
        code: NOT_EXECUTED,
        message: message.to_owned(),
    });
}

/// The wait or dequeue document ran out of verbs: `true` when the queue goes on with
/// something (the wait document again, or the bridge).
pub(crate) fn document_ended(exec: &mut Executor, now: Instant) -> bool {
    let Some(w) = exec.queued.as_mut() else {
        return false;
    };
    match w.phase {
        Phase::Waiting => hold(exec, now),
        Phase::Dequeued { agent, waited } => {
            w.phase = Phase::Bridged { agent, waited };
            let sid = w.queue;
            exec.step = Step::Queue;
            exec.side = None;
            exec.push(crate::Action::StopMedia);
            exec.push(crate::Action::Queue(QueueAction::Ready { agent }));
            exec.event(
                EventKind::QueueBridged,
                vec![
                    ("QueueSid".into(), sid.to_string()),
                    ("DequeingCallSid".into(), agent.to_string()),
                    ("QueueTime".into(), waited.as_secs().to_string()),
                ],
            );
        }
        Phase::Bridged { .. } => exec.step = Step::Queue,
    }
    true
}

/// The wait document (`looping`) or the dequeue document could not be had: the caller
/// hears the built-in hold music instead, or goes on to its bridge.
pub(crate) fn document_failed(exec: &mut Executor, now: Instant, looping: bool) {
    if looping {
        exec.play(MediaSource::HoldMusic, 0);
        exec.step = Step::Queue;
    } else {
        document_ended(exec, now);
    }
}

/// Someone took the caller out of its queue.
pub(crate) fn dequeued(exec: &mut Executor, now: Instant, how: Dequeue) {
    let waiting = exec.queued.as_ref().filter(|w| w.phase == Phase::Waiting);
    let Some(sid) = waiting.map(|w| w.queue) else {
        if let Dequeue::Bridge { agent, .. } = how {
            // Not waiting any more (it left a moment ago): the agent takes the next.
            exec.push(crate::Action::Queue(QueueAction::EndBridge { peer: agent }));
        }
        return;
    };
    exec.push(crate::Action::StopMedia);
    exec.verbs.clear();
    exec.step = Step::Idle;
    match how {
        Dequeue::Bridge { agent, url, waited } => {
            if let Some(w) = exec.queued.as_mut() {
                w.phase = Phase::Dequeued { agent, waited };
            }
            match url {
                Some((url, method)) => {
                    let params = vec![
                        ("QueueSid".into(), sid.to_string()),
                        ("QueueTime".into(), waited.as_secs().to_string()),
                        ("DequeingCallSid".into(), agent.to_string()),
                    ];
                    exec.fetch_side(DEQUEUE, url, method, params);
                }
                None => {
                    exec.side = None;
                    document_ended(exec, now);
                }
            }
        }
        Dequeue::Redirect {
            url,
            method,
            waited,
        } => {
            exec.queued = None;
            exec.side = None;
            let params = result_params(QueueResult::Redirected, Some(sid), waited);
            left_event(exec, &params);
            exec.fetch(url, method, params, false);
        }
    }
}

/// The agent's side of the bridge ended it (or the agent is gone).
pub(crate) fn bridge_ended(exec: &mut Executor, now: Instant) {
    match exec.queued.as_ref().map(|w| w.phase) {
        Some(Phase::Bridged { .. }) => exit(exec, now, QueueResult::Bridged),
        // The agent went away while its `<Queue url>` document played to the caller.
        Some(Phase::Dequeued { .. }) => exit(exec, now, QueueResult::Error),
        _ => return,
    }
    exec.advance(now);
}

/// The caller hung up: it leaves its queue (or its bridge), and `action` is told.
pub(crate) fn caller_gone(exec: &mut Executor, now: Instant) {
    let result = match exec.queued.as_ref().map(|w| w.phase) {
        None => return,
        Some(Phase::Waiting) => QueueResult::Hangup,
        Some(Phase::Bridged { agent, .. } | Phase::Dequeued { agent, .. }) => {
            exec.push(crate::Action::Queue(QueueAction::EndBridge { peer: agent }));
            QueueResult::Bridged
        }
    };
    exit(exec, now, result);
}

/// The API redirected the call or replaced its document: it leaves the queue without
/// `action`.
pub(crate) fn abandon(exec: &mut Executor, now: Instant) {
    let Some(w) = exec.queued.take() else {
        return;
    };
    exec.end_side();
    let waited = match w.phase {
        Phase::Waiting => take_out(exec, now, w.queue),
        Phase::Dequeued { agent, waited } | Phase::Bridged { agent, waited } => {
            exec.push(crate::Action::Queue(QueueAction::EndBridge { peer: agent }));
            waited
        }
    };
    let params = result_params(QueueResult::Redirected, Some(w.queue), waited);
    left_event(exec, &params);
}

/// Remove the caller from the book: how long it waited.
fn take_out(exec: &Executor, now: Instant, sid: QueueSid) -> Duration {
    exec.queues
        .as_ref()
        .zip(ids(exec))
        .and_then(|(q, (_, call))| queue::lock(q).remove(now, sid, call))
        .map(|d| d.waited)
        .unwrap_or_default()
}

/// The caller leaves its queue with `result`: `action`, or the rest of its document.
/// Does not run verbs (the caller does, when it is not already running them).
fn exit(exec: &mut Executor, now: Instant, result: QueueResult) {
    let Some(w) = exec.queued.take() else {
        return;
    };
    let waited = match w.phase {
        Phase::Waiting => take_out(exec, now, w.queue),
        Phase::Dequeued { waited, .. } | Phase::Bridged { waited, .. } => waited,
    };
    exec.side = None;
    exec.push(crate::Action::StopMedia);
    report(
        exec,
        w.action,
        w.method,
        w.place,
        result,
        Some(w.queue),
        waited,
    );
}

fn report(
    exec: &mut Executor,
    action: Option<String>,
    method: HttpMethod,
    place: Place,
    result: QueueResult,
    sid: Option<QueueSid>,
    waited: Duration,
) {
    let params = result_params(result, sid, waited);
    left_event(exec, &params);
    place.restore(exec);
    match action {
        Some(action) => {
            exec.verbs.clear();
            exec.fetch(action, method, params, false);
        }
        None => exec.step = Step::Idle,
    }
}

fn result_params(
    result: QueueResult,
    sid: Option<QueueSid>,
    waited: Duration,
) -> Vec<(String, String)> {
    let mut params = vec![("QueueResult".to_owned(), result.as_str().to_owned())];
    if let Some(sid) = sid {
        params.push(("QueueSid".into(), sid.to_string()));
    }
    params.push(("QueueTime".into(), waited.as_secs().to_string()));
    params
}

fn left_event(exec: &mut Executor, params: &[(String, String)]) {
    exec.event(EventKind::QueueLeft, params.to_vec());
}
