//! A conference room's rules, sans-IO: who is in it, whether it has started, when it
//! ends, how each participant takes part, and the status callbacks and events that
//! say so, in order. The node holds one [`Room`] per live conference (with the media
//! mixer beside it), feeds it joins, leaves and API updates, and carries out its
//! [`RoomOutput`]s.
//!
//! Twilio's rules, each enforced below:
//! - a room is named by the `<Conference>` noun's text, per account; it exists while
//!   someone is in it;
//! - "If a participant joins with `startConferenceOnEnter` set to false, they will hear
//!   hold music until a participant with `startConferenceOnEnter` set to true joins";
//! - "If a participant with `endConferenceOnExit` set to true leaves a conference, the
//!   conference will terminate and all participants in the conference will drop out";
//! - `maxParticipants` (2 to 250, 250 by default) is set by the first participant;
//! - the room's `statusCallback` is the first participant's, with the events it lists;
//!   each request carries a `SequenceNumber` counting from 1;
//! - `beep`: `true` on entry and exit, `onEnter`, `onExit`, `false` never.

#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use switchyard_instructions::{ConferenceBeep, ConferenceEvent, HttpMethod};
use switchyard_types::{AccountSid, CallSid, ConferenceSid};

use crate::events::EventKind;
use crate::Error;

/// Twilio's `maxParticipants` default and ceiling.
pub const MAX_PARTICIPANTS: u32 = 250;

/// Where a room stands (Twilio's conference `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomStatus {
    /// Participants wait for one that starts it.
    Init,
    /// Started: participants hear each other.
    InProgress,
    /// Over.
    Completed,
}

impl RoomStatus {
    /// Twilio's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Init => "init",
            Self::InProgress => "in-progress",
            Self::Completed => "completed",
        }
    }
}

/// The room's status callback, from its first participant's noun.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomCallbacks {
    pub url: String,
    pub method: HttpMethod,
    pub events: Vec<ConferenceEvent>,
}

/// One participant's `<Conference>` attributes (or a Participants create's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinSpec {
    pub call_sid: CallSid,
    pub muted: bool,
    pub beep: ConferenceBeep,
    pub start_on_enter: bool,
    pub end_on_exit: bool,
    /// The participant it coaches.
    pub coaching: Option<CallSid>,
    pub max_participants: u32,
    /// `record="record-from-start"`.
    pub record: bool,
    pub callbacks: Option<RoomCallbacks>,
}

/// One participant as the Participants resource shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub call_sid: CallSid,
    pub muted: bool,
    pub hold: bool,
    pub coaching: Option<CallSid>,
    pub start_on_enter: bool,
    pub end_on_exit: bool,
    beep: ConferenceBeep,
}

/// How a participant takes part in the mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MixRole {
    pub muted: bool,
    /// Held, or waiting for the room to start: not heard, hears nothing from the room.
    pub held: bool,
    pub coaching: Option<CallSid>,
}

/// What a participant's call is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The room started: hear it (the wait music stops).
    Started,
    /// Put on hold: hear this music, the `HoldUrl` requested with `HoldMethod` (audio or
    /// TwiML, in a loop; `None`: the built-in hold music).
    Hold(Option<(String, HttpMethod)>),
    /// Taken off hold: hear the room again.
    Unhold,
    /// Out of the room (it ended, or the participant was removed): the `<Dial>` ends.
    Left,
    /// Play this to the participant alone, once: the `AnnounceUrl` requested with
    /// `AnnounceMethod` (audio or TwiML); then it hears what it heard before.
    Announce(String, HttpMethod),
}

