//! The transaction endpoint: bytes and time in; transmits, events and the
//! next deadline out.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

use crate::parse::split;
use crate::routing::{replace_top_via, response_route, Tokens};
use crate::transaction::client::{ClientTimer, ClientTx};
use crate::transaction::invite_client::InviteClientTx;
use crate::transaction::server::{ServerTx, TimerOutcome};
use crate::transaction::{ack_key_for, key_for, AckKey, DialogKey, TxKey};
use crate::validate::{self, ACCEPT, ALLOW};
use crate::{
    default_reason, parse_message, Error, Message, Method, NameAddr, Request, Response, Via,
};

pub use crate::events::{ClientTxId, EndpointConfig, Event, ServerTxId, Transmit, Transport};

mod uac;

/// A SIP user agent's transaction layer (RFC 3261 §17): server
/// transactions with the stateless checks of §8.2, and client transactions
/// for outbound requests (INVITE and CANCEL in `uac`). The node owns the
/// sockets and the clock.
#[derive(Debug)]
pub struct Endpoint {
    config: EndpointConfig,
    tokens: Tokens,
    next_id: u64,
    servers: HashMap<u64, ServerTx>,
    server_index: HashMap<TxKey, u64>,
    ack_index: HashMap<AckKey, u64>,
    /// INVITE transactions whose 2xx awaits its ACK, by dialog, so a BYE can end them.
    unacked: HashMap<DialogKey, u64>,
    clients: HashMap<u64, ClientTx>,
    /// INVITE client transactions (RFC 3261 §17.1.1); they share
    /// `client_index` and the id space with `clients`.
    invites: HashMap<u64, InviteClientTx>,
    client_index: HashMap<(String, Method), u64>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    /// Deadlines of every transaction, earliest first. Entries go stale when a timer is
    /// rescheduled or its transaction ends; they are skipped when popped, so finding the
    /// next deadline never scans the (tens of thousands of) live transactions.
    timers: BinaryHeap<Reverse<(Instant, Slot)>>,
    /// Transactions whose timers may have changed during the current call.
    touched: Vec<Slot>,
}

/// A transaction named in the timer heap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Slot {
    Server(u64),
    Client(u64),
    Invite(u64),
}

