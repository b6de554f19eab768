//! `<Redirect>`: continue with the document at another URL.

use switchyard_instructions::Redirect;

use crate::executor::Executor;

pub(super) fn start(exec: &mut Executor, redirect: Redirect) {
    exec.verbs.clear();
    exec.fetch(
        redirect.url.trim().to_owned(),
        redirect.method,
        Vec::new(),
        false,
    );
}
