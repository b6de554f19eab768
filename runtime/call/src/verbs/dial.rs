//! `<Dial>`: ring the parties of its `<Number>`, `<Sip>` and `<Client>` nouns in parallel,
//! bridge the first to answer, and report the outcome.
//!
//! Twilio's rules, each enforced below:
//! - up to 10 nouns ring at once; the first to answer wins and the others are cancelled;
//! - `timeout` seconds of ringing with no answer end the attempt as `no-answer`;
//! - without `answerOnBridge` the caller is answered before dialling; with it, the caller
//!   hears ringing and is answered only when the bridge is made;
//! - a noun's `url` (the whisper) runs on the called party after it answers; if it hangs
//!   up, the caller is not bridged (`DialBridged=false`);
//! - `hangupOnStar`: `*` from the caller ends the called leg, the caller's document goes on;
//! - `timeLimit` seconds after the bridge the called leg is hung up;
//! - the called party hanging up returns the caller to its document: the `action` URL with
//!   `DialCallStatus`, `DialCallSid`, `DialCallDuration` and `DialBridged`, or, without
//!   `action`, the next verb;
//! - the caller hanging up ends every leg; the `action` URL is still told the outcome.

use std::time::{Duration, Instant};

use switchyard_instructions::{Dial, DialTarget, HttpMethod, LegCallbacks};
use switchyard_types::{CallSid, CallStatus};

use crate::events::EventKind;
use crate::executor::{Action, AppFailure, Executor, MediaSource, Step};

use super::NOT_EXECUTED;

mod client;
pub(crate) mod conference;
mod record;
pub use client::{ClientContact, ClientDirectory};
pub use conference::ConferenceJoin;
pub(super) use record::DialRecording;

/// The code this node gives a `<Dial>` party it cannot route (the node's trunk routing
/// uses it too): here, a `<Client>` identity with no live registration.
const CLIENT_OFFLINE: u32 = 13224;

/// Twilio: "Dial: Cannot Dial out from a Dial Call Segment" and friends share 13xxx; this is
/// the one for a `<Dial>` that names more parties than it may ring at once.
const TOO_MANY_NOUNS: u32 = 13201;

/// Twilio rings at most this many nouns of one `<Dial>`.
pub const MAX_PARALLEL: usize = 10;

/// One party of a `<Dial>`, numbered in the order of its nouns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LegId(pub u32);

/// Whom a leg calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegTarget {
    /// A phone number, through the account's trunk.
    Number(String),
    /// A SIP URI, with credentials for the far end's digest challenge.
    Sip {
        uri: String,
        username: Option<String>,
        password: Option<String>,
    },
    /// One registered contact of a `<Client>` identity, with the `<Parameter>`s as
    /// `X-` headers of the INVITE.
    Client {
        identity: String,
        contact: ClientContact,
        headers: Vec<(String, String)>,
    },
}

/// One leg the node must place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialLeg {
    pub id: LegId,
    pub target: LegTarget,
    /// DTMF to send once the party answers, before the bridge (`w` = half a second).
    pub send_digits: Option<String>,
    /// The leg's whisper and status callbacks.
    pub callbacks: LegCallbacks,
    /// The name of the tenant transcoder app applied to this leg's audio in both
    /// directions (the noun's `transcoder="app:NAME"`, a Switchyard extension).
    pub transcoder: Option<String>,
}

/// What [`Action::Dial`] asks the node to place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialRequest {
    pub legs: Vec<DialLeg>,
    /// `callerId`: the `From` of every leg; `None` means the caller's own number.
    pub caller_id: Option<String>,
    /// `ringTone` (a country code) for the ringback the caller hears.
    pub ring_tone: Option<String>,
}

/// Where one leg stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LegState {
    Ringing,
    Answered,
    /// Its whisper runs on the called party.
    Whispering,
    Bridged,
    Over(CallStatus),
}

#[derive(Debug)]
struct Leg {
    spec: DialLeg,
    state: LegState,
    sid: Option<CallSid>,
}

