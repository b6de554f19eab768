//! Bounds on an application that keeps a call from going anywhere.
//!
//! A document that redirects to itself (or a Wasm app that answers every step with a
//! `<Redirect>`) runs no verb: without a bound it would keep the caller waiting and the
//! app busy for as long as the caller holds on. Two bounds end such a call:
//!
//! - **Requests without a verb**: at most [`AppLimits::max_requests_without_verb`]
//!   consecutive application requests (100 by default) whose documents run nothing but
//!   `<Redirect>`; the request past the bound is not made. Any other verb starting resets
//!   the count.
//! - **Pre-answer time**: a call the application has not answered after
//!   [`AppLimits::pre_answer_timeout`] (180 s by default, SIP's Timer C: RFC 3261 §16.6
//!   "Timer C MUST be set for each client transaction when an INVITE request is proxied.
//!   The timer MUST be larger than 3 minutes") is given up. A `<Dial>` that rings the
//!   caller's parties is bounded by its own `timeout` instead.
//!
//! Either writes a notification with Twilio's 14106 ("Document retrieval limit reached";
//! its causes are "infinite loop caused by self referencing Redirect verb URL") naming
//! the loop, and ends the call with a final answer: an unanswered call gets
//! `500 Server Internal Error` (the loop) or `408 Request Timeout` (the pre-answer time,
//! what RFC 3261 §16.8 has a proxy answer when Timer C fires); an answered one hears the
//! application-error message and gets a BYE, as for any application failure.

use std::time::{Duration, Instant};

use super::{Action, AppFailure, Executor, Step};

/// Twilio's "Document retrieval limit reached".
pub const DOCUMENT_LIMIT: u32 = 14106;

/// The final response of an unanswered call whose application loops.
pub const LOOP_STATUS: u16 = 500;

/// The final response of a call left unanswered past [`AppLimits::pre_answer_timeout`].
pub const PRE_ANSWER_STATUS: u16 = 408;

/// How far an application may keep a call from progressing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppLimits {
    /// Consecutive application requests whose documents run no verb but `<Redirect>`.
    pub max_requests_without_verb: u32,
    /// How long the application may leave the call unanswered (not counting a `<Dial>`
    /// that rings with `answerOnBridge`, which its `timeout` bounds).
    pub pre_answer_timeout: Duration,
}

impl AppLimits {
    /// The documented default bound on requests without a verb.
    pub const DEFAULT_MAX_REQUESTS_WITHOUT_VERB: u32 = 100;
    /// The documented default pre-answer time (Timer C's 3 minutes).
    pub const DEFAULT_PRE_ANSWER_TIMEOUT: Duration = Duration::from_secs(180);
}

impl Default for AppLimits {
    fn default() -> Self {
        Self {
            max_requests_without_verb: Self::DEFAULT_MAX_REQUESTS_WITHOUT_VERB,
            pre_answer_timeout: Self::DEFAULT_PRE_ANSWER_TIMEOUT,
        }
    }
}

impl Executor {
    /// This executor with `limits` instead of the defaults.
    pub fn with_limits(mut self, limits: AppLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Count one more application request. False (and the call ended) when it would go
    /// past the bound.
    pub(crate) fn count_request(&mut self) -> bool {
        if self.requests_without_verb >= self.limits.max_requests_without_verb {
            let n = self.requests_without_verb;
            self.give_up(
                LOOP_STATUS,
                format!(
                    "redirect loop: {n} application requests in a row ran no verb but \
                     <Redirect> (the limit is {}); the call is ended",
                    self.limits.max_requests_without_verb
                ),
            );
            return false;
        }
        self.requests_without_verb += 1;
        true
    }

    /// A verb other than `<Redirect>` started: the application is not looping.
    pub(crate) fn verb_ran(&mut self) {
        self.requests_without_verb = 0;
    }

    /// When the call must be answered by: while unanswered and driven by the application
    /// (fetching, or a first `<Pause>`).
    pub(crate) fn pre_answer_deadline(&self) -> Option<Instant> {
        if self.answered || self.whisper || matches!(self.step, Step::Dial(_) | Step::Done) {
            return None;
        }
        Some(self.started? + self.limits.pre_answer_timeout)
    }

    /// End the call if it is still unanswered at its pre-answer deadline.
    pub(crate) fn pre_answer_expired(&mut self, now: Instant) -> bool {
        if self.pre_answer_deadline().is_none_or(|t| now < t) {
            return false;
        }
        let secs = self.limits.pre_answer_timeout.as_secs();
        self.give_up(
            PRE_ANSWER_STATUS,
            format!(
                "the application left the call unanswered for {secs} s (the pre-answer \
                 limit); the call is ended"
            ),
        );
        true
    }

    /// End a call whose application went past a bound: a notification naming why, then
    /// `status` for an unanswered call, the application-error message and a BYE for an
    /// answered one.
    fn give_up(&mut self, status: u16, message: String) {
        let failure = AppFailure {
            code: DOCUMENT_LIMIT,
            message,
        };
        if self.answered {
            return self.fail(failure);
        }
        self.report_failure(failure);
        self.verbs.clear();
        self.push(Action::Reject { status });
        self.step = Step::Done;
    }
}
