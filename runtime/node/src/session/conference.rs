//! `<Dial><Conference>` on the node: the call joins its account's room, and its leg's
//! media is put into the room's mixer (a tap and a source) or taken out of it. What the
//! room decides lives in the call core; the registry in [`crate::conference`].

use std::time::Instant;

use switchyard_call::ConferenceJoin;

use crate::conference::CONFERENCE_TAP;
use crate::media_io::{Boxed, MediaCommand};

use super::Session;

impl Session {
    pub(super) fn join_conference(&mut self, req: ConferenceJoin) {
        let joined = self.shared.conferences.join(
            &self.shared,
            self.info.account_sid,
            self.info.call_sid,
            req,
        );
        let result = match joined {
            Ok(m) => {
                let sid = m.room.view().sid.to_string();
                self.conference = Some(m);
                Ok(sid)
            }
            Err(e) => Err(e),
        };
        self.exec.conference_joined(Instant::now(), result);
    }

    /// Hear and speak in the room (`on`), or play the call's own sounds again.
    pub(super) fn conference_media(&mut self, on: bool) {
        match (on, &self.conference) {
            (true, Some(m)) => {
                let (tap, source) = (m.tap(), m.source());
                self.media_command(MediaCommand::AddTap(CONFERENCE_TAP, Boxed(Box::new(tap))));
                self.media_command(MediaCommand::Source(Some(Boxed(Box::new(source)))));
            }
            _ => {
                self.media_command(MediaCommand::RemoveTap(CONFERENCE_TAP));
                self.media_command(MediaCommand::Source(None));
            }
        }
    }

    pub(super) fn leave_conference(&mut self) {
        if let Some(m) = self.conference.take() {
            self.shared.conferences.leave(&self.shared, &m);
        }
    }
}
