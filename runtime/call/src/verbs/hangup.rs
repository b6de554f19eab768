//! `<Hangup>`: end the call.
//!
//! Twilio: "If used as the first verb in a TwiML response it does not prevent Twilio from
//! answering the call and billing your account. The only way to not answer a call and
//! prevent billing is to use the <Reject> verb." So an unanswered call is answered (200)
//! and then hung up (BYE), and its record says `completed`.

use crate::executor::Executor;

pub(super) fn start(exec: &mut Executor) {
    exec.verbs.clear();
    exec.ensure_answered();
    exec.finish_hangup();
}
