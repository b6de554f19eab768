//! The SIP task: owns the UDP socket, the TCP and TLS listeners and the sans-IO
//! [`Endpoint`], and routes what the endpoint reports to the call sessions.

mod route;
mod stream;
mod tcp;
mod tls;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use switchyard_sip::{
    ClientTxId, Endpoint, EndpointConfig, Event, Request, Response, ServerTxId, Transmit, Transport,
};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use crate::config::Config;
use crate::session::SessionInput;
use crate::shared::Shared;

/// What call sessions ask of the SIP task.
#[derive(Debug)]
pub enum SipCommand {
    /// Answer a server transaction.
    Respond { tx: ServerTxId, response: Response },
    /// Send a request (in-dialog BYE) as a client transaction; its outcome goes to `call_id`.
    Send {
        call_id: String,
        request: Request,
        destination: SocketAddr,
        transport: Transport,
    },
    /// The call is over: forget its routes.
    Ended { call_id: String },
    /// Place an outbound call: send the INVITE as a client transaction and route the
    /// dialog's requests and the INVITE's responses to `session`.
    Invite {
        call_id: String,
        request: Request,
        destination: SocketAddr,
        transport: Transport,
        session: mpsc::UnboundedSender<SessionInput>,
    },
    /// Send a re-INVITE in the dialog of `call_id`; its responses go to that call's
    /// session as [`SessionInput::InviteResponse`].
    Reinvite {
        call_id: String,
        request: Request,
        destination: SocketAddr,
        transport: Transport,
    },
    /// Cancel our pending INVITE of `call_id` (RFC 3261 §9.1).
    Cancel { call_id: String },
    /// Send a request outside any transaction (the ACK to a 2xx, §13.2.2.4).
    Stateless {
        request: Request,
        destination: SocketAddr,
        transport: Transport,
    },
}

/// The bound SIP transports and the endpoint state.
pub struct SipIo {
    udp: Arc<UdpSocket>,
    tcp: tcp::TcpTransport,
    /// None when the default TLS port was taken (see [`SipIo::bind`]).
    tls: Option<tls::TlsTransport>,
    stream_in: mpsc::UnboundedReceiver<(Transport, SocketAddr, Vec<u8>)>,
    commands: mpsc::UnboundedReceiver<SipCommand>,
    endpoint: Endpoint,
    shared: Arc<Shared>,
    routes: route::Routes,
    /// Admitted INVITEs not yet finally answered: the setup queue the admission reads.
    setups: HashSet<ServerTxId>,
    /// The node's main runtime, where call sessions run.
    main: tokio::runtime::Handle,
}

/// Binds SIP and serves it on a thread of its own (with its own reactor), so that under
/// load new INVITEs are still read, and refused, at once: on the main runtime the SIP
/// task would queue behind thousands of call sessions. Returns once bound.
pub async fn start(
    config: &Config,
    shared: Arc<Shared>,
    commands: mpsc::UnboundedReceiver<SipCommand>,
) -> anyhow::Result<()> {
    let main = tokio::runtime::Handle::current();
    let config = config.clone();
    let (ready, bound) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("sip".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready.send(Err(e.into()));
                    return;
                }
            };
            runtime.block_on(async move {
                match SipIo::bind(&config, shared, commands, main).await {
                    Ok(sip) => {
                        let _ = ready.send(Ok(()));
                        sip.run().await;
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e));
                    }
                }
            });
        })?;
    bound
        .await
        .unwrap_or_else(|_| Err(anyhow::anyhow!("the SIP thread ended")))
}

