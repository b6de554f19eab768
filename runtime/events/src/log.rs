//! One shard's bounded log: ids are given here, and replay reads from here.
//!
//! Sans-IO: time comes in as an argument. The log keeps the newest events up to a
//! count and an age; a resume point older than that, or from another epoch, is a gap,
//! which [`ShardLog::since`] reports instead of silently starting later.

use std::collections::VecDeque;
use std::sync::Arc;

use switchyard_types::AccountSid;

use crate::event::{Draft, Event};
use crate::id::EventId;
use crate::spec::visible;

/// How much of the past a shard keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub max_events: usize,
    pub max_age_ms: u64,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            max_events: 100_000,
            max_age_ms: 15 * 60 * 1000,
        }
    }
}

/// Why a resume point cannot be honoured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GapReason {
    /// The events after it are no longer retained.
    Retention,
    /// It belongs to another epoch of the log (the log started anew since).
    Epoch,
}

impl GapReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Retention => "retention",
            Self::Epoch => "epoch",
        }
    }
}

/// Whether resuming after `after` loses events, in a log whose newest event is `last`
/// and whose oldest retained one has seq `first_retained`; the gap names the first
/// event the subscriber will get. Every broker decides it by this one rule.
pub fn gap(after: EventId, last: EventId, first_retained: u64) -> Option<(GapReason, EventId)> {
    let next = EventId::new(last.epoch, last.shard, first_retained);
    if !after.same_log(&last) || after.seq > last.seq {
        Some((GapReason::Epoch, next))
    } else if after.seq + 1 < first_retained {
        Some((GapReason::Retention, next))
    } else {
        None
    }
}

/// What a subscriber resuming after an id receives before live events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    /// Set when some events after the resume point are lost to the subscriber.
    pub gap: Option<(GapReason, EventId)>,
    /// The retained events after the resume point (or after the gap), oldest first.
    pub events: Vec<Arc<Event>>,
    /// The last id of the log when the replay was taken: live events up to it are
    /// already in `events` (or were not the subscriber's).
    pub last: EventId,
}

impl Replay {
    /// The `stream.gap` event to send first, when there is a gap. Its id is the last
    /// one before what follows, so resuming from it is exact.
    pub fn gap_event(&self, from: EventId, account: AccountSid, now_ms: u64) -> Option<Event> {
        let (reason, next) = self.gap?;
        let before = EventId::new(next.epoch, next.shard, next.seq.saturating_sub(1));
        Some(Event::new(
            before,
            Draft {
                account_sid: account,
                root_sid: account,
                call_sid: None,
                event_type: "stream.gap".into(),
                timestamp_ms: now_ms,
                data: vec![
                    ("from".into(), from.to_string()),
                    ("next".into(), next.to_string()),
                    ("reason".into(), reason.as_str().into()),
                ],
            },
        ))
    }
}

/// The log of one shard.
#[derive(Debug)]
pub struct ShardLog {
    epoch: u64,
    shard: u32,
    next_seq: u64,
    events: VecDeque<(u64, Arc<Event>)>,
    retention: Retention,
}

impl ShardLog {
    pub fn new(epoch: u64, shard: u32, retention: Retention) -> Self {
        Self {
            epoch,
            shard,
            next_seq: 1,
            events: VecDeque::new(),
            retention,
        }
    }

    /// Give the draft the next id, keep it, and drop what retention no longer covers.
    pub fn append(&mut self, draft: Draft, now_ms: u64) -> Arc<Event> {
        let id = EventId::new(self.epoch, self.shard, self.next_seq);
        self.next_seq += 1;
        let event = Arc::new(Event::new(id, draft));
        self.events.push_back((now_ms, event.clone()));
        self.trim(now_ms);
        event
    }

    /// Drop events past the count or the age.
    pub fn trim(&mut self, now_ms: u64) {
        while self.events.len() > self.retention.max_events
            || self
                .events
                .front()
                .is_some_and(|(t, _)| now_ms.saturating_sub(*t) > self.retention.max_age_ms)
        {
            self.events.pop_front();
        }
    }

    /// The id of the newest event (seq 0 before the first).
    pub fn last_id(&self) -> EventId {
        EventId::new(self.epoch, self.shard, self.next_seq - 1)
    }

    /// What `account`'s subscriber missed after `after`.
    pub fn since(&self, after: EventId, account: AccountSid) -> Replay {
        let last = self.last_id();
        let first_retained = self.events.front().map_or(self.next_seq, |(_, e)| e.id.seq);
        let gap = gap(after, last, first_retained);
        let from_seq = if gap.is_some() { 0 } else { after.seq };
        let skip = self.events.partition_point(|(_, e)| e.id.seq <= from_seq);
        Replay {
            gap,
            events: self
                .events
                .range(skip..)
                .map(|(_, e)| e)
                .filter(|e| visible(account, e))
                .cloned()
                .collect(),
            last,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(account: AccountSid, n: u64) -> Draft {
        Draft {
            account_sid: account,
            root_sid: account,
            call_sid: None,
            event_type: "call.initiated".into(),
            timestamp_ms: n,
            data: vec![],
        }
    }

    #[test]
    fn replays_exactly_what_follows_the_resume_point_for_that_account() {
        let (a, b) = (AccountSid::random(), AccountSid::random());
        let mut log = ShardLog::new(9, 3, Retention::default());
        let ids: Vec<EventId> = (0..10)
            .map(|n| log.append(draft(if n % 2 == 0 { a } else { b }, n), n).id)
            .collect();
        let r = log.since(ids[3], a);
        assert_eq!(r.gap, None);
        let got: Vec<EventId> = r.events.iter().map(|e| e.id).collect();
        assert_eq!(got, vec![ids[4], ids[6], ids[8]]);
        assert_eq!(r.last, ids[9]);
        assert!(log.since(ids[9], a).events.is_empty());
    }

    #[test]
    fn a_resume_point_past_retention_or_from_another_epoch_is_a_gap() {
        let a = AccountSid::random();
        let retention = Retention {
            max_events: 5,
            max_age_ms: 1_000,
        };
        let mut log = ShardLog::new(9, 0, retention);
        let ids: Vec<EventId> = (0..10).map(|n| log.append(draft(a, n), n).id).collect();
        // Events 1..=5 are gone: resuming after the 2nd misses some.
        let r = log.since(ids[1], a);
        assert_eq!(r.gap, Some((GapReason::Retention, ids[5])));
        assert_eq!(r.events.len(), 5);
        let gap = r.gap_event(ids[1], a, 0).unwrap();
        assert_eq!(gap.id, ids[4]);
        assert_eq!(gap.get("next"), Some(ids[5].to_string().as_str()));
        // Resuming right before the oldest retained event misses nothing.
        assert_eq!(log.since(ids[4], a).gap, None);
        // Another epoch.
        let r = log.since(EventId::new(8, 0, 3), a);
        assert_eq!(r.gap.map(|g| g.0), Some(GapReason::Epoch));
        // Age: everything is older than a second at t=5000.
        log.trim(5_000);
        let r = log.since(ids[9], a);
        assert_eq!(r.gap, None, "nothing after the newest was lost");
        assert_eq!(
            log.since(ids[8], a).gap.map(|g| g.0),
            Some(GapReason::Retention)
        );
    }
}