/// What the room asks the node to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomOutput {
    /// Tell a participant's call.
    Notice(CallSid, Notice),
    /// Put a participant in the mixer with this role (again, when it changed).
    Mix(CallSid, MixRole),
    /// Take a participant out of the mixer.
    Unmix(CallSid),
    /// Everyone in the room hears a beep.
    Beep,
    /// Start (true) or finish (false) recording the room's mix.
    Record(bool),
    /// Request the room's status callback (the node signs it and delivers in order).
    Callback {
        url: String,
        method: HttpMethod,
        params: Vec<(String, String)>,
    },
    /// Publish an event.
    Event {
        kind: EventKind,
        call_sid: Option<CallSid>,
        data: Vec<(String, String)>,
    },
}

/// The event published for a status callback event.
fn event_kind(event: ConferenceEvent) -> EventKind {
    match event {
        ConferenceEvent::Start => EventKind::ConferenceStarted,
        ConferenceEvent::End => EventKind::ConferenceEnded,
        ConferenceEvent::Join => EventKind::ParticipantJoined,
        ConferenceEvent::Leave => EventKind::ParticipantLeft,
        ConferenceEvent::Speaker => EventKind::ParticipantSpeech,
        _ => EventKind::ParticipantUpdated,
    }
}

/// A conference room. See the [module documentation](self).
#[derive(Debug)]
pub struct Room {
    pub sid: ConferenceSid,
    pub account_sid: AccountSid,
    pub name: String,
    status: RoomStatus,
    members: Vec<Member>,
    max: u32,
    record: bool,
    recording: bool,
    callbacks: Option<RoomCallbacks>,
    sequence: u32,
    outputs: VecDeque<RoomOutput>,
}

impl Room {
    /// A new, empty room.
    pub fn new(account_sid: AccountSid, name: impl Into<String>) -> Self {
        Self {
            sid: ConferenceSid::random(),
            account_sid,
            name: name.into(),
            status: RoomStatus::Init,
            members: Vec::new(),
            max: MAX_PARTICIPANTS,
            record: false,
            recording: false,
            callbacks: None,
            sequence: 0,
            outputs: VecDeque::new(),
        }
    }

    pub fn status(&self) -> RoomStatus {
        self.status
    }

    pub fn members(&self) -> &[Member] {
        &self.members
    }

    pub fn member(&self, call_sid: CallSid) -> Option<&Member> {
        self.members.iter().find(|m| m.call_sid == call_sid)
    }

    /// The next thing to do.
    pub fn poll_output(&mut self) -> Option<RoomOutput> {
        self.outputs.pop_front()
    }

    /// A participant comes in. It hears the room at once if the room has started (or
    /// it starts it), the wait music otherwise.
    pub fn join(&mut self, spec: JoinSpec) -> Result<(), Error> {
        if self.status == RoomStatus::Completed {
            return Err(Error::ConferenceEnded);
        }
        if self.members.is_empty() {
            // The first participant sets the room's size, recording and callback.
            self.max = spec.max_participants.clamp(2, MAX_PARTICIPANTS);
            self.record = spec.record;
            self.callbacks = spec.callbacks.clone();
        }
        if self.member(spec.call_sid).is_some() {
            return Ok(());
        }
        if self.members.len() as u32 >= self.max {
            return Err(Error::ConferenceFull(self.max));
        }
        let member = Member {
            call_sid: spec.call_sid,
            muted: spec.muted,
            hold: false,
            coaching: spec.coaching,
            start_on_enter: spec.start_on_enter,
            end_on_exit: spec.end_on_exit,
            beep: spec.beep,
        };
        self.members.push(member);
        if self.status == RoomStatus::Init && spec.start_on_enter {
            // Everyone, this one included, hears the room from now on.
            self.start();
        } else {
            self.mix(spec.call_sid);
            if self.status == RoomStatus::InProgress {
                self.out(RoomOutput::Notice(spec.call_sid, Notice::Started));
            }
        }
        let beeps = matches!(spec.beep, ConferenceBeep::True | ConferenceBeep::OnEnter);
        if self.status == RoomStatus::InProgress && beeps {
            self.out(RoomOutput::Beep);
        }
        self.report(
            ConferenceEvent::Join,
            "participant-join",
            Some(spec.call_sid),
        );
        Ok(())
    }

