//! The verb executor: one call's application, one verb at a time.
//!
//! Sans-IO. The node calls [`Executor::start`], then feeds it what happens
//! ([`Executor::document`], [`Executor::media_done`], [`Executor::digit`],
//! [`Executor::timeout`], [`Executor::hangup`]) and performs what [`Executor::poll_action`]
//! returns. Time only comes in as arguments, so whole calls are tested in microseconds.

mod conference;
mod interrupt;
mod limits;
mod metering;
mod queue;
pub(crate) mod recordings;
pub(crate) mod side;
mod types;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use switchyard_instructions::{HttpMethod, Say, Verb};
use switchyard_types::{CallSid, CallStatus};

use crate::events::EventKind;
use crate::params::CallInfo;
pub use crate::verbs::dial::{
    ClientContact, ClientDirectory, ConferenceJoin, DialLeg, DialRequest, LegId, LegTarget,
    MAX_PARALLEL,
};
pub use crate::verbs::record::{RecordSpec, Recorded, RecordingId};
pub use crate::verbs::stream::{StreamRequest, MAX_STREAMS};
use crate::verbs::{
    self, dial::DialState, gather::GatherState, record::RecordState, stream::ConnectState,
    stream::OpenStream,
};
pub use limits::{AppLimits, DOCUMENT_LIMIT, LOOP_STATUS, PRE_ANSWER_STATUS};
pub use recordings::{CallRecordSpec, NoSuchRecording, RecordingCallback};
pub use types::{Action, AppFailure, Document, FetchRequest, MediaSource, MediaToken};

/// What the caller hears when the application fails, before a clean hang-up.
pub(crate) const APPLICATION_ERROR: &str =
    "We are sorry, an application error has occurred. Goodbye.";

/// Twilio's error code for a URL that cannot be used.
const INVALID_URL: u32 = 11100;

#[derive(Debug)]
pub(crate) enum Step {
    /// Ready for the next verb.
    Idle,
    /// Waiting for the next document.
    Fetching,
    /// A Say or Play is playing.
    Media {
        token: MediaToken,
        verb: &'static str,
    },
    /// A Pause runs until the deadline; a first `<Pause>` answers the call only then.
    Pause {
        until: Instant,
        answer_after: bool,
    },
    Gather(Box<GatherState>),
    /// A `<Record>` beeps, records, or waits for its recording to be finished.
    Record(Box<RecordState>),
    /// A `<Dial>` rings, whispers or bridges.
    Dial(Box<DialState>),
    /// A `<Dial><Queue>` waits for, takes or is bridged to a queue's caller.
    Agent(Box<crate::verbs::dial_queue::AgentState>),
    /// In a queue with nothing to run: hold music plays, or the caller is bridged to
    /// the agent that took it.
    Queue,
    /// In a conference room with nothing to run: it hears the room, or built-in music
    /// (the room's state is [`Executor::room`]).
    Conference,
    /// A `<Connect><Stream>` holds the call until its stream ends.
    Connect(ConnectState),
    /// The application-error message is playing; hang up when it ends.
    Failing {
        token: MediaToken,
    },
    /// Nothing more will happen.
    Done,
}

