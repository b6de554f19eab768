//! The NATS JetStream broker: several nodes share one event space.
//!
//! - Every event is published to `ev.<account>.<call>.<type>` (see [`wire`]) and
//!   stored by one JetStream stream, [`STREAM`], over `ev.>`, bounded by the
//!   [`Retention`] (`max_msgs`, `max_age`).
//! - Ids are `epoch:0:seq`: `seq` is the JetStream stream sequence, so a resume id is
//!   a position in the stream and replay is exact; `epoch` is the stream's creation
//!   time in milliseconds, which changes when the stream is created anew (its
//!   sequences then start over). One shard: the stream is one sequence.
//! - Live delivery: the stream republishes every stored message to `live.ev.>` with
//!   its sequence in `Nats-Sequence`; each node has ONE core subscription there and
//!   hands every event to its [`Router`]. There is never a JetStream consumer per
//!   subscriber; replay uses a short-lived ephemeral consumer per call. A hole in the
//!   live sequence (messages republished while the node was reconnecting) is read from
//!   the stream after a short wait, so live subscribers still get every event in order.
//! - [`Broker::publish`] never waits: drafts go through a bounded queue to a task that
//!   publishes them in order; the stored copy coming back live is the acknowledgement
//!   (see [`publish`]).
//! - The connection, the publisher and the live subscription run on the broker's own
//!   thread, apart from the node's runtime.

mod publish;
mod reorder;
mod wire;

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::consumer::{pull, AckPolicy, DeliverPolicy};
use async_nats::jetstream::stream::{self, Republish};
use async_nats::jetstream::{self, Context};
use futures_util::StreamExt;
use switchyard_events::{BoxFuture, Broker, Draft, Error, EventId, Replay};
use switchyard_events::{Retention, Router};

use reorder::{Pushed, Reorder};
use switchyard_types::AccountSid;
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;

pub use publish::WINDOW as PUBLISH_WINDOW;
pub use wire::{LIVE_SUBJECTS, SUBJECTS};

/// The JetStream stream that is the replay log.
pub const STREAM: &str = "SWITCHYARD_EVENTS";
/// Drafts waiting to be published; past this, [`Broker::publish`] drops and counts.
const QUEUE: usize = 65_536;
/// Messages asked for at a time when reading the stream for a replay.
const REPLAY_BATCH: usize = 1_024;
/// Live messages read from the stream at most per hole; past that the live path skips
/// ahead rather than stall, and subscribers resume with replay.
const FILL_MAX: u64 = 1_000;

/// What the broker did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Drafts stored by JetStream: their stored copy came back on the live
    /// subscription (see [`publish`]).
    pub published: u64,
    /// Drafts that could not be sent (no connection, or a type no subject can carry).
    pub failed: u64,
    /// Drafts sent whose stored copy did not come back within the publisher's wait.
    pub unconfirmed: u64,
    /// Drafts dropped because the queue was full (NATS too slow or away).
    pub dropped: u64,
    /// Live messages that were not events of this broker (no sequence, bad body).
    pub malformed: u64,
    /// Live messages that came after their wait in the reordering buffer and were not
    /// delivered live (read from the stream meanwhile, or past retention).
    pub late: u64,
    /// Live messages that never came and were read from the stream instead.
    pub filled: u64,
}

#[derive(Debug, Default)]
struct Counters {
    published: AtomicU64,
    failed: AtomicU64,
    unconfirmed: AtomicU64,
    dropped: AtomicU64,
    malformed: AtomicU64,
    late: AtomicU64,
    filled: AtomicU64,
    /// Woken by every own event that comes back stored (the publisher's window).
    echo: tokio::sync::Notify,
}

/// A broker on a NATS server with JetStream.
#[derive(Debug)]
pub struct NatsBroker {
    js: Context,
    /// This node's id, in the `Sw-Node` header of what it publishes.
    node: String,
    epoch: Arc<AtomicU64>,
    tx: mpsc::Sender<Draft>,
    counters: Arc<Counters>,
    live: AbortHandle,
}

