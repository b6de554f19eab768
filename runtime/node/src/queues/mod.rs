//! Queues on the node: carrying what a queue's member and agent tell each other between
//! their two sessions, and joining their media. The decisions (who is taken, when the
//! bridge is made and ends, what `action` hears) are the call core's
//! ([`switchyard_call::queue`]).

mod api;

pub(crate) use api::NodeQueues;

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use switchyard_call::queue::{Journal, QueueBook, QueueChange, SharedQueues};
use switchyard_store::{QueueRecord, QueueWrite, Repository, Store};

use std::time::{Duration, Instant};

use switchyard_call::queue::{Dequeue, QueueAction};
use switchyard_call::Executor;
use switchyard_instructions::HttpMethod;
use switchyard_types::CallSid;

use crate::live::Control;
use crate::media_io::{MediaCommand, MediaLink};
use crate::shared::{now_ms, Shared};

/// The queues kept by earlier runs, put back in a book that keeps each later change in
/// the store.
pub(crate) fn open(store: &Arc<Store>) -> anyhow::Result<SharedQueues> {
    let mut book = QueueBook::default();
    let (now, wall) = (Instant::now(), now_ms());
    for q in store.all_queues()? {
        let age = Duration::from_millis(wall.saturating_sub(q.date_created).max(0) as u64);
        let created = now.checked_sub(age).unwrap_or(now);
        book.restore(q.account_sid, q.sid, &q.friendly_name, q.max_size, created);
    }
    let store = store.clone();
    book.set_journal(Journal::new(move |change| {
        let write = match change {
            QueueChange::Saved(q) => {
                let date_created = crate::shared::millis(
                    SystemTime::now() - Instant::now().saturating_duration_since(q.created),
                );
                QueueWrite::Put(QueueRecord {
                    sid: q.sid,
                    account_sid: q.account,
                    friendly_name: q.name,
                    max_size: q.max_size,
                    date_created,
                    date_updated: now_ms(),
                })
            }
            QueueChange::Deleted { sid, .. } => QueueWrite::Delete(sid),
        };
        store.write_queue(write);
    }));
    Ok(Arc::new(Mutex::new(book)))
}

/// What one call's session tells another's about a queue.
#[derive(Debug)]
pub enum Signal {
    /// (To a member) An agent took you: run `url`, then say you are ready.
    Dequeue {
        agent: CallSid,
        url: Option<(String, HttpMethod)>,
        waited: Duration,
    },
    /// (To a member) The Members API dequeued you to `url`.
    Redirect {
        url: String,
        method: HttpMethod,
        waited: Duration,
    },
    /// (To an agent) The member is ready: bridge to its media.
    Ready {
        member: CallSid,
        media: Option<MediaLink>,
    },
    /// (To a member) The agent bridged you to its media.
    Bridged { media: MediaLink },
    /// (To an agent) A member joined the empty queue you wait on.
    Waiting,
    /// (Either) The other side ended the bridge.
    Ended { peer: CallSid },
}

/// What became of the call's queue bridge, for its recordings.
#[derive(Debug)]
pub(crate) enum Peer {
    /// Bridged to the other party's media.
    Joined(MediaLink),
    /// No longer bridged.
    Parted,
}

impl Peer {
    /// The other party's media while bridged: what the call's recordings tap.
    pub(crate) fn media(self) -> Option<MediaLink> {
        match self {
            Peer::Joined(media) => Some(media),
            Peer::Parted => None,
        }
    }
}

/// One call's session, as its queue side sees it.
pub(crate) struct Side<'a> {
    pub shared: &'a Shared,
    pub call: CallSid,
    /// The call's media, once it has some.
    pub media: Option<MediaLink>,
    pub exec: &'a mut Executor,
}

impl Side<'_> {
    fn send(&self, to: CallSid, signal: Signal) -> bool {
        self.shared.live.send(to, Control::Queue(signal)).is_ok()
    }

    fn unbridge(&self) {
        if let Some(own) = &self.media {
            own.send(MediaCommand::Bridge(None));
        }
    }
}

/// Carry out what the call core asked for.
pub(crate) fn act(side: &mut Side<'_>, action: QueueAction) -> Option<Peer> {
    let now = Instant::now();
    let me = side.call;
    match action {
        QueueAction::Take {
            member,
            url,
            waited,
            ..
        } => {
            let agent = me;
            if !side.send(member, Signal::Dequeue { agent, url, waited }) {
                side.exec.queue_member_gone(now, member);
            }
        }
        QueueAction::Ready { agent } => {
            let media = side.media.clone();
            if !side.send(agent, Signal::Ready { member: me, media }) {
                side.exec.queue_bridge_ended(now, agent);
            }
        }
        QueueAction::Wake(agents) => {
            for agent in agents {
                side.send(agent, Signal::Waiting);
            }
        }
        QueueAction::EndBridge { peer } => {
            side.unbridge();
            side.send(peer, Signal::Ended { peer: me });
            return Some(Peer::Parted);
        }
    }
    None
}

/// What another call's session told this one.
pub(crate) fn signal(side: &mut Side<'_>, signal: Signal) -> Option<Peer> {
    let now = Instant::now();
    match signal {
        Signal::Dequeue { agent, url, waited } => {
            side.exec
                .queue_dequeued(now, Dequeue::Bridge { agent, url, waited });
        }
        Signal::Redirect {
            url,
            method,
            waited,
        } => side.exec.queue_dequeued(
            now,
            Dequeue::Redirect {
                url,
                method,
                waited,
            },
        ),
        Signal::Ready { member, media } => {
            let wanted = side.exec.queue_member_ready(now, member);
            match (wanted, media, side.media.clone()) {
                (true, Some(theirs), Some(own)) => {
                    theirs.send(MediaCommand::Bridge(Some(own.clone())));
                    own.send(MediaCommand::Bridge(Some(theirs.clone())));
                    side.send(member, Signal::Bridged { media: own });
                    return Some(Peer::Joined(theirs));
                }
                (true, ..) => {
                    // A side without media cannot be bridged: both go on.
                    side.send(member, Signal::Ended { peer: side.call });
                    side.exec.queue_bridge_ended(now, member);
                }
                (false, ..) => {
                    side.send(member, Signal::Ended { peer: side.call });
                }
            }
        }
        Signal::Bridged { media } => return Some(Peer::Joined(media)),
        Signal::Waiting => side.exec.queue_member_waiting(now),
        Signal::Ended { peer } => {
            side.unbridge();
            side.exec.queue_bridge_ended(now, peer);
            return Some(Peer::Parted);
        }
    }
    None
}
