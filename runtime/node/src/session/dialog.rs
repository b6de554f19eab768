//! The SIP side of a session, driven: the leg's core ([`SipLeg`]) decides every
//! response, request and fact; this file binds its media port and carries its outputs
//! to the SIP task, the media task and the executor.

use std::time::{Instant, SystemTime};

use switchyard_call::leg::LegOutput;
use switchyard_rtp::{LocalMedia, Negotiated};

use super::{Session, SessionInput};
use crate::media_io::{MediaCommand, MediaParams};
use crate::sip_io::SipCommand;

impl Session {
    /// Bind the RTP ports and ring. False when the call was refused.
    pub(super) async fn begin(&mut self) -> bool {
        self.record_initiated();
        let sockets = match self.shared.ports.bind() {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "no RTP port for a new call");
                self.shared
                    .metrics
                    .rejected(crate::metrics::reason::NO_RTP_PORT);
                self.sip.unavailable();
                self.sip_outputs();
                return false;
            }
        };
        let local = LocalMedia {
            address: self.shared.ports.ip(),
            port: sockets.port,
            session_id: self.sdp_session_id(),
            session_version: 1,
            codecs: self.shared.config.media.codecs.clone(),
            srtp: self.shared.config.media.srtp_policy(self.transport),
        };
        let tag = switchyard_sip::fresh_tag();
        let contact = self.contact();
        self.sip.ring(local, &tag, &contact);
        let Some(negotiated) = self.sip.negotiated().cloned() else {
            tracing::info!(call = %self.info.call_sid, status = %self.sip.status(), "INVITE refused");
            self.shared.ports.release(sockets.port);
            self.sip_outputs();
            return false;
        };
        let pool = self.shared.clone();
        self.media = Some(self.shared.media_engine.spawn(
            sockets,
            media_params(&negotiated, false),
            self.media_events.clone(),
            None,
            move |port, quality| pool.media_ended(port, quality),
        ));
        if let Some(name) = self.binding.voice_transcoder.clone() {
            self.attach_transcoder(&name);
        }
        self.sip_outputs();
        self.record_ringing();
        true
    }

    fn sdp_session_id(&self) -> u64 {
        u64::from_be_bytes(
            self.info.call_sid.as_bytes()[..8]
                .try_into()
                .unwrap_or([0; 8]),
        ) >> 1
    }

    fn contact(&self) -> String {
        let addr = self.shared.config.sip.advertised(self.transport);
        let sips = self
            .sip
            .invite()
            .uri
            .to_ascii_lowercase()
            .starts_with("sips:");
        format!(
            "<{}>",
            self.transport.contact_uri(&self.info.to, addr, sips)
        )
    }

    /// End the call from our side (BYE, 603 or CANCEL, as the core decides).
    pub(super) fn hang_up(&mut self) {
        self.sip.hang_up();
        self.sip_outputs();
    }

    /// End a call that is not answered yet (487 to the caller, or CANCEL of ours).
    pub(super) fn cancel_early(&mut self) {
        self.sip.cancel_early();
        self.sip_outputs();
    }

    fn call_id(&self) -> String {
        self.sip.invite().call_id().unwrap_or_default().to_owned()
    }

    /// Carry out what the leg's core asked for.
    pub(super) fn sip_outputs(&mut self) {
        while let Some(out) = self.sip.poll_output() {
            self.sip_output(out);
        }
    }

    pub(super) fn sip_output(&mut self, out: LegOutput) {
        {
            match out {
                LegOutput::Respond { tx, response } => {
                    let _ = self.shared.sip.send(SipCommand::Respond { tx, response });
                }
                // In-dialog requests go back over the flow the INVITE came in on: a phone
                // behind NAT can only be reached there (the same choice as RFC 5626 flows).
                LegOutput::Send(request) => {
                    let _ = self.shared.sip.send(SipCommand::Send {
                        call_id: self.call_id(),
                        request,
                        destination: self.peer,
                        transport: self.transport,
                    });
                }
                LegOutput::CancelInvite => {
                    let _ = self.shared.sip.send(SipCommand::Cancel {
                        call_id: self.call_id(),
                    });
                }
                LegOutput::Media {
                    negotiated,
                    sending,
                } => {
                    self.media_command(MediaCommand::Configure(media_params(&negotiated, sending)))
                }
                LegOutput::StopMedia => self.media_command(MediaCommand::Stop),
                LegOutput::Digit(d) => self.exec.digit(Instant::now(), d),
                LegOutput::Answered => {
                    self.started_at = Some(SystemTime::now());
                    self.record_answered();
                }
                LegOutput::PeerEnded => self.exec.hangup(Instant::now()),
                LegOutput::Ringing => {
                    self.record_ringing();
                    if let Some(parent) = &self.parent {
                        parent.report(super::legs::LegReport::Ringing);
                    }
                }
                LegOutput::Ack(request) => {
                    let _ = self.shared.sip.send(SipCommand::Stateless {
                        request,
                        destination: self.peer,
                        transport: self.transport,
                    });
                }
                LegOutput::Held(on) => self.pass_hold(on),
                // Early media only starts while dialling (see `dial_outputs`).
                LegOutput::EarlyMedia => {}
                LegOutput::Reinvite(request) => {
                    let _ = self.shared.sip.send(SipCommand::Reinvite {
                        call_id: self.call_id(),
                        request,
                        destination: self.peer,
                        transport: self.transport,
                    });
                }
                // A new INVITE only goes out while dialling (see `dial_outputs`).
                LegOutput::Invite(_) => {
                    tracing::warn!(call = %self.info.call_sid, "INVITE retry after the dial");
                }
            }
        }
    }

    pub(super) fn sip_input(&mut self, input: SessionInput) {
        match input {
            SessionInput::Request { tx, request } => self.sip.request(tx, request),
            SessionInput::Ack => self.sip.ack(),
            SessionInput::Cancelled => self.sip.cancelled(),
            SessionInput::AckTimeout => self.sip.ack_timeout(),
            SessionInput::InviteResponse(response) => self.sip.late_response(response.as_ref()),
            SessionInput::RequestOutcome(status) => {
                if !status.is_some_and(|s| (200..300).contains(&s)) {
                    tracing::info!(call = %self.info.call_sid, ?status, "BYE not confirmed; call ends anyway");
                }
                self.sip.bye_outcome();
            }
        }
        self.sip_outputs();
    }
}

/// What the media task needs of a negotiation.
pub(super) fn media_params(n: &Negotiated, sending: bool) -> MediaParams {
    MediaParams {
        remote: n.remote,
        codec: n.codec,
        opus: n.opus(),
        payload_type: n.payload_type,
        telephone_event: n.telephone_event,
        sending,
        srtp: n.srtp,
    }
}
