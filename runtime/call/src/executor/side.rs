//! Side documents: what a call hears while a verb holds it. A queue's wait document and
//! the `<Queue url>` document of a dequeued caller; a conference's wait, hold and
//! announcement documents.
//!
//! Twilio's rules they share, each enforced here:
//! - the URL "may return an MP3 file, a WAV file, or a TwiML document" (the
//!   Participant resource's `HoldUrl`, `AnnounceUrl`; `<Conference waitUrl>`: "TwiML or
//!   audio"): an audio answer is played, TwiML runs;
//! - its TwiML runs only the verbs Twilio lists for that document ("Twilio will only
//!   process <Play>, <Say>, <Pause>, and <Redirect> verbs"); any other is skipped with a
//!   12200 warning, and the document goes on;
//! - a wait or hold document plays "in a loop": it is requested again each time it ends,
//!   and an audio answer repeats until the holder takes the call back; an announcement
//!   or a dequeue document runs once, then its holder goes on;
//! - a document that cannot be had is a notification, not the end of the call: the
//!   holder plays its own music instead (or goes on, for a one-shot document).
//!
//! The holder (the queue, the room) keeps the caller's own document aside with
//! [`Place::keep`] while it holds the call and gives it back with [`Place::restore`].

use std::collections::VecDeque;
use std::time::Instant;

use switchyard_instructions::{HttpMethod, Verb};

use super::{AppFailure, Executor};
use crate::verbs::{self, NOT_EXECUTED};

/// The verb that holds the call and runs the side document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Holder {
    Queue,
    Conference,
}

/// The side document running (or being requested) now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Side {
    pub(crate) holder: Holder,
    /// The verbs Twilio lets this document run.
    pub(crate) verbs: &'static [&'static str],
    /// Requested again when it ends (wait and hold music), else run once.
    pub(crate) looping: bool,
}

/// Where the caller's own document stood when a verb took hold of the call.
#[derive(Debug)]
pub(crate) struct Place {
    verbs: VecDeque<Verb>,
    url: String,
    method: HttpMethod,
    params: Vec<(String, String)>,
}

impl Place {
    /// Put the rest of the running document aside (side documents replace it).
    pub(crate) fn keep(exec: &mut Executor) -> Self {
        Self {
            verbs: std::mem::take(&mut exec.verbs),
            url: exec.document_url.clone(),
            method: exec.document_method,
            params: exec.document_params.clone(),
        }
    }

    /// Give the caller its own document back: its verbs, and its URL for what resolves
    /// against it (the holder's `action`).
    pub(crate) fn restore(self, exec: &mut Executor) {
        exec.verbs = self.verbs;
        exec.document_url = self.url;
        exec.document_method = self.method;
        exec.document_params = self.params;
    }
}

impl Executor {
    /// Request the side document at `url`; its verbs replace whatever the side ran.
    pub(crate) fn fetch_side(
        &mut self,
        side: Side,
        url: String,
        method: HttpMethod,
        params: Vec<(String, String)>,
    ) {
        self.verbs.clear();
        self.side = Some(side);
        self.fetch(url, method, params, false);
    }

    /// The holder takes the call back: the side document stops (its sound too, and a
    /// request on its way is ignored when it arrives). `false` when none ran.
    pub(crate) fn end_side(&mut self) -> bool {
        if self.side.take().is_none() {
            return false;
        }
        self.verbs.clear();
        self.push(super::Action::StopMedia);
        true
    }

    /// Whether an audio answer is to repeat until stopped (a looping side document).
    pub(crate) fn side_loops(&self) -> bool {
        self.side.is_some_and(|s| s.looping)
    }
}

/// A verb of the running side document: `None` (with a warning) when Twilio does not
/// let that document run it.
pub(crate) fn filter(exec: &mut Executor, verb: Verb) -> Option<Verb> {
    let Some(side) = exec.side else {
        return Some(verb);
    };
    if side.verbs.contains(&verb.name()) {
        return Some(verb);
    }
    let what = match side.holder {
        Holder::Queue => "while the caller is in a queue",
        Holder::Conference => "in a conference's wait, hold or announcement document",
    };
    exec.notify(AppFailure {
        code: NOT_EXECUTED,
        message: format!("<{}> may not run {what}; skipped", verb.name()),
    });
    None
}

/// The side document ran out of verbs: its holder goes on (a looping one is requested
/// again). `false` when no side document runs.
pub(crate) fn ended(exec: &mut Executor, now: Instant) -> bool {
    let Some(side) = exec.side else {
        return false;
    };
    match side.holder {
        Holder::Queue => {
            verbs::enqueue::document_ended(exec, now);
        }
        Holder::Conference => verbs::dial::conference::document_ended(exec, now),
    }
    true
}

/// The side document could not be had (or was not TwiML nor audio): a notification,
/// and the holder goes on without it. `false` when no side document runs.
pub(crate) fn failed(exec: &mut Executor, now: Instant, failure: AppFailure) -> bool {
    let Some(side) = exec.side.take() else {
        return false;
    };
    exec.report_failure(failure);
    exec.verbs.clear();
    match side.holder {
        Holder::Queue => verbs::enqueue::document_failed(exec, now, side.looping),
        Holder::Conference => verbs::dial::conference::document_failed(exec, now),
    }
    true
}
