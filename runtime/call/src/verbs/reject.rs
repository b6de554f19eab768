//! `<Reject>`: refuse the call.
//!
//! Twilio: "If the first verb in a TwiML document is <Reject>, Twilio will not pick up the
//! call. The call ends with a status of busy or no-answer, depending on the verb's reason
//! attribute." Anywhere else the call is already answered and simply ends.

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
