//! Outbound calls: the node as a user agent client (RFC 3261 §13.2), then the same call
//! session as an inbound call once the far end answers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use switchyard_call::leg::{CancelReason, Credentials, LegOutput, SipLeg};
use switchyard_call::params::{CallInfo, Direction};
use switchyard_call::{Document, Executor};
use switchyard_instructions::{parse_twiml, HttpMethod};
use switchyard_rtp::{offer, LocalMedia};
use switchyard_sip::{fresh_call_id, fresh_tag, new_invite, NameAddr, Transport};
use switchyard_types::{CallSid, CallStatus, RecordingSource};
use switchyard_webhook::Target;
use tokio::sync::mpsc;

use super::legs::{LegReport, Parent};
use super::{Session, SessionInput};
use crate::live::Control;
use crate::ports::MediaSockets;
use crate::shared::{AccountEntry, NumberBinding, Shared};
use crate::sip_io::SipCommand;
use crate::status::StatusReporter;

/// What drives an outbound call once answered.
#[derive(Debug, Clone)]
pub enum OutboundApp {
    Url(Target),
    Twiml(String),
    /// A `<Dial>` leg: its parent's core drives it; no app of its own.
    Leg,
}

/// Where an outbound INVITE goes.
#[derive(Debug, Clone)]
pub enum Destination {
    /// A host name or address and port, resolved when dialed.
    Host(String, u16),
}

impl Destination {
    async fn resolve(&self) -> Result<SocketAddr, String> {
        match self {
            Self::Host(host, port) => tokio::net::lookup_host((host.as_str(), *port))
                .await
                .map_err(|e| format!("cannot resolve {host}: {e}"))?
                .next()
                .ok_or_else(|| format!("{host} has no address")),
        }
    }
}

/// Twilio's "Invalid 'To' Phone Number": the far end cannot be reached at all.
const UNREACHABLE_TO: u32 = 21211;

/// An outbound call taken off the queue, ready to dial.
#[derive(Debug, Clone)]
pub struct OutboundCall {
    pub call_sid: CallSid,
    pub account: AccountEntry,
    pub from: String,
    pub to: String,
    /// The Request-URI of our INVITE.
    pub request_uri: String,
    pub destination: Destination,
    pub transport: Transport,
    /// Digest credentials for the far end's 401/407 challenge.
    pub credentials: Option<(String, String)>,
    /// Extra INVITE headers (a Path's Route set, a client's `X-` parameters).
    pub headers: Vec<(String, String)>,
    pub app: OutboundApp,
    pub fallback: Option<Target>,
    pub status_callback: Option<Target>,
    pub status_events: Vec<String>,
    /// How long to let it ring before giving up (`Timeout`, Twilio's `no-answer`).
    pub ring_timeout: Duration,
    /// `Record=true`: record the whole call from its answer.
    pub record: Option<switchyard_api::StartRecording>,
    pub created: SystemTime,
}

/// Dial and run an outbound call; `on_end` runs when it is over (frees its queue slot).
pub fn spawn_outbound(
    shared: Arc<Shared>,
    call: OutboundCall,
    parent: Option<Parent>,
    on_end: impl FnOnce() + Send + 'static,
) {
    shared.call_started();
    let span = tracing::info_span!("call", sid = %call.call_sid);
    let run = async move {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut session = Session::outbound(shared.clone(), &call);
        if let Some(parent) = parent {
            session.info.direction = Direction::OutboundDial;
            session.info.parent_call_sid = Some(parent.call_sid);
            session.status_reporter = StatusReporter::new(
                shared.clone(),
                &session.binding,
                call.account.signer.clone(),
                session.info.clone(),
            );
            session.parent = Some(parent);
        }
        if session.dial(&call, tx, &mut rx).await {
            session.main_loop(&mut rx).await;
        }
        session.finish();
        shared.call_ended();
        on_end();
    };
    tokio::spawn(tracing::Instrument::instrument(run, span));
}

