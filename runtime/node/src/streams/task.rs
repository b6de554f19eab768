//! One stream's task: connect, send `connected` and `start`, then move frames to the
//! socket and the server's messages to the playback queue until the stream ends.
//!
//! The task never holds up the call: the tap drops the oldest frames while the socket
//! is behind, and a server that stops reading (a write pending for
//! [`STALL`]) or that sends what the protocol does not allow ends the stream, not the
//! call.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use switchyard_call::AppFailure;
use switchyard_streams::{codes, parse, Incoming, Outgoing, Playback, ProtocolError};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use super::media::TapQueue;
use super::socket::{connect, Socket};
use super::{Command, Report, StreamSetup};

/// A write the server does not take, or a ping it does not answer, within this long
/// ends the stream.
pub const STALL: Duration = Duration::from_secs(5);

/// How often the server is pinged: a server that stops reading stops answering (its
/// pongs are written by its reader), long before the socket's buffers fill up.
const PING_EVERY: Duration = Duration::from_secs(1);

/// Ends of the stream's queues the task reads or fills.
pub struct Ends {
    pub taps: Arc<TapQueue>,
    pub playback: Arc<Mutex<Playback>>,
    pub marks: mpsc::UnboundedReceiver<String>,
    pub commands: mpsc::UnboundedReceiver<Command>,
    pub reports: mpsc::UnboundedSender<Report>,
}

pub async fn run(setup: StreamSetup, mut ends: Ends) {
    let sid = setup.request.sid;
    let report = |r| {
        let _ = ends.reports.send(r);
    };
    let mut socket = match connect(&setup.request.url, &setup.signer).await {
        Ok(s) => s,
        Err(failure) => return report(Report::Ended(sid, Some(failure))),
    };
    let mut out = Outgoing::new(setup.start);
    let hello = [out.connected(), out.start()];
    for text in hello {
        if let Err(failure) = send(&mut socket, text).await {
            return report(Report::Ended(sid, Some(failure)));
        }
    }
    let started = Instant::now();
    report(Report::Started(sid));
    let bidirectional = setup.request.bidirectional;
    let mut warned = false;
    let mut keepalive = tokio::time::interval(PING_EVERY);
    keepalive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut last_pong = Instant::now();
    let outcome: Result<Option<()>, AppFailure> = loop {
        tokio::select! {
            command = ends.commands.recv() => match command {
                Some(Command::Digit(d)) => {
                    if let Err(f) = send(&mut socket, out.dtmf(d)).await { break Err(f); }
                }
                // Stopped by the call (or the call is gone): `stop`, then close.
                Some(Command::Stop) | None => break Ok(None),
            },
            _ = ends.taps.ready.notified() => {
                let (frames, dropped) = match ends.taps.frames.lock() {
                    Ok(mut q) => (std::iter::from_fn(|| q.pop()).collect::<Vec<_>>(), q.take_dropped()),
                    Err(_) => (Vec::new(), 0),
                };
                if dropped > 0 && !warned {
                    warned = true;
                    report(Report::Warning(AppFailure {
                        code: codes::BUFFER_OVERFLOW,
                        message: format!("stream {sid}: the server fell behind; {dropped} frames of audio were dropped"),
                    }));
                }
                let mut failed = None;
                for f in frames {
                    let ms = f.at.saturating_duration_since(started).as_millis() as u64;
                    if let Err(e) = feed(&mut socket, out.media(f.track, ms, &f.mulaw)).await {
                        failed = Some(e);
                        break;
                    }
                }
                if let Some(f) = failed { break Err(f); }
                if let Err(f) = flush(&mut socket).await { break Err(f); }
            },
            _ = keepalive.tick() => {
                if last_pong.elapsed() > STALL {
                    break Err(stalled());
                }
                let ping = tokio::time::timeout(STALL, socket.send(Message::Ping(Default::default())));
                match ping.await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => break Err(broken(e)),
                    Err(_) => break Err(stalled()),
                }
            },
            Some(name) = ends.marks.recv() => {
                if let Err(f) = send(&mut socket, out.mark(&name)).await { break Err(f); }
            },
            message = socket.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let marks = match received(&text, bidirectional, &ends.playback) {
                        Ok(marks) => marks,
                        Err(f) => break Err(f),
                    };
                    let mut failed = None;
                    for name in marks {
                        if let Err(e) = feed(&mut socket, out.mark(&name)).await { failed = Some(e); break; }
                    }
                    if let Some(f) = failed { break Err(f); }
                    if let Err(f) = flush(&mut socket).await { break Err(f); }
                }
                Some(Ok(Message::Binary(_))) => break Err(protocol(ProtocolError::Binary)),
                Some(Ok(Message::Close(_))) | None => break Ok(Some(())),
                Some(Ok(Message::Pong(_))) => last_pong = Instant::now(),
                Some(Ok(_)) => {}
                Some(Err(e)) => break Err(broken(e)),
            },
        }
    };
    match outcome {
        // Closed by the server: the stream is over.
        Ok(Some(())) => report(Report::Ended(sid, None)),
        // Stopped by the call: it already knows.
        Ok(None) => {
            let _ = tokio::time::timeout(STALL, async {
                let _ = socket.send(Message::text(out.stop())).await;
                let _ = socket.close(None).await;
            })
            .await;
        }
        Err(failure) => {
            report(Report::Ended(sid, Some(failure)));
            let _ = tokio::time::timeout(Duration::from_secs(1), async {
                let _ = socket.send(Message::text(out.stop())).await;
                let _ = socket.close(None).await;
            })
            .await;
        }
    }
}

