//! One task per call: the SIP dialog, the media task and the executor, wired together.
//!
//! The session is the only place that knows all three; each of them stays ignorant of the
//! others (the executor never sees SIP, the media task never sees verbs).

mod app;
mod conference;
mod dialog;
mod legs;
mod lifecycle;
mod outbound;
mod prepare;
mod record;
mod transcoder;
mod wasm_step;

pub use outbound::{spawn_outbound, Destination, OutboundApp, OutboundCall};
pub(crate) use record::recover_interrupted;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use switchyard_call::leg::{Phase, SipLeg};
use switchyard_call::params::{CallInfo, Direction};
use switchyard_call::{Action, AppFailure, Executor, MediaToken};
use switchyard_media::AudioStream;
use switchyard_sip::{Request, ServerTxId, Transport};
use switchyard_types::CallSid;
use tokio::sync::mpsc;
use tracing::Instrument;

use crate::live::Control;
use crate::media_io::{MediaEvent, MediaHandle};
use crate::shared::{AccountEntry, NumberBinding, Shared};
use crate::sip_io::SipCommand;
use crate::status::StatusReporter;

/// What the SIP task hands a session.
#[derive(Debug)]
pub enum SessionInput {
    /// A request inside the dialog (BYE, re-INVITE, INFO, …) to answer.
    Request {
        tx: ServerTxId,
        request: Request,
    },
    Ack,
    /// The caller sent CANCEL before we answered.
    Cancelled,
    /// Our 2xx was never acknowledged.
    AckTimeout,
    /// The final outcome of a request we sent (None: Timer F fired).
    RequestOutcome(Option<u16>),
    /// A response to our outbound INVITE (None: Timer B fired).
    InviteResponse(Option<switchyard_sip::Response>),
}

/// Check that an INVITE can become a call: a known number of an active account, or a
/// call placed through a SIP domain (`domain`, admitted by [`crate::trust`]).
fn admit(
    shared: &Shared,
    invite: &Request,
    domain: Option<switchyard_store::SipDomain>,
) -> Result<(NumberBinding, AccountEntry), (u16, &'static str)> {
    if *shared.shutting_down().borrow() {
        return Err((503, "Service Unavailable"));
    }
    let uri = switchyard_sip::parse_uri(&invite.uri).map_err(|_| (400, "Bad Request-URI"))?;
    let user = uri.user.unwrap_or_default();
    let binding = match domain {
        Some(d) => NumberBinding::of_domain(&d, format!("sip:{user}@{}", d.domain_name)),
        None => shared.number(&user),
    }
    .ok_or((404, "Not Found"))?;
    let account = shared
        .account(binding.account_sid)
        .ok_or((404, "Not Found"))?;
    if !account.active {
        // A suspended or closed account takes no calls, and says so.
        return Err((403, "Forbidden (account not active)"));
    }
    Ok((binding, account))
}

/// Start the session of a new call; the returned queue feeds it SIP inputs. The number
/// is looked up here, off the SIP task, so a store read never delays other calls.
pub fn spawn(
    shared: Arc<Shared>,
    invite_tx: ServerTxId,
    invite: Request,
    source: SocketAddr,
    transport: Transport,
) -> mpsc::UnboundedSender<SessionInput> {
    let (tx, rx) = mpsc::unbounded_channel();
    shared.call_started();
    tokio::spawn(async move {
        let verdict = match shared.trust.check(&shared, &invite, source) {
            crate::trust::Decision::Admit { domain } => {
                admit(&shared, &invite, domain).map_err(|(status, reason)| {
                    switchyard_sip::Response::to_request(&invite, status, reason)
                })
            }
            crate::trust::Decision::Reply(response) => Err(response),
        };
        let verdict = verdict.and_then(|(binding, account)| {
            crate::account_cap::inbound(&shared, account.sid, &invite)
                .map(|slot| (binding, account, slot))
        });
        match verdict {
            Ok((binding, account, _slot)) => {
                let mut session = Session::new(
                    shared.clone(),
                    binding,
                    account,
                    invite_tx,
                    invite,
                    source,
                    transport,
                );
                let span = call_span(&session.info);
                session.run(rx).instrument(span).await;
            }
            Err(mut response) => {
                if response.status == 503 && *shared.shutting_down().borrow() {
                    shared.metrics.rejected(crate::metrics::reason::SHUTDOWN);
                }
                crate::sip_io::add_to_tag(&mut response);
                // The route goes before the response: a caller answering a 407 retries
                // with the same Call-ID as soon as it has it, and that retry is a new
                // call, not input for this finished one.
                let _ = shared.sip.send(SipCommand::Ended {
                    call_id: invite.call_id().unwrap_or_default().to_owned(),
                });
                let _ = shared.sip.send(SipCommand::Respond {
                    tx: invite_tx,
                    response,
                });
            }
        }
        shared.call_ended();
    });
    tx
}