impl Endpoint {
    /// A new endpoint with no transactions.
    pub fn new(config: EndpointConfig) -> Self {
        Endpoint {
            config,
            tokens: Tokens::new(),
            next_id: 0,
            servers: HashMap::new(),
            server_index: HashMap::new(),
            ack_index: HashMap::new(),
            unacked: HashMap::new(),
            clients: HashMap::new(),
            invites: HashMap::new(),
            client_index: HashMap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            timers: BinaryHeap::new(),
            touched: Vec::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &EndpointConfig {
        &self.config
    }

    /// Feeds one datagram (or one framed stream message) received at `now`.
    pub fn handle_input(
        &mut self,
        now: Instant,
        transport: Transport,
        source: SocketAddr,
        data: &[u8],
    ) {
        match parse_message(data) {
            Ok(Message::Request(req)) => self.on_request(now, transport, source, req),
            Ok(Message::Response(resp)) => self.on_response(now, resp),
            Err(e) => self.reject_unparseable(transport, source, data, &e),
        }
        self.schedule_touched();
    }

    /// Runs every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(Reverse((at, slot))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            match slot {
                Slot::Server(id) => self.server_timers(now, id),
                Slot::Client(id) => self.client_timers(now, id),
                Slot::Invite(id) => self.invite_timers(now, id),
            }
            self.touched.push(slot);
        }
        self.schedule_touched();
    }

    fn server_timers(&mut self, now: Instant, id: u64) {
        // A transaction may have several timers due after a long sleep.
        while let Some(tx) = self.servers.get_mut(&id) {
            match tx.on_timer(now, &self.config) {
                TimerOutcome::Idle => break,
                TimerOutcome::Retransmit => {
                    if let Some(bytes) = tx.last_response.clone() {
                        let t = Transmit {
                            transport: tx.transport,
                            destination: tx.destination,
                            payload: bytes,
                        };
                        self.transmits.push_back(t);
                    }
                }
                TimerOutcome::Terminate => {
                    self.remove_server(id);
                    break;
                }
                TimerOutcome::AckTimeout => {
                    self.events.push_back(Event::AckTimeout {
                        invite: ServerTxId(id),
                    });
                    self.remove_server(id);
                    break;
                }
            }
        }
    }

    fn client_timers(&mut self, now: Instant, id: u64) {
        while let Some(tx) = self.clients.get_mut(&id) {
            match tx.on_timer(now, &self.config) {
                ClientTimer::Idle => break,
                ClientTimer::Retransmit => {
                    let t = Transmit {
                        transport: tx.transport,
                        destination: tx.destination,
                        payload: tx.request.clone(),
                    };
                    self.transmits.push_back(t);
                }
                ClientTimer::Timeout => {
                    self.events.push_back(Event::Timeout { tx: ClientTxId(id) });
                    self.remove_client(id);
                    break;
                }
                ClientTimer::Terminate => {
                    self.remove_client(id);
                    break;
                }
            }
        }
    }

    /// Put the current deadline of every touched transaction into the heap.
    fn schedule_touched(&mut self) {
        for slot in std::mem::take(&mut self.touched) {
            let next = match slot {
                Slot::Server(id) => self.servers.get(&id).and_then(ServerTx::next_timer),
                Slot::Client(id) => self.clients.get(&id).map(ClientTx::next_timer),
                Slot::Invite(id) => self.invites.get(&id).and_then(InviteClientTx::next_timer),
            };
            if let Some(at) = next {
                self.timers.push(Reverse((at, slot)));
            }
        }
    }

    /// The earliest pending timer.
    ///
    /// This may be earlier than any live timer (an entry left by a transaction that has
    /// ended or moved its timer); [`Endpoint::handle_timeout`] then does nothing but
    /// discard it.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.peek().map(|Reverse((at, _))| *at)
    }

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event for the TU.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Number of live transactions (server and client).
    pub fn transaction_count(&self) -> usize {
        self.servers.len() + self.clients.len() + self.invites.len()
    }

    /// Answers a server transaction (1xx, 2xx, 3xx-6xx). For INVITE: 2xx is
    /// retransmitted over UDP starting at T1, doubling up to T2, until the
    /// matching ACK arrives (RFC 3261 §13.3.1.4), else AckTimeout after
    /// 64*T1; 3xx-6xx use Timers G/H/I (§17.2.1). Non-INVITE: Timer J.
    pub fn respond(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        mut response: Response,
    ) -> Result<(), Error> {
        if !(100..=699).contains(&response.status) {
            return Err(Error::InvalidResponse("status outside 100..=699"));
        }
        let server = self
            .servers
            .get_mut(&tx.0)
            .ok_or(Error::UnknownTransaction)?;
        self.touched.push(Slot::Server(tx.0));
        if server.answered() {
            return Err(Error::AlreadyAnswered);
        }
        replace_top_via(&mut response, &server.top_via);
        if response.headers.get("Server").is_none() && response.headers.get("User-Agent").is_none()
        {
            response
                .headers
                .push("Server", self.config.user_agent.as_str());
        }
        // RFC 3261 §8.2.6.2: "If the request did not contain a To tag, the
        // UAS MUST add one" (except on 100); reuse the transaction's tag so
        // every response of the transaction names the same dialog.
        if response.status > 100 {
            let tag = server.to_tag.clone().unwrap_or_else(|| self.tokens.fresh());
            add_to_tag(&mut response, &tag);
        }
        let to_tag = response
            .to_hdr()
            .ok()
            .and_then(|t| t.tag().map(str::to_string));
        if to_tag.is_some() {
            server.to_tag = to_tag.clone();
        }
        let bytes = response.to_bytes();
        self.transmits.push_back(Transmit {
            transport: server.transport,
            destination: server.destination,
            payload: bytes.clone(),
        });
        server.last_response = Some(bytes);
        let over = server.on_sent(now, response.status, &self.config);
        if server.invite && (200..300).contains(&response.status) {
            // The ACK to a 2xx is a new transaction; index it by dialog.
            let key = (|| {
                Some(AckKey {
                    call_id: response.call_id()?.to_string(),
                    cseq: response.cseq().ok()?.seq,
                    from_tag: response.from_hdr().ok()?.tag().unwrap_or("").to_string(),
                    to_tag: to_tag?,
                })
            })();
            if let Some(key) = key {
                server.ack_key = Some(key.clone());
                if !over {
                    self.unacked.insert(key.dialog(), tx.0);
                }
                self.ack_index.insert(key, tx.0);
            }
        }
        if over {
            self.remove_server(tx.0);
        }
        self.schedule_touched();
        Ok(())
    }

    /// Sends a non-INVITE request (e.g. in-dialog BYE) as a client
    /// transaction: adds the top Via with a fresh `z9hG4bK` branch and
    /// `rport`, retransmits over UDP with Timer E, gives up with
    /// [`Event::Timeout`] on Timer F (§17.1.2).
    pub fn send_request(
        &mut self,
        now: Instant,
        mut request: Request,
        destination: SocketAddr,
        transport: Transport,
    ) -> ClientTxId {
        let branch = self.stamp_request(&mut request, transport);
        let id = self.alloc_id();
        self.start_client(now, id, branch, &request, destination, transport);
        ClientTxId(id)
    }

    /// Adds our top Via with a fresh branch and `rport`, and Max-Forwards
    /// and User-Agent when the TU left them out. Returns the branch.
    fn stamp_request(&mut self, request: &mut Request, transport: Transport) -> String {
        // RFC 3261 §8.1.1.7: "The branch ID inserted by an element compliant
        // with this specification MUST always begin with the characters
        // "z9hG4bK"."
        let branch = format!("{}{}", crate::MAGIC_COOKIE, self.tokens.fresh());
        let via = format!(
            "SIP/2.0/{} {};branch={};rport",
            transport.as_str(),
            self.config.sent_by(transport),
            branch
        );
        request.headers.push_front("Via", via);
        if request.headers.get("Max-Forwards").is_none() {
            request.headers.push("Max-Forwards", "70");
        }
        if request.headers.get("User-Agent").is_none() {
            request
                .headers
                .push("User-Agent", self.config.user_agent.as_str());
        }
        branch
    }

    /// Sends an already stamped non-INVITE request as client transaction
    /// `id` (Timers E/F, §17.1.2).
    fn start_client(
        &mut self,
        now: Instant,
        id: u64,
        branch: String,
        request: &Request,
        destination: SocketAddr,
        transport: Transport,
    ) {
        let bytes = request.to_bytes();
        self.transmits.push_back(Transmit {
            transport,
            destination,
            payload: bytes.clone(),
        });
        let method = request.method.clone();
        let tx = ClientTx::new(
            now,
            branch.clone(),
            method.clone(),
            bytes,
            transport,
            destination,
            &self.config,
        );
        self.clients.insert(id, tx);
        self.client_index.insert((branch, method), id);
        self.touched.push(Slot::Client(id));
        self.schedule_touched();
    }

    fn alloc_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn remove_server(&mut self, id: u64) {
        if let Some(tx) = self.servers.remove(&id) {
            self.server_index.remove(&tx.key);
            if let Some(k) = tx.ack_key {
                self.unacked.remove(&k.dialog());
                self.ack_index.remove(&k);
            }
        }
    }

    fn remove_client(&mut self, id: u64) {
        if let Some(tx) = self.clients.remove(&id) {
            self.client_index.remove(&(tx.branch, tx.method));
        }
    }

    fn on_response(&mut self, now: Instant, resp: Response) {
        // RFC 3261 §17.1.3: a response matches a client transaction by the
        // top Via branch and the CSeq method. Anything else is dropped
        // (§18.1.2: "the response MUST be silently discarded").
        let Ok(vias) = resp.vias() else { return };
        let Some(branch) = vias[0].branch() else {
            return;
        };
        let Ok(cseq) = resp.cseq() else { return };
        let key = (branch.to_string(), cseq.method);
        let Some(&id) = self.client_index.get(&key) else {
            return;
        };
        if self.invites.contains_key(&id) {
            self.on_invite_response(now, id, resp);
            return;
        }
        let Some(tx) = self.clients.get_mut(&id) else {
            return;
        };
        self.touched.push(Slot::Client(id));
        let (deliver, over) = tx.on_response(now, resp.status, &self.config);
        if deliver {
            self.events.push_back(Event::Response {
                tx: ClientTxId(id),
                response: resp,
            });
        }
        if over {
            self.remove_client(id);
        }
    }

    fn on_request(&mut self, now: Instant, transport: Transport, source: SocketAddr, req: Request) {
        if let Err(e) = validate::mandatory(&req) {
            if req.method != Method::Ack {
                self.reject_stateless(transport, source, &req, &e);
            }
            return;
        }
        let Ok(vias) = req.vias() else { return };
        let top = vias[0].clone();
        if req.method == Method::Ack {
            self.on_ack(now, &top, source, req);
            return;
        }
        let Some(key) = key_for(&req, &top, None) else {
            return;
        };
        if let Some(&id) = self.server_index.get(&key) {
            // A retransmission: RFC 3261 §17.2.1/§17.2.2 resend the most
            // recent response, if any.
            if let Some(tx) = self.servers.get(&id) {
                if let Some(bytes) = tx.last_response.clone() {
                    self.transmits.push_back(Transmit {
                        transport: tx.transport,
                        destination: tx.destination,
                        payload: bytes,
                    });
                }
            }
            return;
        }
        if req.method == Method::Bye {
            self.end_2xx_retransmission(&req);
        }
        let (top_via, destination) = response_route(&top, transport, source);
        let invite = req.method == Method::Invite;
        let id = self.alloc_id();
        let mut server = ServerTx::new(invite, key.clone(), transport, destination, top_via);
        server.limit_tu_wait(now, &self.config);
        self.servers.insert(id, server);
        self.server_index.insert(key, id);
        self.touched.push(Slot::Server(id));
        let tx = ServerTxId(id);

        if req.method == Method::Cancel {
            self.on_cancel(now, tx, &top, &req);
            return;
        }
        if let Err(e) = validate::request(&req) {
            let resp = self.error_response(&req, &e);
            self.respond_internal(now, tx, resp);
            return;
        }
        match req.method {
            Method::Options => {
                let mut resp = self.own_response(&req, 200, "OK");
                resp.headers.push("Allow", ALLOW);
                resp.headers.push("Accept", ACCEPT);
                resp.headers.push("Supported", "");
                self.respond_internal(now, tx, resp);
            }
            Method::Invite => {
                // RFC 3261 §17.2.1: the server transaction "MUST generate a
                // 100 (Trying) response unless it knows that the TU will
                // generate a provisional or final response within 200 ms";
                // we cannot know, so we always send it.
                let trying = Response::to_request(&req, 100, "Trying");
                self.respond_internal(now, tx, trying);
                self.events.push_back(Event::Request {
                    tx,
                    request: req,
                    source,
                    transport,
                });
            }
            _ => self.events.push_back(Event::Request {
                tx,
                request: req,
                source,
                transport,
            }),
        }
    }

    /// A BYE that crossed our 2xx (its ACK lost or still on the way) ends the dialog:
    /// retransmitting the 2xx on would only load the caller (and the network) with
    /// responses for a call it has left.
    fn end_2xx_retransmission(&mut self, bye: &Request) {
        let Some(key) = ack_key_for(bye).map(|k| k.dialog()) else {
            return;
        };
        if let Some(id) = self.unacked.remove(&key) {
            if let Some(tx) = self.servers.get_mut(&id) {
                tx.on_dialog_ended();
                self.touched.push(Slot::Server(id));
            }
        }
    }

    fn on_cancel(&mut self, now: Instant, tx: ServerTxId, top: &Via, req: &Request) {
        // RFC 3261 §9.2: "the CANCEL request ... matches the transaction
        // being cancelled" using the §17.2.3 rules with method INVITE.
        let target = key_for(req, top, Some(Method::Invite))
            .and_then(|k| self.server_index.get(&k).copied());
        let Some(invite_id) = target else {
            // "If the UAS did not find a matching transaction for the
            // CANCEL request, it SHOULD respond to the CANCEL with a 481".
            let resp = self.error_response(req, &Error::NoMatchingTransaction);
            self.respond_internal(now, tx, resp);
            return;
        };
        let (pending, tag) = match self.servers.get(&invite_id) {
            Some(inv) => (!inv.answered(), inv.to_tag.clone()),
            None => (false, None),
        };
        // The CANCEL's 200 carries the To tag of the INVITE's responses so
        // both belong to the same (early) dialog.
        let mut ok = Response::to_request(req, 200, "OK");
        add_to_tag(&mut ok, &tag.unwrap_or_else(|| self.tokens.fresh()));
        self.respond_internal(now, tx, ok);
        // "If the transaction for the original request still exists, the
        // behavior of the UAS on receiving a CANCEL request depends on
        // whether it has already sent a final response for the original
        // request. If it has, the CANCEL request has no effect".
        if pending {
            self.events.push_back(Event::Cancelled {
                invite: ServerTxId(invite_id),
            });
        }
    }

    fn on_ack(&mut self, now: Instant, top: &Via, source: SocketAddr, req: Request) {
        let by_tx = key_for(&req, top, None).and_then(|k| self.server_index.get(&k).copied());
        let by_dialog = ack_key_for(&req).and_then(|k| self.ack_index.get(&k).copied());
        if let Some(id) = by_tx.or(by_dialog) {
            let Some(tx) = self.servers.get_mut(&id) else {
                return;
            };
            self.touched.push(Slot::Server(id));
            let (to_tu, over) = tx.on_ack(now, &self.config);
            if let Some(k) = &tx.ack_key {
                self.unacked.remove(&k.dialog());
            }
            if over {
                self.remove_server(id);
            }
            if to_tu {
                self.events.push_back(Event::Ack {
                    request: req,
                    source,
                });
            }
            return;
        }
        // No transaction knows it: an ACK for a 2xx whose transaction has
        // already ended, which the TU matches against its dialogs.
        self.events.push_back(Event::Ack {
            request: req,
            source,
        });
    }

    /// Sends a response the endpoint generated itself on a transaction.
    fn respond_internal(&mut self, now: Instant, tx: ServerTxId, resp: Response) {
        // Only fails for an unknown or already answered transaction, which
        // cannot happen for one created just now.
        let _ = self.respond(now, tx, resp);
    }

    /// A response built by the endpoint with a To tag (RFC 3261 §8.2.6.2:
    /// "If the request did not contain a To tag ... the UAS MUST add a tag").
    fn own_response(&self, req: &Request, status: u16, reason: &str) -> Response {
        let mut resp = Response::to_request(req, status, reason);
        let tag = self.stable_tag(&resp);
        add_to_tag(&mut resp, &tag);
        resp
    }

    fn stable_tag(&self, resp: &Response) -> String {
        let seed = format!(
            "{}|{}|{}",
            resp.headers.get("Via").unwrap_or(""),
            resp.call_id().unwrap_or(""),
            resp.headers.get("CSeq").unwrap_or("")
        );
        self.tokens.stable(&seed)
    }

    /// The response for a failed check, with the header its status needs.
    fn error_response(&self, req: &Request, e: &Error) -> Response {
        let status = e.status().unwrap_or(500);
        let mut resp = self.own_response(req, status, &e.reason_phrase());
        decorate(&mut resp, e);
        resp
    }

    /// Answers a request without keeping state (no transaction): used when
    /// the request lacks what a transaction needs.
    fn reject_stateless(
        &mut self,
        transport: Transport,
        source: SocketAddr,
        req: &Request,
        e: &Error,
    ) {
        let Some(status) = e.status() else { return };
        if req.headers.get("Via").is_none() {
            return;
        }
        let mut resp = Response::to_request(req, status, &e.reason_phrase());
        if resp.to_hdr().is_ok() {
            let tag = self.stable_tag(&resp);
            add_to_tag(&mut resp, &tag);
        }
        decorate(&mut resp, e);
        self.send_stateless_response(transport, source, resp);
    }

    fn send_stateless_response(
        &mut self,
        transport: Transport,
        source: SocketAddr,
        mut resp: Response,
    ) {
        let destination = match resp.vias() {
            Ok(vias) => {
                let (top_via, destination) = response_route(&vias[0], transport, source);
                replace_top_via(&mut resp, &top_via);
                destination
            }
            // The Via is unreadable: answer where the request came from.
            Err(_) => source,
        };
        resp.headers.push("Server", self.config.user_agent.as_str());
        self.transmits.push_back(Transmit {
            transport,
            destination,
            payload: resp.to_bytes(),
        });
    }

    /// A request that did not parse gets its 4xx/5xx when enough of it is
    /// readable to address a response (at least a Via); responses and ACKs
    /// that do not parse are dropped (RFC 3261 §18.1.2, §17.1.1.3).
    fn reject_unparseable(
        &mut self,
        transport: Transport,
        source: SocketAddr,
        data: &[u8],
        e: &Error,
    ) {
        let Some(status) = e.status() else { return };
        let Ok(raw) = split(data) else { return };
        let first = raw.start.split(' ').next().unwrap_or("");
        if crate::parse::is_sip_version_prefix(first) || first == "ACK" {
            return;
        }
        if raw.headers.get("Via").is_none() {
            return;
        }
        let mut resp = Response::new(status, e.reason_phrase());
        for (name, value) in raw.headers.iter() {
            let canon = crate::headers::canonical(name);
            if matches!(canon.as_str(), "via" | "from" | "to" | "call-id" | "cseq") {
                resp.headers.push(name, value);
            }
        }
        if resp.to_hdr().is_ok() {
            let tag = self.stable_tag(&resp);
            add_to_tag(&mut resp, &tag);
        }
        decorate(&mut resp, e);
        self.send_stateless_response(transport, source, resp);
    }
}