#[derive(Debug)]
pub(crate) struct DialState {
    action: Option<String>,
    method: HttpMethod,
    time_limit: Duration,
    hangup_on_star: bool,
    answer_on_bridge: bool,
    legs: Vec<Leg>,
    ring_deadline: Instant,
    /// Set once the caller has been told the far end rings (answerOnBridge).
    ringback_sent: bool,
    /// The leg whose early media the unanswered caller hears (answerOnBridge).
    early: Option<LegId>,
    winner: Option<LegId>,
    bridged_at: Option<Instant>,
    /// `record`, when asked for.
    recording: Option<DialRecording>,
}

impl DialState {
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self.bridged_at {
            Some(at) => Some(at + self.time_limit),
            None if self.winner.is_none() => Some(self.ring_deadline),
            None => None,
        }
    }

    fn leg(&mut self, id: LegId) -> Option<&mut Leg> {
        self.legs.iter_mut().find(|l| l.spec.id == id)
    }
}

pub(super) fn start(exec: &mut Executor, now: Instant, mut dial: Dial) {
    // A `<Conference>` noun is the Dial's only party.
    if let Some(i) = dial
        .targets
        .iter()
        .position(|t| matches!(t, DialTarget::Conference(_)))
    {
        if let DialTarget::Conference(noun) = dial.targets.swap_remove(i) {
            return conference::start(exec, dial, noun);
        }
    }
    let mut recording = DialRecording::of(&dial);
    if dial.sequential {
        warn(
            exec,
            "sequential on <Dial> is not executed by this node yet; ringing in parallel",
        );
    }
    let mut legs = Vec::new();
    let mut offline = 0usize;
    let mut nouns = 0usize;
    for target in dial.targets {
        let is_supported = matches!(
            target,
            DialTarget::Number(_) | DialTarget::Sip(_) | DialTarget::Client(_)
        );
        if is_supported && nouns == MAX_PARALLEL {
            exec.notify(AppFailure {
                code: TOO_MANY_NOUNS,
                message: format!(
                    "<Dial> rings at most {MAX_PARALLEL} parties; the rest are skipped"
                ),
            });
            break;
        }
        let (targets, send_digits, callbacks, transcoder) = match target {
            DialTarget::Number(n) => (
                vec![LegTarget::Number(n.number)],
                n.send_digits,
                n.callbacks,
                n.transcoder,
            ),
            DialTarget::Sip(s) => (
                vec![LegTarget::Sip {
                    uri: s.uri,
                    username: s.username,
                    password: s.password,
                }],
                s.send_digits,
                s.callbacks,
                s.transcoder,
            ),
            DialTarget::Client(c) => {
                let contacts = exec
                    .clients
                    .as_ref()
                    .map(|d| d.contacts(&c.identity))
                    .unwrap_or_default();
                if contacts.is_empty() {
                    offline += 1;
                    exec.notify(AppFailure {
                        code: CLIENT_OFFLINE,
                        message: format!(
                            "<Dial><Client>{}: the client is not registered",
                            c.identity
                        ),
                    });
                }
                let headers = client::headers(&c);
                let targets = contacts
                    .into_iter()
                    .map(|contact| LegTarget::Client {
                        identity: c.identity.clone(),
                        contact,
                        headers: headers.clone(),
                    })
                    .collect();
                (targets, None, c.callbacks, c.transcoder)
            }
            other => {
                let _ = other;
                warn(
                    exec,
                    "<Queue> in <Dial> is not executed by this node yet; skipped",
                );
                continue;
            }
        };
        nouns += 1;
        for target in targets {
            legs.push(DialLeg {
                id: LegId(legs.len() as u32),
                target,
                send_digits: send_digits.clone(),
                callbacks: callbacks.clone(),
                transcoder: transcoder.clone(),
            });
        }
    }
    if legs.is_empty() && offline > 0 {
        // Twilio: dialling a client that is not connected ends at once with
        // DialCallStatus=no-answer, reported to `action` like any unanswered Dial.
        if !dial.answer_on_bridge {
            exec.ensure_answered();
        }
        exec.step = Step::Dial(Box::new(DialState {
            action: dial.action,
            method: dial.method,
            time_limit: Duration::ZERO,
            hangup_on_star: false,
            answer_on_bridge: dial.answer_on_bridge,
            legs: Vec::new(),
            ring_deadline: now,
            ringback_sent: false,
            early: None,
            winner: None,
            bridged_at: None,
            recording: None,
        }));
        return finish(exec, now, CallStatus::NoAnswer, true);
    }
    if legs.is_empty() {
        // Nothing this node can ring: the verb ends at once, as a Dial whose parties all
        // failed would.
        exec.ensure_answered();
        exec.event(EventKind::VerbEnded, vec![("Verb".into(), "Dial".into())]);
        return;
    }
    exec.push(Action::Dial(DialRequest {
        legs: legs.clone(),
        caller_id: dial.caller_id,
        ring_tone: dial.ring_tone.clone(),
    }));
    if !dial.answer_on_bridge {
        // The answered caller hears ringback while the parties ring (with answerOnBridge
        // its own phone plays it, after our 180).
        exec.ensure_answered();
        let country = dial.ring_tone.unwrap_or_else(|| "us".into());
        exec.play(MediaSource::Ringback(country), 0);
    }
    if let Some(r) = recording.as_mut() {
        r.ringing(exec, now);
    }
    exec.step = Step::Dial(Box::new(DialState {
        action: dial.action,
        method: dial.method,
        time_limit: Duration::from_secs(u64::from(dial.time_limit)),
        hangup_on_star: dial.hangup_on_star,
        answer_on_bridge: dial.answer_on_bridge,
        legs: legs
            .into_iter()
            .map(|spec| Leg {
                spec,
                state: LegState::Ringing,
                sid: None,
            })
            .collect(),
        ring_deadline: now + Duration::from_secs(u64::from(dial.timeout)),
        ringback_sent: false,
        early: None,
        winner: None,
        bridged_at: None,
        recording,
    }));
}

