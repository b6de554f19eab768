//! One leg's SIP side, sans-IO: where the dialog stands, what was negotiated, whether
//! the call is answered and how it ended. SIP requests and time in; responses and
//! requests to send, media settings and call facts out. Each fact has one owner here:
//! the node asks this core, it keeps no copy.
//!
//! The executor (the app's verbs) stays beside it: the node passes the executor's
//! `Answer`, `Reject` and `Hangup` to [`SipLeg::answer`], [`SipLeg::reject`] and
//! [`SipLeg::hang_up`], and [`LegOutput::PeerEnded`] and [`LegOutput::Digit`] back.

use std::collections::VecDeque;
use std::time::Instant;

use switchyard_rtp::{
    answer, offer_with_direction, Codec, Direction, LocalMedia, Negotiated, SessionDescription,
};
use switchyard_sip::{Dialog, Method, Request, Response, ServerTxId};
use switchyard_types::CallStatus;

/// Where the leg stands on the SIP side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// INVITE not answered yet.
    Early,
    /// 200 OK sent (or received, for a leg we placed).
    Answered,
    /// We sent BYE and wait for its outcome.
    Ending,
    Over,
}

/// What the node must do for the leg.
#[derive(Debug, Clone, PartialEq)]
pub enum LegOutput {
    /// Respond to the call's INVITE or to an in-dialog request.
    Respond { tx: ServerTxId, response: Response },
    /// Send an in-dialog request (BYE) over the dialog's flow.
    Send(Request),
    /// CANCEL our pending INVITE (a leg we placed).
    CancelInvite,
    /// (Re)configure the media stream: what was negotiated, and whether we send.
    Media {
        negotiated: Box<Negotiated>,
        sending: bool,
    },
    /// Stop whatever plays.
    StopMedia,
    /// A digit by SIP INFO.
    Digit(char),
    /// The call is answered: record it, tell the app's status callback.
    Answered,
    /// The far end ended the call (BYE, CANCEL, no ACK): the app stops.
    PeerEnded,
    /// Our INVITE rings at the far end (180/183): record it.
    Ringing,
    /// Our INVITE's far end sends early media (18x with SDP): its stream may start
    /// before the answer, with [`SipLeg::negotiated`].
    EarlyMedia,
    /// Send our INVITE again (with credentials for the far end's challenge).
    Invite(Request),
    /// Send this ACK for a 2xx to our INVITE, outside any transaction.
    Ack(Request),
    /// The far end put us on hold (true) or took us off it (false): pass it on to the
    /// leg we are bridged to.
    Held(bool),
    /// Send this re-INVITE (our offer) in the dialog.
    Reinvite(Request),
}

/// Why we cancel our own INVITE: it decides what a 487 (or Timer B) means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelReason {
    /// Rang too long (`timeout`): `no-answer`.
    NoAnswer,
    /// Called off (REST cancel, caller gone, another leg won): `canceled`.
    Canceled,
}

/// Digest credentials for a far end's 401/407.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

/// One leg's SIP state.
#[derive(Debug)]
pub struct SipLeg {
    phase: Phase,
    status: CallStatus,
    /// The INVITE's server transaction (a leg the far end placed).
    invite_tx: Option<ServerTxId>,
    invite: Request,
    dialog: Option<Dialog>,
    local: LocalMedia,
    negotiated: Option<Negotiated>,
    answered_at: Option<Instant>,
    /// Our own INVITE: why we cancelled it, and whether we answered a challenge.
    cancel: Option<CancelReason>,
    authenticated: bool,
    /// The far end holds us (its last offer let us send nothing).
    held: bool,
    /// The offer of our re-INVITE awaiting its answer.
    pending_offer: Option<SessionDescription>,
    /// Our 2xx to the far end's INVITE is not acknowledged yet.
    awaiting_ack: bool,
    /// We hung up before that ACK: the BYE goes when it comes (or when it never does).
    bye_deferred: bool,
    out: VecDeque<LegOutput>,
}

