//! Media Streams on the node: one task per stream (see [`task`]) with its WebSocket,
//! the leg's tap and source (see [`media`]), and the stream status callbacks. What a
//! stream means to the call (how many, which ends the `<Connect>`, what is reported) is
//! the executor's; this module opens, moves bytes and reports back.

mod media;
mod socket;
mod task;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use switchyard_call::{AppFailure, StreamRequest};
use switchyard_instructions::HttpMethod;
use switchyard_media::leg::{Source, Tap};
use switchyard_streams::{Playback, StreamStart, Track};
use switchyard_types::{AccountSid, CallSid, StreamSid};
use switchyard_webhook::{Signer, Target};
use tokio::sync::mpsc;

use crate::media_io::{Boxed, MediaCommand, MediaHandle};
use crate::shared::Shared;
use media::{StreamSource, StreamTap, TapQueue};

/// What the call asks of a stream's task.
#[derive(Debug)]
pub enum Command {
    /// Send `stop` and close.
    Stop,
    /// Send a `dtmf` message.
    Digit(char),
}

/// What a stream's task tells the call.
#[derive(Debug)]
pub enum Report {
    /// Connected; `connected` and `start` are sent.
    Started(StreamSid),
    /// Over: closed by its server (`None`) or failed.
    Ended(StreamSid, Option<AppFailure>),
    /// Going on, but with a problem worth a notification (audio dropped).
    Warning(AppFailure),
}

/// Everything a stream's task starts with.
#[derive(Debug)]
pub struct StreamSetup {
    pub request: StreamRequest,
    pub start: StreamStart,
    pub signer: Signer,
}

/// A status callback: where, and its parameters.
type Callback = (Target, Vec<(String, String)>);

/// One open stream, as the call holds it.
struct OpenStream {
    commands: mpsc::UnboundedSender<Command>,
    tap_id: u64,
    taps: Arc<TapQueue>,
    playback: Arc<Mutex<Playback>>,
    marks: mpsc::UnboundedSender<String>,
    request: StreamRequest,
    attached: bool,
}

/// The streams of one call.
#[derive(Debug)]
pub struct Streams {
    open: HashMap<StreamSid, OpenStream>,
    reports: mpsc::UnboundedSender<Report>,
    /// Taken by the call's loop.
    pub rx: Option<mpsc::UnboundedReceiver<Report>>,
    /// Status callbacks, in order, to one delivery task.
    callbacks: Option<mpsc::UnboundedSender<Callback>>,
    next_tap: u64,
}

impl std::fmt::Debug for OpenStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenStream")
            .field("sid", &self.request.sid)
            .field("attached", &self.attached)
            .finish_non_exhaustive()
    }
}

impl Default for Streams {
    fn default() -> Self {
        let (reports, rx) = mpsc::unbounded_channel();
        Streams {
            open: HashMap::new(),
            reports,
            rx: Some(rx),
            callbacks: None,
            next_tap: 1,
        }
    }
}

impl Streams {
    /// Start the task of a stream the executor asked for.
    pub fn start(
        &mut self,
        request: StreamRequest,
        account: AccountSid,
        call: CallSid,
        signer: Signer,
    ) {
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let (marks, marks_rx) = mpsc::unbounded_channel();
        let taps = TapQueue::new();
        let playback = Arc::new(Mutex::new(Playback::default()));
        let mut tracks = Vec::new();
        if request.track.inbound() {
            tracks.push(Track::Inbound);
        }
        if request.track.outbound() {
            tracks.push(Track::Outbound);
        }
        let setup = StreamSetup {
            start: StreamStart {
                stream_sid: request.sid.to_string(),
                account_sid: account.to_string(),
                call_sid: call.to_string(),
                tracks,
                custom_parameters: request.parameters.clone(),
            },
            request: request.clone(),
            signer,
        };
        let ends = task::Ends {
            taps: taps.clone(),
            playback: playback.clone(),
            marks: marks_rx,
            commands: commands_rx,
            reports: self.reports.clone(),
        };
        tokio::spawn(tracing::Instrument::in_current_span(task::run(setup, ends)));
        self.next_tap += 1;
        self.open.insert(
            request.sid,
            OpenStream {
                commands,
                tap_id: self.next_tap,
                taps,
                playback,
                marks,
                request,
                attached: false,
            },
        );
    }