/// A sound made ready to play: its token, its repeat count, and the stream or the failure.
type Prepared = (MediaToken, u32, Result<AudioStream, AppFailure>);

/// How long a call that is over waits for the media to finish a recording.
const RECORDING_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

struct Session {
    shared: Arc<Shared>,
    binding: NumberBinding,
    account: AccountEntry,
    info: CallInfo,
    /// The leg's SIP side: dialog, negotiation, answered or not, status.
    sip: SipLeg,
    /// Where the dialog's peer is reached: the flow an inbound INVITE came in on, or the
    /// address an outbound INVITE went to.
    peer: SocketAddr,
    transport: Transport,
    controls: Option<mpsc::UnboundedReceiver<Control>>,
    exec: Executor,
    media: Option<MediaHandle>,
    media_events: mpsc::UnboundedSender<MediaEvent>,
    media_rx: Option<mpsc::UnboundedReceiver<MediaEvent>>,
    /// Documents fetched, with what fetching each cost.
    documents: mpsc::UnboundedSender<app::Fetched>,
    documents_rx: Option<mpsc::UnboundedReceiver<app::Fetched>>,
    prepared: mpsc::UnboundedSender<Prepared>,
    prepared_rx: Option<mpsc::UnboundedReceiver<Prepared>>,
    /// The Play the executor waits for; preparations finishing for any other are stale.
    playing: Option<MediaToken>,
    /// The version of each Wasm app this call started with.
    pinned_apps: Arc<std::sync::Mutex<std::collections::HashMap<String, u32>>>,
    jar: Arc<tokio::sync::Mutex<switchyard_webhook::CookieJar>>,
    status_reporter: StatusReporter,
    created: SystemTime,
    started_at: Option<SystemTime>,
    /// The legs this call's `<Dial>` placed.
    legs: legs::Legs,
    /// The call that placed this one, when it is a `<Dial>` leg.
    parent: Option<legs::Parent>,
    /// The call's Media Streams.
    streams: crate::streams::Streams,
    /// The call's whole-call recordings.
    recordings: record::CallRecordings,
    /// The conference room the call is in.
    conference: Option<crate::conference::Membership>,
}