/// Adds `;tag=` to the To header unless it already has one.
fn add_to_tag(resp: &mut Response, tag: &str) {
    if let Ok(to) = resp.to_hdr() {
        if to.tag().is_none() {
            let mut to: NameAddr = to;
            to.params.push(("tag".into(), Some(tag.to_string())));
            resp.headers.set("To", to.to_string());
        }
    }
}

/// Adds the headers a rejection status requires.
fn decorate(resp: &mut Response, e: &Error) {
    match e {
        // RFC 3261 §8.2.1: "The UAS MUST also add an Allow header field to
        // the 405 (Method Not Allowed) response."
        Error::MethodNotAllowed(_) | Error::NotImplemented(_) => resp.headers.push("Allow", ALLOW),
        // §8.2.3: "The response MUST contain an Accept header field listing
        // the types of all bodies it understands".
        Error::UnsupportedMediaType(_) => resp.headers.push("Accept", ACCEPT),
        // §8.2.2.3: "the UAS MUST add an Unsupported header field, and list
        // in it those options it does not understand amongst those in the
        // Require header field of the request."
        Error::BadExtension(tags) => resp.headers.push("Unsupported", tags.join(", ")),
        _ => {}
    }
    if resp.reason.is_empty() {
        resp.reason = default_reason(resp.status).to_string();
    }
}