    fn start(&mut self) {
        self.status = RoomStatus::InProgress;
        self.report(ConferenceEvent::Start, "conference-start", None);
        let waiting: Vec<CallSid> = self.members.iter().map(|m| m.call_sid).collect();
        for sid in waiting {
            self.mix(sid);
            self.out(RoomOutput::Notice(sid, Notice::Started));
        }
        if self.record && !self.recording {
            self.recording = true;
            self.out(RoomOutput::Record(true));
        }
    }

    /// A participant's call left (hung up, or its `<Dial>` ended): "a participant with
    /// `endConferenceOnExit` set to true" ends the room for everyone.
    pub fn leave(&mut self, call_sid: CallSid) {
        let Some(i) = self.members.iter().position(|m| m.call_sid == call_sid) else {
            return;
        };
        let m = self.members.remove(i);
        self.out(RoomOutput::Unmix(call_sid));
        self.report_member(ConferenceEvent::Leave, "participant-leave", &m);
        let coached: Vec<CallSid> = self
            .members
            .iter()
            .filter(|o| o.coaching == Some(call_sid))
            .map(|o| o.call_sid)
            .collect();
        for sid in coached {
            if let Some(o) = self.members.iter_mut().find(|o| o.call_sid == sid) {
                o.coaching = None;
            }
            self.mix(sid);
        }
        if self.status == RoomStatus::InProgress
            && matches!(m.beep, ConferenceBeep::True | ConferenceBeep::OnExit)
            && !m.end_on_exit
        {
            self.out(RoomOutput::Beep);
        }
        if m.end_on_exit || self.members.is_empty() {
            self.end();
        }
    }

    /// The room ends (`Status=completed`, a moderator left, the last one left): every
    /// participant is out.
    pub fn end(&mut self) {
        if self.status == RoomStatus::Completed {
            return;
        }
        for m in std::mem::take(&mut self.members) {
            self.out(RoomOutput::Unmix(m.call_sid));
            self.out(RoomOutput::Notice(m.call_sid, Notice::Left));
            self.report_member(ConferenceEvent::Leave, "participant-leave", &m);
        }
        if self.recording {
            self.recording = false;
            self.out(RoomOutput::Record(false));
        }
        self.status = RoomStatus::Completed;
        self.report(ConferenceEvent::End, "conference-end", None);
    }

    /// Remove a participant (the Participants resource's delete): it leaves the room
    /// and its call goes on after the `<Dial>`.
    pub fn remove(&mut self, call_sid: CallSid) -> bool {
        if self.member(call_sid).is_none() {
            return false;
        }
        self.out(RoomOutput::Notice(call_sid, Notice::Left));
        self.leave(call_sid);
        true
    }

    /// Mute or unmute a participant. Returns whether it is in the room.
    pub fn set_muted(&mut self, call_sid: CallSid, muted: bool) -> bool {
        let Some(m) = self.members.iter_mut().find(|m| m.call_sid == call_sid) else {
            return false;
        };
        if m.muted == muted {
            return true;
        }
        m.muted = muted;
        let m = m.clone();
        self.mix(call_sid);
        let name = if muted {
            "participant-mute"
        } else {
            "participant-unmute"
        };
        self.report_member(ConferenceEvent::Mute, name, &m);
        true
    }

    /// Hold or unhold a participant (`hold_url`: what it hears meanwhile, and how it is
    /// requested).
    pub fn set_hold(
        &mut self,
        call_sid: CallSid,
        hold: bool,
        hold_url: Option<(String, HttpMethod)>,
    ) -> bool {
        let Some(m) = self.members.iter_mut().find(|m| m.call_sid == call_sid) else {
            return false;
        };
        if m.hold == hold {
            return true;
        }
        m.hold = hold;
        let m = m.clone();
        self.mix(call_sid);
        let notice = if hold {
            Notice::Hold(hold_url)
        } else {
            Notice::Unhold
        };
        self.out(RoomOutput::Notice(call_sid, notice));
        let name = if hold {
            "participant-hold"
        } else {
            "participant-unhold"
        };
        self.report_member(ConferenceEvent::Hold, name, &m);
        true
    }

