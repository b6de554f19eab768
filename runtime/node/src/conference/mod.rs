//! Conference rooms on the node: each live room is the call core's [`Room`] (its
//! rules) beside a media [`Mixer`], found by account and name. This module only carries
//! out what the room decides: it tells participants' calls, sets their roles in the
//! mixer, requests the room's status callbacks in order, publishes its events and
//! records its mix.

mod api;
mod media;
mod record;

pub use media::{MixSource, MixTap, CONFERENCE_TAP};

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use switchyard_call::conference::{JoinSpec, MixRole, Room, RoomOutput, RoomStatus};
use switchyard_call::{CallEvent, ConferenceJoin};
use switchyard_media::mix::{Mixer, Role, SpeakerEvent};
use switchyard_types::{AccountSid, CallSid, ConferenceSid};
use tokio::sync::mpsc;

use crate::live::Control;
use crate::shared::{now_ms, Shared};
use media::lock;

/// The rate rooms mix at: narrowband, what G.711 participants (most) speak.
const MIX_RATE: u32 = switchyard_media::SAMPLE_RATE;

/// How often a room's speaker tracking is read for `speaker` events.
const SPEAKER_POLL: Duration = Duration::from_millis(100);

/// Rooms that ended kept for the REST API (per node; the oldest go first).
const ENDED_KEPT: usize = 1000;

/// A room as the Conferences resource shows it.
#[derive(Debug, Clone)]
pub struct RoomView {
    pub sid: ConferenceSid,
    pub account_sid: AccountSid,
    pub friendly_name: String,
    pub status: RoomStatus,
    pub date_created: i64,
    pub date_updated: i64,
    pub participants: Vec<switchyard_call::conference::Member>,
}

/// One live room.
pub struct LiveRoom {
    state: Mutex<RoomState>,
    mixer: Arc<Mutex<Mixer>>,
    callbacks: mpsc::UnboundedSender<Callback>,
    created: i64,
}

type Callback = (switchyard_webhook::Target, Vec<(String, String)>);

struct RoomState {
    room: Room,
    /// Each participant's id in the mixer.
    ids: HashMap<CallSid, u64>,
    recording: Option<record::RoomRecording>,
    updated: i64,
}

impl std::fmt::Debug for LiveRoom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveRoom").finish_non_exhaustive()
    }
}

impl LiveRoom {
    fn lock(&self) -> MutexGuard<'_, RoomState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn view(&self) -> RoomView {
        let s = self.lock();
        RoomView {
            sid: s.room.sid,
            account_sid: s.room.account_sid,
            friendly_name: s.room.name.clone(),
            status: s.room.status(),
            date_created: self.created,
            date_updated: s.updated,
            participants: s.room.members().to_vec(),
        }
    }
}

/// A call's place in a room.
#[derive(Debug, Clone)]
pub struct Membership {
    pub room: Arc<LiveRoom>,
    pub id: u64,
    pub call_sid: CallSid,
}

impl Membership {
    pub fn tap(&self) -> MixTap {
        MixTap {
            mixer: self.room.mixer.clone(),
            id: self.id,
        }
    }

    pub fn source(&self) -> MixSource {
        MixSource {
            mixer: self.room.mixer.clone(),
            id: self.id,
        }
    }
}

/// Every live room of the node.
#[derive(Debug, Default)]
pub struct Conferences {
    rooms: Mutex<HashMap<(AccountSid, String), Arc<LiveRoom>>>,
    ended: Mutex<VecDeque<RoomView>>,
    next_id: AtomicU64,
}

impl Conferences {
    fn rooms(&self) -> MutexGuard<'_, HashMap<(AccountSid, String), Arc<LiveRoom>>> {
        self.rooms.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The account's rooms, live and ended, newest first.
    pub fn list(&self, account: AccountSid) -> Vec<RoomView> {
        // Rooms are locked after the list is let go: a room that ends takes the list
        // while it holds its own lock.
        let live: Vec<Arc<LiveRoom>> = self.rooms().values().cloned().collect();
        let mut all: Vec<RoomView> = live
            .iter()
            .map(|r| r.view())
            .filter(|v| v.account_sid == account)
            .collect();
        all.extend(
            self.ended
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .filter(|v| v.account_sid == account)
                .cloned(),
        );
        all.sort_by_key(|v| std::cmp::Reverse(v.date_created));
        all
    }

    /// The live room `sid` of the account.
    pub fn live(&self, account: AccountSid, sid: ConferenceSid) -> Option<Arc<LiveRoom>> {
        let live: Vec<Arc<LiveRoom>> = self.rooms().values().cloned().collect();
        live.into_iter().find(|r| {
            let s = r.lock();
            s.room.sid == sid && s.room.account_sid == account
        })
    }