fn warn(exec: &mut Executor, message: &str) {
    exec.notify(AppFailure {
        code: NOT_EXECUTED,
        message: message.to_owned(),
    });
}

fn state(exec: &mut Executor) -> Option<&mut DialState> {
    match &mut exec.step {
        Step::Dial(d) => Some(d),
        _ => None,
    }
}

/// A leg's INVITE was answered with 180 or 183.
pub(crate) fn ringing(exec: &mut Executor, leg: LegId, sid: CallSid) {
    let Some(d) = state(exec) else { return };
    if let Some(l) = d.leg(leg) {
        l.sid = Some(sid);
    }
    if d.answer_on_bridge && !d.ringback_sent {
        d.ringback_sent = true;
        exec.push(Action::Ringback(leg));
    }
}

/// A ringing leg sends early media (183 with SDP). With answerOnBridge the unanswered
/// caller hears the first one: "the callee's ringback or early media reaches the caller as
/// 183 with SDP, so the caller hears real ringing".
pub(crate) fn early_media(exec: &mut Executor, leg: LegId) {
    let Some(d) = state(exec) else { return };
    if !d.answer_on_bridge || d.early.is_some() || d.winner.is_some() {
        return;
    }
    d.early = Some(leg);
    exec.push(Action::Progress);
    exec.push(Action::Bridge(leg));
}

/// A leg's party answered.
pub(crate) fn answered(exec: &mut Executor, now: Instant, leg: LegId, sid: CallSid) {
    let Some(d) = state(exec) else { return };
    let won = d.winner.is_none();
    let Some(l) = d.leg(leg) else { return };
    l.sid = Some(sid);
    if !won || l.state != LegState::Ringing {
        // Another party answered first: this one is hung up at once.
        l.state = LegState::Over(CallStatus::Canceled);
        exec.push(Action::EndLeg {
            leg,
            status: CallStatus::Completed,
        });
        return;
    }
    l.state = LegState::Answered;
    if let Some(early) = d.early.take().filter(|e| *e != leg) {
        // The caller heard another party's early media; the winner is bridged instead.
        exec.push(Action::Unbridge(early));
    }
    let Some(d) = state(exec) else { return };
    let Some(l) = d.leg(leg) else { return };
    let whisper = l
        .spec
        .callbacks
        .url
        .clone()
        .map(|url| (url, l.spec.callbacks.method));
    let digits = l.spec.send_digits.clone();
    d.winner = Some(leg);
    // "The first call to be answered will be connected to the current caller, while the
    // rest of the call attempts are hung up."
    let losers: Vec<LegId> = d
        .legs
        .iter_mut()
        .filter(|o| o.spec.id != leg && o.state == LegState::Ringing)
        .map(|o| {
            o.state = LegState::Over(CallStatus::Canceled);
            o.spec.id
        })
        .collect();
    for loser in losers {
        exec.push(Action::EndLeg {
            leg: loser,
            status: CallStatus::Canceled,
        });
    }
    if let Some(digits) = digits {
        exec.push(Action::SendLegDigits { leg, digits });
    }
    match whisper {
        Some((url, method)) => {
            if let Some(l) = state(exec).and_then(|d| d.leg(leg)) {
                l.state = LegState::Whispering;
            }
            exec.push(Action::Whisper { leg, url, method });
        }
        None => bridge(exec, now, leg),
    }
}