/// Runs one call's verbs.
#[derive(Debug)]
pub struct Executor {
    pub(crate) document_url: String,
    pub(crate) document_method: HttpMethod,
    pub(crate) verbs: VecDeque<Verb>,
    pub(crate) step: Step,
    pub(crate) answered: bool,
    /// Verbs started from the running document: `Reject` and `Pause` act before the
    /// answer only as its first.
    pub(crate) verbs_started: usize,
    /// The caller hung up while a `<Record>` recorded: its `action` is still requested.
    hung_up: bool,
    /// Running a `<Dial>` noun's whisper: the end of its document hands the leg back.
    whisper: bool,
    /// When the call's application started (the pre-answer limit counts from here).
    started: Option<Instant>,
    limits: AppLimits,
    /// Application requests in a row whose documents ran no verb but `<Redirect>`.
    requests_without_verb: u32,
    next_token: u64,
    actions: VecDeque<Action>,
    /// Where `<Dial><Client>` finds an identity's registered contacts.
    pub(crate) clients: Option<Arc<dyn ClientDirectory>>,
    /// The call's Media Streams, open or opening, oldest first.
    pub(crate) streams: Vec<OpenStream>,
    /// The number's `Applications` resource, whose webhook module is named by its sid.
    application: Option<crate::modules::Application>,
    /// The whole-call recordings not finished yet.
    call_recordings: Vec<recordings::Running>,
    /// The call's own request parameters (URI templates expand from them).
    call: Option<CallInfo>,
    /// The modules that controlled the call, span by span, and what each used.
    pub(crate) modules: crate::modules::Modules,
    /// Whether hand-offs and use are metered (`[metering] enabled`).
    pub(crate) metering: bool,
    /// The time of the latest input: what an action taken without one is dated.
    pub(crate) clock: Option<Instant>,
    /// The sound playing and since when (media time is metered).
    pub(crate) playing: Option<(MediaToken, Instant)>,
    /// What the last verb produced for the request that brought the running document
    /// (`Digits`, …): a `<Play>` URL's templates expand from them.
    pub(crate) document_params: Vec<(String, String)>,
    /// The node's queues (`<Enqueue>`, `<Dial><Queue>`); without them both fail.
    pub(crate) queues: Option<crate::queue::SharedQueues>,
    /// The queue this caller waits in, from `<Enqueue>` until it leaves.
    pub(crate) queued: Option<Box<crate::verbs::enqueue::Waiting>>,
    /// The conference room this caller is in (or joins), from `<Dial><Conference>`
    /// until it leaves.
    pub(crate) room: Option<Box<verbs::dial::conference::ConferenceState>>,
    /// The side document the queue or the room runs now (wait, hold, announcement).
    pub(crate) side: Option<side::Side>,
}

impl Executor {
    /// An executor whose first document comes from `url`.
    pub fn new(url: impl Into<String>, method: HttpMethod) -> Self {
        Self {
            document_url: app_url(&url.into()),
            document_method: method,
            verbs: VecDeque::new(),
            step: Step::Idle,
            answered: false,
            verbs_started: 0,
            hung_up: false,
            whisper: false,
            started: None,
            limits: AppLimits::default(),
            requests_without_verb: 0,
            next_token: 0,
            actions: VecDeque::new(),
            clients: None,
            streams: Vec::new(),
            call_recordings: Vec::new(),
            application: None,
            call: None,
            document_params: Vec::new(),
            modules: crate::modules::Modules::default(),
            metering: true,
            clock: None,
            playing: None,
            queues: None,
            queued: None,
            room: None,
            side: None,
        }
    }

    /// The call this executor runs, whose parameters fill the URI templates of next-step
    /// URLs (`{CallSid}`, `{From}`, …).
    pub fn with_call(mut self, info: CallInfo) -> Self {
        self.call = Some(info);
        self
    }

    /// The parameters a request made now carries, `extra` last: what URI templates see.
    /// The status is the executor's own view (answered or not); the node sends the SIP
    /// leg's, which only differs after the call ended.
    pub(crate) fn request_params(&self, extra: &[(String, String)]) -> Vec<(String, String)> {
        match &self.call {
            Some(info) => {
                let status = if self.answered {
                    CallStatus::InProgress
                } else {
                    CallStatus::Ringing
                };
                info.request_params(status, extra)
            }
            None => extra.to_vec(),
        }
    }

    /// The `Applications` resource that answers the call: its webhook is metered as the
    /// module named by its sid.
    pub fn with_application(mut self, app: crate::modules::Application) -> Self {
        self.application = Some(app);
        self
    }

    /// The registrations `<Dial><Client>` rings (without them, every client is offline).
    pub fn with_clients(mut self, clients: Arc<dyn ClientDirectory>) -> Self {
        self.clients = Some(clients);
        self
    }

    /// Ask for the first document (with the number's fallback URL if it fails).
    pub fn start(&mut self, now: Instant) {
        self.tick(now);
        self.started = Some(now);
        let url = self.document_url.clone();
        let method = self.document_method;
        self.fetch(url, method, Vec::new(), true);
    }

    /// Start with a document already in hand (an outbound call created with `Twiml`).
    pub fn start_with(&mut self, now: Instant, document: Result<Document, AppFailure>) {
        self.tick(now);
        self.started = Some(now);
        self.step = Step::Fetching;
        self.hand_off(crate::modules::ModuleId::built_in());
        self.document(now, document);
    }

    /// Run the whisper at `url` on this (answered) leg of a `<Dial>`: when its document
    /// runs out of verbs, [`Action::WhisperEnded`] hands the leg back to be bridged; a
    /// `<Hangup>` in it hangs the leg up instead.
    pub fn whisper(&mut self, now: Instant, url: String, method: HttpMethod) {
        self.tick(now);
        self.whisper = true;
        self.answered = true;
        self.fetch(url, method, Vec::new(), false);
    }

