//! A stream's ends on the leg's media thread: the tap that queues the leg's audio as
//! 8 kHz µ-law frames for the socket, and the source that plays what the server sent.
//! Both only lock a small queue for a moment; the socket task does the waiting.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use switchyard_media::codec::Feed;
use switchyard_media::g711::{ulaw_decode, ulaw_encode};
use switchyard_media::leg::{Source, Tap};
use switchyard_streams::{DropOldest, Playback, Track, FRAME_BYTES};
use tokio::sync::{mpsc, Notify};

/// Frames a stream may have waiting for its socket: 5 s of both tracks. Past that the
/// oldest go (and a buffer-overflow warning is reported).
const TAP_FRAMES: usize = 500;

/// One 20 ms frame of one track, as captured.
#[derive(Debug)]
pub struct TapFrame {
    pub track: Track,
    pub at: Instant,
    pub mulaw: [u8; FRAME_BYTES],
}

/// The frames between the tap and the socket task.
#[derive(Debug)]
pub struct TapQueue {
    pub frames: Mutex<DropOldest<TapFrame>>,
    pub ready: Notify,
}

impl TapQueue {
    pub fn new() -> Arc<Self> {
        Arc::new(TapQueue {
            frames: Mutex::new(DropOldest::new(TAP_FRAMES)),
            ready: Notify::new(),
        })
    }
}

/// Converts one track from the leg's rate to 8 kHz frames.
struct TrackFeed {
    track: Track,
    feed: Feed,
    pcm: Vec<i16>,
}

impl TrackFeed {
    fn new(track: Track) -> Self {
        TrackFeed {
            track,
            feed: Feed::with_depth(8000, 4),
            pcm: vec![0; FRAME_BYTES],
        }
    }

    fn push(&mut self, rate: u32, pcm: &[i16], queue: &TapQueue) {
        self.feed.push(rate, pcm);
        let mut pushed = false;
        while self.feed.buffered() >= FRAME_BYTES {
            self.feed.next_frame(&mut self.pcm);
            let mut mulaw = [0u8; FRAME_BYTES];
            for (m, s) in mulaw.iter_mut().zip(&self.pcm) {
                *m = ulaw_encode(*s);
            }
            let frame = TapFrame {
                track: self.track,
                at: Instant::now(),
                mulaw,
            };
            if let Ok(mut frames) = queue.frames.lock() {
                frames.push(frame);
                pushed = true;
            }
        }
        if pushed {
            queue.ready.notify_one();
        }
    }
}

/// The leg's audio for one stream.
pub struct StreamTap {
    queue: Arc<TapQueue>,
    inbound: Option<TrackFeed>,
    outbound: Option<TrackFeed>,
}

impl StreamTap {
    pub fn new(queue: Arc<TapQueue>, inbound: bool, outbound: bool) -> Self {
        StreamTap {
            queue,
            inbound: inbound.then(|| TrackFeed::new(Track::Inbound)),
            outbound: outbound.then(|| TrackFeed::new(Track::Outbound)),
        }
    }
}

impl Tap for StreamTap {
    fn wants_inbound(&self) -> bool {
        self.inbound.is_some()
    }

    fn inbound(&mut self, rate: u32, pcm: &[i16]) {
        if let Some(t) = self.inbound.as_mut() {
            t.push(rate, pcm, &self.queue);
        }
    }

    fn outbound(&mut self, rate: u32, pcm: &[i16]) {
        if let Some(t) = self.outbound.as_mut() {
            t.push(rate, pcm, &self.queue);
        }
    }
}

/// What a bidirectional stream's server sent, played to the leg.
pub struct StreamSource {
    playback: Arc<Mutex<Playback>>,
    /// Marks whose audio has played, to the socket task.
    marks: mpsc::UnboundedSender<String>,
    reached: Vec<String>,
    pcm: Vec<i16>,
    /// For a leg whose rate is not 8 kHz.
    feed: Option<Feed>,
}

impl StreamSource {
    pub fn new(playback: Arc<Mutex<Playback>>, marks: mpsc::UnboundedSender<String>) -> Self {
        StreamSource {
            playback,
            marks,
            reached: Vec::new(),
            pcm: vec![0; FRAME_BYTES],
            feed: None,
        }
    }
}

impl Source for StreamSource {
    fn next_frame(&mut self, rate: u32, pcm: &mut [i16]) -> bool {
        let mut frame = [0u8; FRAME_BYTES];
        let audio = match self.playback.lock() {
            Ok(mut p) => p.next_frame(&mut frame, &mut self.reached),
            Err(_) => false,
        };
        for mark in self.reached.drain(..) {
            let _ = self.marks.send(mark);
        }
        if !audio {
            return false;
        }
        for (s, m) in self.pcm.iter_mut().zip(frame) {
            *s = ulaw_decode(m);
        }
        if rate == 8000 {
            pcm.copy_from_slice(&self.pcm);
            return true;
        }
        let feed = match &mut self.feed {
            Some(f) if f.rate() == rate => f,
            slot => slot.insert(Feed::new(rate)),
        };
        feed.push(8000, &self.pcm);
        feed.next_frame(pcm);
        true
    }
}
