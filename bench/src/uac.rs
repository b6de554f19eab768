//! A minimal SIP caller for many simultaneous calls over one UDP socket.
//!
//! Messages are built with `switchyard-sip`; one dispatcher task routes every datagram
//! to its call by Call-ID. Each call task sends the INVITE (retransmitted per RFC 3261
//! timer A until a response arrives), ACKs the 200, answers the node's BYE, and sends
//! its own BYE when told to hang up.

use anyhow::{anyhow, bail, Result};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchyard_sip::{parse_message, Message, Method, Request, Response};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{timeout_at, Instant};

/// RFC 3261 §17.1.1.2: "the client transaction MUST start timer A with a value of T1",
/// T1 being 500 ms by default; the interval doubles after each retransmission.
const T1: Duration = Duration::from_millis(500);
/// RFC 3261 §17.1.1.2: timer B "should be set to 64*T1", after which the transaction
/// fails.
const TIMER_B: Duration = Duration::from_secs(32);

type Routes = Arc<Mutex<HashMap<String, mpsc::UnboundedSender<Message>>>>;

/// The shared signalling socket and its routing table.
#[derive(Debug, Clone)]
pub struct Caller {
    sock: Arc<UdpSocket>,
    local: SocketAddr,
    node: SocketAddr,
    routes: Routes,
}

/// How a call ended, from the caller's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The node sent BYE (its `<Hangup/>` after the play) and we answered 200.
    NodeHungUp,
    /// We sent BYE and the node answered 200.
    WeHungUp,
    /// Our BYE got no final response.
    ByeUnanswered,
}

impl Caller {
    /// Binds 127.0.0.1:0 and starts the dispatcher; calls go to `node`.
    pub async fn bind(node: SocketAddr) -> Result<Caller> {
        let sock = Arc::new(UdpSocket::bind("127.0.0.1:0").await?);
        let local = sock.local_addr()?;
        let routes: Routes = Arc::default();
        tokio::spawn(dispatch(sock.clone(), routes.clone()));
        Ok(Caller {
            sock,
            local,
            node,
            routes,
        })
    }

    /// Places call number `n` to `number`, offering PCMU on `rtp_port`; returns once the
    /// call is answered and ACKed. The returned task ends the call when `hangup` fires (or
    /// when the node hangs up first) and reports how it ended.
    pub async fn call(
        &self,
        n: usize,
        number: &str,
        rtp_port: u16,
        hangup: oneshot::Receiver<()>,
    ) -> Result<tokio::task::JoinHandle<Result<Ending>>> {
        Ok(self.call_answered(n, number, rtp_port, hangup).await?.0)
    }

    /// [`Caller::call`], also returning the body of the 200 (the node's SDP answer, which
    /// says where to send RTP).
    pub async fn call_answered(
        &self,
        n: usize,
        number: &str,
        rtp_port: u16,
        hangup: oneshot::Receiver<()>,
    ) -> Result<(tokio::task::JoinHandle<Result<Ending>>, Vec<u8>)> {
        self.call_answered_from(n, "+15557770000", number, rtp_port, hangup)
            .await
    }

    /// [`Caller::call_answered`] from `from_user` (the webhook's `From`).
    pub async fn call_answered_from(
        &self,
        n: usize,
        from_user: &str,
        number: &str,
        rtp_port: u16,
        hangup: oneshot::Receiver<()>,
    ) -> Result<(tokio::task::JoinHandle<Result<Ending>>, Vec<u8>)> {
        let call_id = format!("bench-{n}-{:08x}@127.0.0.1", rand::random::<u32>());
        let (tx, mut rx) = mpsc::unbounded_channel();
        self.routes
            .lock()
            .map_err(|_| anyhow!("routes poisoned"))?
            .insert(call_id.clone(), tx);
        let d = DialogIds {
            call_id,
            from: format!(
                "<sip:{from_user}@{}>;tag={:08x}",
                self.local,
                rand::random::<u32>()
            ),
            to: format!("<sip:{number}@{}>", self.node),
            remote_target: format!("sip:{number}@{}", self.node),
        };
        let invite = self.request(Method::Invite, &d, 1, &d.remote_target, sdp(rtp_port));
        let ok = match self
            .transaction(&invite, &mut rx, |r| r.status >= 200)
            .await
        {
            Ok(r) => r,
            Err(e) => {
                self.forget(&d.call_id);
                return Err(e);
            }
        };
        if ok.status != 200 {
            self.forget(&d.call_id);
            bail!("INVITE answered {} {}", ok.status, ok.reason);
        }
        let d = d.confirmed(&ok)?;
        let ack = self.request(Method::Ack, &d, 1, &d.remote_target, Vec::new());
        self.sock.send_to(&ack.to_bytes(), self.node).await?;
        let me = self.clone();
        Ok((
            tokio::spawn(async move { me.in_call(d, ack, rx, hangup).await }),
            ok.body,
        ))
    }

    async fn in_call(
        &self,
        d: DialogIds,
        ack: Request,
        mut rx: mpsc::UnboundedReceiver<Message>,
        mut hangup: oneshot::Receiver<()>,
    ) -> Result<Ending> {
        let ending = loop {
            tokio::select! {
                _ = &mut hangup => {
                    let bye = self.request(Method::Bye, &d, 2, &d.remote_target, Vec::new());
                    break match self.transaction(&bye, &mut rx, |r| r.status >= 200).await {
                        Ok(_) => Ending::WeHungUp,
                        Err(_) => Ending::ByeUnanswered,
                    };
                }
                msg = rx.recv() => match msg {
                    Some(Message::Request(req)) if req.method == Method::Bye => {
                        self.reply_ok(&req).await?;
                        break Ending::NodeHungUp;
                    }
                    // A retransmitted 200: our ACK was lost, send it again (RFC 3261
                    // §13.2.2.4: the ACK is sent for each retransmission of the 2xx).
                    Some(Message::Response(r)) if r.status == 200 => {
                        self.sock.send_to(&ack.to_bytes(), self.node).await?;
                    }
                    Some(_) => {}
                    None => bail!("dispatcher stopped"),
                },
            }
        };
        self.forget(&d.call_id);
        Ok(ending)
    }