impl SipLeg {
    /// A leg the far end placed with `invite`; [`SipLeg::ring`] takes it on.
    pub fn inbound(invite_tx: ServerTxId, invite: Request) -> SipLeg {
        SipLeg::new(Some(invite_tx), invite, CallStatus::Ringing)
    }

    /// A leg we place; [`SipLeg::placed`] gives it its INVITE.
    pub fn outbound() -> SipLeg {
        SipLeg::new(None, Request::new(Method::Invite, ""), CallStatus::Queued)
    }

    fn new(invite_tx: Option<ServerTxId>, invite: Request, status: CallStatus) -> SipLeg {
        SipLeg {
            phase: Phase::Early,
            status,
            invite_tx,
            invite,
            dialog: None,
            local: LocalMedia {
                address: std::net::IpAddr::from([0, 0, 0, 0]),
                port: 0,
                session_id: 0,
                session_version: 1,
                codecs: CODECS.to_vec(),
                srtp: switchyard_rtp::SrtpPolicy::Off,
            },
            negotiated: None,
            answered_at: None,
            cancel: None,
            authenticated: false,
            held: false,
            pending_offer: None,
            awaiting_ack: false,
            bye_deferred: false,
            out: VecDeque::new(),
        }
    }

    /// Take on the far end's INVITE with our media at `local`: negotiate its offer,
    /// make the dialog with our `tag` and `contact`, and ring (180). When the INVITE
    /// cannot become a call, the leg is over at once with the refusal as its output.
    pub fn ring(&mut self, local: LocalMedia, tag: &str, contact: &str) {
        self.local = local;
        let negotiated = match negotiate(&self.invite, &self.local) {
            Ok(n) => n,
            Err(refusal) => return self.refuse(refusal, CallStatus::Failed),
        };
        match Dialog::new_uas(&self.invite, tag, contact) {
            Ok(d) => self.dialog = Some(d),
            Err(e) => {
                let refusal = Refusal::new(e.status().unwrap_or(400), "Bad Request");
                return self.refuse(refusal, CallStatus::Failed);
            }
        }
        self.out.push_back(LegOutput::Media {
            negotiated: Box::new(negotiated.clone()),
            sending: false,
        });
        self.negotiated = Some(negotiated);
        let ringing = self.response(&self.invite, 180, "Ringing", None);
        self.respond(None, ringing);
    }

    /// The far end's INVITE cannot be served now (no media port): 503.
    pub fn unavailable(&mut self) {
        self.refuse(Refusal::new(503, "Service Unavailable"), CallStatus::Failed);
    }

    /// Our INVITE for this leg, with our media at `local`.
    pub fn placed(&mut self, invite: Request, local: LocalMedia) {
        self.invite = invite;
        self.local = local;
    }

    /// Cancel our INVITE for `reason` (once; a later reason does not change the first).
    pub fn cancel(&mut self, reason: CancelReason) {
        if self.phase == Phase::Early && self.cancel.is_none() {
            self.cancel = Some(reason);
            self.out.push_back(LegOutput::CancelInvite);
        }
    }

    /// Why our INVITE was cancelled, if it was.
    pub fn cancelled_for(&self) -> Option<CancelReason> {
        self.cancel
    }

