//! The REST API's Conferences and Participants resources on the node's rooms.

use switchyard_api::{
    ApiError, ConferenceControl, ConferenceView, ParticipantUpdate, ParticipantView,
};
use switchyard_call::conference::Member;
use switchyard_types::{AccountSid, CallSid, ConferenceSid};

use super::RoomView;
use crate::outbound::Outbound;

fn view(r: RoomView) -> ConferenceView {
    ConferenceView {
        sid: r.sid,
        account_sid: r.account_sid,
        friendly_name: r.friendly_name,
        status: r.status.as_str(),
        date_created: r.date_created,
        date_updated: r.date_updated,
        participants: r.participants.iter().map(participant).collect(),
    }
}

fn participant(m: &Member) -> ParticipantView {
    ParticipantView {
        call_sid: m.call_sid,
        muted: m.muted,
        hold: m.hold,
        call_sid_to_coach: m.coaching,
        start_conference_on_enter: m.start_on_enter,
        end_conference_on_exit: m.end_on_exit,
    }
}

fn gone(sid: ConferenceSid) -> ApiError {
    ApiError::NotFound(format!("Conference {sid} (it is not in progress)"))
}

impl ConferenceControl for Outbound {
    fn list(&self, account: AccountSid) -> Vec<ConferenceView> {
        self.shared
            .conferences
            .list(account)
            .into_iter()
            .map(view)
            .collect()
    }

    fn end(&self, account: AccountSid, sid: ConferenceSid) -> Result<ConferenceView, ApiError> {
        let shared = &self.shared;
        let room = shared
            .conferences
            .live(account, sid)
            .ok_or_else(|| gone(sid))?;
        shared.conferences.update(shared, &room, |r| r.end());
        Ok(view(room.view()))
    }

    fn update_participant(
        &self,
        account: AccountSid,
        sid: ConferenceSid,
        call: CallSid,
        update: ParticipantUpdate,
    ) -> Result<ParticipantView, ApiError> {
        let shared = &self.shared;
        let room = shared
            .conferences
            .live(account, sid)
            .ok_or_else(|| gone(sid))?;
        let member = shared.conferences.update(shared, &room, |r| {
            if let Some(muted) = update.muted {
                r.set_muted(call, muted);
            }
            if let Some(hold) = update.hold {
                let music = update.hold_url.clone().map(|u| (u, update.hold_method));
                r.set_hold(call, hold, music);
            }
            if let Some(coaching) = update.coaching {
                r.set_coaching(call, coaching);
            }
            r.member(call).cloned()
        });
        if let Some(url) = update.announce_url {
            // Best effort: the announcement is the participant's own call's business.
            let _ = shared.live.send(
                call,
                crate::live::Control::Conference(switchyard_call::conference::Notice::Announce(
                    url,
                    update.announce_method,
                )),
            );
        }
        member
            .map(|m| participant(&m))
            .ok_or_else(|| ApiError::NotFound(format!("Participant {call}")))
    }

    fn remove_participant(
        &self,
        account: AccountSid,
        sid: ConferenceSid,
        call: CallSid,
    ) -> Result<(), ApiError> {
        let shared = &self.shared;
        let room = shared
            .conferences
            .live(account, sid)
            .ok_or_else(|| gone(sid))?;
        if shared.conferences.update(shared, &room, |r| r.remove(call)) {
            Ok(())
        } else {
            Err(ApiError::NotFound(format!("Participant {call}")))
        }
    }
}
