//! A raw SIP user agent over UDP, for tests that need to write exact requests.

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use switchyard_e2e::Node;

/// A SIP response as received over UDP.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub text: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.text.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// A raw UDP user agent bound to an ephemeral port of 127.0.0.1.
pub struct RawUa {
    pub sock: UdpSocket,
    pub port: u16,
}

impl RawUa {
    pub fn new() -> anyhow::Result<RawUa> {
        let sock = UdpSocket::bind("127.0.0.1:0")?;
        sock.set_read_timeout(Some(Duration::from_millis(300)))?;
        let port = sock.local_addr()?.port();
        Ok(RawUa { sock, port })
    }

    /// An out-of-dialog request; `to_tag` is for the ACK of a non-2xx final response.
    #[allow(clippy::too_many_arguments)]
    pub fn request(
        &self,
        method: &str,
        uri: &str,
        call_id: &str,
        branch: &str,
        cseq: u32,
        to_tag: Option<&str>,
        content_type: Option<&str>,
        body: &str,
    ) -> String {
        let port = self.port;
        let to_tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
        let cseq_method = if method == "ACK" { "ACK" } else { method };
        let ctype = content_type
            .map(|c| format!("Content-Type: {c}\r\n"))
            .unwrap_or_default();
        format!(
            "{method} {uri} SIP/2.0\r\n\
             Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{branch};rport\r\n\
             Max-Forwards: 70\r\n\
             From: <sip:+15557770000@127.0.0.1:{port}>;tag=raw{branch}\r\n\
             To: <{uri}>{to_tag}\r\n\
             Call-ID: {call_id}@127.0.0.1\r\n\
             CSeq: {cseq} {cseq_method}\r\n\
             Contact: <sip:+15557770000@127.0.0.1:{port}>\r\n\
             {ctype}\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
    }

    /// Sends `message` and collects the responses for `call_id` until a final one (or
    /// 5 s pass); provisional responses come first in the list.
    pub fn exchange(
        &self,
        node: &Node,
        message: &str,
        call_id: &str,
    ) -> anyhow::Result<Vec<Response>> {
        self.sock.send_to(message.as_bytes(), node.sip_target())?;
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut got = Vec::new();
        let mut buf = [0u8; 65535];
        while Instant::now() < deadline {
            let Ok((n, _)) = self.sock.recv_from(&mut buf) else {
                continue;
            };
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            let Some(status) = text
                .strip_prefix("SIP/2.0 ")
                .and_then(|s| s.get(..3))
                .and_then(|s| s.parse::<u16>().ok())
            else {
                continue;
            };
            if !text.contains(&format!("{call_id}@127.0.0.1")) {
                continue;
            }
            let r = Response { status, text };
            let is_final = r.status >= 200;
            got.push(r);
            if is_final {
                break;
            }
        }
        Ok(got)
    }
}

pub fn final_response(responses: &[Response]) -> &Response {
    responses
        .iter()
        .find(|r| r.status >= 200)
        .unwrap_or_else(|| panic!("no final response: {responses:?}"))
}

pub fn tag_of(to: &str) -> Option<&str> {
    to.split(';')
        .find_map(|p| p.trim().strip_prefix("tag="))
        .map(|t| t.trim_end_matches('>'))
}

pub fn offer(port: u16, formats: &str, rtpmaps: &str) -> String {
    format!(
        "v=0\r\no=raw 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP {formats}\r\n{rtpmaps}a=sendrecv\r\n"
    )
}

/// RFC 3261 §17.1.1.3: the ACK of a non-2xx final response reuses the INVITE's branch and
/// carries the response's To tag; it stops the node's Timer G retransmissions.
pub fn ack_failure(
    ua: &RawUa,
    node: &Node,
    uri: &str,
    id: &str,
    r: &Response,
) -> anyhow::Result<()> {
    let tag = r.header("To").and_then(tag_of);
    let ack = ua.request("ACK", uri, id, id, 1, tag, None, "");
    ua.sock.send_to(ack.as_bytes(), node.sip_target())?;
    Ok(())
}
