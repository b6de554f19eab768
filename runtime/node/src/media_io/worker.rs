//! A media worker: one thread with one epoll instance (mio) that owns many legs'
//! sockets and endpoints, their 20 ms ticks in one timer heap, and the bridges between
//! the legs it holds, which are plain function calls: a packet received on one leg goes
//! out of the other leg's socket in the same wake-up, with no task, channel or thread
//! between them. Wake-ups serve every leg whose tick is due (epoll's millisecond
//! resolution gathers them), so the cost per wake-up is shared by all the legs due.
//!
//! The engine runs one worker per core and places a dialled leg on its caller's worker,
//! so media density grows with the cores.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc as std_mpsc, Arc};
use std::time::Instant;

use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Token, Waker};
use tokio::sync::mpsc;

use super::bridge::{MediaLink, Peer};
use super::endpoint::Endpoint;
use super::recv::{RecvBatch, BATCH};
use super::{MediaCommand, MediaEvent, MediaParams};
use crate::metrics::StreamQuality;
use crate::ports::MediaSockets;
use switchyard_media::leg::{Relayed, Speaks};

const WAKER: Token = Token(usize::MAX);
/// Batches read from one socket per readiness before the others get their turn.
const READ_BATCHES: usize = 8;

/// What the rest of the node asks of a worker.
pub(super) enum Msg {
    Open(Box<Open>),
    Command(u64, MediaCommand),
    Relay(u64, Relayed),
    Close(u64),
}

/// A new leg's media.
pub(super) struct Open {
    pub id: u64,
    pub sockets: MediaSockets,
    pub params: MediaParams,
    /// Where the leg's endpoint says which codec it speaks, for the leg it is bridged to.
    pub speaks: Arc<Speaks>,
    pub events: mpsc::UnboundedSender<MediaEvent>,
    /// Called with the RTP port once the sockets are closed, and what the stream got.
    pub on_exit: OnExit,
    /// The call's span, for what the worker logs of this leg.
    pub span: tracing::Span,
}

pub(super) type OnExit = Box<dyn FnOnce(u16, StreamQuality) + Send>;

/// How the node reaches a worker thread.
pub(super) struct WorkerHandle {
    pub index: usize,
    tx: std_mpsc::Sender<Msg>,
    waker: Waker,
    /// Legs placed on the worker and not yet closed, for placing new ones.
    pub load: Arc<AtomicUsize>,
}

impl WorkerHandle {
    pub fn post(&self, msg: Msg) {
        if self.tx.send(msg).is_ok() {
            let _ = self.waker.wake();
        }
    }
}

/// Start worker `index` on a thread of its own. It ends when every handle is gone.
pub(super) fn start(index: usize) -> io::Result<Arc<WorkerHandle>> {
    let poll = Poll::new()?;
    let waker = Waker::new(poll.registry(), WAKER)?;
    let (tx, rx) = std_mpsc::channel();
    let load = Arc::new(AtomicUsize::new(0));
    let worker = Worker {
        index,
        poll,
        rx,
        load: load.clone(),
        slots: Vec::new(),
        free: Vec::new(),
        ids: HashMap::new(),
        timers: BinaryHeap::new(),
        relays: Vec::new(),
    };
    std::thread::Builder::new()
        .name(format!("media-{index}"))
        .spawn(move || worker.run())?;
    Ok(Arc::new(WorkerHandle {
        index,
        tx,
        waker,
        load,
    }))
}

struct Worker {
    index: usize,
    poll: Poll,
    rx: std_mpsc::Receiver<Msg>,
    load: Arc<AtomicUsize>,
    slots: Vec<Option<Slot>>,
    free: Vec<usize>,
    ids: HashMap<u64, usize>,
    /// Ticks by time; an entry whose slot moved on to another deadline or leg is stale.
    timers: BinaryHeap<Reverse<(Instant, usize, u64)>>,
    /// Packets for the bridged leg of the one being handled (kept to reuse its space).
    relays: Vec<Relayed>,
}

