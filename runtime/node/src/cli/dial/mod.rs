//! `switchyard dial NUMBER`: place one SIP call, press keys, record what the far end
//! plays and report how the call went, so a first call needs no SIP phone.
//!
//! The dialog is the node's own user-agent core ([`SipLeg`] over the SIP crate's
//! [`Endpoint`] transactions) and the media the node's [`RtpSession`]; this file only
//! moves their bytes and time over two UDP sockets, one for SIP and one for RTP.

mod recording;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Args;
use switchyard_call::leg::{LegOutput, SipLeg, CODECS};
use switchyard_media::G711;
use switchyard_rtp::{
    offer, parse_rtp, LocalMedia, Negotiated, PayloadTypes, RtpParams, RtpSession,
    SessionDescription, SrtpPolicy,
};
use switchyard_sip::{
    fresh_call_id, fresh_tag, new_invite, ClientTxId, Endpoint, EndpointConfig, Event, NameAddr,
    Transport,
};
use tokio::net::UdpSocket;

use recording::Recording;

/// How long to wait for the outcome of our BYE or CANCEL before giving up on it (far
/// shorter than Timer F: nobody waits 32 s for a command to end).
const GRACE: Duration = Duration::from_secs(4);

/// `switchyard dial`'s arguments.
#[derive(Args, Debug, Clone, PartialEq)]
pub struct DialArgs {
    /// The number (or SIP user) to call: the user part of the INVITE's Request-URI.
    pub number: String,
    /// Where to send the INVITE (the demo node's SIP address by default).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:5060")]
    pub to: String,
    /// Keys to press once answered (0-9 * # A-D; `w` waits half a second), sent as
    /// RFC 4733 telephone events.
    #[arg(long, value_name = "KEYS")]
    pub digits: Option<String>,
    /// How long after the answer to press them, so the far end's menu is listening.
    #[arg(long, value_name = "SECONDS", default_value_t = 3.0)]
    pub digits_after: f64,
    /// Write what the call hears to this WAV file (16-bit PCM, 8 kHz mono).
    #[arg(long, value_name = "FILE.wav")]
    pub record: Option<PathBuf>,
    /// Hang up (or cancel a call still ringing) after this many seconds, unless the far
    /// end hangs up first.
    #[arg(long, value_name = "SECONDS", default_value_t = 20)]
    pub seconds: u64,
}

/// Why no call could be placed at all.
#[derive(Debug, thiserror::Error)]
pub enum DialError {
    #[error("cannot resolve {0}: {1}")]
    Resolve(String, String),
    #[error("--digits-after must be a number of seconds, not {0}")]
    DigitsAfter(f64),
    #[error("network: {0}")]
    Socket(#[from] std::io::Error),
    #[error("cannot write {0}: {1}")]
    Record(PathBuf, std::io::Error),
}

/// How the call went.
#[derive(Debug, Default)]
pub struct Outcome {
    request_uri: String,
    /// The INVITE's final response, e.g. `200 OK`; none when nothing final came.
    final_response: Option<(u16, String)>,
    /// From the INVITE to its 2xx.
    answered_after: Option<Duration>,
    digits_sent: Option<String>,
    /// Seconds of audio recorded, and where.
    recorded: Option<(f64, PathBuf)>,
    ended_by_far_end: bool,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Called:         {}", self.request_uri)?;
        match &self.final_response {
            Some((status, reason)) => writeln!(f, "Final response: {status} {reason}")?,
            None => writeln!(f, "Final response: none (no answer in time)")?,
        }
        if let Some(d) = self.answered_after {
            writeln!(f, "Answered after: {:.2} s", d.as_secs_f64())?;
            let by = if self.ended_by_far_end {
                "the far end"
            } else {
                "us"
            };
            writeln!(f, "Hung up by:     {by}")?;
        }
        writeln!(
            f,
            "Digits sent:    {}",
            self.digits_sent.as_deref().unwrap_or("none")
        )?;
        if let Some((seconds, path)) = &self.recorded {
            writeln!(f, "Recorded:       {seconds:.1} s to {}", path.display())?;
        }
        Ok(())
    }
}

