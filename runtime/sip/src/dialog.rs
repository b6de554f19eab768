//! Dialogs (RFC 3261 §12): the UAS side here, the UAC side in `uac`.

use crate::syntax::is_ws;
use crate::{parse_uri, Error, Method, NameAddr, Request, Response};

mod uac;

/// The state of a dialog created by an INVITE, received (UAS) or sent (UAC)
/// (RFC 3261 §12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    call_id: String,
    local_tag: String,
    remote_tag: Option<String>,
    local_uri: String,
    remote_uri: String,
    remote_target: String,
    route_set: Vec<String>,
    local_contact: String,
    local_seq: u32,
    remote_seq: Option<u32>,
    /// CSeq of the INVITE the last 2xx answered, for ACK matching.
    invite_seq: u32,
}

pub(crate) fn bracket(contact: &str) -> String {
    let c = contact.trim_matches(is_ws);
    if c.starts_with('<') || c.contains('<') {
        c.to_string()
    } else {
        format!("<{c}>")
    }
}

impl Dialog {
    /// Builds the UAS side of a dialog from an INVITE (RFC 3261 §12.1.1).
    pub fn new_uas(
        invite: &Request,
        local_tag: &str,
        local_contact: &str,
    ) -> Result<Dialog, Error> {
        let call_id = invite.call_id().ok_or(Error::MissingHeader("Call-ID"))?;
        let from = invite.from_hdr()?;
        let to = invite.to_hdr()?;
        let cseq = invite.cseq()?;
        // §12.1.1: "The route set MUST be set to the list of URIs in the
        // Record-Route header field from the request, taken in order and
        // preserving all URI parameters."
        let mut route_set = Vec::new();
        for item in invite.headers.get_all("Record-Route") {
            route_set.push(NameAddr::parse("Record-Route", item)?.uri);
        }
        // "The remote target MUST be set to the URI from the Contact header
        // field of the request." An RFC 2543 INVITE may lack Contact; the
        // From URI is then the only address we have for the peer.
        let remote_target = match invite.contact() {
            Some(c) => c?.uri,
            None => from.uri.clone(),
        };
        Ok(Dialog {
            call_id: call_id.to_string(),
            local_tag: local_tag.to_string(),
            // "The remote tag MUST be set to the tag in the From header
            // field of the request" (absent for RFC 2543 peers).
            remote_tag: from.tag().map(str::to_string),
            local_uri: to.uri,
            remote_uri: from.uri,
            remote_target,
            route_set,
            local_contact: bracket(local_contact),
            // §12.1.1: "The local sequence number MUST be empty"; §8.1.1.5
            // lets us start anywhere below 2**31, so the first request we
            // send uses 1.
            local_seq: 0,
            remote_seq: Some(cseq.seq),
            invite_seq: cseq.seq,
        })
    }

    /// The Call-ID.
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// Our tag (To tag of requests we receive).
    pub fn local_tag(&self) -> &str {
        &self.local_tag
    }

    /// The peer's tag, if it sent one.
    pub fn remote_tag(&self) -> Option<&str> {
        self.remote_tag.as_deref()
    }

    /// Where in-dialog requests go (the peer's Contact).
    pub fn remote_target(&self) -> &str {
        &self.remote_target
    }

    /// The route set from Record-Route.
    pub fn route_set(&self) -> &[String] {
        &self.route_set
    }