impl SipIo {
    async fn bind(
        config: &Config,
        shared: Arc<Shared>,
        commands: mpsc::UnboundedReceiver<SipCommand>,
        main: tokio::runtime::Handle,
    ) -> anyhow::Result<Self> {
        let udp = Arc::new(UdpSocket::bind(config.sip.listen).await?);
        receive_buffer(&udp, config.sip.udp_receive_buffer);
        let local = udp.local_addr()?;
        let (stream_tx, stream_in) = mpsc::unbounded_channel();
        let tcp = tcp::TcpTransport::bind(local, stream_tx.clone()).await?;
        let advertised = SocketAddr::new(
            config.sip.public_address.unwrap_or(local.ip()),
            local.port(),
        );
        let tls_addr = config.sip.tls_addr();
        let tls = match tokio::net::TcpListener::bind(tls_addr).await {
            Ok(listener) => {
                let t = tls::TlsTransport::start(
                    listener,
                    &config.sip,
                    &config.node.data_dir,
                    stream_tx,
                )?;
                tracing::info!(tls = %tls_addr, "SIP over TLS up");
                Some(t)
            }
            // The default port is a convenience: a second node on the host goes without.
            Err(e) if config.sip.tls_listen.is_none() => {
                tracing::warn!(error = %e, tls = %tls_addr, "SIP over TLS not started: the default port is taken");
                None
            }
            Err(e) => {
                return Err(anyhow::Error::new(e).context(format!("binding SIP TLS on {tls_addr}")))
            }
        };
        let mut endpoint_config = EndpointConfig::new(
            advertised,
            format!("Switchyard/{}", env!("CARGO_PKG_VERSION")),
        );
        endpoint_config.tls_addr = tls.is_some().then(|| config.sip.advertised(Transport::Tls));
        Ok(Self {
            udp,
            tcp,
            tls,
            stream_in,
            commands,
            endpoint: Endpoint::new(endpoint_config),
            shared,
            routes: route::Routes::default(),
            setups: HashSet::new(),
            main,
        })
    }