struct Slot {
    id: u64,
    rtp: UdpSocket,
    rtcp: UdpSocket,
    port: u16,
    endpoint: Endpoint,
    deadline: Option<Instant>,
    on_exit: Option<OnExit>,
}

impl Slot {
    /// Out with what the session queued.
    fn flush(&mut self) {
        while let Some(t) = self.endpoint.poll_transmit() {
            let socket = if t.rtcp { &self.rtcp } else { &self.rtp };
            let _ = socket.send_to(&t.contents, t.destination);
        }
    }
}

/// Where the packets of the leg being handled go.
enum Target {
    Local { slot: usize, id: u64 },
    Remote(MediaLink),
}

impl Worker {
    fn run(mut self) {
        let mut events = Events::with_capacity(1024);
        let mut batch = RecvBatch::new();
        loop {
            let timeout = self
                .timers
                .peek()
                .map(|Reverse((t, ..))| t.saturating_duration_since(Instant::now()));
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                tracing::error!(worker = self.index, error = %e, "media worker stopped");
                return;
            }
            let now = Instant::now();
            for event in events.iter() {
                if event.token() != WAKER {
                    let t = event.token().0;
                    self.readable(now, t / 2, t % 2 == 1, &mut batch);
                }
            }
            loop {
                match self.rx.try_recv() {
                    Ok(msg) => self.message(now, msg),
                    Err(std_mpsc::TryRecvError::Empty) => break,
                    Err(std_mpsc::TryRecvError::Disconnected) => return,
                }
            }
            self.expire(Instant::now());
        }
    }

    fn readable(&mut self, now: Instant, slot: usize, rtcp: bool, batch: &mut RecvBatch) {
        let Some(s) = self.slots.get_mut(slot).and_then(Option::as_mut) else {
            return;
        };
        let socket = if rtcp { &s.rtcp } else { &s.rtp };
        let mut drained = false;
        for _ in 0..READ_BATCHES {
            let n = match batch.read(socket) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    drained = true;
                    break;
                }
                // An ICMP error from an earlier send, say: the next datagram may be fine.
                Err(_) => continue,
            };
            for (datagram, src) in batch.datagrams() {
                if rtcp {
                    s.endpoint.receive_rtcp(now, datagram);
                } else if let Some(src) = src {
                    s.endpoint.receive_rtp(now, src, datagram);
                }
            }
            if n < BATCH {
                drained = true;
                break;
            }
        }
        if !drained {
            // Edge-triggered: ask to be told again rather than starve the other legs.
            let _ = self.poll.registry().reregister(
                if rtcp { &mut s.rtcp } else { &mut s.rtp },
                Token(slot * 2 + usize::from(rtcp)),
                Interest::READABLE,
            );
        }
        self.settle(now, slot);
    }

    /// After a leg's session was given something: its events, its bridged leg's
    /// packets, its datagrams and its next tick.
    fn settle(&mut self, now: Instant, slot: usize) {
        let Some(s) = self.slots.get_mut(slot).and_then(Option::as_mut) else {
            return;
        };
        let relays = &mut self.relays;
        s.endpoint.poll_events(|r| relays.push(r));
        s.flush();
        schedule(&mut self.timers, slot, s);
        if self.relays.is_empty() {
            return;
        }
        let target = match s.endpoint.peer() {
            Some(Peer::Local { slot, id }) => Target::Local {
                slot: *slot,
                id: *id,
            },
            Some(Peer::Remote(link)) => Target::Remote(link.clone()),
            None => {
                self.relays.clear();
                return;
            }
        };
        match target {
            Target::Remote(link) => self.relays.drain(..).for_each(|r| link.relay(r)),
            Target::Local { slot: peer, id } => {
                match self.slots.get_mut(peer).and_then(Option::as_mut) {
                    Some(p) if p.id == id => {
                        for r in self.relays.drain(..) {
                            p.endpoint.relayed(now, &r);
                        }
                        p.flush();
                    }
                    _ => {
                        // The bridged leg ended: play on our own.
                        self.relays.clear();
                        if let Some(s) = self.slots[slot].as_mut() {
                            s.endpoint.unbridge(now);
                            schedule(&mut self.timers, slot, s);
                        }
                    }
                }
            }
        }
    }

    fn expire(&mut self, now: Instant) {
        while let Some(&Reverse((at, slot, id))) = self.timers.peek() {
            if at > now {
                return;
            }
            self.timers.pop();
            let Some(s) = self.slots.get_mut(slot).and_then(Option::as_mut) else {
                continue;
            };
            if s.id != id || s.deadline != Some(at) {
                continue;
            }
            s.deadline = None;
            s.endpoint.timeout(now);
            self.settle(now, slot);
        }
    }

    fn message(&mut self, now: Instant, msg: Msg) {
        match msg {
            Msg::Open(open) => self.open(now, *open),
            Msg::Command(id, cmd) => {
                let Some(&slot) = self.ids.get(&id) else {
                    return;
                };
                let peer = match &cmd {
                    MediaCommand::Bridge(Some(link)) => match self.peer_of(link) {
                        Some(p) => Some(p),
                        // The other leg is already gone: nothing to bridge to.
                        None => return,
                    },
                    _ => None,
                };
                if let Some(s) = self.slots[slot].as_mut() {
                    s.endpoint.command(now, cmd, peer);
                }
                self.settle(now, slot);
            }
            Msg::Relay(id, packet) => {
                let Some(&slot) = self.ids.get(&id) else {
                    return;
                };
                if let Some(s) = self.slots[slot].as_mut() {
                    s.endpoint.relayed(now, &packet);
                    s.flush();
                }
            }
            Msg::Close(id) => self.close(id),
        }
    }

    fn peer_of(&self, link: &MediaLink) -> Option<Peer> {
        if link.worker.index != self.index {
            return Some(Peer::Remote(link.clone()));
        }
        let slot = *self.ids.get(&link.id)?;
        Some(Peer::Local { slot, id: link.id })
    }

    fn open(&mut self, now: Instant, open: Open) {
        let Open {
            id,
            sockets,
            params,
            speaks,
            events,
            on_exit,
            span,
        } = open;
        let MediaSockets { rtp, rtcp, port } = sockets;
        let slot = self.free.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        });
        let mut rtp = UdpSocket::from_std(rtp);
        let mut rtcp = UdpSocket::from_std(rtcp);
        let registry = self.poll.registry();
        if let Err(e) = registry
            .register(&mut rtp, Token(slot * 2), Interest::READABLE)
            .and_then(|()| registry.register(&mut rtcp, Token(slot * 2 + 1), Interest::READABLE))
        {
            span.in_scope(|| tracing::error!(error = %e, "media sockets unusable"));
            self.free.push(slot);
            self.load.fetch_sub(1, Ordering::Relaxed);
            drop((rtp, rtcp));
            on_exit(port, StreamQuality::default());
            return;
        }
        let mut s = Slot {
            id,
            rtp,
            rtcp,
            port,
            endpoint: Endpoint::new(params, speaks, events, now),
            deadline: None,
            on_exit: Some(on_exit),
        };
        schedule(&mut self.timers, slot, &mut s);
        self.slots[slot] = Some(s);
        self.ids.insert(id, slot);
    }

    fn close(&mut self, id: u64) {
        let Some(slot) = self.ids.remove(&id) else {
            return;
        };
        let Some(mut s) = self.slots[slot].take() else {
            return;
        };
        let registry = self.poll.registry();
        let _ = registry.deregister(&mut s.rtp);
        let _ = registry.deregister(&mut s.rtcp);
        let quality = s.endpoint.quality();
        let Slot {
            rtp,
            rtcp,
            port,
            on_exit,
            ..
        } = s;
        drop((rtp, rtcp));
        if let Some(f) = on_exit {
            f(port, quality);
        }
        self.free.push(slot);
        self.load.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Put the slot's next tick in the heap when it changed.
fn schedule(timers: &mut BinaryHeap<Reverse<(Instant, usize, u64)>>, slot: usize, s: &mut Slot) {
    let next = s.endpoint.deadline();
    if next != s.deadline {
        s.deadline = next;
        if let Some(at) = next {
            timers.push(Reverse((at, slot, s.id)));
        }
    }
}
