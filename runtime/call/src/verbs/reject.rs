//! `<Reject>`: refuse the call.
//!
//! Twilio: Reject only avoids answering when it is the first verb of the call; anywhere else
//! the call is already answered and simply ends.

use switchyard_instructions::{Reject, RejectReason};

use crate::executor::{Action, Executor, Step};

pub(super) fn start(exec: &mut Executor, reject: Reject, first: bool) {
    exec.verbs.clear();
    if first && !exec.answered {
        let status = match reject.reason {
            RejectReason::Busy => 486,
            RejectReason::Rejected => 603,
        };
        exec.push(Action::Reject { status });
        exec.step = Step::Done;
    } else {
        exec.finish_hangup();
    }
}