    /// A response to our INVITE (`None`: Timer B fired, no final response at all),
    /// given the `offer` it carried. Some(answered?) once the attempt is over; 2xx
    /// retransmissions after that are ACKed again.
    pub fn invite_response(
        &mut self,
        now: Instant,
        response: Option<&Response>,
        offer: &SessionDescription,
        credentials: Option<&Credentials>,
    ) -> Option<bool> {
        let Some(r) = response else {
            if self.phase != Phase::Early {
                return None;
            }
            self.set_status(match self.cancel {
                Some(CancelReason::Canceled) => CallStatus::Canceled,
                Some(CancelReason::NoAnswer) => CallStatus::NoAnswer,
                None => CallStatus::Failed,
            });
            return Some(false);
        };
        if self.phase != Phase::Early {
            self.late_response(Some(r));
            return None;
        }
        match r.status {
            100 => None,
            101..=199 => {
                if self.status != CallStatus::Ringing && matches!(r.status, 180 | 183) {
                    self.status = CallStatus::Ringing;
                    self.out.push_back(LegOutput::Ringing);
                }
                // RFC 3261 §13.2.1 and RFC 3960: an SDP answer in a reliable or not
                // provisional response lets early media flow before the answer.
                if self.negotiated.is_none() && !r.body.is_empty() {
                    let early = std::str::from_utf8(&r.body)
                        .ok()
                        .and_then(|b| SessionDescription::parse(b).ok())
                        .and_then(|a| switchyard_rtp::accept_answer(offer, &a).ok());
                    if let Some(n) = early {
                        self.negotiated = Some(n);
                        self.out.push_back(LegOutput::EarlyMedia);
                    }
                }
                None
            }
            200..=299 => Some(self.uac_answered(now, r, offer)),
            401 | 407 if self.cancel.is_none() && !self.authenticated => {
                match credentials.and_then(|c| self.authenticated_invite(r, c)) {
                    Some(invite) => {
                        self.authenticated = true;
                        self.out.push_back(LegOutput::Invite(invite));
                        None
                    }
                    None => {
                        self.set_status(CallStatus::Failed);
                        Some(false)
                    }
                }
            }
            status => {
                self.set_status(match (status, self.cancel) {
                    (487, Some(CancelReason::NoAnswer)) | (408 | 480, _) => CallStatus::NoAnswer,
                    (487, _) => CallStatus::Canceled,
                    (486 | 600, _) => CallStatus::Busy,
                    _ => CallStatus::Failed,
                });
                Some(false)
            }
        }
    }

    /// A response to our INVITE after the attempt is over: RFC 3261 §13.2.2.4, "The UAC
    /// core MUST generate an ACK request for each 2xx received from the transaction
    /// layer" (our ACK was lost and the far end retransmits its 2xx).
    /// Our re-INVITE's answer comes here too.
    pub fn late_response(&mut self, response: Option<&Response>) {
        let Some(r) = response.filter(|r| r.status >= 200) else {
            if response.is_none() {
                self.pending_offer = None;
            }
            return;
        };
        if !(200..300).contains(&r.status) {
            // RFC 3264 §8: a refused re-offer leaves the session as it was.
            self.pending_offer = None;
            return;
        }
        // The ACK repeats the CSeq number of the INVITE it acknowledges (ours, or our
        // re-INVITE).
        let seq = r
            .cseq()
            .map(|c| c.seq)
            .unwrap_or_else(|_| self.invite_cseq());
        if let Some(d) = &self.dialog {
            self.out.push_back(LegOutput::Ack(d.ack(seq)));
        }
        let Some(offer) = self.pending_offer.take() else {
            return;
        };
        let answer = std::str::from_utf8(&r.body)
            .ok()
            .and_then(|b| SessionDescription::parse(b).ok());
        if let Some(n) = answer.and_then(|a| switchyard_rtp::accept_answer(&offer, &a).ok()) {
            self.out.push_back(LegOutput::Media {
                sending: n.direction.sends(),
                negotiated: Box::new(n.clone()),
            });
            self.negotiated = Some(n);
        }
    }

    /// Put the far end on hold (RFC 3264 §8.4: our stream becomes sendonly) or take it
    /// off: the hold of the leg we are bridged to, passed on. Ignored before the answer
    /// or while a re-INVITE of ours is pending.
    pub fn hold(&mut self, on: bool) {
        if self.phase != Phase::Answered || self.pending_offer.is_some() {
            return;
        }
        let Some(dialog) = self.dialog.as_mut() else {
            return;
        };
        self.local.session_version += 1;
        let direction = if on {
            Direction::SendOnly
        } else {
            Direction::SendRecv
        };
        let pt = self
            .negotiated
            .as_ref()
            .and_then(|n| n.telephone_event)
            .unwrap_or(101);
        let offer = offer_with_direction(&self.local, pt, direction);
        let mut request = dialog.request(Method::Invite);
        request.headers.set("Content-Type", "application/sdp");
        request.body = offer.to_string().into_bytes();
        self.pending_offer = Some(offer);
        self.out.push_back(LegOutput::Reinvite(request));
    }