impl Session {
    fn new(
        shared: Arc<Shared>,
        binding: NumberBinding,
        account: AccountEntry,
        invite_tx: ServerTxId,
        invite: Request,
        source: SocketAddr,
        transport: Transport,
    ) -> Self {
        let info = CallInfo {
            call_sid: CallSid::random(),
            account_sid: binding.account_sid,
            from: binding.caller(invite.from_hdr().ok().map(|a| a.uri).as_deref()),
            to: binding.number.clone(),
            direction: Direction::Inbound,
            parent_call_sid: None,
        };
        let (media_events, media_rx) = mpsc::unbounded_channel();
        let (documents, documents_rx) = mpsc::unbounded_channel();
        let (prepared, prepared_rx) = mpsc::unbounded_channel();
        let exec = Executor::new(
            binding.voice.url.clone(),
            match binding.voice.method {
                switchyard_webhook::HttpMethod::Get => switchyard_instructions::HttpMethod::Get,
                switchyard_webhook::HttpMethod::Post => switchyard_instructions::HttpMethod::Post,
            },
        )
        .with_limits(shared.config.webhook.app_limits())
        .with_queues(shared.queues.clone())
        .with_clients(crate::presence::directory(&shared, binding.account_sid))
        .with_call(info.clone())
        .with_metering(shared.config.metering.enabled);
        let exec = match binding.application {
            Some(sid) => exec.with_application(switchyard_call::modules::Application::new(
                sid.to_string(),
                &binding.voice.url,
            )),
            None => exec,
        };
        let status_reporter = StatusReporter::new(
            shared.clone(),
            &binding,
            account.signer.clone(),
            info.clone(),
        );
        let controls = Some(shared.live.register(info.call_sid));
        Self {
            shared,
            binding,
            account,
            controls,
            info,
            sip: SipLeg::inbound(invite_tx, invite),
            peer: source,
            transport,
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
            created: SystemTime::now(),
            started_at: None,
            legs: legs::Legs::default(),
            parent: None,
            streams: crate::streams::Streams::default(),
            recordings: record::CallRecordings::default(),
            conference: None,
        }
    }

    async fn run(&mut self, mut sip: mpsc::UnboundedReceiver<SessionInput>) {
        if self.begin().await {
            self.exec.start(Instant::now());
        }
        self.main_loop(&mut sip).await;
        self.finish();
    }

