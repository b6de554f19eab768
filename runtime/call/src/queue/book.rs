//! The queues of every account: FIFO members with their enqueue time, the agents waiting
//! for a member, and each queue's size limit. Sans-IO: time comes in as arguments.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use switchyard_types::{AccountSid, CallSid, QueueSid};

/// Twilio: "The default maximum length of the queue is 100."
pub const DEFAULT_MAX_SIZE: u32 = 100;

/// Twilio's Queue resource: "MaxSize … The maximum value is 5000."
pub const MAX_MAX_SIZE: u32 = 5000;

/// Why the book refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    /// The queue holds as many members as it may.
    #[error("queue {0} is full")]
    Full(QueueSid),
    #[error("no such queue")]
    NotFound,
    /// Twilio refuses to delete a queue callers still wait in.
    #[error("queue {0} still has members")]
    HasMembers(QueueSid),
    /// `MaxSize` outside 1..=5000.
    #[error("a queue's MaxSize is 1 to {MAX_MAX_SIZE}, got {0}")]
    BadMaxSize(u32),
    /// `FriendlyName` already names another of the account's queues.
    #[error("a queue named {0:?} exists")]
    NameTaken(String),
}

/// One caller waiting in a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    pub call: CallSid,
    pub enqueued: Instant,
}

/// A queue as the REST API and the wait document see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueStats {
    pub sid: QueueSid,
    pub account: AccountSid,
    pub name: String,
    pub size: u32,
    pub max_size: u32,
    /// The mean wait of the members in the queue now (Twilio: "calculated at the time
    /// of the request").
    pub average_wait: Duration,
    /// When it was created (by the API, or on demand by `<Enqueue>`).
    pub created: Instant,
}

/// Where one member stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub call: CallSid,
    pub queue: QueueStats,
    /// 1 = the head of the queue.
    pub position: u32,
    pub waited: Duration,
}

/// A member taken out of its queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dequeued {
    pub queue: QueueSid,
    pub call: CallSid,
    pub waited: Duration,
}

/// What joining a queue did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    pub position: Position,
    /// The agents that were waiting for a member (`<Dial><Queue>` on an empty queue):
    /// each is told to try again.
    pub wake: Vec<CallSid>,
}

#[derive(Debug)]
struct Queue {
    account: AccountSid,
    name: String,
    max_size: u32,
    created: Instant,
    members: VecDeque<Member>,
    /// Agents whose `<Dial><Queue>` found it empty, oldest first.
    agents: VecDeque<CallSid>,
}

impl Queue {
    fn stats(&self, sid: QueueSid, now: Instant) -> QueueStats {
        let total: Duration = self
            .members
            .iter()
            .map(|m| now.saturating_duration_since(m.enqueued))
            .sum();
        let size = self.members.len() as u32;
        QueueStats {
            sid,
            account: self.account,
            name: self.name.clone(),
            size,
            max_size: self.max_size,
            average_wait: if size == 0 {
                Duration::ZERO
            } else {
                total / size
            },
            created: self.created,
        }
    }
}

/// A change to a queue's definition (not its members), for whoever keeps the queues
/// across restarts: Twilio's queues are resources that outlive the calls in them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueChange {
    /// Created (by the API, or on demand by `<Enqueue>`) or updated.
    Saved(QueueStats),
    Deleted {
        account: AccountSid,
        sid: QueueSid,
    },
}

/// Where the book reports each [`QueueChange`], as it happens.
pub struct Journal(Box<dyn FnMut(QueueChange) + Send>);

impl Journal {
    pub fn new(f: impl FnMut(QueueChange) + Send + 'static) -> Self {
        Self(Box::new(f))
    }
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Journal")
    }
}

/// Every queue of every account.
#[derive(Debug, Default)]
pub struct QueueBook {
    queues: HashMap<QueueSid, Queue>,
    by_name: HashMap<(AccountSid, String), QueueSid>,
    journal: Option<Journal>,
}

fn check_max(max: u32) -> Result<u32, QueueError> {
    if (1..=MAX_MAX_SIZE).contains(&max) {
        Ok(max)
    } else {
        Err(QueueError::BadMaxSize(max))
    }
}