    fn uac_answered(&mut self, now: Instant, r: &Response, offer: &SessionDescription) -> bool {
        let dialog = match Dialog::new_uac(&self.invite, r) {
            Ok(d) => d,
            Err(_) => {
                self.set_status(CallStatus::Failed);
                return false;
            }
        };
        self.out
            .push_back(LegOutput::Ack(dialog.ack(self.invite_cseq())));
        let negotiated = std::str::from_utf8(&r.body)
            .ok()
            .and_then(|b| SessionDescription::parse(b).ok())
            .and_then(|answer| switchyard_rtp::accept_answer(offer, &answer).ok());
        match negotiated {
            Some(n) => {
                self.answered_by_peer(now, dialog, n);
                true
            }
            None => {
                self.unusable_answer(dialog);
                false
            }
        }
    }

    /// The CSeq number of our (last) INVITE, which its ACK repeats.
    fn invite_cseq(&self) -> u32 {
        self.invite.cseq().map(|c| c.seq).unwrap_or(1)
    }

    /// RFC 3261 §22.2: "When a UAC resubmits a request with its credentials after
    /// receiving a 401 (Unauthorized) or 407 (Proxy Authentication Required) response, it
    /// MUST increment the CSeq header field value as it would normally when sending an
    /// updated request." None when the challenge cannot be answered.
    fn authenticated_invite(&mut self, challenge: &Response, c: &Credentials) -> Option<Request> {
        let (_, header) = switchyard_sip::digest::header_names(challenge.status)?;
        let parsed = switchyard_sip::digest::from_response(challenge).ok()?;
        let mut request = self.invite.clone();
        let cseq = self.invite_cseq() + 1;
        request.headers.set("CSeq", format!("{cseq} INVITE"));
        let value = switchyard_sip::digest::authorization(
            &parsed,
            &c.username,
            &c.password,
            "INVITE",
            &request.uri,
            &switchyard_sip::fresh_tag(),
            1,
        );
        request.headers.set(header, value);
        self.invite = request.clone();
        Some(request)
    }

    /// The far end answered our INVITE with `dialog` and `negotiated` media.
    fn answered_by_peer(&mut self, now: Instant, dialog: Dialog, negotiated: Negotiated) {
        self.dialog = Some(dialog);
        self.out.push_back(LegOutput::Media {
            negotiated: Box::new(negotiated.clone()),
            sending: negotiated.direction.sends(),
        });
        self.negotiated = Some(negotiated);
        self.set_answered(now);
    }

