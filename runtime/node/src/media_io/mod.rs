//! The media engine: one worker thread per core, each owning the sockets, 20 ms ticks
//! and sans-IO [`RtpSession`](switchyard_rtp::RtpSession)s of many legs (see
//! [`worker`]). A call's session holds a [`MediaHandle`] and talks to its leg's media by
//! [`MediaCommand`]s; the media answers with [`MediaEvent`]s.

mod bridge;
#[cfg(test)]
mod containment_tests;
mod endpoint;
mod recv;
mod tenant;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod transcode_tests;
mod worker;

pub use bridge::MediaLink;
use switchyard_media::leg::{Source, Speaks, Tap};
pub use tenant::TenantTranscoder;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use switchyard_call::MediaToken;
use switchyard_media::AudioStream;
use tokio::sync::mpsc;

use crate::metrics::StreamQuality;
use crate::ports::MediaSockets;
use worker::{Msg, Open, WorkerHandle};

/// What the negotiation decided for the stream.
pub type MediaParams = switchyard_media::leg::LegParams;

#[derive(Debug)]
pub enum MediaCommand {
    Configure(MediaParams),
    Play {
        token: MediaToken,
        stream: AudioStream,
        repeat: u32,
    },
    Stop,
    /// Join media both ways with another leg (`None`: stop, and play again): packets
    /// relayed as they are when the legs speak the same codec (or both G.711), decoded
    /// and re-encoded at the leg boundary otherwise.
    Bridge(Option<MediaLink>),
    /// Send DTMF as RFC 4733 events (`w`: half a second of pause).
    Digits(String),
    /// Run a tenant's Wasm transcoder on the leg's audio, both directions.
    Transcoder(Box<TenantTranscoder>),
    /// Let a tap (a Media Stream, a recorder) hear the leg, under this id.
    AddTap(u64, Boxed<dyn Tap>),
    /// The tap added under this id hears no more.
    RemoveTap(u64),
    /// Play a source's audio instead of the player's (`None`: the player again).
    Source(Option<Boxed<dyn Source>>),
}

/// A tap or source on its way to a leg.
pub struct Boxed<T: ?Sized>(pub Box<T>);

impl<T: ?Sized> std::fmt::Debug for Boxed<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Boxed(..)")
    }
}

/// What a leg's media reports to its session.
pub type MediaEvent = switchyard_media::leg::LegEvent<MediaToken>;

/// The media workers, one per core.
pub struct MediaEngine {
    workers: Vec<Arc<WorkerHandle>>,
    next_id: AtomicU64,
}

impl std::fmt::Debug for MediaEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaEngine")
            .field("workers", &self.workers.len())
            .finish()
    }
}

impl MediaEngine {
    /// One worker per core, away from the signalling, webhook and HTTP work, so pacing
    /// never queues behind them.
    pub fn start() -> std::io::Result<Self> {
        Self::with_workers(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    pub fn with_workers(n: usize) -> std::io::Result<Self> {
        Ok(Self {
            workers: (0..n.max(1)).map(worker::start).collect::<Result<_, _>>()?,
            next_id: AtomicU64::new(1),
        })
    }

    /// Start one leg's media on the worker of `near` (the leg it will be bridged to, so
    /// the bridge stays on one thread), else on the least loaded worker. Its ports
    /// return through `on_exit` when its handle is dropped, with what the stream received.
    pub fn spawn(
        &self,
        sockets: MediaSockets,
        params: MediaParams,
        events: mpsc::UnboundedSender<MediaEvent>,
        near: Option<&MediaLink>,
        on_exit: impl FnOnce(u16, StreamQuality) + Send + 'static,
    ) -> MediaHandle {
        let worker = match near {
            Some(link) => link.worker.clone(),
            None => self
                .workers
                .iter()
                .min_by_key(|w| w.load.load(Ordering::Relaxed))
                .cloned()
                .expect("at least one media worker"),
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        worker.load.fetch_add(1, Ordering::Relaxed);
        let speaks = Arc::new(Speaks::new(params.codec));
        worker.post(Msg::Open(Box::new(Open {
            id,
            sockets,
            params,
            speaks: speaks.clone(),
            events,
            on_exit: Box::new(on_exit),
            span: tracing::Span::current(),
        })));
        MediaHandle {
            link: MediaLink { worker, id, speaks },
        }
    }
}

/// The session's handle on its leg's media; dropping it closes the sockets.
#[derive(Debug)]
pub struct MediaHandle {
    link: MediaLink,
}

impl MediaHandle {
    pub fn send(&self, cmd: MediaCommand) {
        self.link.send(cmd);
    }

    /// How another call's session reaches this leg's media (to bridge it).
    pub fn link(&self) -> MediaLink {
        self.link.clone()
    }
}

impl Drop for MediaHandle {
    fn drop(&mut self) {
        self.link.worker.post(Msg::Close(self.link.id));
    }
}