impl NatsBroker {
    /// Connect, ensure the JetStream stream exists, start the one live subscription of
    /// this node.
    ///
    /// The stream is created, or its limits updated to `retention` (the last node to
    /// connect sets them). Events published after this returns reach `router`.
    pub async fn connect(
        url: &str,
        router: Arc<Router>,
        retention: Retention,
    ) -> Result<Arc<NatsBroker>, Error> {
        let (ready_tx, ready_rx) = oneshot::channel();
        let url = url.to_owned();
        // The NATS connection, the publisher and the live subscription run on a thread
        // of their own: an event's way through the broker (queue, socket, server,
        // socket, router) never waits in the node's run queue behind the tasks writing
        // to subscribers, which is where it would spend its time under load.
        std::thread::Builder::new()
            .name("switchyard-nats".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(broker(e)));
                        return;
                    }
                };
                rt.block_on(async move {
                    match start(&url, router, retention).await {
                        Ok((broker, publish)) => {
                            let _ = ready_tx.send(Ok(broker));
                            // Ends when the broker is dropped (the queue closes) and
                            // the last events are flushed; the runtime, and the live
                            // task, go with it.
                            publish.await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
            })
            .map_err(broker)?;
        ready_rx
            .await
            .map_err(|_| Error::Broker("the NATS thread ended before connecting".into()))?
    }

    /// This node's id (the `Sw-Node` header of what it publishes).
    pub fn node(&self) -> &str {
        &self.node
    }

    /// The current epoch: the stream's creation time in milliseconds.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    pub fn stats(&self) -> Stats {
        let c = &self.counters;
        Stats {
            published: c.published.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
            unconfirmed: c.unconfirmed.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
            malformed: c.malformed.load(Ordering::Relaxed),
            late: c.late.load(Ordering::Relaxed),
            filled: c.filled.load(Ordering::Relaxed),
        }
    }

    async fn read_since(
        &self,
        account: AccountSid,
        root: AccountSid,
        after: EventId,
    ) -> Result<Replay, Error> {
        let stream = self.js.get_stream(STREAM).await.map_err(broker)?;
        let info = stream.cached_info();
        let epoch = epoch_of(info);
        self.epoch.store(epoch, Ordering::Release);
        let last = EventId::new(epoch, 0, info.state.last_sequence);
        // An empty stream reports first_seq 0 when new and last_seq + 1 once emptied.
        let first = if info.state.messages == 0 {
            last.seq + 1
        } else {
            info.state.first_sequence
        };
        let gap = switchyard_events::gap(after, last, first);
        let from = if gap.is_some() { first } else { after.seq + 1 };
        let events = if from > last.seq {
            Vec::new()
        } else {
            self.read(&stream, account, root, from, last).await?
        };
        Ok(Replay { gap, events, last })
    }

    /// The events `account` may see with sequences `from..=last.seq`, in stream order.
    async fn read(
        &self,
        stream: &stream::Stream,
        account: AccountSid,
        root: AccountSid,
        from: u64,
        last: EventId,
    ) -> Result<Vec<Arc<switchyard_events::Event>>, Error> {
        // A subaccount's events all have its subject prefix; a top-level account also
        // sees its subaccounts', which only the `Sw-Root` header tells.
        let filter_subject = if account == root {
            SUBJECTS.to_owned()
        } else {
            format!("ev.{account}.>")
        };
        let consumer = stream
            .create_consumer(pull::Config {
                deliver_policy: DeliverPolicy::ByStartSequence {
                    start_sequence: from,
                },
                ack_policy: AckPolicy::None,
                filter_subject,
                memory_storage: true,
                num_replicas: 1,
                // Removed by the server should the delete below not arrive.
                inactive_threshold: Duration::from_secs(30),
                ..Default::default()
            })
            .await
            .map_err(broker)?;
        let name = consumer.cached_info().name.clone();
        let mut events = Vec::new();
        let read = async {
            'batches: loop {
                let mut batch = consumer
                    .fetch()
                    .max_messages(REPLAY_BATCH)
                    .messages()
                    .await
                    .map_err(broker)?;
                let mut got = 0;
                while let Some(message) = batch.next().await {
                    let message = message.map_err(broker)?;
                    got += 1;
                    let meta = message.info().map_err(broker)?;
                    let seq = meta.stream_sequence;
                    if seq > last.seq {
                        break 'batches;
                    }
                    // Other top-level accounts' events are skipped unparsed.
                    if wire::root(message.headers.as_ref()) == Some(root) {
                        let id = EventId::new(last.epoch, 0, seq);
                        match wire::decode(&message.payload, id, root) {
                            Some(e) if switchyard_events::visible(account, &e) => {
                                events.push(Arc::new(e));
                            }
                            Some(_) => {}
                            None => tracing::warn!(seq, "malformed event in the stream"),
                        }
                    }
                    // The end is the last sequence, or an empty fetch when the filter
                    // matches nothing up to it. (Not the metadata's pending count:
                    // nats-server 2.9 reports it too low while a fetch is under way.)
                    if seq == last.seq {
                        break 'batches;
                    }
                }
                if got == 0 {
                    break;
                }
            }
            Ok::<_, Error>(())
        }
        .await;
        if let Err(e) = stream.delete_consumer(&name).await {
            tracing::debug!(error = %e, "replay consumer not deleted (it expires)");
        }
        read.map(|()| events)
    }
}