    /// Replace the running document with `verbs` now (a live TwiML update from the API).
    pub fn replace(&mut self, now: Instant, verbs: Vec<Verb>) {
        self.tick(now);
        if matches!(self.step, Step::Done) {
            return;
        }
        self.push(Action::StopMedia);
        self.end_recording();
        self.leave_connect();
        self.leave_queue(now);
        self.leave_conference();
        self.step = Step::Fetching;
        self.document(now, Ok(Document::Verbs(verbs)));
    }

    /// The call was answered by other means (e.g. an outbound call picked up).
    pub fn set_answered(&mut self) {
        self.answered = true;
    }

    /// Whether the call has been answered.
    pub fn is_answered(&self) -> bool {
        self.answered
    }

    /// The URL of the document being executed (relative URLs resolve against it).
    pub fn document_url(&self) -> &str {
        &self.document_url
    }

    /// Whether the executor has finished (hung up, rejected, or the caller left).
    pub fn is_done(&self) -> bool {
        matches!(self.step, Step::Done)
    }

    /// The document requested last arrived (or could not be had).
    pub fn document(&mut self, now: Instant, result: Result<Document, AppFailure>) {
        self.tick(now);
        if !matches!(self.step, Step::Fetching) {
            return;
        }
        self.step = Step::Idle;
        self.verbs_started = 0;
        match result {
            Ok(Document::Verbs(verbs)) => self.verbs = verbs.into(),
            Ok(Document::Text(text)) => {
                self.verbs = VecDeque::from([Verb::Say(Say {
                    text,
                    ..Say::default()
                })]);
            }
            Ok(Document::Audio {
                bytes,
                content_type,
            }) => {
                self.verbs.clear();
                self.ensure_answered();
                // A wait or hold document's audio plays in a loop, until its holder
                // takes the call back.
                let repeat = if self.side_loops() { 0 } else { 1 };
                let token = self.play(
                    MediaSource::Inline {
                        bytes,
                        content_type,
                    },
                    repeat,
                );
                self.step = Step::Media {
                    token,
                    verb: "Play",
                };
                return;
            }
            Err(failure) if side::failed(self, now, failure.clone()) => return,
            Err(failure) => return self.fail(failure),
        }
        self.advance(now);
    }

    /// A sound asked for with [`Action::Play`] finished playing (all its repeats).
    pub fn media_done(&mut self, now: Instant, token: MediaToken) {
        self.tick(now);
        self.meter_media_end(Some(token));
        match &mut self.step {
            Step::Media { token: t, verb } if *t == token => {
                let verb = *verb;
                self.event(EventKind::VerbEnded, vec![("Verb".into(), verb.into())]);
                self.step = Step::Idle;
                self.advance(now);
            }
            Step::Gather(_) => verbs::gather::media_done(self, now, token),
            Step::Record(_) => verbs::record::media_done(self, token),
            Step::Failing { token: t } if *t == token => self.finish_hangup(),
            _ => {}
        }
    }

    /// A sound could not be played. Twilio logs it and goes on with the next verb.
    pub fn media_failed(&mut self, now: Instant, token: MediaToken, failure: AppFailure) {
        self.tick(now);
        let ours = match &self.step {
            Step::Media { token: t, .. } | Step::Failing { token: t } => *t == token,
            Step::Gather(g) => g.owns(token),
            Step::Record(r) => verbs::record::owns(r, token),
            _ => false,
        };
        if ours {
            self.notify(failure);
            self.media_done(now, token);
        }
    }

    /// The caller pressed a key (RFC 4733 or SIP INFO).
    pub fn digit(&mut self, now: Instant, digit: char) {
        self.tick(now);
        if self.room.is_some() {
            // `hangupOnStar` holds while the room's wait or hold document plays too.
            return verbs::dial::conference::digit(self, now, digit);
        }
        match self.step {
            Step::Gather(_) => verbs::gather::digit(self, now, digit),
            Step::Dial(_) => verbs::dial::digit(self, now, digit),
            Step::Record(_) => verbs::record::digit(self, digit),
            Step::Connect(_) => verbs::stream::digit(self, digit),
            _ => {}
        }
    }