    /// The socket is open: the leg's audio goes to it (and, for `<Connect>`, its audio
    /// to the leg) from the next frame.
    pub fn started(&mut self, sid: StreamSid, media: Option<&MediaHandle>) {
        let (Some(s), Some(media)) = (self.open.get_mut(&sid), media) else {
            return;
        };
        let track = s.request.track;
        let tap: Box<dyn Tap> = Box::new(StreamTap::new(
            s.taps.clone(),
            track.inbound(),
            track.outbound(),
        ));
        media.send(MediaCommand::AddTap(s.tap_id, Boxed(tap)));
        if s.request.bidirectional {
            let source: Box<dyn Source> =
                Box::new(StreamSource::new(s.playback.clone(), s.marks.clone()));
            media.send(MediaCommand::Source(Some(Boxed(source))));
        }
        s.attached = true;
    }

    /// Close the stream (the call stopped it).
    pub fn stop(&mut self, sid: StreamSid, media: Option<&MediaHandle>) {
        if let Some(s) = self.open.get(&sid) {
            let _ = s.commands.send(Command::Stop);
        }
        self.ended(sid, media);
    }

    /// The stream is over: detach it from the leg.
    pub fn ended(&mut self, sid: StreamSid, media: Option<&MediaHandle>) {
        let Some(s) = self.open.remove(&sid) else {
            return;
        };
        if let (true, Some(media)) = (s.attached, media) {
            media.send(MediaCommand::RemoveTap(s.tap_id));
            if s.request.bidirectional {
                media.send(MediaCommand::Source(None));
            }
        }
    }

    /// A caller's key to a `<Connect>` stream.
    pub fn digit(&self, sid: StreamSid, digit: char) {
        if let Some(s) = self.open.get(&sid) {
            let _ = s.commands.send(Command::Digit(digit));
        }
    }

    /// A status callback of the call (a stream's, a recording's), after the ones before
    /// it: callbacks of one call are delivered in order.
    #[allow(clippy::too_many_arguments)]
    pub fn status_callback(
        &mut self,
        shared: &Arc<Shared>,
        signer: &Signer,
        account: AccountSid,
        call: CallSid,
        url: String,
        method: HttpMethod,
        mut params: Vec<(String, String)>,
    ) {
        params.splice(
            0..0,
            [
                ("AccountSid".to_owned(), account.to_string()),
                ("CallSid".to_owned(), call.to_string()),
            ],
        );
        params.push((
            "Timestamp".to_owned(),
            crate::status::format_rfc2822(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs()),
            ),
        ));
        let queue = self.callbacks.get_or_insert_with(|| {
            let (tx, mut rx) = mpsc::unbounded_channel::<Callback>();
            let (shared, signer) = (shared.clone(), signer.clone());
            tokio::spawn(tracing::Instrument::in_current_span(async move {
                while let Some((target, params)) = rx.recv().await {
                    if let Err(e) = shared.webhook.notify(&target, &params, &signer).await {
                        tracing::warn!(url = %target.url, error = %e, "stream status callback failed");
                    }
                }
            }));
            tx
        });
        let _ = queue.send((crate::shared::target(&url, method.as_str()), params));
    }
}

/// A REST API request on the call's streams, done by the executor.
pub fn api(
    exec: &mut switchyard_call::Executor,
    now: std::time::Instant,
    control: switchyard_api::StreamControl,
) -> Result<switchyard_api::StreamAnswer, switchyard_api::ApiError> {
    use switchyard_api::{ApiError, StreamAnswer, StreamControl};
    match control {
        StreamControl::Start {
            url,
            name,
            track,
            status_callback,
            status_callback_method,
            parameters,
        } => {
            let stream = switchyard_instructions::Stream {
                url,
                name: name.clone(),
                track: match track.as_str() {
                    "outbound_track" => switchyard_instructions::StreamTrack::Outbound,
                    "both_tracks" => switchyard_instructions::StreamTrack::Both,
                    _ => switchyard_instructions::StreamTrack::Inbound,
                },
                status_callback,
                status_callback_method: HttpMethod::parse(&status_callback_method)
                    .unwrap_or_default(),
                parameters: parameters
                    .into_iter()
                    .map(|(name, value)| switchyard_instructions::Parameter { name, value })
                    .collect(),
            };
            let sid = exec
                .start_stream(stream)
                .map_err(|f| ApiError::InvalidParameter {
                    name: "Url",
                    reason: f.message,
                })?;
            Ok(StreamAnswer {
                sid: sid.to_string(),
                name,
                status: "in-progress",
            })
        }
        StreamControl::Stop { sid_or_name } => match exec.stop_stream(now, &sid_or_name) {
            Some((sid, name)) => Ok(StreamAnswer {
                sid: sid.to_string(),
                name,
                status: "stopped",
            }),
            None => Err(ApiError::NotFound(format!("Stream {sid_or_name}"))),
        },
    }
}
