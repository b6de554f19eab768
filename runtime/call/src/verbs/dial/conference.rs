//! `<Dial><Conference>`: the caller joins a named room (see [`crate::conference`] for
//! the room's own rules) and stays until it leaves, the room ends, or it is removed;
//! then `action` is requested as for the other `<Dial>` nouns.
//!
//! - "waitUrl … TwiML or audio to play while participants wait for the conference to
//!   start"; without it the built-in wait music plays, looped, until the room starts;
//! - `hangupOnStar`: `*` takes the caller out of the room and its document goes on;
//! - `timeLimit` seconds in the room take it out too;
//! - a full room (`maxParticipants`) ends the `<Dial>` at once, with a notification.

use std::time::{Duration, Instant};

use switchyard_instructions::{
    Conference, ConferenceRecord, Dial, HttpMethod, RecordingEvent, Trim,
};
use switchyard_types::CallStatus;

use crate::conference::{Notice, RoomCallbacks};
use crate::events::EventKind;
use crate::executor::{Action, AppFailure, Executor, MediaSource, MediaToken, Step};

/// Twilio documents no error code for a full room; this node reports it in `<Dial>`'s
/// 13xxx class.
const CONFERENCE_FULL: u32 = 13230;

/// Twilio's error code for a URL that cannot be used.
const INVALID_URL: u32 = 11100;

/// What [`Action::JoinConference`] asks of the node: put this call in the account's
/// room `name` (creating it), then report [`Executor::conference_joined`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConferenceJoin {
    pub name: String,
    pub muted: bool,
    pub beep: switchyard_instructions::ConferenceBeep,
    pub start_on_enter: bool,
    pub end_on_exit: bool,
    /// The call SID this participant coaches (as the noun spelled it).
    pub coach: Option<String>,
    pub max_participants: u32,
    /// `record="record-from-start"`.
    pub record: bool,
    pub callbacks: Option<RoomCallbacks>,
    /// The recording's status callback, if the room records.
    pub recording_callback: Option<(String, HttpMethod, Vec<RecordingEvent>)>,
    pub trim: bool,
}

#[derive(Debug)]
pub(crate) struct ConferenceState {
    action: Option<String>,
    method: HttpMethod,
    hangup_on_star: bool,
    time_limit: Duration,
    wait: MediaSource,
    /// The room's SID, once joined.
    sid: Option<String>,
    joined_at: Option<Instant>,
    /// Whether the caller hears the room (else the wait or hold music).
    mixed: bool,
    /// The announcement playing to the caller alone, out of the room meanwhile.
    announcing: Option<MediaToken>,
}

impl ConferenceState {
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.joined_at.map(|at| at + self.time_limit)
    }

    pub(crate) fn owns(&self, token: MediaToken) -> bool {
        self.announcing == Some(token)
    }
}

/// Start `<Dial><Conference>`.
pub(crate) fn start(exec: &mut Executor, dial: Dial, noun: Conference) {
    exec.ensure_answered();
    let wait = match noun.wait_url.as_deref() {
        None => MediaSource::WaitMusic,
        // An empty `waitUrl` is silence.
        Some("") => MediaSource::Silence(1000),
        Some(url) => match exec.resolve(url) {
            Ok(url) => MediaSource::Url(url),
            Err(message) => {
                exec.notify(AppFailure {
                    code: INVALID_URL,
                    message,
                });
                MediaSource::WaitMusic
            }
        },
    };
    let resolved = |exec: &Executor, url: Option<String>| url.and_then(|u| exec.resolve(&u).ok());
    let callbacks = resolved(exec, noun.status_callback).map(|url| RoomCallbacks {
        url,
        method: noun.status_callback_method,
        events: noun.status_callback_event,
    });
    let recording_callback = resolved(exec, noun.recording_status_callback).map(|url| {
        (
            url,
            noun.recording_status_callback_method,
            noun.recording_status_callback_event,
        )
    });
    exec.push(Action::JoinConference(ConferenceJoin {
        name: noun.name,
        muted: noun.muted,
        beep: noun.beep,
        start_on_enter: noun.start_conference_on_enter,
        end_on_exit: noun.end_conference_on_exit,
        coach: noun.coach,
        max_participants: noun.max_participants,
        record: noun.record == ConferenceRecord::RecordFromStart,
        callbacks,
        recording_callback,
        trim: noun.trim == Trim::TrimSilence,
    }));
    exec.step = Step::Conference(Box::new(ConferenceState {
        action: dial.action,
        method: dial.method,
        hangup_on_star: dial.hangup_on_star,
        time_limit: Duration::from_secs(u64::from(dial.time_limit)),
        wait,
        sid: None,
        joined_at: None,
        mixed: false,
        announcing: None,
    }));
}