/// A server message applied to the playback queue; the marks to return at once.
fn received(
    text: &str,
    bidirectional: bool,
    playback: &Mutex<Playback>,
) -> Result<Vec<String>, AppFailure> {
    let incoming = parse(text).map_err(protocol)?;
    // Twilio: on a <Start><Stream>, "do not send audio or control messages back".
    if !bidirectional {
        return Err(AppFailure {
            code: codes::PROTOCOL,
            message: "a one-way stream's server sent a message; only <Connect><Stream> takes media, mark and clear".into(),
        });
    }
    let Ok(mut p) = playback.lock() else {
        return Ok(Vec::new());
    };
    match incoming {
        Incoming::Media(audio) => p.audio(audio).map(|()| Vec::new()).map_err(|e| AppFailure {
            code: codes::BUFFER_OVERFLOW,
            message: e.to_string(),
        }),
        Incoming::Mark(name) => {
            p.mark(name);
            Ok(Vec::new())
        }
        Incoming::Clear => Ok(p.clear()),
    }
}

fn protocol(e: ProtocolError) -> AppFailure {
    AppFailure {
        code: codes::PROTOCOL,
        message: e.to_string(),
    }
}

fn broken(e: impl std::fmt::Display) -> AppFailure {
    AppFailure {
        code: codes::BROKEN_PIPE,
        message: format!("the stream's connection broke: {e}"),
    }
}

fn stalled() -> AppFailure {
    AppFailure {
        code: codes::BUFFER_OVERFLOW,
        message: format!(
            "the server stopped reading: no data taken and no ping answered for {} s",
            STALL.as_secs()
        ),
    }
}

async fn send(socket: &mut Socket, text: String) -> Result<(), AppFailure> {
    feed(socket, text).await?;
    flush(socket).await
}

async fn feed(socket: &mut Socket, text: String) -> Result<(), AppFailure> {
    match tokio::time::timeout(STALL, socket.feed(Message::text(text))).await {
        Ok(r) => r.map_err(broken),
        Err(_) => Err(stalled()),
    }
}

async fn flush(socket: &mut Socket) -> Result<(), AppFailure> {
    match tokio::time::timeout(STALL, socket.flush()).await {
        Ok(r) => r.map_err(broken),
        Err(_) => Err(stalled()),
    }
}