/// Place the call and print its outcome; the exit status is 0 when it was answered, 1
/// when it was not, 2 when it could not be placed.
pub async fn run(args: DialArgs) -> u8 {
    match dial(&args).await {
        Ok(outcome) => {
            print!("{outcome}");
            u8::from(outcome.answered_after.is_none())
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

/// One call in progress: the cores and what the driver learnt so far.
struct Call {
    endpoint: Endpoint,
    leg: SipLeg,
    peer: SocketAddr,
    offer: SessionDescription,
    invite_tx: ClientTxId,
    bye_tx: Option<ClientTxId>,
    rtp: Option<RtpSession>,
    recording: Option<Recording>,
    started: Instant,
    record_limit: usize,
    over: bool,
    outcome: Outcome,
}

async fn dial(args: &DialArgs) -> Result<Outcome, DialError> {
    if !args.digits_after.is_finite() || args.digits_after < 0.0 {
        return Err(DialError::DigitsAfter(args.digits_after));
    }
    let peer = tokio::net::lookup_host(args.to.as_str())
        .await
        .map_err(|e| DialError::Resolve(args.to.clone(), e.to_string()))?
        .next()
        .ok_or_else(|| DialError::Resolve(args.to.clone(), "no address".into()))?;
    // The address the route to the far end leaves from: what our Via, Contact and SDP
    // must name for its answers and media to reach us.
    let probe = std::net::UdpSocket::bind(SocketAddr::new(
        if peer.is_ipv4() {
            [0, 0, 0, 0].into()
        } else {
            std::net::Ipv6Addr::UNSPECIFIED.into()
        },
        0,
    ))?;
    probe.connect(peer)?;
    let ip = probe.local_addr()?.ip();
    let sip_socket = UdpSocket::bind(SocketAddr::new(ip, 0)).await?;
    let rtp_socket = UdpSocket::bind(SocketAddr::new(ip, 0)).await?;
    let sip_local = sip_socket.local_addr()?;

    let request_uri = if args.number.contains(':') && args.number.starts_with("sip") {
        args.number.clone()
    } else {
        format!("sip:{}@{}", args.number, args.to)
    };
    let local = LocalMedia {
        address: ip,
        port: rtp_socket.local_addr()?.port(),
        session_id: u64::from(rand::random::<u32>()),
        session_version: 1,
        codecs: CODECS.to_vec(),
        srtp: SrtpPolicy::Off,
    };
    let our_offer = offer(&local, 101);
    let mut from = NameAddr::new(format!("sip:switchyard@{sip_local}"));
    from.params.push(("tag".into(), Some(fresh_tag())));
    let invite = new_invite(
        &request_uri,
        &from,
        &NameAddr::new(request_uri.clone()),
        &fresh_call_id(&sip_local.to_string()),
        1,
        &format!(
            "<{}>",
            Transport::Udp.contact_uri("switchyard", sip_local, false)
        ),
        Some(our_offer.to_string().into_bytes()),
    );
    let started = Instant::now();
    let mut endpoint = Endpoint::new(EndpointConfig::new(
        sip_local,
        concat!("switchyard-dial/", env!("CARGO_PKG_VERSION")),
    ));
    let mut leg = SipLeg::outbound();
    leg.placed(invite.clone(), local);
    let invite_tx = endpoint.send_invite(started, invite, peer, Transport::Udp);
    let mut call = Call {
        endpoint,
        leg,
        peer,
        offer: our_offer,
        invite_tx,
        bye_tx: None,
        rtp: None,
        recording: None,
        started,
        record_limit: (args.seconds as usize + 1) * switchyard_media::SAMPLE_RATE as usize,
        over: false,
        outcome: Outcome {
            request_uri,
            ..Outcome::default()
        },
    };

    let deadline = started + Duration::from_secs(args.seconds);
    let mut hung_up_at: Option<Instant> = None;
    let mut digits_at: Option<Instant> = None;
    let mut sip_buf = vec![0u8; 65_535];
    let mut rtp_buf = vec![0u8; 2_048];
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    loop {
        call.flush(&sip_socket, &rtp_socket).await;
        if call.over {
            break;
        }
        let now = Instant::now();
        if hung_up_at.is_some_and(|t| now >= t + GRACE) {
            break;
        }
        // Digits are due once the answer is `digits_after` old.
        if digits_at.is_none() && args.digits.is_some() {
            digits_at = call
                .outcome
                .answered_after
                .map(|d| started + d + Duration::from_secs_f64(args.digits_after));
        }
        let wake = [
            call.endpoint.poll_timeout(),
            call.rtp.as_ref().and_then(RtpSession::poll_timeout),
            digits_at.filter(|_| call.outcome.digits_sent.is_none()),
            Some(hung_up_at.map_or(deadline, |t| t + GRACE)),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(deadline);
        tokio::select! {
            r = sip_socket.recv_from(&mut sip_buf) => {
                let (n, source) = r?;
                call.endpoint.handle_input(Instant::now(), Transport::Udp, source, &sip_buf[..n]);
            }
            r = rtp_socket.recv_from(&mut rtp_buf) => {
                let (n, source) = r?;
                call.media_in(source, &rtp_buf[..n]);
            }
            _ = tokio::time::sleep_until(wake.into()) => {}
            _ = &mut interrupted, if hung_up_at.is_none() => {
                call.leg.hang_up();
                hung_up_at = Some(Instant::now());
            }
        }
        let now = Instant::now();
        call.endpoint.handle_timeout(now);
        if let Some(rtp) = call.rtp.as_mut() {
            let codec = call.recording.as_ref().map_or(G711::Ulaw, Recording::codec);
            rtp.handle_timeout(now, &mut |out: &mut Vec<u8>| {
                switchyard_media::encode_frame(codec, &[0; switchyard_media::FRAME_SAMPLES], out)
            });
            if let (Some(at), Some(keys)) = (digits_at, &args.digits) {
                if now >= at && call.outcome.digits_sent.is_none() {
                    rtp.send_digits(keys);
                    call.outcome.digits_sent = Some(keys.clone());
                }
            }
        }
        if now >= deadline && hung_up_at.is_none() {
            call.leg.hang_up();
            hung_up_at = Some(now);
        }
        while let Some(event) = call.endpoint.poll_event() {
            call.sip_event(now, event);
        }
        call.leg_outputs(now);
    }
    if let (Some(path), Some(recording)) = (&args.record, &call.recording) {
        write_wav(path, recording.samples())?;
        call.outcome.recorded = Some((recording.seconds(), path.clone()));
    } else if let Some(path) = &args.record {
        write_wav(path, &[])?;
        call.outcome.recorded = Some((0.0, path.clone()));
    }
    Ok(call.outcome)
}

fn write_wav(path: &Path, samples: &[i16]) -> Result<(), DialError> {
    std::fs::write(
        path,
        switchyard_media::wav_bytes(samples, switchyard_media::SAMPLE_RATE),
    )
    .map_err(|e| DialError::Record(path.to_owned(), e))
}

impl Call {
    /// Send what the cores queued. A lost datagram is the protocols' business (SIP
    /// retransmits, RTP carries on), so send errors are not fatal.
    async fn flush(&mut self, sip: &UdpSocket, rtp: &UdpSocket) {
        while let Some(t) = self.endpoint.poll_transmit() {
            let _ = sip.send_to(&t.payload, t.destination).await;
        }
        let Some(session) = self.rtp.as_mut() else {
            return;
        };
        while let Some(t) = session.poll_transmit() {
            // No RTCP socket: the far end's statistics are not ours to report.
            if !t.rtcp {
                let _ = rtp.send_to(&t.contents, t.destination).await;
            }
        }
    }

    fn media_in(&mut self, source: SocketAddr, datagram: &[u8]) {
        let Some(session) = self.rtp.as_mut() else {
            return;
        };
        session.receive_rtp(Instant::now(), source, datagram);
        let audio = session.params().payload_types.audio;
        if let (Ok(packet), Some(recording)) = (parse_rtp(datagram), self.recording.as_mut()) {
            if packet.header.payload_type == audio {
                recording.packet(&packet.header, packet.payload);
            }
        }
    }

    fn sip_event(&mut self, now: Instant, event: Event) {
        match event {
            Event::Response { tx, response } if tx == self.invite_tx => {
                if response.status >= 200 && self.outcome.final_response.is_none() {
                    self.outcome.final_response = Some((response.status, response.reason.clone()));
                }
                let done = self
                    .leg
                    .invite_response(now, Some(&response), &self.offer, None);
                match done {
                    Some(true) => self.outcome.answered_after = Some(now - self.started),
                    Some(false) => self.over = true,
                    None => {}
                }
            }
            Event::Timeout { tx } if tx == self.invite_tx => {
                let done = self.leg.invite_response(now, None, &self.offer, None);
                self.over |= done == Some(false);
            }
            Event::Response { tx, response }
                if Some(tx) == self.bye_tx && response.status >= 200 =>
            {
                self.leg.bye_outcome();
                self.over = true;
            }
            Event::Timeout { tx } if Some(tx) == self.bye_tx => {
                self.leg.bye_outcome();
                self.over = true;
            }
            Event::Request { tx, request, .. } => self.leg.request(tx, request),
            _ => {}
        }
    }

    fn leg_outputs(&mut self, now: Instant) {
        while let Some(out) = self.leg.poll_output() {
            match out {
                LegOutput::Respond { tx, response } => {
                    let _ = self.endpoint.respond(now, tx, response);
                }
                LegOutput::Send(request) => {
                    self.bye_tx =
                        Some(
                            self.endpoint
                                .send_request(now, request, self.peer, Transport::Udp),
                        );
                }
                LegOutput::Ack(request) => {
                    self.endpoint
                        .send_stateless(request, self.peer, Transport::Udp)
                }
                LegOutput::CancelInvite => {
                    let _ = self.endpoint.cancel(now, self.invite_tx);
                }
                LegOutput::Media {
                    negotiated,
                    sending,
                } => self.media(now, &negotiated, sending),
                LegOutput::EarlyMedia => {
                    if let Some(n) = self.leg.negotiated().cloned() {
                        self.media(now, &n, false);
                    }
                }
                LegOutput::PeerEnded => {
                    self.outcome.ended_by_far_end = true;
                    self.over = true;
                }
                _ => {}
            }
        }
    }

    /// Start the RTP session (at early media or the answer), or reconfigure it.
    fn media(&mut self, now: Instant, n: &Negotiated, sending: bool) {
        let params = RtpParams {
            remote: n.remote,
            payload_types: PayloadTypes {
                audio: n.payload_type,
                event: n.telephone_event,
            },
            clock_rate: n.codec.clock_rate(),
            sending,
        };
        match self.rtp.as_mut() {
            Some(session) => session.configure(params),
            None => {
                let unix = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default();
                self.rtp = Some(RtpSession::new(params, now, unix));
                // This caller offers only G.711.
                let codec = G711::of(n.codec).unwrap_or(G711::Ulaw);
                self.recording = Some(Recording::new(codec, self.record_limit));
            }
        }
    }
}