    /// Builds a response to a request in this dialog: adds our To tag,
    /// Contact on 101-299 to INVITE, Record-Route on 2xx to INVITE, and the
    /// body with its Content-Type.
    pub fn response(
        &self,
        request: &Request,
        status: u16,
        reason: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> Response {
        let mut resp = Response::to_request(request, status, reason);
        if status != 100 {
            if let Ok(mut to) = resp.to_hdr() {
                if to.tag().is_none() {
                    to.params.push(("tag".into(), Some(self.local_tag.clone())));
                    resp.headers.set("To", to.to_string());
                }
            }
        }
        let dialog_forming = matches!(request.method, Method::Invite | Method::Update);
        if dialog_forming && (101..300).contains(&status) {
            // RFC 3261 §12.1.1: "The UAS MUST add a Contact header field to
            // the response." §12.1.1 also: "When a UAS responds to a request
            // with a response that establishes a dialog (such as a 2xx to
            // INVITE), the UAS MUST copy all Record-Route header field values
            // from the request into the response".
            resp.headers.push("Contact", self.local_contact.as_str());
            for rr in request.headers.get_lines("Record-Route") {
                resp.headers.push("Record-Route", rr);
            }
        }
        if let Some((content_type, bytes)) = body {
            resp.headers.push("Content-Type", content_type);
            resp.body = bytes;
        }
        resp
    }

    /// Builds an in-dialog request (RFC 3261 §12.2.1.1). No Via: the
    /// endpoint's `send_request` adds it.
    pub fn request(&mut self, method: Method) -> Request {
        // "Requests within a dialog MUST contain strictly monotonically
        // increasing and contiguous CSeq sequence numbers (increasing-by-one)
        // in each direction (excepting ACK and CANCEL of course)".
        if !matches!(method, Method::Ack | Method::Cancel) {
            self.local_seq = self.local_seq.wrapping_add(1).max(1);
        }
        let mut req = self.build(method.clone(), self.local_seq);
        if matches!(method, Method::Invite | Method::Update) {
            req.headers.push("Contact", self.local_contact.as_str());
        }
        req
    }

    /// The in-dialog request `method` with CSeq number `seq`: Request-URI
    /// and Route from the route set and remote target, From/To with the
    /// dialog's tags, Call-ID, CSeq and Max-Forwards.
    fn build(&self, method: Method, seq: u32) -> Request {
        let loose = self
            .route_set
            .first()
            .and_then(|r| parse_uri(r).ok())
            .is_some_and(|u| u.param("lr").is_some());
        // "If the route set is empty, the UAC MUST place the remote target
        // URI into the Request-URI." With a loose-routing first hop, the
        // same, and the route set becomes Route. With a strict router, "the
        // UAC MUST place the first URI from the route set into the
        // Request-URI ... [and] the remote target URI" last in Route.
        let (uri, routes) = if self.route_set.is_empty() || loose {
            (self.remote_target.clone(), self.route_set.clone())
        } else {
            let mut routes = self.route_set[1..].to_vec();
            routes.push(self.remote_target.clone());
            (self.route_set[0].clone(), routes)
        };
        let mut req = Request::new(method.clone(), uri);
        for r in routes {
            req.headers.push("Route", format!("<{r}>"));
        }
        let mut to = NameAddr::new(self.remote_uri.clone());
        if let Some(tag) = &self.remote_tag {
            to.params.push(("tag".into(), Some(tag.clone())));
        }
        let mut from = NameAddr::new(self.local_uri.clone());
        from.params
            .push(("tag".into(), Some(self.local_tag.clone())));
        req.headers.push("From", from.to_string());
        req.headers.push("To", to.to_string());
        req.headers.push("Call-ID", self.call_id.as_str());
        req.headers.push("CSeq", format!("{seq} {method}"));
        req.headers.push("Max-Forwards", "70");
        req
    }

    /// True when `request` is in this dialog: Call-ID, From tag = remote
    /// tag and To tag = local tag (RFC 3261 §12.2.2).
    pub fn matches(&self, request: &Request) -> bool {
        let (Ok(from), Ok(to)) = (request.from_hdr(), request.to_hdr()) else {
            return false;
        };
        request.call_id() == Some(self.call_id.as_str())
            && from.tag() == self.remote_tag.as_deref()
            && to.tag() == Some(self.local_tag.as_str())
    }

    /// True when `ack` acknowledges the INVITE that this dialog last
    /// answered: same dialog and the INVITE's CSeq number (RFC 3261
    /// §17.1.1.3: "The CSeq header field ... MUST contain the same value for
    /// the sequence number as was present in the original request").
    pub fn ack_matches(&self, ack: &Request) -> bool {
        ack.method == Method::Ack
            && self.matches(ack)
            && ack.cseq().is_ok_and(|c| c.seq == self.invite_seq)
    }

    /// Applies an in-dialog request (RFC 3261 §12.2.2): checks the CSeq
    /// order and, for a re-INVITE, takes the new remote target.
    pub fn accept_request(&mut self, request: &Request) -> Result<(), Error> {
        // "If the request has a tag in the To header field, the UAS core
        // computes the dialog identifier ... If there is no match, ... the
        // UAS core SHOULD generate a 481".
        if !self.matches(request) {
            return Err(Error::CallLegDoesNotExist);
        }
        let seq = request.cseq()?.seq;
        if !matches!(request.method, Method::Ack | Method::Cancel) {
            // "If the remote sequence number was not empty, but the sequence
            // number of the request is lower than the remote sequence
            // number, the request is out of order and MUST be rejected with
            // a 500 (Server Internal Error) response." A repeat of the same
            // number in a new transaction is just as out of order.
            if let Some(last) = self.remote_seq {
                if seq <= last {
                    return Err(Error::CSeqOutOfOrder { got: seq, last });
                }
            }
            self.remote_seq = Some(seq);
        }
        if request.method == Method::Invite {
            // §12.2.2: "When a UAS receives a target refresh request, it MUST
            // replace the dialog's remote target URI with the URI from the
            // Contact header field in that request, if present."
            if let Some(contact) = request.contact() {
                self.remote_target = contact?.uri;
            }
            self.invite_seq = seq;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse_message, Message};

    fn invite() -> Request {
        let raw = "INVITE sip:+15550001111@10.0.0.5 SIP/2.0\r\n\
            Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKa\r\n\
            Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n\
            From: \"Alice\" <sip:alice@example.com>;tag=ra\r\n\
            To: <sip:+15550001111@example.com>\r\n\
            Call-ID: d1\r\nCSeq: 10 INVITE\r\nMax-Forwards: 70\r\n\
            Contact: <sip:alice@10.0.0.1:5070>\r\nContent-Length: 0\r\n\r\n";
        match parse_message(raw.as_bytes()) {
            Ok(Message::Request(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn uas_dialog_state_from_invite() {
        let d = Dialog::new_uas(&invite(), "la", "sip:uas@10.0.0.5").unwrap();
        assert_eq!(d.call_id(), "d1");
        assert_eq!(d.remote_tag(), Some("ra"));
        assert_eq!(d.remote_target(), "sip:alice@10.0.0.1:5070");
        assert_eq!(
            d.route_set(),
            ["sip:p1.example.com;lr", "sip:p2.example.com;lr"]
        );
    }

    #[test]
    fn response_adds_tag_contact_and_record_route() {
        let inv = invite();
        let d = Dialog::new_uas(&inv, "la", "sip:uas@10.0.0.5").unwrap();
        let ok = d.response(
            &inv,
            200,
            "OK",
            Some(("application/sdp", b"v=0\r\n".to_vec())),
        );
        assert_eq!(ok.to_hdr().unwrap().tag(), Some("la"));
        assert_eq!(ok.headers.get("Contact"), Some("<sip:uas@10.0.0.5>"));
        assert_eq!(ok.headers.get_all("Record-Route").count(), 2);
        assert_eq!(ok.content_type(), Some("application/sdp"));
        let trying = d.response(&inv, 100, "Trying", None);
        assert_eq!(trying.to_hdr().unwrap().tag(), None);
        assert!(trying.headers.get("Contact").is_none());
    }

    #[test]
    fn requests_follow_remote_target_and_routes() {
        let mut d = Dialog::new_uas(&invite(), "la", "sip:uas@10.0.0.5").unwrap();
        let bye = d.request(Method::Bye);
        assert_eq!(bye.uri, "sip:alice@10.0.0.1:5070");
        assert_eq!(
            bye.headers.get_all("Route").collect::<Vec<_>>(),
            ["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"]
        );
        assert_eq!(bye.from_hdr().unwrap().tag(), Some("la"));
        assert_eq!(bye.to_hdr().unwrap().tag(), Some("ra"));
        assert_eq!(bye.cseq().unwrap().seq, 1);
        assert_eq!(d.request(Method::Info).cseq().unwrap().seq, 2);
        assert_eq!(bye.max_forwards(), Some(Ok(70)));
        assert!(bye.headers.get("Via").is_none());
    }

    #[test]
    fn strict_route_puts_first_hop_in_request_uri() {
        let mut inv = invite();
        inv.headers.set("Record-Route", "<sip:strict.example.com>");
        let mut d = Dialog::new_uas(&inv, "la", "<sip:uas@10.0.0.5>").unwrap();
        let bye = d.request(Method::Bye);
        assert_eq!(bye.uri, "sip:strict.example.com");
        assert_eq!(bye.headers.get("Route"), Some("<sip:alice@10.0.0.1:5070>"));
    }

    fn in_dialog(method: Method, seq: u32, contact: Option<&str>) -> Request {
        let mut r = Request::new(method.clone(), "sip:uas@10.0.0.5");
        r.headers.push("From", "<sip:alice@example.com>;tag=ra");
        r.headers
            .push("To", "<sip:+15550001111@example.com>;tag=la");
        r.headers.push("Call-ID", "d1");
        r.headers.push("CSeq", format!("{seq} {method}"));
        if let Some(c) = contact {
            r.headers.push("Contact", c);
        }
        r
    }

    #[test]
    fn cseq_must_increase_and_reinvite_refreshes_target() {
        let mut d = Dialog::new_uas(&invite(), "la", "sip:uas@10.0.0.5").unwrap();
        assert!(d.ack_matches(&in_dialog(Method::Ack, 10, None)));
        assert!(!d.ack_matches(&in_dialog(Method::Ack, 9, None)));
        assert_eq!(
            d.accept_request(&in_dialog(Method::Info, 10, None)),
            Err(Error::CSeqOutOfOrder { got: 10, last: 10 })
        );
        assert_eq!(
            Error::CSeqOutOfOrder { got: 1, last: 2 }.status(),
            Some(500)
        );
        d.accept_request(&in_dialog(Method::Invite, 11, Some("<sip:alice@10.9.9.9>")))
            .unwrap();
        assert_eq!(d.remote_target(), "sip:alice@10.9.9.9");
        assert!(d.ack_matches(&in_dialog(Method::Ack, 11, None)));
        let mut other = in_dialog(Method::Bye, 12, None);
        other.headers.set("Call-ID", "nope");
        assert!(!d.matches(&other));
        assert_eq!(d.accept_request(&other), Err(Error::CallLegDoesNotExist));
        d.accept_request(&in_dialog(Method::Bye, 12, None)).unwrap();
    }
}