impl QueueBook {
    /// Report every later change of a queue's definition to `journal`.
    pub fn set_journal(&mut self, journal: Journal) {
        self.journal = Some(journal);
    }

    /// Put back a queue kept from an earlier run (not reported to the journal).
    pub fn restore(
        &mut self,
        account: AccountSid,
        sid: QueueSid,
        name: &str,
        max_size: u32,
        created: Instant,
    ) {
        self.queues.insert(
            sid,
            Queue {
                account,
                name: name.to_owned(),
                max_size: max_size.clamp(1, MAX_MAX_SIZE),
                created,
                members: VecDeque::new(),
                agents: VecDeque::new(),
            },
        );
        self.by_name.insert((account, name.to_owned()), sid);
    }

    fn saved(&mut self, now: Instant, sid: QueueSid) {
        if let (Some(j), Some(q)) = (self.journal.as_mut(), self.queues.get(&sid)) {
            (j.0)(QueueChange::Saved(q.stats(sid, now)));
        }
    }

    /// Create a queue (the REST API's `Queues.create`).
    pub fn create(
        &mut self,
        now: Instant,
        account: AccountSid,
        name: &str,
        max_size: Option<u32>,
    ) -> Result<QueueStats, QueueError> {
        let max_size = check_max(max_size.unwrap_or(DEFAULT_MAX_SIZE))?;
        if self.by_name.contains_key(&(account, name.to_owned())) {
            return Err(QueueError::NameTaken(name.to_owned()));
        }
        let sid = self.insert(now, account, name, max_size);
        Ok(self.queues[&sid].stats(sid, now))
    }

    fn insert(&mut self, now: Instant, account: AccountSid, name: &str, max_size: u32) -> QueueSid {
        let sid = QueueSid::random();
        self.restore(account, sid, name, max_size, now);
        self.saved(now, sid);
        sid
    }

    /// The account's queue with this name.
    pub fn find(&self, account: AccountSid, name: &str) -> Option<QueueSid> {
        self.by_name.get(&(account, name.to_owned())).copied()
    }

    /// Put `call` at the tail of the account's queue `name`, created on demand (Twilio:
    /// "The <Enqueue> verb will create a queue on demand"). `limit` (`maxQueueSize`)
    /// sizes a queue it creates and caps this join of an existing one.
    pub fn enqueue(
        &mut self,
        now: Instant,
        account: AccountSid,
        name: &str,
        call: CallSid,
        limit: Option<u32>,
    ) -> Result<Joined, QueueError> {
        let sid = match self.find(account, name) {
            Some(sid) => sid,
            None => {
                let max = limit.unwrap_or(DEFAULT_MAX_SIZE).clamp(1, MAX_MAX_SIZE);
                self.insert(now, account, name, max)
            }
        };
        let q = self.queues.get_mut(&sid).ok_or(QueueError::NotFound)?;
        let cap = limit.map_or(q.max_size, |l| l.min(q.max_size)) as usize;
        if q.members.len() >= cap {
            return Err(QueueError::Full(sid));
        }
        q.members.push_back(Member {
            call,
            enqueued: now,
        });
        let wake = q.agents.drain(..).collect();
        let position = self.position(now, sid, call).ok_or(QueueError::NotFound)?;
        Ok(Joined { position, wake })
    }

    /// Where `call` stands in queue `sid`.
    pub fn position(&self, now: Instant, sid: QueueSid, call: CallSid) -> Option<Position> {
        let q = self.queues.get(&sid)?;
        let index = q.members.iter().position(|m| m.call == call)?;
        Some(Position {
            call,
            queue: q.stats(sid, now),
            position: index as u32 + 1,
            waited: now.saturating_duration_since(q.members[index].enqueued),
        })
    }

    /// Take the member at the head of the account's queue `name` for `agent`; with none,
    /// `agent` waits for the next to join (it is named in that join's
    /// [`Joined::wake`]) and `None` is returned. `Err(NotFound)`: no such queue.
    pub fn take_front(
        &mut self,
        now: Instant,
        account: AccountSid,
        name: &str,
        agent: CallSid,
    ) -> Result<Option<Dequeued>, QueueError> {
        let sid = self.find(account, name).ok_or(QueueError::NotFound)?;
        let q = self.queues.get_mut(&sid).ok_or(QueueError::NotFound)?;
        match q.members.pop_front() {
            Some(m) => Ok(Some(Dequeued {
                queue: sid,
                call: m.call,
                waited: now.saturating_duration_since(m.enqueued),
            })),
            None => {
                if !q.agents.contains(&agent) {
                    q.agents.push_back(agent);
                }
                Ok(None)
            }
        }
    }

