//! One file per verb: how each starts, and what it waits for.

pub(crate) mod dial;
pub(crate) mod dial_queue;
pub(crate) mod enqueue;
pub(crate) mod gather;
mod hangup;
mod pause;
mod play;
pub(crate) mod record;
mod redirect;
mod reject;
mod say;
pub(crate) mod stream;

use std::time::Instant;

use switchyard_instructions::Verb;

use crate::executor::{AppFailure, Executor};

/// Twilio's "schema validation warning": the document is valid but this node cannot act
/// on the verb; the call goes on with the next one.
pub(crate) const NOT_EXECUTED: u32 = 12200;

pub(crate) fn start(exec: &mut Executor, now: Instant, verb: Verb, first: bool) {
    // A queue's wait (or dequeue) document runs only some verbs; `<Leave>` is its own.
    let Some(verb) = enqueue::filter(exec, now, verb) else {
        return;
    };
    match verb {
        Verb::Reject(r) => return reject::start(exec, r, first),
        Verb::Hangup => return hangup::start(exec),
        // Answers itself: at once, or after its length as the first verb.
        Verb::Pause(p) => return pause::start(exec, now, p, first),
        Verb::Redirect(r) => return redirect::start(exec, r),
        // Answers itself: at once, or at the bridge with answerOnBridge.
        Verb::Dial(d) if dial_queue::dials_queue(&d) => return dial_queue::start(exec, now, d),
        Verb::Dial(d) => return dial::start(exec, now, d),
        _ => {}
    }
    // Every other verb needs the call answered (Twilio answers before the first one).
    exec.ensure_answered();
    match verb {
        Verb::Say(s) => say::start(exec, s),
        Verb::Play(p) => play::start(exec, p),
        Verb::Gather(g) => gather::start(exec, now, g),
        Verb::Record(r) => record::start(exec, r),
        Verb::Start(s) => stream::start(exec, s),
        Verb::Stop(s) => stream::stop(exec, s),
        Verb::Connect(c) => stream::connect(exec, c),
        Verb::Enqueue(e) => enqueue::start(exec, now, e),
        other => {
            exec.notify(AppFailure {
                code: NOT_EXECUTED,
                message: format!(
                    "<{}> is not executed by this node yet; skipped",
                    other.name()
                ),
            });
        }
    }
}