    /// Start a Media Stream on the live call (the REST API's `Streams` resource), like
    /// `<Start><Stream>`: its SID, or why it was refused.
    pub fn start_stream(
        &mut self,
        stream: switchyard_instructions::Stream,
    ) -> Result<switchyard_types::StreamSid, AppFailure> {
        if matches!(self.step, Step::Done) {
            return Err(AppFailure {
                code: verbs::NOT_EXECUTED,
                message: "the call is over".into(),
            });
        }
        verbs::stream::open(self, stream, false)
    }

    /// Stop the stream with this name or SID (the REST API): its SID and name, or
    /// `None` when the call has no such stream. Stopping a `<Connect>`'s stream ends
    /// the `<Connect>`.
    pub fn stop_stream(
        &mut self,
        now: Instant,
        name_or_sid: &str,
    ) -> Option<(switchyard_types::StreamSid, Option<String>)> {
        let found = verbs::stream::find(self, name_or_sid);
        if found.is_some() {
            verbs::stream::stop_by(self, name_or_sid);
            self.advance(now);
        }
        found
    }

    /// The node opened the stream asked for with [`Action::StartStream`].
    pub fn stream_started(&mut self, sid: switchyard_types::StreamSid) {
        verbs::stream::started(self, sid);
    }

    /// The stream ended on its own (its server closed it) or failed with `error`; a
    /// `<Connect>` waiting on it goes on.
    pub fn stream_ended(
        &mut self,
        now: Instant,
        sid: switchyard_types::StreamSid,
        error: Option<AppFailure>,
    ) {
        verbs::stream::ended(self, sid, error);
        self.advance(now);
    }

    /// A leg placed for [`Action::Dial`] rings (180/183); `sid` is its call.
    pub fn leg_ringing(&mut self, leg: LegId, sid: CallSid) {
        verbs::dial::ringing(self, leg, sid);
    }

    /// A leg placed for [`Action::Dial`] sends early media (183 with SDP).
    pub fn leg_early_media(&mut self, leg: LegId) {
        verbs::dial::early_media(self, leg);
    }

    /// A leg placed for [`Action::Dial`] was answered.
    pub fn leg_answered(&mut self, now: Instant, leg: LegId, sid: CallSid) {
        self.tick(now);
        verbs::dial::answered(self, now, leg, sid);
    }

    /// A leg's call is over with `status` (before an answer: why it failed).
    pub fn leg_ended(&mut self, now: Instant, leg: LegId, sid: CallSid, status: CallStatus) {
        self.tick(now);
        verbs::dial::leg_ended(self, now, leg, sid, status);
    }

    /// The whisper asked for with [`Action::Whisper`] is over; `bridge` is false when it
    /// hung up the called party.
    pub fn whisper_done(&mut self, now: Instant, leg: LegId, bridge: bool) {
        self.tick(now);
        verbs::dial::whisper_done(self, now, leg, bridge);
    }

    /// The time given by [`Executor::poll_timeout`] has come.
    pub fn timeout(&mut self, now: Instant) {
        self.tick(now);
        if self.pre_answer_expired(now) || verbs::dial::conference::timeout(self, now) {
            return;
        }
        match self.step {
            Step::Pause {
                until,
                answer_after,
            } if now >= until => {
                self.event(EventKind::VerbEnded, vec![("Verb".into(), "Pause".into())]);
                // Twilio: "If <Pause> is the first verb in a TwiML document, Twilio will
                // wait the specified number of seconds before picking up the call."
                if answer_after {
                    self.ensure_answered();
                }
                self.step = Step::Idle;
                self.advance(now);
            }
            Step::Gather(_) => verbs::gather::timeout(self, now),
            Step::Dial(_) => verbs::dial::timeout(self, now),
            Step::Agent(_) => verbs::dial_queue::timeout(self, now),
            _ => {}
        }
    }

    /// The caller hung up (or the call was cancelled): nothing more is done, except
    /// ending the legs a `<Dial>` placed and telling its `action` the outcome.
    pub fn hangup(&mut self, now: Instant) {
        self.tick(now);
        if matches!(self.step, Step::Dial(_)) {
            verbs::dial::caller_gone(self, now);
        }
        verbs::dial_queue::caller_gone(self, now);
        verbs::enqueue::caller_gone(self, now);
        verbs::dial::conference::caller_gone(self, now);
        self.verbs.clear();
        verbs::stream::stop_all(self);
        self.stop_call_recordings();
        self.end_modules();
        if verbs::record::caller_gone(self) {
            // The recording is still told to `action`, once the media has finished it.
            self.hung_up = true;
            return;
        }
        self.step = Step::Done;
    }

