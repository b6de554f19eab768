//! The legs of a `<Dial>`: the call core decides (who rings, who wins, when the bridge is
//! made and ends); this file only places the child calls, passes their news back to the
//! core, and joins the two media tasks.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use switchyard_call::{AppFailure, DialRequest, LegId, LegTarget};
use switchyard_instructions::HttpMethod;
use switchyard_types::{CallSid, CallStatus};
use tokio::sync::mpsc;

use super::outbound::{spawn_outbound, OutboundApp, OutboundCall};
use super::Session;
use crate::live::Control;
use crate::media_io::{MediaCommand, MediaLink};
use crate::shared::target;

/// What a child leg tells the session that placed it.
#[derive(Debug)]
pub enum LegReport {
    Ringing,
    /// It sends early media, which this stream can bridge.
    EarlyMedia(MediaLink),
    Answered(MediaLink),
    /// Its whisper ran to the end: it may be bridged.
    WhisperDone,
    /// Its far end put it on hold, or took it off.
    Held(bool),
    Ended(CallStatus),
}

/// A child leg's tie to its parent call.
#[derive(Debug, Clone)]
pub struct Parent {
    pub call_sid: CallSid,
    pub leg: LegId,
    pub reports: mpsc::UnboundedSender<(LegId, LegReport)>,
    /// The caller's media, beside which the leg's goes (a bridge on one worker).
    pub media: Option<MediaLink>,
    /// The tenant transcoder the `<Dial>` noun names for this leg.
    pub transcoder: Option<String>,
}

impl Parent {
    pub(super) fn report(&self, report: LegReport) {
        let _ = self.reports.send((self.leg, report));
    }
}

/// The legs a call has placed.
#[derive(Debug)]
pub(super) struct Legs {
    by_id: HashMap<LegId, Leg>,
    /// The leg the call is bridged to.
    bridged: Option<LegId>,
    tx: mpsc::UnboundedSender<(LegId, LegReport)>,
    pub(super) rx: Option<mpsc::UnboundedReceiver<(LegId, LegReport)>>,
}

#[derive(Debug)]
struct Leg {
    sid: CallSid,
    media: Option<MediaLink>,
}

impl Default for Legs {
    fn default() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Self {
            by_id: HashMap::new(),
            bridged: None,
            tx,
            rx: Some(rx),
        }
    }
}

/// Safety net for a leg whose parent never ends it: the core's own `timeout` ends
/// ringing long before this.
const LEG_RING_LIMIT: Duration = Duration::from_secs(600);

impl Session {
    /// Place every leg of a `<Dial>`.
    pub(super) fn place_legs(&mut self, req: DialRequest) {
        let now = Instant::now();
        self.legs.by_id.clear();
        for leg in req.legs {
            let sid = CallSid::random();
            let to = match &leg.target {
                LegTarget::Number(n) => n.clone(),
                LegTarget::Sip { uri, .. } => uri.clone(),
                LegTarget::Client { identity, .. } => format!("client:{identity}"),
            };
            let routed = match &leg.target {
                LegTarget::Client {
                    contact, headers, ..
                } => Ok(crate::routing::client_route(contact, headers)),
                _ => crate::routing::route(&self.shared.config, self.info.account_sid, &to),
            };
            let route = match routed {
                Ok(r) => r,
                Err(e) => {
                    self.notify(AppFailure {
                        code: crate::routing::NOT_ROUTABLE,
                        message: format!("<Dial> to {to}: {e}"),
                    });
                    self.exec.leg_ended(now, leg.id, sid, CallStatus::Failed);
                    continue;
                }
            };
            let credentials = match &leg.target {
                LegTarget::Sip {
                    username: Some(u),
                    password: Some(p),
                    ..
                } => Some((u.clone(), p.clone())),
                _ => route.credentials,
            };
            let cb = &leg.callbacks;
            let call = OutboundCall {
                call_sid: sid,
                account: self.account.clone(),
                from: req
                    .caller_id
                    .clone()
                    .unwrap_or_else(|| self.info.from.clone()),
                to,
                request_uri: route.request_uri,
                destination: route.destination,
                transport: route.transport,
                headers: route.headers,
                credentials,
                app: OutboundApp::Leg,
                fallback: None,
                status_callback: cb
                    .status_callback
                    .as_deref()
                    .and_then(|u| self.exec.resolve(u).ok())
                    .map(|u| target(&u, cb.status_callback_method.as_str())),
                status_events: cb
                    .status_callback_event
                    .iter()
                    .map(|e| e.as_str().to_owned())
                    .collect(),
                ring_timeout: LEG_RING_LIMIT,
                record: None,
                created: SystemTime::now(),
            };
            self.legs.by_id.insert(leg.id, Leg { sid, media: None });
            let parent = Parent {
                call_sid: self.info.call_sid,
                leg: leg.id,
                reports: self.legs.tx.clone(),
                media: self.media.as_ref().map(|m| m.link()),
                transcoder: leg.transcoder.clone(),
            };
            spawn_outbound(self.shared.clone(), call, Some(parent), || {});
        }
    }