/// The whisper on `leg` is over: `bridge` is false when it hung up the called party.
pub(crate) fn whisper_done(exec: &mut Executor, now: Instant, leg: LegId, bridge_it: bool) {
    let Some(d) = state(exec) else { return };
    let Some(l) = d.leg(leg) else { return };
    if l.state != LegState::Whispering {
        return;
    }
    if bridge_it {
        bridge(exec, now, leg);
    } else {
        l.state = LegState::Over(CallStatus::Completed);
        exec.push(Action::EndLeg {
            leg,
            status: CallStatus::Completed,
        });
        finish(exec, now, CallStatus::Completed, true);
    }
}

fn bridge(exec: &mut Executor, now: Instant, leg: LegId) {
    exec.ensure_answered();
    exec.push(Action::StopMedia);
    let mut recording = None;
    if let Some(d) = state(exec) {
        d.bridged_at = Some(now);
        if let Some(l) = d.leg(leg) {
            l.state = LegState::Bridged;
        }
        recording = d.recording.take();
    }
    // The recording runs before the bridge is made, so the bridged leg is recorded too.
    if let Some(r) = recording.as_mut() {
        r.bridged(exec, now);
    }
    if let Some(d) = state(exec) {
        d.recording = recording;
    }
    exec.push(Action::Bridge(leg));
}

/// A leg's call is over: refused or unanswered (`busy`, `failed`, `no-answer`,
/// `canceled`) before an answer, or hung up by the called party after it.
pub(crate) fn leg_ended(
    exec: &mut Executor,
    now: Instant,
    leg: LegId,
    sid: CallSid,
    status: CallStatus,
) {
    let Some(d) = state(exec) else { return };
    let Some(l) = d.leg(leg) else { return };
    l.sid = Some(sid);
    match l.state {
        LegState::Over(_) => return,
        LegState::Ringing => {
            l.state = LegState::Over(status);
            if d.early == Some(leg) {
                d.early = None;
                exec.push(Action::Unbridge(leg));
            }
        }
        LegState::Answered | LegState::Whispering | LegState::Bridged => {
            // The called party hung up: the caller goes back to its document.
            l.state = LegState::Over(CallStatus::Completed);
            if d.bridged_at.is_some() {
                exec.push(Action::Unbridge(leg));
            }
            return finish(exec, now, CallStatus::Completed, true);
        }
    }
    let Some(d) = state(exec) else { return };
    if d.winner.is_none() && d.legs.iter().all(|l| matches!(l.state, LegState::Over(_))) {
        let outcome = overall(&d.legs);
        finish(exec, now, outcome, true);
    }
}

/// The outcome of a Dial none of whose parties answered: busy if any was busy, else
/// no-answer if any rang out, else failed.
fn overall(legs: &[Leg]) -> CallStatus {
    let any = |s: CallStatus| legs.iter().any(|l| l.state == LegState::Over(s));
    if any(CallStatus::Busy) {
        CallStatus::Busy
    } else if any(CallStatus::NoAnswer) {
        CallStatus::NoAnswer
    } else if any(CallStatus::Canceled) {
        CallStatus::Canceled
    } else {
        CallStatus::Failed
    }
}

/// A digit from the caller while dialling.
pub(crate) fn digit(exec: &mut Executor, now: Instant, digit: char) {
    let Some(d) = state(exec) else { return };
    if !(d.hangup_on_star && digit == '*' && d.bridged_at.is_some()) {
        return;
    }
    end_connected(exec, now);
}