    /// Drive the call until it is over: SIP, media, documents, timers, API controls.
    async fn main_loop(&mut self, sip: &mut mpsc::UnboundedReceiver<SessionInput>) {
        let (
            Some(mut media_rx),
            Some(mut documents),
            Some(mut prepared),
            Some(mut controls),
            Some(mut legs),
            Some(mut streams),
        ) = (
            self.media_rx.take(),
            self.documents_rx.take(),
            self.prepared_rx.take(),
            self.controls.take(),
            self.legs.rx.take(),
            self.streams.rx.take(),
        )
        else {
            return;
        };
        let mut shutdown = self.shared.shutting_down();
        let mut over_at: Option<Instant> = None;
        loop {
            self.perform();
            if self.sip.phase() == Phase::Over {
                // A recording the caller hung up on is finished (and told to `action`)
                // before the leg's media goes; a media that never answers is not waited
                // for long.
                let since = *over_at.get_or_insert_with(Instant::now);
                if !self.exec.finishing_recording() || since.elapsed() > RECORDING_GRACE {
                    break;
                }
            }
            let timer = match over_at {
                Some(at) => Some(at + RECORDING_GRACE),
                None => self.exec.poll_timeout(),
            };
            let sleep = async {
                match timer {
                    Some(t) => tokio::time::sleep_until(t.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                input = sip.recv() => match input {
                    Some(input) => self.sip_input(input),
                    None => self.sip.lost(),
                },
                Some(ev) = media_rx.recv() => self.media_event(ev),
                Some(fetched) = documents.recv() => {
                    self.exec.charge(&fetched.cost);
                    if let Some((url, cost)) = &fetched.fallback {
                        self.exec.fallback_answered(url, cost);
                    }
                    self.exec.document(Instant::now(), fetched.document);
                }
                Some((token, repeat, stream)) = prepared.recv() => self.prepared(token, repeat, stream),
                _ = sleep => self.exec.timeout(Instant::now()),
                Some(control) = controls.recv() => self.control(control),
                Some((leg, report)) = legs.recv() => self.leg_report(leg, report),
                Some(report) = streams.recv() => self.stream_report(report),
                Ok(()) = shutdown.changed() => {
                    tracing::info!(call = %self.info.call_sid, "hanging up for shutdown");
                    self.exec.hangup(Instant::now());
                    self.hang_up();
                }
            }
        }
    }

    /// The call as a Wasm step sees it.
    fn app_call(&self) -> wasm_step::AppCall {
        wasm_step::AppCall {
            account: self.info.account_sid,
            call_sid: self.info.call_sid,
            from: self.info.from.clone(),
            to: self.info.to.clone(),
            pinned: self.pinned_apps.clone(),
        }
    }

    /// A REST API request on the live call.
    fn control(&mut self, control: Control) {
        let now = Instant::now();
        match control {
            Control::Redirect { url, method } => self.exec.redirect(Instant::now(), url, method),
            Control::Twiml(text) => match switchyard_instructions::parse_twiml(&text) {
                Ok(verbs) => self.exec.replace(now, verbs),
                // The API validated it before accepting the update.
                Err(e) => {
                    tracing::warn!(call = %self.info.call_sid, error = %e, "TwiML update refused")
                }
            },
            Control::Complete | Control::EndLeg(_) => {
                self.exec.hangup(Instant::now());
                self.hang_up();
            }
            Control::Cancel => {
                if self.sip.phase() == Phase::Early {
                    self.exec.hangup(Instant::now());
                    self.cancel_early();
                }
            }
            Control::Whisper { url, method } => self.exec.whisper(Instant::now(), url, method),
            Control::Stream { control, reply } => {
                let _ = reply.send(crate::streams::api(&mut self.exec, now, control));
            }
            Control::Hold(on) => self.sip.hold(on),
            Control::Record(control) => self.record_control(control),
            Control::Queue(signal) => {
                if let Some(peer) = crate::queues::signal(&mut self.queue_side(), signal) {
                    self.record_bridge(peer.media());
                }
            }
            Control::Conference(notice) => {
                if matches!(notice, switchyard_call::conference::Notice::Left) {
                    self.conference = None;
                }
                self.exec.conference_notice(now, notice);
            }
            Control::ClientEvent { name, data } => {
                self.publish(
                    switchyard_call::EventKind::ClientEvent,
                    vec![
                        ("EventName".into(), name.clone()),
                        ("EventData".into(), data.clone()),
                    ],
                );
                self.exec.client_event(name, data);
            }
        }
    }

    /// Carry out what the executor asked for.
    fn perform(&mut self) {
        loop {
            let Some(action) = self.exec.poll_action() else {
                self.sip_outputs();
                // The core's outputs may have given the executor news (a digit, a BYE).
                match self.exec.poll_action() {
                    Some(action) => {
                        self.act(action);
                        continue;
                    }
                    None => return,
                }
            };
            self.act(action);
        }
    }

    fn act(&mut self, action: Action) {
        {
            match action {
                Action::Fetch(req) => app::fetch(self, req),
                Action::Answer => self.sip.answer(Instant::now()),
                Action::Reject { status } => self.sip.reject(status),
                Action::Play {
                    token,
                    source,
                    repeat,
                } => {
                    self.playing = Some(token);
                    prepare::prepare(self, token, source, repeat);
                }
                Action::StopMedia => {
                    self.playing = None;
                    self.media_command(crate::media_io::MediaCommand::Stop);
                }
                Action::Hangup => self.hang_up(),
                Action::Notify(failure) => self.notify(failure),
                Action::Event { kind, data } => self.publish(kind, data),
                Action::Queue(action) => {
                    if let Some(peer) = crate::queues::act(&mut self.queue_side(), action) {
                        self.record_bridge(peer.media());
                    }
                }
                Action::Dial(req) => self.place_legs(req),
                Action::EndLeg { leg, status } => self.end_leg(leg, status),
                // The caller heard 180 Ringing when the call began; it rings until the
                // bridge answers it.
                Action::Ringback(_) => {}
                Action::SendLegDigits { leg, digits } => self.send_leg_digits(leg, digits),
                Action::Progress => self.sip.progress(),
                Action::Whisper { leg, url, method } => self.start_whisper(leg, url, method),
                Action::WhisperEnded => {
                    if let Some(parent) = &self.parent {
                        parent.report(legs::LegReport::WhisperDone);
                    }
                }
                Action::Bridge(leg) => self.bridge(leg),
                Action::Unbridge(leg) => self.unbridge(leg),
                Action::Record { token, spec } => self.start_recording(token, spec),
                Action::StopRecording(token) => self.stop_recording(token),
                Action::RecordCall { token, spec } => self.start_call_recording(token, spec),
                Action::PauseRecording { token, skip } => self.pause_recording(token, skip),
                Action::ResumeRecording(token) => self.resume_recording(token),
                Action::StartStream(req) => self.streams.start(
                    req,
                    self.info.account_sid,
                    self.info.call_sid,
                    self.account.signer.clone(),
                ),
                Action::JoinConference(req) => self.join_conference(req),
                Action::ConferenceMedia(on) => self.conference_media(on),
                Action::LeaveConference => self.leave_conference(),
                Action::StopStream(sid) => self.streams.stop(sid, self.media.as_ref()),
                Action::StreamDigit { sid, digit } => self.streams.digit(sid, digit),
                Action::Callback {
                    url,
                    method,
                    params,
                } => self.streams.status_callback(
                    &self.shared,
                    &self.account.signer,
                    self.info.account_sid,
                    self.info.call_sid,
                    url,
                    method,
                    params,
                ),
            }
        }
    }

    /// What a Media Stream's task reports.
    fn stream_report(&mut self, report: crate::streams::Report) {
        use crate::streams::Report;
        match report {
            Report::Started(sid) => {
                self.streams.started(sid, self.media.as_ref());
                self.exec.stream_started(sid);
            }
            Report::Ended(sid, error) => {
                self.streams.ended(sid, self.media.as_ref());
                self.exec.stream_ended(Instant::now(), sid, error);
            }
            Report::Warning(failure) => self.notify(failure),
        }
    }

    fn media_event(&mut self, ev: MediaEvent) {
        let now = Instant::now();
        match ev {
            MediaEvent::Digit(d) => {
                tracing::debug!(call = %self.info.call_sid, digit = %d, "DTMF");
                self.exec.digit(now, d);
            }
            MediaEvent::Done(token) => self.exec.media_done(now, token),
            MediaEvent::TapClosed(id, report) => self.tap_closed(id, report),
            MediaEvent::Failed(token, message) => self.exec.media_failed(
                now,
                token,
                AppFailure {
                    code: 11200,
                    message,
                },
            ),
        }
    }

    fn prepared(
        &mut self,
        token: MediaToken,
        repeat: u32,
        stream: Result<AudioStream, AppFailure>,
    ) {
        if self.playing != Some(token) {
            return;
        }
        match stream {
            Ok(stream) => self.media_command(crate::media_io::MediaCommand::Play {
                token,
                stream,
                repeat,
            }),
            Err(failure) => self.exec.media_failed(Instant::now(), token, failure),
        }
    }

    /// This call as a queue's member or agent sees it.
    fn queue_side(&mut self) -> crate::queues::Side<'_> {
        crate::queues::Side {
            shared: &self.shared,
            call: self.info.call_sid,
            media: self.media.as_ref().map(|m| m.link()),
            exec: &mut self.exec,
        }
    }

    fn media_command(&self, cmd: crate::media_io::MediaCommand) {
        if let Some(m) = &self.media {
            m.send(cmd);
        }
    }
}

/// The span of one call's work: every log line inside it, from the session task and the
/// tasks it starts (app requests, Wasm steps, media), names the call.
fn call_span(info: &CallInfo) -> tracing::Span {
    tracing::info_span!("call", sid = %info.call_sid)
}