impl Drop for NatsBroker {
    fn drop(&mut self) {
        self.live.abort();
    }
}

impl Broker for NatsBroker {
    fn publish(&self, draft: Draft) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.tx.try_send(draft) {
            let n = self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            if (n + 1).is_power_of_two() {
                tracing::warn!(dropped = n + 1, "NATS publish queue full: events dropped");
            }
        }
    }

    fn replay(
        &self,
        account: AccountSid,
        root: AccountSid,
        after: EventId,
    ) -> BoxFuture<'_, Result<Replay, Error>> {
        Box::pin(self.read_since(account, root, after))
    }

    fn name(&self) -> &'static str {
        "nats"
    }
}

/// Connect, ensure the stream, subscribe and start the live task (on the calling
/// runtime: the broker's own thread). Returns the broker and its publisher, to be run.
async fn start(
    url: &str,
    router: Arc<Router>,
    retention: Retention,
) -> Result<(Arc<NatsBroker>, impl std::future::Future<Output = ()>), Error> {
    let client = async_nats::connect(url).await.map_err(broker)?;
    let js = jetstream::new(client.clone());
    let info = js
        .create_or_update_stream(stream_config(retention))
        .await
        .map_err(broker)?;
    let epoch = Arc::new(AtomicU64::new(epoch_of(&info)));
    // The first sequence this node is to deliver live: anything stored later.
    let first_live = info.state.last_sequence + 1;
    let node = node_id();
    let counters = Arc::<Counters>::default();

    let subscriber = client.subscribe(LIVE_SUBJECTS).await.map_err(broker)?;
    // The server has the subscription once it answers a ping: nothing stored after
    // connect returns can be republished before it.
    client.flush().await.map_err(broker)?;
    let live = tokio::spawn(live(
        subscriber,
        Reorder::starting_at(first_live),
        router,
        js.clone(),
        epoch.clone(),
        node.clone(),
        counters.clone(),
    ))
    .abort_handle();

    let (tx, rx) = mpsc::channel(QUEUE);
    let publish = publish::publisher(client, rx, node.clone(), counters.clone());
    let broker = Arc::new(NatsBroker {
        js,
        node,
        epoch,
        tx,
        counters,
        live,
    });
    Ok((broker, publish))
}

fn stream_config(retention: Retention) -> stream::Config {
    stream::Config {
        name: STREAM.to_owned(),
        subjects: vec![SUBJECTS.to_owned()],
        max_messages: i64::try_from(retention.max_events).unwrap_or(i64::MAX),
        max_bytes: -1,
        max_age: Duration::from_millis(retention.max_age_ms),
        storage: stream::StorageType::File,
        discard: stream::DiscardPolicy::Old,
        num_replicas: 1,
        republish: Some(Republish {
            source: SUBJECTS.to_owned(),
            destination: LIVE_SUBJECTS.to_owned(),
            headers_only: false,
        }),
        ..Default::default()
    }
}

