//! What a conference room tells its participant's call, through the node.

use std::time::Instant;

use super::{Action, Executor, Step};
use crate::verbs;

impl Executor {
    /// The call is in the conference room `sid` ([`Action::JoinConference`]), or it
    /// could not join (the room is full or over).
    pub fn conference_joined(&mut self, now: Instant, result: Result<String, crate::Error>) {
        self.tick(now);
        verbs::dial::conference::joined(self, now, result);
    }

    /// What the call's conference room tells it.
    pub fn conference_notice(&mut self, now: Instant, notice: crate::conference::Notice) {
        self.tick(now);
        verbs::dial::conference::notice(self, now, notice);
    }

    /// A live update takes the call out of its conference room, without its `action`.
    pub(super) fn leave_conference(&mut self) {
        if self.room.take().is_some() {
            self.end_side();
            self.step = Step::Idle;
            self.push(Action::ConferenceMedia(false));
            self.push(Action::LeaveConference);
        }
    }
}