    pub(super) fn leg_report(&mut self, leg: LegId, report: LegReport) {
        let now = Instant::now();
        let Some(l) = self.legs.by_id.get_mut(&leg) else {
            return;
        };
        let sid = l.sid;
        match report {
            LegReport::Ringing => self.exec.leg_ringing(leg, sid),
            LegReport::EarlyMedia(media) => {
                l.media = Some(media);
                self.exec.leg_early_media(leg);
            }
            LegReport::Answered(media) => {
                l.media = Some(media);
                self.exec.leg_answered(now, leg, sid);
            }
            LegReport::WhisperDone => self.exec.whisper_done(now, leg, true),
            LegReport::Held(on) => {
                if self.legs.bridged == Some(leg) {
                    self.sip.hold(on);
                }
            }
            LegReport::Ended(status) => {
                self.legs.by_id.remove(&leg);
                self.exec.leg_ended(now, leg, sid, status);
            }
        }
    }

    /// CANCEL a ringing leg, BYE an answered one; its record says `status`.
    pub(super) fn end_leg(&mut self, leg: LegId, status: CallStatus) {
        if let Some(l) = self.legs.by_id.get(&leg) {
            let _ = self.shared.live.send(l.sid, Control::EndLeg(status));
        }
    }

    /// Run the whisper on the answered leg (its own executor, its own request
    /// parameters); the leg reports back when it ends.
    pub(super) fn start_whisper(&mut self, leg: LegId, url: String, method: HttpMethod) {
        let Some(l) = self.legs.by_id.get(&leg) else {
            return;
        };
        match self.exec.resolve(&url) {
            Ok(url) => {
                let _ = self
                    .shared
                    .live
                    .send(l.sid, Control::Whisper { url, method });
            }
            Err(message) => {
                // A whisper that cannot run is the app's error; the caller is connected
                // as if there were none.
                self.notify(AppFailure {
                    code: 11100,
                    message,
                });
                self.exec.whisper_done(Instant::now(), leg, true);
            }
        }
    }

    pub(super) fn send_leg_digits(&mut self, leg: LegId, digits: String) {
        if let Some(m) = self.legs.by_id.get(&leg).and_then(|l| l.media.as_ref()) {
            m.send(MediaCommand::Digits(digits));
        }
    }

    /// Join the caller's media and the leg's, both ways.
    pub(super) fn bridge(&mut self, leg: LegId) {
        let (Some(own), Some(theirs)) = (
            self.media.as_ref().map(|m| m.link()),
            self.legs.by_id.get(&leg).and_then(|l| l.media.clone()),
        ) else {
            return;
        };
        self.playing = None;
        theirs.send(MediaCommand::Bridge(Some(own.clone())));
        own.send(MediaCommand::Bridge(Some(theirs.clone())));
        self.legs.bridged = Some(leg);
        self.record_bridge(Some(theirs));
    }

    /// Our far end held us (or let go): the other side of the bridge hears of it.
    pub(super) fn pass_hold(&mut self, on: bool) {
        if let Some(parent) = &self.parent {
            parent.report(LegReport::Held(on));
        } else if let Some(l) = self.legs.bridged.and_then(|b| self.legs.by_id.get(&b)) {
            let _ = self.shared.live.send(l.sid, Control::Hold(on));
        }
    }

    pub(super) fn unbridge(&mut self, leg: LegId) {
        self.legs.bridged = None;
        self.record_bridge(None);
        if let Some(theirs) = self.legs.by_id.get(&leg).and_then(|l| l.media.as_ref()) {
            theirs.send(MediaCommand::Bridge(None));
        }
        self.media_command(MediaCommand::Bridge(None));
    }
}