impl Session {
    fn outbound(shared: Arc<Shared>, call: &OutboundCall) -> Self {
        let info = CallInfo {
            call_sid: call.call_sid,
            account_sid: call.account.sid,
            from: call.from.clone(),
            to: call.to.clone(),
            direction: Direction::OutboundApi,
            parent_call_sid: None,
        };
        let voice = match &call.app {
            OutboundApp::Url(t) => t.clone(),
            OutboundApp::Twiml(_) | OutboundApp::Leg => Target {
                url: String::new(),
                method: switchyard_webhook::HttpMethod::Post,
            },
        };
        let binding = NumberBinding {
            number: call.from.clone(),
            account_sid: call.account.sid,
            voice,
            fallback: call.fallback.clone(),
            status_callback: call.status_callback.clone(),
            status_events: call.status_events.clone(),
            voice_transcoder: None,
            application: None,
        };
        let (media_events, media_rx) = mpsc::unbounded_channel();
        let (documents, documents_rx) = mpsc::unbounded_channel();
        let (prepared, prepared_rx) = mpsc::unbounded_channel();
        let exec = Executor::new(
            binding.voice.url.clone(),
            match binding.voice.method {
                switchyard_webhook::HttpMethod::Get => HttpMethod::Get,
                switchyard_webhook::HttpMethod::Post => HttpMethod::Post,
            },
        )
        .with_limits(shared.config.webhook.app_limits())
        .with_queues(shared.queues.clone())
        .with_clients(crate::presence::directory(&shared, call.account.sid))
        .with_call(info.clone())
        .with_metering(shared.config.metering.enabled);
        let status_reporter = StatusReporter::new(
            shared.clone(),
            &binding,
            call.account.signer.clone(),
            info.clone(),
        );
        let controls = Some(shared.live.register(info.call_sid));
        Self {
            shared,
            binding,
            account: call.account.clone(),
            controls,
            info,
            sip: SipLeg::outbound(),
            peer: SocketAddr::from(([0, 0, 0, 0], 0)),
            transport: call.transport,
            exec,
            media: None,
            media_events,
            media_rx: Some(media_rx),
            documents,
            documents_rx: Some(documents_rx),
            prepared,
            prepared_rx: Some(prepared_rx),
            playing: None,
            pinned_apps: Arc::default(),
            jar: Arc::default(),
            status_reporter,
            created: call.created,
            started_at: None,
            legs: super::legs::Legs::default(),
            parent: None,
            streams: crate::streams::Streams::default(),
            recordings: super::record::CallRecordings::default(),
            conference: None,
        }
    }

