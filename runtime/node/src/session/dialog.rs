//! The SIP side of a session: offer/answer, provisional and final responses, BYE in both
//! directions, CANCEL, re-INVITE (hold), INFO digits.

use std::time::{Instant, SystemTime};

use switchyard_media::g711::G711;
use switchyard_rtp::{answer, Codec, LocalMedia, Negotiated, SessionDescription};
use switchyard_sip::{Dialog, Method, Request, Response, ServerTxId};
use switchyard_types::CallStatus;

use super::{Phase, Session, SessionInput};
use crate::media_io::{self, MediaCommand, MediaParams};
use crate::sip_io::{add_to_tag, SipCommand};

impl Session {
    /// Negotiate media, bind the RTP ports, ring. False when the call was refused.
    pub(super) async fn begin(&mut self) -> bool {
        self.record_initiated();
        let sockets = match self.shared.ports.bind() {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "no RTP port for a new call");
                self.refuse(503, "Service Unavailable", CallStatus::Failed);
                return false;
            }
        };
        let negotiated = match self.negotiate(&self.invite.clone(), sockets.port) {
            Ok(n) => n,
            Err((status, reason)) => {
                self.shared.ports.release(sockets.port);
                self.refuse(status, reason, CallStatus::Failed);
                return false;
            }
        };
        let contact = self.contact();
        let tag = format!("{:016x}", rand::random::<u64>());
        match Dialog::new_uas(&self.invite, &tag, &contact) {
            Ok(d) => self.dialog = Some(d),
            Err(e) => {
                self.shared.ports.release(sockets.port);
                let status = e.status().unwrap_or(400);
                self.refuse(status, "Bad Request", CallStatus::Failed);
                return false;
            }
        }
        let pool = self.shared.clone();
        self.media = Some(media_io::spawn(
            &self.shared.media_runtime,
            sockets,
            media_params(&negotiated, false),
            self.media_events.clone(),
            move |port| pool.ports.release(port),
        ));
        self.negotiated = Some(negotiated);
        let ringing = self.response(&self.invite.clone(), 180, "Ringing", None);
        self.respond_invite(ringing);
        self.record_ringing();
        true
    }

    /// RFC 3264 answer to the offer in `request`, for our port.
    fn negotiate(
        &mut self,
        request: &Request,
        port: u16,
    ) -> Result<Negotiated, (u16, &'static str)> {
        let body = std::str::from_utf8(&request.body).map_err(|_| (400, "SDP is not UTF-8"))?;
        if body.trim().is_empty() {
            // An INVITE without an offer would need our offer in the 200 and the answer in
            // the ACK; callers of an edge node send offers, and we say so plainly.
            return Err((488, "Not Acceptable Here (no SDP offer)"));
        }
        let offer = SessionDescription::parse(body).map_err(|_| (400, "Malformed SDP"))?;
        let local = LocalMedia {
            address: self.shared.ports.ip(),
            port,
            session_id: self.sdp_session_id(),
            session_version: self.sdp_version,
            codecs: vec![Codec::Pcmu, Codec::Pcma],
        };
        answer(&offer, &local).map_err(|e| {
            tracing::info!(call = %self.info.call_sid, error = %e, "offer refused");
            (e.sip_status().unwrap_or(488), "Not Acceptable Here")
        })
    }

    fn sdp_session_id(&self) -> u64 {
        u64::from_be_bytes(
            self.info.call_sid.as_bytes()[..8]
                .try_into()
                .unwrap_or([0; 8]),
        ) >> 1
    }

    fn contact(&self) -> String {
        let local = self.shared.config.sip.listen;
        let ip = self.shared.config.sip.public_address.unwrap_or(local.ip());
        let transport = match self.transport {
            switchyard_sip::Transport::Tcp => ";transport=tcp",
            switchyard_sip::Transport::Udp => "",
        };
        format!(
            "<sip:{}@{}{transport}>",
            self.info.to,
            std::net::SocketAddr::new(ip, local.port())
        )
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
                add_to_tag(&mut r);
                r
            }
        }
    }

    fn respond(&self, tx: ServerTxId, response: Response) {
        let _ = self.shared.sip.send(SipCommand::Respond { tx, response });
    }

    /// Answer the caller's INVITE (nothing to answer on an outbound call).
    fn respond_invite(&self, response: Response) {
        if let Some(tx) = self.invite_tx {
            self.respond(tx, response);
        }
    }

    /// End a call that is not answered yet: 487 to the caller's INVITE, or CANCEL of ours.
    pub(super) fn cancel_early(&mut self) {
        if self.invite_tx.is_some() {
            self.refuse(487, "Request Terminated", CallStatus::Canceled);
        } else {
            let _ = self.shared.sip.send(SipCommand::Cancel {
                call_id: self.invite.call_id().unwrap_or_default().to_owned(),
            });
        }
    }

    /// Final non-2xx to the INVITE: the call never starts.
    fn refuse(&mut self, status: u16, reason: &str, call_status: CallStatus) {
        let r = self.response(&self.invite.clone(), status, reason, None);
        self.respond_invite(r);
        self.status = call_status;
        self.phase = Phase::Over;
    }

    pub(super) fn answer(&mut self) {
        if self.phase != Phase::Early {
            return;
        }
        let Some(n) = &self.negotiated else { return };
        let sdp = n.answer.to_string();
        let params = media_params(n, true);
        let ok = self.response(&self.invite.clone(), 200, "OK", Some(sdp));
        self.respond_invite(ok);
        self.media_command(MediaCommand::Configure(params));
        self.phase = Phase::Answered;
        self.answered_at = Some(Instant::now());
        self.started_at = Some(SystemTime::now());
        self.status = CallStatus::InProgress;
        self.record_answered();
    }

    pub(super) fn reject(&mut self, status: u16) {
        let (reason, call_status) = match status {
            486 => ("Busy Here", CallStatus::Busy),
            _ => ("Decline", CallStatus::Failed),
        };
        self.refuse(status, reason, call_status);
    }

    /// End the call from our side.
    pub(super) fn hang_up(&mut self) {
        self.media_command(MediaCommand::Stop);
        match self.phase {
            Phase::Early if self.invite_tx.is_some() => {
                self.refuse(603, "Decline", CallStatus::Completed)
            }
            Phase::Early => self.cancel_early(),
            Phase::Answered => {
                let Some(dialog) = self.dialog.as_mut() else {
                    self.phase = Phase::Over;
                    return;
                };
                let bye = dialog.request(Method::Bye);
                // In-dialog requests go back over the flow the INVITE came in on: a phone
                // behind NAT can only be reached there (the same choice as RFC 5626 flows).
                let _ = self.shared.sip.send(SipCommand::Send {
                    call_id: self.invite.call_id().unwrap_or_default().to_owned(),
                    request: bye,
                    destination: self.peer,
                    transport: self.transport,
                });
                self.status = CallStatus::Completed;
                self.phase = Phase::Ending;
            }
            Phase::Ending | Phase::Over => {}
        }
    }

    pub(super) fn sip_input(&mut self, input: SessionInput) {
        match input {
            SessionInput::Request { tx, request } => self.in_dialog(tx, request),
            SessionInput::Ack => {}
            SessionInput::Cancelled => {
                if self.phase == Phase::Early {
                    // RFC 3261 §9.2: "the UAS SHOULD immediately respond to the INVITE with
                    // a 487 (Request Terminated)".
                    self.exec.hangup(Instant::now());
                    self.cancel_early();
                }
            }
            SessionInput::AckTimeout => {
                // RFC 3261 §13.3.1.4: "If the server retransmits the 2xx response for 64*T1
                // seconds without receiving an ACK, the dialog is confirmed, but the session
                // SHOULD be terminated. This is accomplished with a BYE".
                self.exec.hangup(Instant::now());
                self.hang_up();
            }
            SessionInput::InviteResponse(response) => self.invite_response(response),
            SessionInput::RequestOutcome(status) => {
                if !status.is_some_and(|s| (200..300).contains(&s)) {
                    tracing::info!(call = %self.info.call_sid, ?status, "BYE not confirmed; call ends anyway");
                }
                if self.phase == Phase::Ending {
                    self.phase = Phase::Over;
                }
            }
        }
    }

    fn in_dialog(&mut self, tx: ServerTxId, request: Request) {
        if let Some(d) = self.dialog.as_mut() {
            if let Err(e) = d.accept_request(&request) {
                let status = e.status().unwrap_or(500);
                let r = self.response(&request, status, "Server Internal Error", None);
                return self.respond(tx, r);
            }
        }
        match request.method {
            Method::Bye => {
                let ok = self.response(&request, 200, "OK", None);
                self.respond(tx, ok);
                self.exec.hangup(Instant::now());
                self.media_command(MediaCommand::Stop);
                self.status = CallStatus::Completed;
                self.phase = Phase::Over;
            }
            Method::Invite => self.reinvite(tx, request),
            Method::Info => self.info_request(tx, request),
            Method::Options => {
                let ok = self.response(&request, 200, "OK", None);
                self.respond(tx, ok);
            }
            _ => {
                let mut r = self.response(&request, 405, "Method Not Allowed", None);
                r.headers
                    .set("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO");
                self.respond(tx, r);
            }
        }
    }

    /// A re-INVITE: hold, unhold, or a new address (RFC 3264 §8).
    fn reinvite(&mut self, tx: ServerTxId, request: Request) {
        let Some(port) = self.media.as_ref().map(|m| m.port) else {
            let r = self.response(&request, 500, "Server Internal Error", None);
            return self.respond(tx, r);
        };
        if request.body.is_empty() {
            // No offer: offer the session as it stands (our last answer, same version).
            let sdp = self.negotiated.as_ref().map(|n| n.answer.to_string());
            let r = self.response(&request, 200, "OK", sdp);
            return self.respond(tx, r);
        }
        self.sdp_version += 1;
        match self.negotiate(&request, port) {
            Ok(n) => {
                let sending = self.phase == Phase::Answered;
                self.media_command(MediaCommand::Configure(media_params(&n, sending)));
                let r = self.response(&request, 200, "OK", Some(n.answer.to_string()));
                self.negotiated = Some(n);
                self.respond(tx, r);
            }
            Err((status, reason)) => {
                // RFC 3264 §6: a rejected re-offer leaves the session as it was.
                self.sdp_version -= 1;
                let r = self.response(&request, status, reason, None);
                self.respond(tx, r);
            }
        }
    }

    /// SIP INFO digits (`application/dtmf-relay`: `Signal=5`, or `application/dtmf`: `5`).
    fn info_request(&mut self, tx: ServerTxId, request: Request) {
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
                return self.respond(tx, r);
            }
        };
        let ok = self.response(&request, 200, "OK", None);
        self.respond(tx, ok);
        if let Some(d) = digit.filter(|d| d.is_ascii_digit() || "*#ABCD".contains(*d)) {
            self.exec.digit(Instant::now(), d);
        }
    }
}

pub(super) fn media_params(n: &Negotiated, answered: bool) -> MediaParams {
    MediaParams {
        remote: n.remote,
        codec: match n.codec {
            Codec::Pcma => G711::Alaw,
            _ => G711::Ulaw,
        },
        payload_type: n.payload_type,
        telephone_event: n.telephone_event,
        sending: answered && n.direction.sends(),
    }
}