    /// Serve until the process ends.
    async fn run(mut self) {
        let mut buf = vec![0u8; 65_535];
        loop {
            let deadline = self.endpoint.poll_timeout();
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                r = self.udp.recv_from(&mut buf) => match r {
                    Ok((n, src)) => {
                        let now = Instant::now();
                        self.endpoint.handle_input(now, Transport::Udp, src, &buf[..n]);
                        // Take what else is already queued before flushing, so a burst costs
                        // one pass over the outputs.
                        for _ in 0..64 {
                            match self.udp.try_recv_from(&mut buf) {
                                Ok((n, src)) => self.endpoint.handle_input(now, Transport::Udp, src, &buf[..n]),
                                Err(_) => break,
                            }
                        }
                    }
                    Err(e) => tracing::debug!(error = %e, "UDP receive error"),
                },
                Some((transport, src, data)) = self.stream_in.recv() => {
                    self.endpoint.handle_input(Instant::now(), transport, src, &data);
                }
                Some(cmd) = self.commands.recv() => self.command(cmd),
                _ = sleep => self.endpoint.handle_timeout(Instant::now()),
            }
            self.flush().await;
        }
    }

    fn command(&mut self, cmd: SipCommand) {
        let now = Instant::now();
        match cmd {
            SipCommand::Respond { tx, response } => {
                if response.status >= 200 {
                    self.setups.remove(&tx);
                }
                if let Err(e) = self.endpoint.respond(now, tx, response) {
                    tracing::debug!(error = %e, "response not sent");
                }
            }
            SipCommand::Send {
                call_id,
                request,
                destination,
                transport,
            } => {
                let tx = self
                    .endpoint
                    .send_request(now, request, destination, transport);
                self.routes.client.insert(tx, call_id);
            }
            SipCommand::Ended { call_id } => {
                if let Some(tx) = self.routes.invite_of.get(&call_id) {
                    self.setups.remove(tx);
                }
                self.routes.forget(&call_id)
            }
            SipCommand::Invite {
                call_id,
                request,
                destination,
                transport,
                session,
            } => {
                let tx = self
                    .endpoint
                    .send_invite(now, request, destination, transport);
                self.routes.add_outbound(call_id, tx, session);
            }
            SipCommand::Reinvite {
                call_id,
                request,
                destination,
                transport,
            } => {
                let Some(session) = self.routes.calls.get(&call_id).cloned() else {
                    return;
                };
                let tx = self
                    .endpoint
                    .send_invite(now, request, destination, transport);
                self.routes.add_outbound(call_id, tx, session);
            }
            SipCommand::Cancel { call_id } => {
                if let Some(tx) = self.routes.outbound_invite(&call_id) {
                    match self.endpoint.cancel(now, tx) {
                        Ok(Some(cancel)) => {
                            self.routes.client.insert(cancel, call_id);
                        }
                        Ok(None) => {}
                        Err(e) => tracing::debug!(error = %e, "CANCEL not sent"),
                    }
                }
            }
            SipCommand::Stateless {
                request,
                destination,
                transport,
            } => self
                .endpoint
                .send_stateless(request, destination, transport),
        }
    }

    async fn flush(&mut self) {
        while let Some(Transmit {
            transport,
            destination,
            payload,
        }) = self.endpoint.poll_transmit()
        {
            match transport {
                Transport::Udp => {
                    if let Err(e) = self.udp.send_to(&payload, destination).await {
                        tracing::debug!(error = %e, %destination, "UDP send failed");
                    }
                }
                Transport::Tcp => self.tcp.send(destination, payload),
                Transport::Tls => match &self.tls {
                    Some(tls) => tls.send(destination, payload),
                    None => tracing::debug!(%destination, "no SIP TLS transport"),
                },
            }
        }
        while let Some(event) = self.endpoint.poll_event() {
            self.dispatch(event);
        }
    }

    fn dispatch(&mut self, event: Event) {
        match event {
            Event::Request {
                tx,
                request,
                source,
                transport,
            } => self.request(tx, request, source, transport),
            Event::Ack { request, .. } => {
                if let Some(id) = request.call_id() {
                    self.routes.send(id, SessionInput::Ack);
                }
            }
            Event::Cancelled { invite } => {
                if let Some(id) = self.routes.invites.get(&invite).cloned() {
                    self.routes.send(&id, SessionInput::Cancelled);
                }
            }
            Event::Response { tx, response } => self.client_outcome(tx, Some(response)),
            Event::Timeout { tx } => self.client_outcome(tx, None),
            Event::AckTimeout { invite } => {
                if let Some(id) = self.routes.invites.get(&invite).cloned() {
                    self.routes.send(&id, SessionInput::AckTimeout);
                }
            }
        }
    }

    fn client_outcome(&mut self, tx: ClientTxId, response: Option<Response>) {
        if let Some(call_id) = self.routes.invite_call(tx) {
            // Every response to our INVITE (1xx, each 2xx retransmission to re-ACK, the
            // final) and its timeout go to the session as they are.
            self.routes
                .send(&call_id, SessionInput::InviteResponse(response));
            return;
        }
        let final_outcome = response.as_ref().is_none_or(|r| r.status >= 200);
        let id = if final_outcome {
            self.routes.client.remove(&tx)
        } else {
            self.routes.client.get(&tx).cloned()
        };
        if let Some(id) = id {
            self.routes.send(
                &id,
                SessionInput::RequestOutcome(response.map(|r| r.status)),
            );
        }
    }

    fn request(
        &mut self,
        tx: ServerTxId,
        request: Request,
        source: SocketAddr,
        transport: Transport,
    ) {
        let call_id = request.call_id().unwrap_or_default().to_owned();
        if self.routes.calls.contains_key(&call_id) {
            self.routes
                .send(&call_id, SessionInput::Request { tx, request });
            return;
        }
        let to_tag = request
            .to_hdr()
            .ok()
            .and_then(|t| t.tag().map(str::to_owned));
        if request.method == switchyard_sip::Method::Register {
            // The registrar reads the store: it runs on the main runtime and answers
            // through the command queue, so this thread never waits for the disk.
            let shared = self.shared.clone();
            self.main.spawn(async move {
                crate::presence::register(shared, tx, request, source, transport)
            });
            return;
        }
        let is_new_invite = request.method == switchyard_sip::Method::Invite && to_tag.is_none();
        if !is_new_invite {
            // RFC 3261 §12.2.2: "If the UAS receives a request that does not match any
            // existing dialog, it MUST return a 481 (Call/Transaction Does Not Exist)".
            self.reject(tx, &request, 481, "Call/Transaction Does Not Exist");
            return;
        }
        // Admission before work: past its capacity the node refuses the call before a
        // session, an RTP port or an app step is spent on it.
        let load = switchyard_sip::Load {
            setups: self.setups.len(),
            free_ports: self.shared.ports.free_count(),
        };
        let verdict = crate::overload::lock(&self.shared.overload).verdict(Instant::now(), load);
        if let switchyard_sip::Verdict::Reject { retry_after_secs } = verdict {
            self.shared
                .metrics
                .rejected(crate::metrics::reason::OVERLOAD);
            self.refuse(tx, &request, retry_after_secs);
            return;
        }
        self.setups.insert(tx);
        let _main = self.main.enter();
        let sender = crate::session::spawn(self.shared.clone(), tx, request, source, transport);
        self.routes.add_call(call_id, tx, sender);
    }

    /// RFC 3261 §21.5.4: 503 "The server is temporarily unable to process the request
    /// due to a temporary overloading ... The server MAY indicate when the client should
    /// retry the request in a Retry-After header field."
    fn refuse(&mut self, tx: ServerTxId, request: &Request, retry_after_secs: u32) {
        let mut response = Response::to_request(request, 503, "Service Unavailable");
        response
            .headers
            .push("Retry-After", retry_after_secs.to_string());
        if let Err(e) = self.endpoint.respond(Instant::now(), tx, response) {
            tracing::debug!(error = %e, "503 not sent");
        }
    }

    fn reject(&mut self, tx: ServerTxId, request: &Request, status: u16, reason: &str) {
        let mut response = Response::to_request(request, status, reason);
        if status >= 300 {
            add_to_tag(&mut response);
        }
        if let Err(e) = self.endpoint.respond(Instant::now(), tx, response) {
            tracing::debug!(error = %e, "rejection not sent");
        }
    }
}