/// The stream's creation time in unix milliseconds: a new stream, a new epoch.
fn epoch_of(info: &stream::Info) -> u64 {
    u64::try_from(info.created.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

/// A random id for this node's connection.
fn node_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let h = RandomState::new().hash_one((nanos, std::process::id()));
    format!("{h:016x}")
}

fn broker(e: impl std::fmt::Display) -> Error {
    Error::Broker(e.to_string())
}

/// The node's one live subscription: republished messages to the router, in stream
/// order.
async fn live(
    mut subscriber: async_nats::Subscriber,
    mut order: Reorder<(Arc<switchyard_events::Event>, bool)>,
    router: Arc<Router>,
    js: Context,
    epoch: Arc<AtomicU64>,
    node: String,
    counters: Arc<Counters>,
) {
    let mut live_epoch = epoch.load(Ordering::Acquire);
    loop {
        let deadline = order.deadline();
        let message = tokio::select! {
            m = subscriber.next() => match m {
                Some(m) => m,
                None => break,
            },
            _ = sleep_until(deadline) => {
                fill(&mut order, &js, &epoch, &node, &router, &counters).await;
                for (event, local) in order.expire(std::time::Instant::now()) {
                    deliver(&router, &counters, &event, local);
                }
                continue;
            }
        };
        let headers = message.headers.as_ref();
        let seq = headers
            .and_then(|h| h.get(async_nats::header::NATS_SEQUENCE))
            .and_then(|v| v.as_str().parse::<u64>().ok());
        let (Some(seq), Some(root)) = (seq, wire::root(headers)) else {
            counters.malformed.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let local = wire::from_node(headers, &node);
        // Decoded with the epoch of the moment; a restart re-reads it below.
        let decode = |epoch: u64| {
            let id = EventId::new(epoch, 0, seq);
            wire::decode(&message.payload, id, root).map(|e| (Arc::new(e), local))
        };
        let Some(item) = decode(epoch.load(Ordering::Acquire)) else {
            counters.malformed.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let ready = match order.push(seq, item, std::time::Instant::now()) {
            Pushed::Ready(ready) => ready,
            Pushed::Behind(_)
                if seq == 1 && stream_made_anew(&js, &mut live_epoch, &epoch).await =>
            {
                // Sequences started over with a new epoch (stored by stream_made_anew).
                order.restart(1);
                let Some(item) = decode(epoch.load(Ordering::Acquire)) else {
                    continue;
                };
                match order.push(seq, item, std::time::Instant::now()) {
                    Pushed::Ready(ready) => ready,
                    Pushed::Behind(_) => continue,
                }
            }
            Pushed::Behind(_) => {
                // Past its wait: it was read from the stream meanwhile (or is past
                // retention); delivering it now would break the order subscribers
                // rely on.
                counters.late.fetch_add(1, Ordering::Relaxed);
                continue;
            }
        };
        for (event, local) in ready {
            deliver(&router, &counters, &event, local);
        }
    }
    tracing::warn!("NATS live subscription ended");
}

/// Whether the stream was made anew since `live_epoch`, the epoch the live position
/// counts in (a sequence 1 behind that position is then the new stream's first
/// message, not a late one). The replay path may have stored the new epoch already, so
/// the live task compares with its own; both are updated.
async fn stream_made_anew(js: &Context, live_epoch: &mut u64, epoch: &AtomicU64) -> bool {
    match js.get_stream(STREAM).await {
        Ok(s) => {
            let now = epoch_of(s.cached_info());
            epoch.store(now, Ordering::Release);
            std::mem::replace(live_epoch, now) != now
        }
        Err(e) => {
            tracing::warn!(error = %e, "stream info for a sequence 1 behind the live position");
            false
        }
    }
}

/// Hand a stored event to the router. One of this node's own is also the confirmation
/// that JetStream stored what the publisher sent (counted first, so whoever sees the
/// delivery sees the count).
fn deliver(
    router: &Router,
    counters: &Counters,
    event: &Arc<switchyard_events::Event>,
    local: bool,
) {
    if local {
        counters.published.fetch_add(1, Ordering::Relaxed);
        counters.echo.notify_one();
    }
    router.deliver(event, local);
}

/// Read the messages the live subscription missed from the stream and deliver them
/// with whatever they release (see [`reorder::fill`]).
async fn fill(
    order: &mut Reorder<(Arc<switchyard_events::Event>, bool)>,
    js: &Context,
    epoch: &AtomicU64,
    node: &str,
    router: &Router,
    counters: &Counters,
) {
    if order.missing().is_empty() {
        return;
    }
    let stream = match js.get_stream(STREAM).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "live hole not filled: stream info");
            return;
        }
    };
    let read = |seq: u64| {
        let stream = &stream;
        async move {
            let message = match stream.get_raw_message(seq).await {
                Ok(m) => m,
                Err(e) => {
                    tracing::debug!(seq, error = %e, "live hole not filled");
                    return None;
                }
            };
            let headers = Some(&message.headers);
            let id = EventId::new(epoch.load(Ordering::Acquire), 0, seq);
            let event = wire::decode(&message.payload, id, wire::root(headers)?)?;
            Some((Arc::new(event), wire::from_node(headers, node)))
        }
    };
    let now = std::time::Instant::now();
    let filled = reorder::fill(order, now, FILL_MAX, read, |(event, local)| {
        deliver(router, counters, &event, local);
    })
    .await;
    counters.filled.fetch_add(filled, Ordering::Relaxed);
}

async fn sleep_until(deadline: Option<std::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}