    /// An agent no longer waits for a member of queue `name` (its Dial ended).
    pub fn stop_waiting(&mut self, account: AccountSid, name: &str, agent: CallSid) {
        if let Some(q) = self
            .find(account, name)
            .and_then(|sid| self.queues.get_mut(&sid))
        {
            q.agents.retain(|a| *a != agent);
        }
    }

    /// Take `call` out of queue `sid` (it left, hung up, or was dequeued by the API).
    pub fn remove(&mut self, now: Instant, sid: QueueSid, call: CallSid) -> Option<Dequeued> {
        let q = self.queues.get_mut(&sid)?;
        let index = q.members.iter().position(|m| m.call == call)?;
        let m = q.members.remove(index)?;
        Some(Dequeued {
            queue: sid,
            call,
            waited: now.saturating_duration_since(m.enqueued),
        })
    }

    /// The account's queue `sid`.
    pub fn stats(&self, now: Instant, account: AccountSid, sid: QueueSid) -> Option<QueueStats> {
        self.queues
            .get(&sid)
            .filter(|q| q.account == account)
            .map(|q| q.stats(sid, now))
    }

    /// The account's queues, by name.
    pub fn list(&self, now: Instant, account: AccountSid) -> Vec<QueueStats> {
        let mut all: Vec<QueueStats> = self
            .queues
            .iter()
            .filter(|(_, q)| q.account == account)
            .map(|(sid, q)| q.stats(*sid, now))
            .collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all
    }

    /// The members of the account's queue `sid`, head first.
    pub fn members(
        &self,
        now: Instant,
        account: AccountSid,
        sid: QueueSid,
    ) -> Option<Vec<Position>> {
        let q = self.queues.get(&sid).filter(|q| q.account == account)?;
        Some(
            q.members
                .iter()
                .filter_map(|m| self.position(now, sid, m.call))
                .collect(),
        )
    }

    /// Change the account's queue `sid`: its `FriendlyName`, its `MaxSize` (members
    /// already past a lowered size stay; only new joins are refused).
    pub fn update(
        &mut self,
        now: Instant,
        account: AccountSid,
        sid: QueueSid,
        name: Option<&str>,
        max_size: Option<u32>,
    ) -> Result<QueueStats, QueueError> {
        let max_size = max_size.map(check_max).transpose()?;
        let current = self
            .queues
            .get(&sid)
            .filter(|q| q.account == account)
            .ok_or(QueueError::NotFound)?
            .name
            .clone();
        if let Some(name) = name.filter(|n| *n != current) {
            if self.by_name.contains_key(&(account, name.to_owned())) {
                return Err(QueueError::NameTaken(name.to_owned()));
            }
            self.by_name.remove(&(account, current));
            self.by_name.insert((account, name.to_owned()), sid);
        }
        let q = self.queues.get_mut(&sid).ok_or(QueueError::NotFound)?;
        if let Some(name) = name {
            q.name = name.to_owned();
        }
        if let Some(max) = max_size {
            q.max_size = max;
        }
        let stats = q.stats(sid, now);
        self.saved(now, sid);
        Ok(stats)
    }

    /// Delete the account's queue `sid`; refused while callers wait in it.
    pub fn delete(&mut self, account: AccountSid, sid: QueueSid) -> Result<(), QueueError> {
        let q = self
            .queues
            .get(&sid)
            .filter(|q| q.account == account)
            .ok_or(QueueError::NotFound)?;
        if !q.members.is_empty() {
            return Err(QueueError::HasMembers(sid));
        }
        let name = q.name.clone();
        self.queues.remove(&sid);
        self.by_name.remove(&(account, name));
        if let Some(j) = self.journal.as_mut() {
            (j.0)(QueueChange::Deleted { account, sid });
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "book_tests.rs"]
mod tests;