pub use switchyard_sip::add_to_tag;

/// Size the SIP socket's kernel receive buffer (`[sip] udp_receive_buffer`): forced where
/// the node may, else as far as `net.core.rmem_max` allows. Logs what the kernel granted
/// (Linux reports twice the size asked, its bookkeeping included).
fn receive_buffer(udp: &UdpSocket, bytes: usize) {
    use nix::sys::socket::{getsockopt, setsockopt, sockopt};
    if bytes == 0 {
        return;
    }
    if setsockopt(udp, sockopt::RcvBufForce, &bytes).is_err() {
        if let Err(e) = setsockopt(udp, sockopt::RcvBuf, &bytes) {
            tracing::warn!(error = %e, bytes, "SIP UDP receive buffer not set");
            return;
        }
    }
    match getsockopt(udp, sockopt::RcvBuf) {
        Ok(granted) if granted < bytes => tracing::warn!(
            asked = bytes,
            granted,
            "SIP UDP receive buffer smaller than asked (raise net.core.rmem_max)"
        ),
        Ok(granted) => tracing::debug!(granted, "SIP UDP receive buffer"),
        Err(e) => tracing::debug!(error = %e, "SIP UDP receive buffer unknown"),
    }
}

impl std::fmt::Debug for SipIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SipIo").finish_non_exhaustive()
    }
}

pub(crate) type CallRoutes = HashMap<String, mpsc::UnboundedSender<SessionInput>>;
