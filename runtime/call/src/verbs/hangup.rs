//! `<Hangup>`: end the call.

use crate::executor::Executor;

pub(super) fn start(exec: &mut Executor) {
    exec.verbs.clear();
    exec.finish_hangup();
}
