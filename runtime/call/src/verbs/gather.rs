//! `<Gather>`: collect DTMF digits while nested Say/Play/Pause prompts play.
//!
//! Twilio's rules, each enforced below: the first digit interrupts the prompts; input ends
//! on `finishOnKey` (not included in `Digits`), on `numDigits` digits, or when `timeout`
//! seconds pass without a digit after the prompts end; an empty result falls through to
//! the next verb unless `actionOnEmptyResult` is set; without `action` the result goes
//! to the current document's URL.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use switchyard_instructions::{Gather, GatherChild};

use crate::events::EventKind;
use crate::executor::{Action, Executor, MediaToken, Step};

use super::{play, say};

#[derive(Debug)]
pub(crate) struct GatherState {
    spec: Gather,
    prompts: VecDeque<GatherChild>,
    playing: Option<MediaToken>,
    paused_until: Option<Instant>,
    digits: String,
    /// Input deadline; set once the prompts are over, reset by each digit.
    input_deadline: Option<Instant>,
}

impl GatherState {
    pub(crate) fn owns(&self, token: MediaToken) -> bool {
        self.playing == Some(token)
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.paused_until.or(self.input_deadline)
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(u64::from(self.spec.timeout))
    }
}

pub(super) fn start(exec: &mut Executor, now: Instant, mut spec: Gather) {
    let prompts = std::mem::take(&mut spec.children).into();
    exec.step = Step::Gather(Box::new(GatherState {
        spec,
        prompts,
        playing: None,
        paused_until: None,
        digits: String::new(),
        input_deadline: None,
    }));
    next_prompt(exec, now);
}

/// Start the next nested prompt, or the input timeout when there is none left.
fn next_prompt(exec: &mut Executor, now: Instant) {
    loop {
        let Step::Gather(g) = &mut exec.step else {
            return;
        };
        let Some(child) = g.prompts.pop_front() else {
            g.input_deadline = Some(now + g.timeout());
            return;
        };
        let (source, repeat) = match child {
            GatherChild::Say(s) => {
                let repeat = s.loop_count;
                (say::speech(s), repeat)
            }
            GatherChild::Play(p) => {
                let repeat = p.loop_count;
                match play::source(exec, p) {
                    Ok(source) => (source, repeat),
                    Err(failure) => {
                        // A bad prompt is reported and skipped; the Gather still listens.
                        exec.notify(failure);
                        continue;
                    }
                }
            }
            GatherChild::Pause(p) => {
                g.paused_until = Some(now + Duration::from_secs(u64::from(p.length)));
                return;
            }
        };
        let token = exec.play(source, repeat);
        if let Step::Gather(g) = &mut exec.step {
            g.playing = Some(token);
        }
        return;
    }
}

pub(crate) fn media_done(exec: &mut Executor, now: Instant, token: MediaToken) {
    if let Step::Gather(g) = &mut exec.step {
        if g.playing == Some(token) {
            g.playing = None;
            next_prompt(exec, now);
        }
    }
}

pub(crate) fn digit(exec: &mut Executor, now: Instant, digit: char) {
    let Step::Gather(g) = &mut exec.step else {
        return;
    };
    let interrupting = g.playing.is_some() || g.paused_until.is_some() || !g.prompts.is_empty();
    if interrupting {
        g.prompts.clear();
        g.playing = None;
        g.paused_until = None;
    }
    let finished_on_key = g.spec.finish_on_key == Some(digit);
    if !finished_on_key {
        g.digits.push(digit);
    }
    let enough = g
        .spec
        .num_digits
        .is_some_and(|n| g.digits.chars().count() >= n as usize);
    g.input_deadline = Some(now + g.timeout());
    if interrupting {
        exec.push(Action::StopMedia);
    }
    if finished_on_key || enough {
        complete(exec, now, finished_on_key.then_some(digit));
    }
}

pub(crate) fn timeout(exec: &mut Executor, now: Instant) {
    let Step::Gather(g) = &mut exec.step else {
        return;
    };
    if g.paused_until.is_some_and(|t| now >= t) {
        g.paused_until = None;
        return next_prompt(exec, now);
    }
    if g.input_deadline.is_some_and(|t| now >= t) {
        complete(exec, now, None);
    }
}

fn complete(exec: &mut Executor, now: Instant, finished_on_key: Option<char>) {
    let Step::Gather(g) = std::mem::replace(&mut exec.step, Step::Idle) else {
        return;
    };
    let GatherState { spec, digits, .. } = *g;
    let mut ended = vec![
        ("Verb".to_owned(), "Gather".to_owned()),
        ("Digits".to_owned(), digits.clone()),
    ];
    if let Some(key) = finished_on_key {
        ended.push(("FinishedOnKey".to_owned(), key.to_string()));
    }
    exec.event(EventKind::VerbEnded, ended);
    if digits.is_empty() && !spec.action_on_empty_result {
        // "If no input was received, Twilio falls through to the next verb."
        return exec.advance(now);
    }
    let mut params = vec![("Digits".to_owned(), digits)];
    if let Some(key) = finished_on_key {
        params.push(("FinishedOnKey".to_owned(), key.to_string()));
    }
    exec.verbs.clear();
    let url = spec.action.unwrap_or_else(|| exec.document_url.clone());
    exec.fetch(url, spec.method, params, false);
}
