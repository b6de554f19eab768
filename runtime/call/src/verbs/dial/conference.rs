//! `<Dial><Conference>`: the caller joins a named room (see [`crate::conference`] for
//! the room's own rules) and stays until it leaves, the room ends, or it is removed;
//! then `action` is requested as for the other `<Dial>` nouns.
//!
//! - "waitUrl … TwiML or audio to play while participants wait for the conference to
//!   start": requested with `waitMethod` and run as a side document
//!   ([`crate::executor::side`]) in a loop until the room starts; without it the
//!   built-in wait music plays, looped; `waitUrl=""` is silence;
//! - the Participant resource's `HoldUrl` (with `HoldMethod`) plays the same way while
//!   the participant is held (the built-in music without it), its `AnnounceUrl` (with
//!   `AnnounceMethod`) once, to the participant alone, which then hears what it heard
//!   before;
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
use crate::executor::side::{Holder, Place, Side};
use crate::executor::{Action, AppFailure, Executor, MediaSource, Step};

/// Twilio documents no error code for a full room; this node reports it in `<Dial>`'s
/// 13xxx class.
const CONFERENCE_FULL: u32 = 13230;

/// Twilio's error code for a URL that cannot be used.
const INVALID_URL: u32 = 11100;

/// Twilio, `<Conference>`: "If the waitUrl responds with TwiML, Twilio will only process
/// <Play>, <Say>, <Pause>, and <Redirect> verbs. <Record>, <Dial>, and <Gather> verbs
/// are not allowed." The Participant resource's `HoldUrl` and `AnnounceUrl` "may return
/// an MP3 file, a WAV file, or a TwiML document that contains <Play>, <Say>, <Pause>,
/// or <Redirect> verbs."
const VERBS: &[&str] = &["Play", "Say", "Pause", "Redirect"];

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

/// What the caller hears apart from the room.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Music {
    /// The node's own sound (the built-in music, or silence), looped.
    Own(MediaSource),
    /// A URL that answers TwiML or audio.
    Document(String, HttpMethod),
}

/// What the caller hears now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hearing {
    /// Nothing yet (joining), or between two sounds.
    Nothing,
    Room,
    Wait,
    Hold,
    Announcement,
}

#[derive(Debug)]
pub(crate) struct ConferenceState {
    action: Option<String>,
    method: HttpMethod,
    hangup_on_star: bool,
    time_limit: Duration,
    wait: Music,
    /// The document the `<Dial>` was in: where the caller goes on.
    place: Place,
    /// The room's SID, once joined.
    sid: Option<String>,
    joined_at: Option<Instant>,
    /// The room started for this caller: it hears the room, unless held.
    started: bool,
    /// On hold, with this music.
    hold: Option<Music>,
    /// An announcement for the caller alone, played once.
    announcement: Option<(String, HttpMethod)>,
    hearing: Hearing,
}

impl ConferenceState {
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.joined_at.map(|at| at + self.time_limit)
    }

    /// What the caller is to hear: an announcement first, then the hold music, the wait
    /// music until the room starts, the room.
    fn wanted(&self) -> Hearing {
        if self.announcement.is_some() {
            Hearing::Announcement
        } else if self.hold.is_some() {
            Hearing::Hold
        } else if !self.started {
            Hearing::Wait
        } else {
            Hearing::Room
        }
    }

    /// The music of `hearing`, when it has one.
    fn music(&self, hearing: Hearing) -> Option<Music> {
        match hearing {
            Hearing::Wait => Some(self.wait.clone()),
            Hearing::Hold => self.hold.clone(),
            Hearing::Announcement => self
                .announcement
                .clone()
                .map(|(url, method)| Music::Document(url, method)),
            Hearing::Room | Hearing::Nothing => None,
        }
    }
}