/// The ring timeout or the time limit has come.
pub(crate) fn timeout(exec: &mut Executor, now: Instant) {
    let Some(d) = state(exec) else { return };
    match d.deadline() {
        Some(t) if now >= t => {}
        _ => return,
    }
    if d.bridged_at.is_some() {
        return end_connected(exec, now);
    }
    let ringing: Vec<LegId> = d
        .legs
        .iter_mut()
        .filter(|l| l.state == LegState::Ringing)
        .map(|l| {
            l.state = LegState::Over(CallStatus::NoAnswer);
            l.spec.id
        })
        .collect();
    for leg in ringing {
        exec.push(Action::EndLeg {
            leg,
            status: CallStatus::NoAnswer,
        });
    }
    finish(exec, now, CallStatus::NoAnswer, true);
}

/// Hang up the connected party; the caller's document goes on.
fn end_connected(exec: &mut Executor, now: Instant) {
    let Some(d) = state(exec) else { return };
    let Some(leg) = d.winner else { return };
    if let Some(l) = d.leg(leg) {
        l.state = LegState::Over(CallStatus::Completed);
    }
    exec.push(Action::Unbridge(leg));
    exec.push(Action::EndLeg {
        leg,
        status: CallStatus::Completed,
    });
    finish(exec, now, CallStatus::Completed, true);
}

/// The caller hung up: every leg ends, and `action` is told the outcome.
pub(crate) fn caller_gone(exec: &mut Executor, now: Instant) {
    let Some(d) = state(exec) else { return };
    let mut ends = Vec::new();
    for l in &mut d.legs {
        let status = match l.state {
            LegState::Over(_) => continue,
            LegState::Ringing => CallStatus::Canceled,
            _ => CallStatus::Completed,
        };
        l.state = LegState::Over(status);
        ends.push((l.spec.id, status));
    }
    let outcome = if d.winner.is_some() {
        CallStatus::Completed
    } else {
        CallStatus::Canceled
    };
    if let Some(leg) = d.winner.filter(|_| d.bridged_at.is_some()) {
        exec.push(Action::Unbridge(leg));
    }
    for (leg, status) in ends {
        exec.push(Action::EndLeg { leg, status });
    }
    finish(exec, now, outcome, false);
}

/// The Dial is over with `status`: report it and go on.
fn finish(exec: &mut Executor, now: Instant, status: CallStatus, caller_here: bool) {
    let Step::Dial(d) = std::mem::replace(&mut exec.step, Step::Idle) else {
        return;
    };
    let sid = d
        .winner
        .and_then(|w| d.legs.iter().find(|l| l.spec.id == w))
        .or_else(|| d.legs.iter().rev().find(|l| l.sid.is_some()))
        .and_then(|l| l.sid);
    let bridged = d
        .bridged_at
        .map(|at| now.saturating_duration_since(at))
        .unwrap_or_default();
    exec.meter_bridged(bridged);
    let duration = bridged.as_secs_f64().round() as u64;
    let mut params = vec![("DialCallStatus".to_owned(), status.as_str().to_owned())];
    if let Some(sid) = sid {
        params.push(("DialCallSid".to_owned(), sid.to_string()));
    }
    params.push(("DialCallDuration".to_owned(), duration.to_string()));
    params.push(("DialBridged".to_owned(), d.bridged_at.is_some().to_string()));
    if let Some(r) = d.recording {
        params.extend(r.finish(exec, now));
    }
    if d.bridged_at.is_none() {
        // The ringback, if it still plays.
        exec.push(Action::StopMedia);
    }
    let mut data = vec![("Verb".to_owned(), "Dial".to_owned())];
    data.extend(params.iter().cloned());
    exec.event(EventKind::VerbEnded, data);
    match (d.action, caller_here) {
        (Some(action), _) => {
            // Twilio tells `action` the outcome even when the caller has hung up (what it
            // answers then is not executed).
            exec.verbs.clear();
            exec.fetch(action, d.method, params, false);
        }
        (None, true) => exec.advance(now),
        (None, false) => {}
    }
}