    /// Sends `req` and retransmits it (timer A) until a response arrives; returns the
    /// first response for which `done` holds, failing after timer B.
    async fn transaction(
        &self,
        req: &Request,
        rx: &mut mpsc::UnboundedReceiver<Message>,
        done: impl Fn(&Response) -> bool,
    ) -> Result<Response> {
        let bytes = req.to_bytes();
        let give_up = Instant::now() + TIMER_B;
        let mut interval = T1;
        let mut retransmit = true;
        self.sock.send_to(&bytes, self.node).await?;
        loop {
            let wake = if retransmit {
                (Instant::now() + interval).min(give_up)
            } else {
                give_up
            };
            match timeout_at(wake, rx.recv()).await {
                Ok(Some(Message::Response(r))) => {
                    if done(&r) {
                        return Ok(r);
                    }
                    // A provisional response stops INVITE retransmissions (§17.1.1.2).
                    retransmit = false;
                }
                Ok(Some(Message::Request(other))) => {
                    if other.method == Method::Bye {
                        self.reply_ok(&other).await?;
                    }
                }
                Ok(None) => bail!("dispatcher stopped"),
                Err(_) if Instant::now() >= give_up => {
                    bail!("no final response to {} within timer B", req.method)
                }
                Err(_) => {
                    self.sock.send_to(&bytes, self.node).await?;
                    interval = (interval * 2).min(Duration::from_secs(4));
                }
            }
        }
    }

    async fn reply_ok(&self, req: &Request) -> Result<()> {
        let resp = Response::to_request(req, 200, "OK");
        self.sock.send_to(&resp.to_bytes(), self.node).await?;
        Ok(())
    }

    fn forget(&self, call_id: &str) {
        if let Ok(mut r) = self.routes.lock() {
            r.remove(call_id);
        }
    }

    fn request(
        &self,
        method: Method,
        d: &DialogIds,
        cseq: u32,
        uri: &str,
        sdp: Vec<u8>,
    ) -> Request {
        let mut r = Request::new(method.clone(), uri);
        let h = &mut r.headers;
        h.push(
            "Via",
            format!(
                "SIP/2.0/UDP {};branch=z9hG4bK{:016x}",
                self.local,
                rand::random::<u64>()
            ),
        );
        h.push("Max-Forwards", "70");
        h.push("From", d.from.clone());
        h.push("To", d.to.clone());
        h.push("Call-ID", d.call_id.clone());
        h.push("CSeq", format!("{cseq} {method}"));
        h.push("Contact", format!("<sip:bench@{}>", self.local));
        if !sdp.is_empty() {
            h.push("Content-Type", "application/sdp");
        }
        r.body = sdp;
        r
    }
}

/// What identifies the dialog once it exists.
#[derive(Debug, Clone)]
struct DialogIds {
    call_id: String,
    from: String,
    to: String,
    remote_target: String,
}

impl DialogIds {
    /// RFC 3261 §12.1.2: "The remote target MUST be set to the URI from the Contact
    /// header field of the response", and the remote tag is the To tag of the 2xx.
    fn confirmed(mut self, ok: &Response) -> Result<DialogIds> {
        self.to = ok
            .headers
            .get("To")
            .ok_or_else(|| anyhow!("200 without To"))?
            .to_string();
        if let Some(contact) = ok.headers.get("Contact") {
            let uri = match (contact.find('<'), contact.find('>')) {
                (Some(a), Some(b)) if a < b => &contact[a + 1..b],
                _ => contact.split(';').next().unwrap_or(contact),
            };
            self.remote_target = uri.trim().to_string();
        }
        Ok(self)
    }
}

fn sdp(rtp_port: u16) -> Vec<u8> {
    format!(
        "v=0\r\no=bench 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio {rtp_port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
    )
    .into_bytes()
}

async fn dispatch(sock: Arc<UdpSocket>, routes: Routes) {
    let mut buf = vec![0u8; 65536];
    // Bounded by the callers: once every `Caller` clone is gone only this task holds the
    // routing table, and it stops at its next idle second.
    while Arc::strong_count(&routes) > 1 {
        let Ok(Ok((n, from))) =
            tokio::time::timeout(Duration::from_secs(1), sock.recv_from(&mut buf)).await
        else {
            continue;
        };
        let Ok(msg) = parse_message(&buf[..n]) else {
            continue;
        };
        let Some(call_id) = msg.headers().get("Call-ID").map(str::to_string) else {
            continue;
        };
        let route = routes.lock().ok().and_then(|r| r.get(&call_id).cloned());
        match (route, msg) {
            (Some(tx), msg) => {
                let _ = tx.send(msg);
            }
            // A BYE retransmitted after the call was forgotten still deserves its 200.
            (None, Message::Request(req)) if req.method == Method::Bye => {
                let resp = Response::to_request(&req, 200, "OK");
                let _ = sock.send_to(&resp.to_bytes(), from).await;
            }
            _ => {}
        }
    }
}