    /// The recording asked for with [`Action::Record`] started as `id`.
    pub fn record_started(&mut self, token: MediaToken, id: RecordingId) {
        if !self.call_recording_started(token, &id) {
            verbs::record::started(self, token, id);
        }
    }

    /// The caller hung up during a `<Record>` or a call recording that the media is
    /// finishing: the call's media must stay until [`Executor::record_done`].
    pub fn finishing_recording(&self) -> bool {
        self.hung_up || !self.call_recordings.is_empty()
    }

    /// The recording with `token`, while its `<Record>` or call recording runs.
    pub fn recording(&self, token: MediaToken) -> Option<&RecordingId> {
        match &self.step {
            Step::Record(r) => r.recording(token),
            _ => None,
        }
        .or_else(|| self.call_recording(token))
    }

    /// The recording asked for with [`Action::Record`] is finished (stopped, silent for
    /// its `timeout`, at its `maxLength`, or the leg gone).
    pub fn record_done(&mut self, now: Instant, token: MediaToken, recorded: Recorded) {
        self.tick(now);
        if self.recording(token).is_some() {
            self.meter_recorded(std::time::Duration::from_secs(recorded.duration_secs));
        }
        if self.call_recording_done(token, recorded) {
            return;
        }
        let Some(outcome) = verbs::record::done(self, token, recorded) else {
            return;
        };
        let hung_up = std::mem::take(&mut self.hung_up);
        match outcome {
            verbs::record::Outcome::Fetch {
                url,
                method,
                params,
            } => {
                self.verbs.clear();
                self.fetch(url, method, params, false);
            }
            verbs::record::Outcome::Next if !hung_up => self.advance(now),
            verbs::record::Outcome::Next => {}
        }
        if hung_up {
            // What `action` answers is not executed: the caller is gone.
            self.step = Step::Done;
        }
    }

    /// Replace the running document now (a live redirect from the REST API).
    pub fn redirect(&mut self, now: Instant, url: String, method: HttpMethod) {
        self.tick(now);
        if matches!(self.step, Step::Done) {
            return;
        }
        self.push(Action::StopMedia);
        self.end_recording();
        self.leave_connect();
        self.leave_queue(now);
        self.leave_conference();
        self.verbs.clear();
        self.fetch(url, method, Vec::new(), false);
    }

    /// A live update replaces a `<Record>`: its recording is finished (and kept), its
    /// `action` not requested.
    fn end_recording(&mut self) {
        if let Step::Record(r) = &self.step {
            if let Some(token) = r.token() {
                self.push(Action::StopRecording(token));
            }
        }
    }

    /// A new document replaces a `<Connect>`: its stream closes, without its `action`.
    fn leave_connect(&mut self) {
        if let Step::Connect(state) = std::mem::replace(&mut self.step, Step::Idle) {
            verbs::stream::stop_by(self, &state.sid().to_string());
        }
    }