    /// Make a participant a coach of another (`None`: a plain participant again).
    pub fn set_coaching(&mut self, call_sid: CallSid, coaching: Option<CallSid>) -> bool {
        let Some(m) = self.members.iter_mut().find(|m| m.call_sid == call_sid) else {
            return false;
        };
        m.coaching = coaching;
        let m = m.clone();
        self.mix(call_sid);
        self.report_member(ConferenceEvent::Modify, "participant-modify", &m);
        true
    }

    /// The mixer's speaker tracking: a participant started (true) or stopped speaking.
    pub fn speech(&mut self, call_sid: CallSid, speaking: bool) {
        let Some(m) = self.member(call_sid).cloned() else {
            return;
        };
        let name = if speaking {
            "participant-speech-start"
        } else {
            "participant-speech-stop"
        };
        self.report_member(ConferenceEvent::Speaker, name, &m);
    }

    fn mix(&mut self, call_sid: CallSid) {
        let started = self.status == RoomStatus::InProgress;
        if let Some(m) = self.member(call_sid) {
            let role = MixRole {
                muted: m.muted,
                held: m.hold || !started,
                coaching: m.coaching,
            };
            self.out(RoomOutput::Mix(call_sid, role));
        }
    }

    fn out(&mut self, output: RoomOutput) {
        self.outputs.push_back(output);
    }

    fn report_member(&mut self, event: ConferenceEvent, name: &str, m: &Member) {
        let mut params = vec![
            ("CallSid".to_owned(), m.call_sid.to_string()),
            ("Muted".to_owned(), m.muted.to_string()),
            ("Hold".to_owned(), m.hold.to_string()),
            ("Coaching".to_owned(), m.coaching.is_some().to_string()),
            ("EndConferenceOnExit".to_owned(), m.end_on_exit.to_string()),
            (
                "StartConferenceOnEnter".to_owned(),
                m.start_on_enter.to_string(),
            ),
        ];
        if let Some(c) = m.coaching {
            params.push(("CallSidToCoach".to_owned(), c.to_string()));
        }
        self.send(event, name, Some(m.call_sid), params);
    }

    fn report(&mut self, event: ConferenceEvent, name: &str, call_sid: Option<CallSid>) {
        match call_sid.and_then(|s| self.member(s).cloned()) {
            Some(m) => self.report_member(event, name, &m),
            None => self.send(event, name, None, Vec::new()),
        }
    }

    /// One event: published always, requested from the status callback when it lists
    /// the event, numbered in order.
    fn send(
        &mut self,
        event: ConferenceEvent,
        name: &str,
        call_sid: Option<CallSid>,
        extra: Vec<(String, String)>,
    ) {
        let mut params = vec![
            ("ConferenceSid".to_owned(), self.sid.to_string()),
            ("FriendlyName".to_owned(), self.name.clone()),
            ("AccountSid".to_owned(), self.account_sid.to_string()),
            ("StatusCallbackEvent".to_owned(), name.to_owned()),
        ];
        params.extend(extra);
        self.out(RoomOutput::Event {
            kind: event_kind(event),
            call_sid,
            data: params.clone(),
        });
        let Some(cb) = self
            .callbacks
            .as_ref()
            .filter(|c| c.events.contains(&event))
        else {
            return;
        };
        let (url, method) = (cb.url.clone(), cb.method);
        self.sequence += 1;
        params.push(("SequenceNumber".to_owned(), self.sequence.to_string()));
        self.out(RoomOutput::Callback {
            url,
            method,
            params,
        });
    }
}
