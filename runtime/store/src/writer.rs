//! The single writer thread. Everything that writes goes through it, so writes are
//! serialized without SQLite's busy-waiting, and what arrives together is committed in one
//! transaction (one WAL append) however many records it holds.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::{Connection, Transaction};

use crate::recordings::RecordingRecord;
use crate::records::{CallRecord, NotificationRecord};
use crate::{calls, notifications, recordings, Error};

/// A write that someone waits for: it runs on the writer's connection inside the batch's
/// transaction and returns how many rows it changed.
pub(crate) type Job = Box<dyn FnOnce(&Connection) -> Result<usize, Error> + Send>;

/// Where a waited-for write's outcome goes once its transaction has committed.
pub(crate) type Reply = mpsc::Sender<Result<usize, Error>>;

pub(crate) enum Write {
    /// A background call update from the call path.
    Call(Box<CallRecord>),
    /// A background notification.
    Notification(Box<NotificationRecord>),
    /// A background recording update from the media path.
    Recording(Box<RecordingRecord>),
    /// A background replacement of one identity's registrar bindings.
    Bindings(Box<crate::bindings::BindingSet>),
    /// A call's module spans, written when it ends.
    Modules(Vec<crate::ModuleSpanRecord>),
    /// A background change of a queue's definition.
    Queue(Box<crate::QueueWrite>),
    /// Answered once every earlier write is committed.
    Flush(mpsc::Sender<()>),
    /// A write whose caller waits for its commit.
    Job(Job, Reply),
}

/// Most writes gathered into one transaction. Under a backlog, bigger transactions mean
/// fewer commits and fewer WAL checkpoints (each of which syncs the file), which is what
/// bounds bulk throughput; the cap bounds how long a waiting caller shares a batch.
const MAX_BATCH: usize = 8192;

/// How long a batch of background records (nobody waits for them) stays open for more.
/// Under a busy call path each call's few updates would otherwise commit one by one: the
/// commit, not the rows, was the writer's main cost. A waited-for write closes the batch
/// at once, so no caller waits for the linger.
const LINGER: Duration = Duration::from_millis(2);

impl Write {
    fn is_background(&self) -> bool {
        matches!(
            self,
            Write::Call(_)
                | Write::Notification(_)
                | Write::Recording(_)
                | Write::Bindings(_)
                | Write::Modules(_)
                | Write::Queue(_)
        )
    }
}

pub(crate) fn spawn(mut conn: Connection) -> (mpsc::Sender<Write>, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel::<Write>();
    let handle = std::thread::Builder::new()
        .name("store-writer".into())
        .spawn(move || {
            while let Ok(first) = rx.recv() {
                let mut batch = vec![first];
                batch.extend(rx.try_iter().take(MAX_BATCH - 1));
                if batch.iter().all(Write::is_background) {
                    linger(&rx, &mut batch);
                }
                run_batch(&mut conn, batch);
            }
        })
        .expect("spawning the store writer thread");
    (tx, handle)
}

/// Adds what arrives within [`LINGER`] to a batch of background records, until a
/// waited-for write arrives or the batch is full.
fn linger(rx: &mpsc::Receiver<Write>, batch: &mut Vec<Write>) {
    let until = Instant::now() + LINGER;
    while batch.len() < MAX_BATCH {
        let Ok(w) = rx.recv_timeout(until.saturating_duration_since(Instant::now())) else {
            return;
        };
        let waited_for = !w.is_background();
        batch.push(w);
        if waited_for {
            return;
        }
    }
}

/// Run one batch in one transaction and answer its waiters after the commit (never
/// before: an answer is a durability promise).
fn run_batch(conn: &mut Connection, batch: Vec<Write>) {
    let mut replies = Vec::new();
    let mut flushes = Vec::new();
    let committed = conn.transaction().and_then(|mut tx| {
        for w in batch {
            match w {
                Write::Call(c) => background(&mut tx, "call", |t| calls::upsert(t, &c)),
                Write::Notification(n) => {
                    background(&mut tx, "notification", |t| notifications::upsert(t, &n))
                }
                Write::Recording(r) => {
                    background(&mut tx, "recording", |t| recordings::upsert(t, &r))
                }
                Write::Bindings(set) => {
                    // Several statements: undone together if one fails.
                    if let Err(e) =
                        in_savepoint(&mut tx, |t| Ok(crate::bindings::replace(t, &set)?))
                    {
                        tracing::error!(error = %e, "store background write of bindings failed");
                    }
                }
                Write::Modules(spans) => {
                    for s in &spans {
                        background(&mut tx, "module span", |t| crate::modules::insert(t, s));
                    }
                }
                Write::Queue(q) => background(&mut tx, "queue", |t| crate::queues::write(t, &q)),
                Write::Flush(done) => flushes.push(done),
                Write::Job(job, reply) => {
                    let outcome = in_savepoint(&mut tx, |t| job(t));
                    replies.push((reply, outcome));
                }
            }
        }
        tx.commit()
    });
    match committed {
        Ok(()) => {
            for (reply, outcome) in replies {
                let _ = reply.send(outcome);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "store commit failed");
            for (reply, _) in replies {
                let _ = reply.send(Err(Error::Writer(e.to_string())));
            }
        }
    }
    for done in flushes {
        let _ = done.send(());
    }
}

/// A background write nobody waits for: a failure is logged and undone alone, so one bad
/// record never takes the rest of its batch down with it. The write is one statement, and
/// SQLite undoes a failed statement by itself without ending the transaction, so no
/// savepoint is needed (a savepoint per record costs a sub-journal copy of every page it
/// touches, which made bulk call writes several times slower).
fn background(
    tx: &mut Transaction<'_>,
    what: &str,
    write: impl FnOnce(&Connection) -> rusqlite::Result<usize>,
) {
    if let Err(e) = write(tx) {
        tracing::error!(error = %e, what, "store background write failed");
    }
}

/// Run `write` in a savepoint: kept on success, rolled back on error.
fn in_savepoint(
    tx: &mut Transaction<'_>,
    write: impl FnOnce(&Connection) -> Result<usize, Error>,
) -> Result<usize, Error> {
    let sp = tx.savepoint()?;
    let outcome = write(&sp)?;
    // Dropping an uncommitted savepoint (the `?` above) rolls it back.
    sp.commit()?;
    Ok(outcome)
}