/// Start `<Dial><Conference>`.
pub(crate) fn start(exec: &mut Executor, dial: Dial, noun: Conference) {
    exec.ensure_answered();
    let wait = match noun.wait_url.as_deref() {
        None => Music::Own(MediaSource::WaitMusic),
        // An empty `waitUrl` is silence.
        Some("") => Music::Own(MediaSource::Silence(1000)),
        Some(url) => match exec.resolve(url) {
            Ok(url) => Music::Document(url, noun.wait_method),
            Err(message) => {
                exec.notify(AppFailure {
                    code: INVALID_URL,
                    message,
                });
                Music::Own(MediaSource::WaitMusic)
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
    let place = Place::keep(exec);
    exec.room = Some(Box::new(ConferenceState {
        action: dial.action,
        method: dial.method,
        hangup_on_star: dial.hangup_on_star,
        time_limit: Duration::from_secs(u64::from(dial.time_limit)),
        wait,
        place,
        sid: None,
        joined_at: None,
        started: false,
        hold: None,
        announcement: None,
        hearing: Hearing::Nothing,
    }));
    exec.step = Step::Conference;
}

/// The node put the call in the room `sid` (it waits for the room to start unless it
/// hears [`Notice::Started`]), or could not.
pub(crate) fn joined(exec: &mut Executor, now: Instant, result: Result<String, crate::Error>) {
    let Some(c) = exec.room.as_mut() else { return };
    match result {
        Ok(sid) => {
            c.sid = Some(sid);
            c.joined_at = Some(now);
            tune(exec);
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
    let Some(c) = exec.room.as_mut() else { return };
    match notice {
        Notice::Started => c.started = true,
        Notice::Unhold => c.hold = None,
        Notice::Hold(url) => {
            let music = url.map_or(Music::Own(MediaSource::WaitMusic), |(url, method)| {
                Music::Document(url, method)
            });
            if c.hold.replace(music).is_some() && c.hearing == Hearing::Hold {
                // New hold music for a participant held already: it starts over.
                silence(exec);
            }
        }
        Notice::Announce(url, method) => {
            let playing = c.announcement.replace((url, method)).is_some();
            if playing && c.hearing == Hearing::Announcement {
                // A new announcement cuts the one playing.
                silence(exec);
            }
        }
        Notice::Left => {
            leave_media(exec);
            return finish(exec, now, CallStatus::Completed, true);
        }
    }
    tune(exec);
}

/// Make the caller hear what it is to hear now ([`ConferenceState::wanted`]): stop what
/// it heard, start the room, the music, or the side document.
fn tune(exec: &mut Executor) {
    let Some(c) = exec.room.as_mut() else { return };
    let want = c.wanted();
    if c.sid.is_none() || want == c.hearing {
        return;
    }
    let music = c.music(want);
    silence(exec);
    if let Some(c) = exec.room.as_mut() {
        c.hearing = want;
    }
    match music {
        _ if want == Hearing::Room => exec.push(Action::ConferenceMedia(true)),
        Some(Music::Own(source)) => {
            exec.play(source, 0);
        }
        Some(Music::Document(url, method)) => {
            let side = Side {
                holder: Holder::Conference,
                verbs: VERBS,
                looping: want != Hearing::Announcement,
            };
            exec.fetch_side(side, url, method, Vec::new());
        }
        None => {}
    }
}

/// Stop what the caller hears: the room, the music or the side document.
fn silence(exec: &mut Executor) {
    let Some(c) = exec.room.as_mut() else { return };
    match std::mem::replace(&mut c.hearing, Hearing::Nothing) {
        Hearing::Room => exec.push(Action::ConferenceMedia(false)),
        Hearing::Nothing => {}
        Hearing::Wait | Hearing::Hold | Hearing::Announcement => {
            if !exec.end_side() {
                exec.push(Action::StopMedia);
            }
        }
    }
    exec.step = Step::Conference;
}

/// The wait, hold or announcement document ran out of verbs: the wait and hold music
/// are requested again; after the announcement the caller hears what it heard before.
pub(crate) fn document_ended(exec: &mut Executor, _now: Instant) {
    let Some(c) = exec.room.as_mut() else {
        exec.side = None;
        return;
    };
    let hearing = c.hearing;
    match c.music(hearing) {
        Some(Music::Document(url, method)) if hearing != Hearing::Announcement => {
            let side = Side {
                holder: Holder::Conference,
                verbs: VERBS,
                looping: true,
            };
            exec.fetch_side(side, url, method, Vec::new());
        }
        _ => {
            // The announcement is over: the caller hears what it is to hear now.
            c.announcement = None;
            silence(exec);
            tune(exec);
        }
    }
}

/// The wait, hold or announcement document could not be had: the built-in music plays
/// instead, or the announcement is over.
pub(crate) fn document_failed(exec: &mut Executor, _now: Instant) {
    let Some(c) = exec.room.as_mut() else { return };
    let music = Music::Own(MediaSource::WaitMusic);
    match c.hearing {
        Hearing::Wait => c.wait = music,
        Hearing::Hold => c.hold = Some(music),
        _ => c.announcement = None,
    }
    // Start over with what it is to hear.
    c.hearing = Hearing::Nothing;
    tune(exec);
}

fn leave_media(exec: &mut Executor) {
    exec.push(Action::ConferenceMedia(false));
    exec.push(Action::StopMedia);
}

/// `*` from the caller.
pub(crate) fn digit(exec: &mut Executor, now: Instant, digit: char) {
    let Some(c) = exec.room.as_ref() else { return };
    if c.hangup_on_star && digit == '*' && c.sid.is_some() {
        leave(exec, now);
    }
}

/// `timeLimit` is up: `true` when the caller left the room for it.
pub(crate) fn timeout(exec: &mut Executor, now: Instant) -> bool {
    let Some(c) = exec.room.as_ref() else {
        return false;
    };
    if c.deadline().is_some_and(|t| now >= t) {
        leave(exec, now);
        return true;
    }
    false
}

/// The caller leaves on its own; its document goes on.
fn leave(exec: &mut Executor, now: Instant) {
    leave_media(exec);
    exec.push(Action::LeaveConference);
    finish(exec, now, CallStatus::Completed, true);
}

/// The caller hung up: it leaves the room and `action` is told.
pub(crate) fn caller_gone(exec: &mut Executor, now: Instant) {
    if exec.room.is_none() {
        return;
    }
    exec.push(Action::LeaveConference);
    finish(exec, now, CallStatus::Completed, false);
}

fn finish(exec: &mut Executor, now: Instant, status: CallStatus, caller_here: bool) {
    let Some(c) = exec.room.take() else {
        return;
    };
    // What the side document ran is dropped; the caller's own document is back.
    exec.side = None;
    let ConferenceState {
        action,
        method,
        place,
        sid,
        joined_at,
        ..
    } = *c;
    place.restore(exec);
    exec.step = Step::Idle;
    let duration = joined_at
        .map(|at| now.saturating_duration_since(at))
        .unwrap_or_default();
    exec.meter_bridged(duration);
    let mut params = vec![
        ("DialCallStatus".to_owned(), status.as_str().to_owned()),
        (
            "DialCallDuration".to_owned(),
            duration.as_secs_f64().round().to_string(),
        ),
        ("DialBridged".to_owned(), joined_at.is_some().to_string()),
    ];
    if let Some(sid) = sid {
        params.push(("ConferenceSid".to_owned(), sid));
    }
    let mut data = vec![("Verb".to_owned(), "Dial".to_owned())];
    data.extend(params.iter().cloned());
    exec.event(EventKind::VerbEnded, data);
    match (action, caller_here) {
        (Some(action), _) => {
            exec.verbs.clear();
            exec.fetch(action, method, params, false);
        }
        (None, true) => exec.advance(now),
        (None, false) => {}
    }
}