    /// Send the INVITE and wait for the far end's final answer. True when answered.
    async fn dial(
        &mut self,
        call: &OutboundCall,
        session_tx: mpsc::UnboundedSender<SessionInput>,
        sip: &mut mpsc::UnboundedReceiver<SessionInput>,
    ) -> bool {
        self.record_initiated();
        match call.destination.resolve().await {
            Ok(addr) => self.peer = addr,
            Err(message) => {
                self.notify(switchyard_call::AppFailure {
                    code: UNREACHABLE_TO,
                    message,
                });
                self.sip.set_status(CallStatus::Failed);
                return false;
            }
        }
        let bound = match self.shared.ports.bind() {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "no RTP port for an outbound call");
                self.sip.set_status(CallStatus::Failed);
                return false;
            }
        };
        let local = LocalMedia {
            address: self.shared.ports.ip(),
            port: bound.port,
            session_id: u64::from(rand::random::<u32>()),
            session_version: 1,
            codecs: self.offered_codecs(),
            srtp: self.shared.config.media.srtp_policy(call.transport),
        };
        let our_offer = offer(&local, 101);
        let host = self.local_host();
        let mut from = NameAddr::new(format!("sip:{}@{host}", call.from));
        from.params.push(("tag".into(), Some(fresh_tag())));
        let to = NameAddr::new(call.request_uri.clone());
        let call_id = fresh_call_id(&host);
        let invite = new_invite(
            &call.request_uri,
            &from,
            &to,
            &call_id,
            1,
            &format!(
                "<{}>",
                call.transport.contact_uri(
                    &call.from,
                    self.shared.config.sip.advertised(call.transport),
                    call.request_uri.to_ascii_lowercase().starts_with("sips:")
                )
            ),
            Some(our_offer.to_string().into_bytes()),
        );
        let mut invite = invite;
        for (name, value) in &call.headers {
            invite.headers.push(name, value.clone());
        }
        self.sip.placed(invite.clone(), local.clone());
        let _ = self.shared.sip.send(SipCommand::Invite {
            call_id,
            request: invite,
            destination: self.peer,
            transport: call.transport,
            session: session_tx.clone(),
        });
        let mut controls = self.controls.take();
        let mut shutdown = self.shared.shutting_down();
        let ring_deadline = tokio::time::Instant::now() + call.ring_timeout;
        // Taken when the media starts: at early media (18x with SDP), or at the answer.
        let mut sockets = Some(bound);
        let credentials = call
            .credentials
            .clone()
            .map(|(username, password)| Credentials { username, password });
        let answered = loop {
            let cancelled = self.sip.cancelled_for().is_some();
            tokio::select! {
                input = sip.recv() => match input {
                    Some(SessionInput::InviteResponse(r)) => {
                        let done = self.sip.invite_response(
                            Instant::now(),
                            r.as_ref(),
                            &our_offer,
                            credentials.as_ref(),
                        );
                        self.dial_outputs(&session_tx, &mut sockets);
                        if let Some(answered) = done {
                            break answered;
                        }
                    }
                    Some(other) => self.sip_input(other),
                    None => break false,
                },
                _ = tokio::time::sleep_until(ring_deadline), if !cancelled => {
                    self.sip.cancel(CancelReason::NoAnswer);
                    self.sip_outputs();
                }
                Some(control) = async { match controls.as_mut() { Some(c) => c.recv().await, None => None } } => {
                    let reason = match control {
                        Control::EndLeg(CallStatus::NoAnswer) => Some(CancelReason::NoAnswer),
                        Control::Cancel | Control::Complete | Control::EndLeg(_) => {
                            Some(CancelReason::Canceled)
                        }
                        _ => None,
                    };
                    if let Some(reason) = reason {
                        self.sip.cancel(reason);
                        self.sip_outputs();
                    }
                }
                Ok(()) = shutdown.changed(), if !cancelled => {
                    self.sip.cancel(CancelReason::Canceled);
                    self.sip_outputs();
                }
            }
        };
        self.controls = controls;
        if !answered {
            if let Some(s) = sockets {
                self.shared.ports.release(s.port);
            }
            self.sip.lost();
            return false;
        }
        if let Some(s) = sockets {
            self.start_media(s);
        }
        self.exec.set_answered();
        if let (Some(parent), Some(media)) = (&self.parent, &self.media) {
            parent.report(LegReport::Answered(media.link()));
        }
        match &call.app {
            OutboundApp::Leg => {}
            OutboundApp::Url(_) => self.exec.start(Instant::now()),
            OutboundApp::Twiml(text) => {
                let doc = parse_twiml(text).map(Document::Verbs).map_err(|e| {
                    switchyard_call::AppFailure {
                        code: e.twilio_code(),
                        message: e.to_string(),
                    }
                });
                self.exec.start_with(Instant::now(), doc);
            }
        }
        if let Some(start) = &call.record {
            let (spec, callback) =
                crate::recording_api::call_record_spec(start, RecordingSource::OutboundApi, None);
            self.exec
                .start_call_recording(Instant::now(), spec, callback);
        }
        true
    }

    /// The core's outputs while dialling: the INVITE again (with credentials) goes out
    /// as a new transaction of this session; the rest as after the answer.
    fn dial_outputs(
        &mut self,
        session_tx: &mpsc::UnboundedSender<SessionInput>,
        sockets: &mut Option<MediaSockets>,
    ) {
        while let Some(out) = self.sip.poll_output() {
            match out {
                LegOutput::EarlyMedia => {
                    if let Some(s) = sockets.take() {
                        self.start_media(s);
                    }
                    if let (Some(parent), Some(media)) = (&self.parent, &self.media) {
                        parent.report(LegReport::EarlyMedia(media.link()));
                    }
                }
                LegOutput::Invite(request) => {
                    let _ = self.shared.sip.send(SipCommand::Invite {
                        call_id: request.call_id().unwrap_or_default().to_owned(),
                        request,
                        destination: self.peer,
                        transport: self.transport,
                        session: session_tx.clone(),
                    });
                }
                other => self.sip_output(other),
            }
        }
    }

    fn start_media(&mut self, sockets: MediaSockets) {
        let Some(n) = self.sip.negotiated() else {
            return;
        };
        let params = super::dialog::media_params(n, n.direction.sends());
        let pool = self.shared.clone();
        let near = self.parent.as_ref().and_then(|p| p.media.as_ref());
        self.media = Some(self.shared.media_engine.spawn(
            sockets,
            params,
            self.media_events.clone(),
            near,
            move |port, quality| pool.media_ended(port, quality),
        ));
        if let Some(name) = self.parent.as_ref().and_then(|p| p.transcoder.clone()) {
            self.attach_transcoder(&name);
        }
    }

    fn local_host(&self) -> String {
        let listen = self.shared.config.sip.listen;
        let ip = self.shared.config.sip.public_address.unwrap_or(listen.ip());
        std::net::SocketAddr::new(ip, listen.port()).to_string()
    }
}

impl Session {
    /// The codecs a dialled leg offers: ours, with the caller's first when we have it,
    /// so that a callee that can answer in it lets the bridge relay packets untouched.
    fn offered_codecs(&self) -> Vec<switchyard_rtp::Codec> {
        let mut codecs = self.shared.config.media.codecs.clone();
        let caller = self.parent.as_ref().and_then(|p| p.media.as_ref());
        if let Some(first) = caller.map(|m| m.codec()) {
            if let Some(i) = codecs.iter().position(|&c| c == first) {
                codecs[..=i].rotate_right(1);
            }
        }
        codecs
    }
}