fn state(exec: &mut Executor) -> Option<&mut ConferenceState> {
    match &mut exec.step {
        Step::Conference(c) => Some(c),
        _ => None,
    }
}

/// The node put the call in the room `sid` (it waits for the room to start unless it
/// hears [`Notice::Started`]), or could not.
pub(crate) fn joined(exec: &mut Executor, now: Instant, result: Result<String, crate::Error>) {
    let Some(c) = state(exec) else { return };
    match result {
        Ok(sid) => {
            c.sid = Some(sid);
            c.joined_at = Some(now);
            let wait = c.wait.clone();
            exec.play(wait, 0);
        }
        Err(e) => {
            exec.notify(AppFailure {
                code: CONFERENCE_FULL,
                message: format!("<Dial><Conference>: {e}"),
            });
            finish(exec, now, CallStatus::Failed, true);
        }
    }
}

/// What the room tells the call.
pub(crate) fn notice(exec: &mut Executor, now: Instant, notice: Notice) {
    let Some(c) = state(exec) else { return };
    match notice {
        Notice::Started | Notice::Unhold => {
            if !c.mixed {
                c.mixed = true;
                exec.push(Action::StopMedia);
                exec.push(Action::ConferenceMedia(true));
            }
        }
        Notice::Hold(url) => {
            c.mixed = false;
            exec.push(Action::ConferenceMedia(false));
            let music = url.map_or(MediaSource::WaitMusic, MediaSource::Url);
            exec.play(music, 0);
        }
        Notice::Announce(url) => {
            let back = c.mixed;
            c.mixed = false;
            exec.push(Action::ConferenceMedia(false));
            let token = exec.play(MediaSource::Url(url), 1);
            if let Some(c) = state(exec) {
                // Back to the room after it, if the caller was in it.
                c.announcing = back.then_some(token);
            }
        }
        Notice::Left => {
            leave_media(exec);
            finish(exec, now, CallStatus::Completed, true);
        }
    }
}

fn leave_media(exec: &mut Executor) {
    exec.push(Action::ConferenceMedia(false));
    exec.push(Action::StopMedia);
}

/// The announcement ended (or failed): the caller hears the room again.
pub(crate) fn media_done(exec: &mut Executor, token: MediaToken) {
    let Some(c) = state(exec) else { return };
    if c.announcing == Some(token) {
        c.announcing = None;
        c.mixed = true;
        exec.push(Action::ConferenceMedia(true));
    }
}

/// `*` from the caller.
pub(crate) fn digit(exec: &mut Executor, now: Instant, digit: char) {
    let Some(c) = state(exec) else { return };
    if c.hangup_on_star && digit == '*' && c.sid.is_some() {
        leave(exec, now);
    }
}

/// `timeLimit` is up.
pub(crate) fn timeout(exec: &mut Executor, now: Instant) {
    let Some(c) = state(exec) else { return };
    if c.deadline().is_some_and(|t| now >= t) {
        leave(exec, now);
    }
}

/// The caller leaves on its own; its document goes on.
fn leave(exec: &mut Executor, now: Instant) {
    leave_media(exec);
    exec.push(Action::LeaveConference);
    finish(exec, now, CallStatus::Completed, true);
}

/// The caller hung up: it leaves the room and `action` is told.
pub(crate) fn caller_gone(exec: &mut Executor, now: Instant) {
    exec.push(Action::LeaveConference);
    finish(exec, now, CallStatus::Completed, false);
}

fn finish(exec: &mut Executor, now: Instant, status: CallStatus, caller_here: bool) {
    let Step::Conference(c) = std::mem::replace(&mut exec.step, Step::Idle) else {
        return;
    };
    let duration = c
        .joined_at
        .map(|at| now.saturating_duration_since(at))
        .unwrap_or_default();
    exec.meter_bridged(duration);
    let mut params = vec![
        ("DialCallStatus".to_owned(), status.as_str().to_owned()),
        (
            "DialCallDuration".to_owned(),
            duration.as_secs_f64().round().to_string(),
        ),
        ("DialBridged".to_owned(), c.joined_at.is_some().to_string()),
    ];
    if let Some(sid) = c.sid {
        params.push(("ConferenceSid".to_owned(), sid));
    }
    let mut data = vec![("Verb".to_owned(), "Dial".to_owned())];
    data.extend(params.iter().cloned());
    exec.event(EventKind::VerbEnded, data);
    match (c.action, caller_here) {
        (Some(action), _) => {
            exec.verbs.clear();
            exec.fetch(action, c.method, params, false);
        }
        (None, true) => exec.advance(now),
        (None, false) => {}
    }
}