    /// Put `call_sid` in the account's room named in `req`, creating the room.
    pub fn join(
        &self,
        shared: &Arc<Shared>,
        account: AccountSid,
        call_sid: CallSid,
        req: ConferenceJoin,
    ) -> Result<Membership, switchyard_call::Error> {
        let key = (account, req.name.clone());
        let room = {
            let mut rooms = self.rooms();
            rooms
                .entry(key)
                .or_insert_with(|| self.open(shared, account, &req.name))
                .clone()
        };
        let spec = JoinSpec {
            call_sid,
            muted: req.muted,
            beep: req.beep,
            start_on_enter: req.start_on_enter,
            end_on_exit: req.end_on_exit,
            coaching: req.coach.as_deref().and_then(|c| c.parse().ok()),
            max_participants: req.max_participants,
            record: req.record,
            callbacks: req.callbacks,
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let mut s = room.lock();
        let joined = s.room.join(spec);
        if joined.is_ok() {
            s.ids.insert(call_sid, id);
        }
        self.drive(shared, &room, &mut s);
        drop(s);
        joined.map(|()| Membership { room, id, call_sid })
    }

    fn open(&self, shared: &Arc<Shared>, account: AccountSid, name: &str) -> Arc<LiveRoom> {
        let (tx, mut rx) = mpsc::unbounded_channel::<Callback>();
        let signer = shared.account(account).map(|a| a.signer);
        let webhook_shared = shared.clone();
        // The room's callbacks go out one after the other, in the order it made them.
        tokio::spawn(async move {
            let Some(signer) = signer else { return };
            while let Some((target, params)) = rx.recv().await {
                if let Err(e) = webhook_shared
                    .webhook
                    .notify(&target, &params, &signer)
                    .await
                {
                    tracing::warn!(url = %target.url, error = %e, "conference status callback failed");
                }
            }
        });
        let room = Arc::new(LiveRoom {
            state: Mutex::new(RoomState {
                room: Room::new(account, name),
                ids: HashMap::new(),
                recording: None,
                updated: now_ms(),
            }),
            mixer: Arc::new(Mutex::new(Mixer::new(MIX_RATE))),
            callbacks: tx,
            created: now_ms(),
        });
        tokio::spawn(speakers(shared.clone(), room.clone()));
        room
    }

    /// A call leaves its room (it hung up, or its `<Dial>` ended).
    pub fn leave(&self, shared: &Arc<Shared>, m: &Membership) {
        self.update(shared, &m.room, |room| room.leave(m.call_sid));
    }

    /// Change a live room (an API update) and carry out what it decided.
    pub fn update<R>(
        &self,
        shared: &Arc<Shared>,
        room: &Arc<LiveRoom>,
        f: impl FnOnce(&mut Room) -> R,
    ) -> R {
        let mut s = room.lock();
        let r = f(&mut s.room);
        self.drive(shared, room, &mut s);
        r
    }

    /// Carry out the room's outputs; a room that ended leaves the live list.
    fn drive(&self, shared: &Arc<Shared>, live: &Arc<LiveRoom>, s: &mut RoomState) {
        s.updated = now_ms();
        while let Some(out) = s.room.poll_output() {
            match out {
                RoomOutput::Notice(call, notice) => {
                    let _ = shared.live.send(call, Control::Conference(notice));
                }
                RoomOutput::Mix(call, role) => {
                    let Some(&id) = s.ids.get(&call) else {
                        continue;
                    };
                    let role = mix_role(&s.ids, role);
                    lock(&live.mixer).join(id, role);
                }
                RoomOutput::Unmix(call) => {
                    if let Some(id) = s.ids.remove(&call) {
                        lock(&live.mixer).leave(id);
                    }
                }
                RoomOutput::Beep => lock(&live.mixer).announce(MIX_RATE, &switchyard_media::beep()),
                RoomOutput::Record(true) => {
                    s.recording = record::start(shared, &s.room, &live.mixer);
                }
                RoomOutput::Record(false) => {
                    if let Some(r) = s.recording.take() {
                        r.finish(shared, &live.mixer);
                    }
                }
                RoomOutput::Callback {
                    url,
                    method,
                    params,
                } => {
                    let target = crate::shared::target(&url, method.as_str());
                    let _ = live.callbacks.send((target, params));
                }
                RoomOutput::Event {
                    kind,
                    call_sid,
                    data,
                } => shared.publish(CallEvent {
                    account_sid: s.room.account_sid,
                    call_sid,
                    kind,
                    timestamp: SystemTime::now(),
                    data,
                }),
            }
        }
        if s.room.status() == RoomStatus::Completed {
            let key = (s.room.account_sid, s.room.name.clone());
            let mut rooms = self.rooms();
            if rooms.get(&key).is_some_and(|r| Arc::ptr_eq(r, live)) {
                rooms.remove(&key);
            }
            drop(rooms);
            let view = RoomView {
                sid: s.room.sid,
                account_sid: s.room.account_sid,
                friendly_name: s.room.name.clone(),
                status: RoomStatus::Completed,
                date_created: live.created,
                date_updated: s.updated,
                participants: Vec::new(),
            };
            let mut ended = self.ended.lock().unwrap_or_else(|e| e.into_inner());
            ended.push_back(view);
            while ended.len() > ENDED_KEPT {
                ended.pop_front();
            }
        }
    }
}

fn mix_role(ids: &HashMap<CallSid, u64>, role: MixRole) -> Role {
    Role {
        muted: role.muted,
        held: role.held,
        coaching: role.coaching.and_then(|c| ids.get(&c).copied()),
    }
}

/// Read the room's speaker tracking until the room ends: each start and stop of
/// speech is a `speaker` event.
async fn speakers(shared: Arc<Shared>, room: Arc<LiveRoom>) {
    let mut tick = tokio::time::interval(SPEAKER_POLL);
    loop {
        tick.tick().await;
        let events: Vec<SpeakerEvent> = {
            let mut m = lock(&room.mixer);
            std::iter::from_fn(|| m.poll_event()).collect()
        };
        let mut s = room.lock();
        if s.room.status() == RoomStatus::Completed {
            return;
        }
        if events.is_empty() {
            continue;
        }
        for ev in events {
            let (id, speaking) = match ev {
                SpeakerEvent::SpeechStart(id) => (id, true),
                SpeakerEvent::SpeechStop(id) => (id, false),
                SpeakerEvent::Loudest(_) => continue,
            };
            let call = s.ids.iter().find(|(_, &v)| v == id).map(|(c, _)| *c);
            if let Some(call) = call {
                s.room.speech(call, speaking);
            }
        }
        shared.conferences.drive(&shared, &room, &mut s);
    }
}