    /// The next thing the node must do.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When [`Executor::timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let step = match &self.step {
            Step::Pause { until, .. } => Some(*until),
            Step::Gather(g) => g.deadline(),
            Step::Dial(d) => d.deadline(),
            Step::Agent(a) => a.deadline(),
            _ => None,
        };
        let room = self.room.as_ref().and_then(|c| c.deadline());
        [step, room, self.pre_answer_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Run verbs until one has to wait for something.
    pub(crate) fn advance(&mut self, now: Instant) {
        while matches!(self.step, Step::Idle) {
            let Some(verb) = self.verbs.pop_front() else {
                if side::ended(self, now) {
                    return;
                }
                if std::mem::take(&mut self.whisper) {
                    self.push(Action::WhisperEnded);
                    self.step = Step::Done;
                    return;
                }
                // Twilio ends the call when a document runs out of verbs.
                self.ensure_answered();
                self.finish_hangup();
                return;
            };
            // A wait, hold or announcement document runs only some verbs; one skipped
            // does not count as run (a document of nothing else is still a loop).
            let Some(verb) = side::filter(self, verb) else {
                continue;
            };
            let first = self.verbs_started == 0;
            self.verbs_started += 1;
            if !matches!(verb, Verb::Redirect(_)) {
                self.verb_ran();
            }
            self.event(
                EventKind::VerbStarted,
                vec![("Verb".into(), verb.name().into())],
            );
            verbs::start(self, now, verb, first);
        }
    }

    /// The application failed: a notification, the error message, then a clean hang-up.
    pub(crate) fn fail(&mut self, failure: AppFailure) {
        self.report_failure(failure);
        self.verbs.clear();
        self.push(Action::StopMedia);
        self.ensure_answered();
        let token = self.play(
            MediaSource::Speech {
                text: APPLICATION_ERROR.into(),
                voice: Say::default().voice,
                language: Say::default().language,
            },
            1,
        );
        self.step = Step::Failing { token };
    }

    /// An `app.error` event and a notification.
    pub(crate) fn report_failure(&mut self, failure: AppFailure) {
        self.event(
            EventKind::AppError,
            vec![
                ("ErrorCode".into(), failure.code.to_string()),
                ("Message".into(), failure.message.clone()),
            ],
        );
        self.notify(failure);
    }

    pub(crate) fn ensure_answered(&mut self) {
        if !self.answered {
            self.answered = true;
            self.push(Action::Answer);
        }
    }

    pub(crate) fn finish_hangup(&mut self) {
        self.stop_call_recordings();
        self.push(Action::Hangup);
        self.step = Step::Done;
        self.end_modules();
    }

    /// Request the next document: `{Name}` templates in `url` expand from the request's
    /// parameters, then relative URLs resolve against the current one.
    pub(crate) fn fetch(
        &mut self,
        url: String,
        method: HttpMethod,
        params: Vec<(String, String)>,
        use_fallback: bool,
    ) {
        if !self.count_request() {
            return;
        }
        let url = crate::template::expand(&url, &self.request_params(&params));
        match self.resolve(&url) {
            Ok(url) => {
                self.document_url = url.clone();
                self.document_params = params.clone();
                self.hand_off(crate::modules::Application::module_of(
                    self.application.as_ref(),
                    &url,
                ));
                self.meter_step();
                self.document_method = method;
                self.step = Step::Fetching;
                self.push(Action::Fetch(FetchRequest {
                    url,
                    method,
                    params,
                    use_fallback,
                }));
            }
            Err(message) => self.fail(AppFailure {
                code: INVALID_URL,
                message,
            }),
        }
    }

    /// `url` made absolute against the running document's URL.
    pub fn resolve(&self, url: &str) -> Result<String, String> {
        let url = app_url(url);
        let url = url.as_str();
        let joined = url::Url::parse(&self.document_url)
            .and_then(|base| base.join(url))
            .or_else(|_| url::Url::parse(url));
        match joined {
            Ok(u) => Ok(u.to_string()),
            Err(e) => Err(format!(
                "cannot resolve URL {url:?} against {:?}: {e}",
                self.document_url
            )),
        }
    }

    /// A new token for a sound or a recording.
    pub(crate) fn token(&mut self) -> MediaToken {
        self.next_token += 1;
        MediaToken(self.next_token)
    }

    pub(crate) fn play(&mut self, source: MediaSource, repeat: u32) -> MediaToken {
        let token = self.token();
        self.meter_play(token, &source);
        self.push(Action::Play {
            token,
            source,
            repeat,
        });
        token
    }

    pub(crate) fn notify(&mut self, failure: AppFailure) {
        self.meter_error();
        self.push(Action::Notify(failure));
    }

    pub(crate) fn event(&mut self, kind: EventKind, data: Vec<(String, String)>) {
        self.push(Action::Event { kind, data });
    }

    pub(crate) fn push(&mut self, action: Action) {
        if action == Action::StopMedia {
            self.meter_media_end(None);
        }
        self.actions.push_back(action);
    }
}

/// `app:NAME` (a tenant Wasm app, as TwiML's `<Redirect>app:NAME</Redirect>` names it) as
/// the base URL `app://NAME/`, so the app's own relative paths (`/gathered`, `menu`)
/// resolve against it like a webhook's do against its URL.
pub fn app_url(url: &str) -> String {
    match url.trim().strip_prefix("app:") {
        Some(rest) if !rest.starts_with("//") => {
            let (name, path) = rest.split_once('/').unwrap_or((rest, ""));
            format!("app://{name}/{path}")
        }
        _ => url.trim().to_owned(),
    }
}

#[cfg(test)]
mod metering_tests;
#[cfg(test)]
mod queue_tests;
#[cfg(test)]
mod stream_tests;
#[cfg(test)]
mod template_tests;
#[cfg(test)]
mod tests;
