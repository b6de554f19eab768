//! The benchmark's own webhook: a fixed-TwiML HTTP server on 127.0.0.1:0.
//!
//! It runs on its own thread and single-threaded runtime so that its answer time does
//! not depend on how busy the benchmark's RTP receiver is.

use anyhow::{Context, Result};
use axum::{
    extract::State,
    http::header,
    response::IntoResponse,
    routing::{get, post},
    Router,
};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::oneshot;

/// Path of the TwiML that says "Hello" and hangs up.
pub const SAY_PATH: &str = "/say";
/// Path of the TwiML that plays the tone and hangs up.
pub const PLAY_PATH: &str = "/play";
const WAV_PATH: &str = "/audio/tone.wav";

struct Shared {
    play_twiml: String,
    wav: Vec<u8>,
    hits: AtomicU64,
    wav_hits: AtomicU64,
}

/// A running webhook; stopped when dropped.
pub struct Webhook {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

// By hand, so that debugging output does not print the WAV.
impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook").field("addr", &self.addr).finish()
    }
}

impl Webhook {
    /// Binds 127.0.0.1:0 and serves `/say`, `/play` (a `wav_seconds` 440 Hz WAV) and
    /// `/status`.
    pub fn start(wav_seconds: u32) -> Result<Webhook> {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let shared = Arc::new(Shared {
            play_twiml: twiml(&format!("<Play>http://{addr}{WAV_PATH}</Play><Hangup/>")),
            wav: tone_wav(wav_seconds, 440.0),
            hits: AtomicU64::new(0),
            wav_hits: AtomicU64::new(0),
        });
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let state = shared.clone();
        let thread = std::thread::Builder::new()
            .name("webhook".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => return eprintln!("webhook runtime: {e}"),
                };
                rt.block_on(async move {
                    let app = Router::new()
                        .route(SAY_PATH, post(say))
                        .route(PLAY_PATH, post(play))
                        .route(WAV_PATH, get(wav))
                        .route("/status", post(|| async { "" }))
                        .with_state(state);
                    let listener = match tokio::net::TcpListener::from_std(std_listener) {
                        Ok(l) => l,
                        Err(e) => return eprintln!("webhook listener: {e}"),
                    };
                    let _ = axum::serve(listener, app)
                        .with_graceful_shutdown(async {
                            let _ = stop_rx.await;
                        })
                        .await;
                });
            })
            .context("spawning the webhook thread")?;
        Ok(Webhook {
            addr,
            shared,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// TwiML requests answered so far (`/say` and `/play`).
    pub fn hits(&self) -> u64 {
        self.shared.hits.load(Ordering::Relaxed)
    }

    /// Times the WAV was downloaded (1 when the node's media cache works).
    pub fn wav_hits(&self) -> u64 {
        self.shared.wav_hits.load(Ordering::Relaxed)
    }
}

impl Drop for Webhook {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

type Ctx = State<Arc<Shared>>;

async fn say(State(s): Ctx) -> impl IntoResponse {
    s.hits.fetch_add(1, Ordering::Relaxed);
    xml(twiml("<Say>Hello</Say><Hangup/>"))
}

async fn play(State(s): Ctx) -> impl IntoResponse {
    s.hits.fetch_add(1, Ordering::Relaxed);
    xml(s.play_twiml.clone())
}

async fn wav(State(s): Ctx) -> impl IntoResponse {
    s.wav_hits.fetch_add(1, Ordering::Relaxed);
    (
        [
            (header::CONTENT_TYPE, "audio/wav"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        s.wav.clone(),
    )
}

fn xml(body: String) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/xml")], body)
}

fn twiml(verbs: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>{verbs}</Response>")
}

/// A RIFF/WAVE file: 8 kHz, 16-bit signed little-endian, mono, a sine at `hz`.
pub fn tone_wav(seconds: u32, hz: f64) -> Vec<u8> {
    const RATE: u32 = 8000;
    let samples: Vec<i16> = (0..RATE * seconds)
        .map(|n| {
            let t = f64::from(n) / f64::from(RATE);
            (0.5 * f64::from(i16::MAX) * (2.0 * std::f64::consts::PI * hz * t).sin()) as i16
        })
        .collect();
    switchyard_media::wav_bytes(&samples, RATE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wav_header_matches_its_data() {
        let w = tone_wav(2, 440.0);
        assert_eq!(&w[0..4], b"RIFF");
        assert_eq!(w.len(), 44 + 2 * 8000 * 2);
        let riff_len = u32::from_le_bytes(w[4..8].try_into().unwrap());
        assert_eq!(riff_len as usize, w.len() - 8);
        let data_len = u32::from_le_bytes(w[40..44].try_into().unwrap());
        assert_eq!(data_len as usize, w.len() - 44);
    }
}