    /// The far end answered our INVITE with SDP we cannot use. RFC 3264 gives no way to
    /// refuse an answer: the call ends with BYE, and failed.
    fn unusable_answer(&mut self, dialog: Dialog) {
        self.dialog = Some(dialog);
        self.phase = Phase::Answered;
        self.hang_up();
        self.status = CallStatus::Failed;
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The call's status as its record and callbacks give it.
    pub fn status(&self) -> CallStatus {
        self.status
    }

    /// Sets the status a leg we placed reached while dialling (ringing, or why it
    /// failed); the dialling itself is the node's.
    pub fn set_status(&mut self, status: CallStatus) {
        self.status = status;
        if status.is_final() {
            self.phase = Phase::Over;
        }
    }

    /// When the call was answered.
    pub fn answered_at(&self) -> Option<Instant> {
        self.answered_at
    }

    pub fn invite(&self) -> &Request {
        &self.invite
    }

    pub fn dialog(&self) -> Option<&Dialog> {
        self.dialog.as_ref()
    }

    pub fn negotiated(&self) -> Option<&Negotiated> {
        self.negotiated.as_ref()
    }

    /// What the node must do next.
    pub fn poll_output(&mut self) -> Option<LegOutput> {
        self.out.pop_front()
    }

    /// Answer the far end's INVITE (200 OK with our SDP answer).
    pub fn answer(&mut self, now: Instant) {
        if self.phase != Phase::Early || self.invite_tx.is_none() {
            return;
        }
        let Some(n) = self.negotiated.clone() else {
            return;
        };
        let ok = self.response(&self.invite, 200, "OK", Some(n.answer.to_string()));
        self.respond(None, ok);
        self.awaiting_ack = true;
        self.out.push_back(LegOutput::Media {
            sending: n.direction.sends(),
            negotiated: Box::new(n),
        });
        self.set_answered(now);
    }

    fn set_answered(&mut self, now: Instant) {
        self.phase = Phase::Answered;
        self.answered_at = Some(now);
        self.status = CallStatus::InProgress;
        self.out.push_back(LegOutput::Answered);
    }

    /// Tell the far end of an unanswered INVITE that media flows: 183 Session Progress
    /// with our SDP answer, and our stream starts (what is bridged to it, e.g. another
    /// leg's early media).
    pub fn progress(&mut self) {
        if self.phase != Phase::Early || self.invite_tx.is_none() {
            return;
        }
        let Some(n) = self.negotiated.clone() else {
            return;
        };
        let r = self.response(
            &self.invite,
            183,
            "Session Progress",
            Some(n.answer.to_string()),
        );
        self.respond(None, r);
        self.out.push_back(LegOutput::Media {
            sending: n.direction.sends(),
            negotiated: Box::new(n),
        });
    }

    /// Refuse the far end's INVITE without answering: `<Reject>` (486 or 603), or an
    /// application that never answered (500, 408).
    pub fn reject(&mut self, status: u16) {
        // Twilio's <Reject>: "The call ends with a status of busy or no-answer, depending
        // on the verb's reason attribute."
        let call_status = match status {
            486 => CallStatus::Busy,
            603 => CallStatus::NoAnswer,
            _ => CallStatus::Failed,
        };
        self.refuse(
            Refusal::new(status, switchyard_sip::default_reason(status)),
            call_status,
        );
    }

    /// End the call from our side: BYE once answered; before that, 603 to the far
    /// end's INVITE or CANCEL of ours.
    pub fn hang_up(&mut self) {
        self.out.push_back(LegOutput::StopMedia);
        match self.phase {
            Phase::Early if self.invite_tx.is_some() => {
                self.refuse(Refusal::new(603, "Decline"), CallStatus::Completed)
            }
            Phase::Early => self.cancel(CancelReason::Canceled),
            Phase::Answered => {
                self.status = CallStatus::Completed;
                self.phase = Phase::Ending;
                // RFC 3261 §15: "the callee's UA MUST NOT send a BYE on a confirmed
                // dialog until it has received an ACK for its 2xx response or until the
                // server transaction times out."
                if self.awaiting_ack {
                    self.bye_deferred = true;
                } else {
                    self.send_bye();
                }
            }
            Phase::Ending | Phase::Over => {}
        }
    }

    fn send_bye(&mut self) {
        let Some(dialog) = self.dialog.as_mut() else {
            self.phase = Phase::Over;
            return;
        };
        let bye = dialog.request(Method::Bye);
        self.out.push_back(LegOutput::Send(bye));
    }

    /// The far end acknowledged our 2xx: a BYE held back for it goes now.
    pub fn ack(&mut self) {
        self.awaiting_ack = false;
        if std::mem::take(&mut self.bye_deferred) {
            self.send_bye();
        }
    }

    /// End a call that is not answered yet (a REST cancel, a caller gone, a ring
    /// timeout): 487 to the far end's INVITE, or CANCEL of ours.
    pub fn cancel_early(&mut self) {
        if self.phase != Phase::Early {
            return;
        }
        if self.invite_tx.is_some() {
            self.refuse(
                Refusal::new(487, "Request Terminated"),
                CallStatus::Canceled,
            );
        } else {
            self.cancel(CancelReason::Canceled);
        }
    }

    /// The far end sent CANCEL for its INVITE.
    pub fn cancelled(&mut self) {
        if self.phase == Phase::Early {
            // RFC 3261 §9.2: "the UAS SHOULD immediately respond to the INVITE with a
            // 487 (Request Terminated)".
            self.out.push_back(LegOutput::PeerEnded);
            self.cancel_early();
        }
    }

    /// Our 2xx was never acknowledged.
    pub fn ack_timeout(&mut self) {
        // RFC 3261 §13.3.1.4: "If the server retransmits the 2xx response for 64*T1
        // seconds without receiving an ACK, the dialog is confirmed, but the session
        // SHOULD be terminated. This is accomplished with a BYE".
        self.out.push_back(LegOutput::PeerEnded);
        self.awaiting_ack = false;
        if std::mem::take(&mut self.bye_deferred) {
            self.send_bye();
        } else {
            self.hang_up();
        }
    }

    /// The final outcome of our BYE (None: Timer F fired). The call is over either way.
    pub fn bye_outcome(&mut self) {
        if self.phase == Phase::Ending {
            self.phase = Phase::Over;
        }
    }

    /// The far end went away without a word (its session queue closed).
    pub fn lost(&mut self) {
        self.phase = Phase::Over;
    }

    /// A request inside the dialog.
    pub fn request(&mut self, tx: ServerTxId, request: Request) {
        if let Some(d) = self.dialog.as_mut() {
            if let Err(e) = d.accept_request(&request) {
                let status = e.status().unwrap_or(500);
                let r = self.response(&request, status, "Server Internal Error", None);
                return self.respond(Some(tx), r);
            }
        }
        match request.method {
            Method::Bye => {
                let ok = self.response(&request, 200, "OK", None);
                self.respond(Some(tx), ok);
                self.out.push_back(LegOutput::PeerEnded);
                self.out.push_back(LegOutput::StopMedia);
                self.status = CallStatus::Completed;
                self.phase = Phase::Over;
            }
            Method::Invite => self.reinvite(tx, request),
            Method::Info => self.info(tx, request),
            Method::Options => {
                let ok = self.response(&request, 200, "OK", None);
                self.respond(Some(tx), ok);
            }
            _ => {
                let mut r = self.response(&request, 405, "Method Not Allowed", None);
                r.headers
                    .set("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO");
                self.respond(Some(tx), r);
            }
        }
    }

    /// A re-INVITE: hold, unhold, or a new address (RFC 3264 §8).
    fn reinvite(&mut self, tx: ServerTxId, request: Request) {
        if request.body.is_empty() {
            // No offer: offer the session as it stands (our last answer, same version).
            let sdp = self.negotiated.as_ref().map(|n| n.answer.to_string());
            let r = self.response(&request, 200, "OK", sdp);
            return self.respond(Some(tx), r);
        }
        let mut local = self.local.clone();
        local.session_version += 1;
        match negotiate(&request, &local) {
            Ok(n) => {
                self.local = local;
                let r = self.response(&request, 200, "OK", Some(n.answer.to_string()));
                self.respond(Some(tx), r);
                let held = !n.direction.sends();
                if self.phase == Phase::Answered && held != self.held {
                    self.held = held;
                    self.out.push_back(LegOutput::Held(held));
                }
                self.out.push_back(LegOutput::Media {
                    sending: self.phase == Phase::Answered && n.direction.sends(),
                    negotiated: Box::new(n.clone()),
                });
                self.negotiated = Some(n);
            }
            Err(refusal) => {
                // RFC 3264 §6: a rejected re-offer leaves the session as it was (and the
                // version of our SDP with it).
                let r =
                    refusal.response(self.response(&request, refusal.status, refusal.reason, None));
                self.respond(Some(tx), r);
            }
        }
    }

    /// SIP INFO digits (`application/dtmf-relay`: `Signal=5`, or `application/dtmf`: `5`).
    fn info(&mut self, tx: ServerTxId, request: Request) {
        let ctype = request.content_type().map(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
        let body = String::from_utf8_lossy(&request.body);
        let digit = match ctype.as_deref() {
            Some("application/dtmf-relay") => body.lines().find_map(|l| {
                let (k, v) = l.split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case("signal")
                    .then(|| v.trim().chars().next())?
            }),
            Some("application/dtmf") => body.trim().chars().next(),
            None => None,
            Some(_) => {
                let mut r = self.response(&request, 415, "Unsupported Media Type", None);
                r.headers
                    .set("Accept", "application/dtmf-relay, application/dtmf");
                return self.respond(Some(tx), r);
            }
        };
        let ok = self.response(&request, 200, "OK", None);
        self.respond(Some(tx), ok);
        if let Some(d) = digit.filter(|d| d.is_ascii_digit() || "*#ABCD".contains(*d)) {
            self.out.push_back(LegOutput::Digit(d));
        }
    }

    /// Final non-2xx to the far end's INVITE: the call never starts.
    fn refuse(&mut self, refusal: Refusal, call_status: CallStatus) {
        let r = refusal.response(self.response(&self.invite, refusal.status, refusal.reason, None));
        self.respond(None, r);
        self.status = call_status;
        self.phase = Phase::Over;
    }

    /// Respond on `tx`, or (None) to the far end's INVITE; a leg we placed has none.
    fn respond(&mut self, tx: Option<ServerTxId>, response: Response) {
        if let Some(tx) = tx.or(self.invite_tx) {
            self.out.push_back(LegOutput::Respond { tx, response });
        }
    }

    fn response(
        &self,
        request: &Request,
        status: u16,
        reason: &str,
        sdp: Option<String>,
    ) -> Response {
        match &self.dialog {
            Some(d) => d.response(
                request,
                status,
                reason,
                sdp.map(|s| ("application/sdp", s.into_bytes())),
            ),
            None => {
                let mut r = Response::to_request(request, status, reason);
                switchyard_sip::add_to_tag(&mut r);
                r
            }
        }
    }
}

/// A final non-2xx answer to an INVITE: status, reason and the `Warning` saying why.
#[derive(Debug, Clone, Copy)]
struct Refusal {
    status: u16,
    reason: &'static str,
    warning: Option<(u16, &'static str)>,
}

impl Refusal {
    fn new(status: u16, reason: &'static str) -> Self {
        Refusal {
            status,
            reason,
            warning: None,
        }
    }

    /// `response` with our `Warning`, if any. RFC 3261 §20.43: `Warning: 305 host
    /// "text"`, the warn-agent naming the server that adds it.
    fn response(&self, mut response: Response) -> Response {
        if let Some((code, text)) = self.warning {
            response
                .headers
                .push("Warning", format!("{code} switchyard \"{text}\""));
        }
        response
    }
}

/// RFC 3264 answer to the offer in `request`, for `local`.
fn negotiate(request: &Request, local: &LocalMedia) -> Result<Negotiated, Refusal> {
    let body =
        std::str::from_utf8(&request.body).map_err(|_| Refusal::new(400, "SDP is not UTF-8"))?;
    if body.trim().is_empty() {
        // An INVITE without an offer would need our offer in the 200 and the answer in
        // the ACK; callers of an edge node send offers, and we say so plainly.
        return Err(Refusal::new(488, "Not Acceptable Here (no SDP offer)"));
    }
    let offer = SessionDescription::parse(body).map_err(|_| Refusal::new(400, "Malformed SDP"))?;
    answer(&offer, local).map_err(|e| Refusal {
        status: e.sip_status().unwrap_or(488),
        reason: "Not Acceptable Here",
        warning: e.sip_warning(),
    })
}

/// The codecs a leg supports, in our order of preference.
pub const CODECS: [Codec; 2] = [Codec::Pcmu, Codec::Pcma];
