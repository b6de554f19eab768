//! The UAC side of a dialog (RFC 3261 §12.1.2) and the ACK for a 2xx
//! (§13.2.2.4).

use super::{bracket, Dialog};
use crate::{Error, Method, NameAddr, Request, Response};

impl Dialog {
    /// Builds the UAC side of a dialog from the INVITE we sent and a
    /// response to it (RFC 3261 §12.1.2): a 2xx (confirmed dialog) or a
    /// 101-199 with a To tag (early dialog; build it again from the 2xx
    /// when that arrives).
    pub fn new_uac(invite: &Request, response: &Response) -> Result<Dialog, Error> {
        let call_id = invite.call_id().ok_or(Error::MissingHeader("Call-ID"))?;
        let cseq = invite.cseq()?;
        if response.call_id() != Some(call_id) || response.cseq()?.seq != cseq.seq {
            return Err(Error::ResponseMismatch);
        }
        let from = invite.from_hdr()?;
        let to = response.to_hdr()?;
        let remote_tag = to.tag().map(str::to_string);
        // RFC 3261 §12.1: "Within this specification, only 2xx and 101-199
        // responses with a To tag, where the request was INVITE, will
        // establish a dialog."
        let forming = match response.status {
            200..=299 => true,
            101..=199 => remote_tag.is_some(),
            _ => false,
        };
        if !forming {
            return Err(Error::NotDialogForming(response.status));
        }
        // §8.1.1.3: "The From field MUST contain a new "tag" parameter,
        // chosen by the UAC" - without it no dialog can be identified.
        let local_tag = from
            .tag()
            .ok_or(Error::MissingHeader("From tag"))?
            .to_string();
        // §12.1.2: "The route set MUST be set to the list of URIs in the
        // Record-Route header field from the response, taken in reverse
        // order and preserving all URI parameters."
        let mut route_set = Vec::new();
        for item in response.headers.get_all("Record-Route") {
            route_set.push(NameAddr::parse("Record-Route", item)?.uri);
        }
        route_set.reverse();
        // "The remote target MUST be set to the URI from the Contact header
        // field of the response." A peer that omits it leaves the
        // Request-URI we reached it at as the best address we have.
        let remote_target = match response.contact() {
            Some(c) => c?.uri,
            None => invite.uri.clone(),
        };
        let local_contact = invite
            .headers
            .get("Contact")
            .map(bracket)
            .unwrap_or_default();
        Ok(Dialog {
            call_id: call_id.to_string(),
            local_tag,
            // "The remote tag MUST be set to the tag in the To header field
            // of the response": absent (null) only from RFC 2543 peers.
            remote_tag,
            local_uri: from.uri,
            remote_uri: to.uri,
            remote_target,
            route_set,
            local_contact,
            // "The local sequence number MUST be set to the value of the
            // sequence number in the CSeq header field of the request. The
            // remote sequence number MUST be empty".
            local_seq: cseq.seq,
            remote_seq: None,
            invite_seq: cseq.seq,
        })
    }

    /// The ACK for a 2xx to the INVITE with CSeq number `invite_cseq`
    /// (RFC 3261 §13.2.2.4): built like any in-dialog request (Request-URI
    /// from the remote target, Route from the route set), no Via (the
    /// endpoint's `send_stateless` adds one with a new branch).
    pub fn ack(&self, invite_cseq: u32) -> Request {
        // "The header fields of the ACK are constructed in the same way as
        // for any request sent within a dialog (see Section 12) with the
        // exception of the CSeq and the header fields related to
        // authentication. The sequence number of the CSeq header field MUST
        // be the same as the INVITE being acknowledged, but the CSeq method
        // MUST be ACK."
        self.build(Method::Ack, invite_cseq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::new_invite;

    fn invite() -> Request {
        let mut from = NameAddr::new("sip:+15550001111@node.example.com");
        from.params.push(("tag".into(), Some("ours".into())));
        let to = NameAddr::new("sip:+15557654321@carrier.example.com");
        let mut inv = new_invite(
            "sip:+15557654321@carrier.example.com",
            &from,
            &to,
            "cid-1",
            41,
            "sip:node@192.0.2.1:5060",
            None,
        );
        inv.headers.push("Route", "<sip:edge.example.com;lr>");
        inv
    }

    fn answer(inv: &Request, status: u16, tag: Option<&str>) -> Response {
        let mut r = Response::to_request(inv, status, "x");
        if let Some(t) = tag {
            r.headers.set(
                "To",
                format!("<sip:+15557654321@carrier.example.com>;tag={t}"),
            );
        }
        r.headers.push("Contact", "<sip:bob@198.51.100.7:5070>");
        r.headers.push(
            "Record-Route",
            "<sip:p2.example.com;lr>, <sip:p1.example.com;lr>",
        );
        r
    }

    #[test]
    fn uac_dialog_from_2xx() {
        let inv = invite();
        let d = Dialog::new_uac(&inv, &answer(&inv, 200, Some("theirs"))).unwrap();
        assert_eq!(d.local_tag(), "ours");
        assert_eq!(d.remote_tag(), Some("theirs"));
        assert_eq!(d.remote_target(), "sip:bob@198.51.100.7:5070");
        // Reversed: p1 is nearest to us.
        assert_eq!(
            d.route_set(),
            ["sip:p1.example.com;lr", "sip:p2.example.com;lr"]
        );
        let ack = d.ack(41);
        assert_eq!(ack.method, Method::Ack);
        assert_eq!(ack.uri, "sip:bob@198.51.100.7:5070");
        assert_eq!(ack.headers.get("CSeq"), Some("41 ACK"));
        assert_eq!(ack.to_hdr().unwrap().tag(), Some("theirs"));
        assert_eq!(ack.from_hdr().unwrap().tag(), Some("ours"));
        assert_eq!(
            ack.headers.get_all("Route").collect::<Vec<_>>(),
            ["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"]
        );
        assert!(ack.headers.get("Via").is_none());
    }

    #[test]
    fn uac_requests_continue_the_invite_cseq() {
        let inv = invite();
        let mut d = Dialog::new_uac(&inv, &answer(&inv, 200, Some("theirs"))).unwrap();
        let bye = d.request(Method::Bye);
        assert_eq!(bye.headers.get("CSeq"), Some("42 BYE"));
        // A BYE from the callee: From carries their tag, To ours.
        let mut theirs = Request::new(Method::Bye, "sip:node@192.0.2.1:5060");
        theirs.headers.push("From", "<sip:b@x>;tag=theirs");
        theirs.headers.push("To", "<sip:a@x>;tag=ours");
        theirs.headers.push("Call-ID", "cid-1");
        theirs.headers.push("CSeq", "1 BYE");
        d.accept_request(&theirs).unwrap();
        let reinvite = d.request(Method::Invite);
        assert_eq!(
            reinvite.headers.get("Contact"),
            Some("<sip:node@192.0.2.1:5060>")
        );
    }

    #[test]
    fn only_dialog_forming_responses() {
        let inv = invite();
        let early = Dialog::new_uac(&inv, &answer(&inv, 183, Some("e1"))).unwrap();
        assert_eq!(early.remote_tag(), Some("e1"));
        assert_eq!(
            Dialog::new_uac(&inv, &answer(&inv, 180, None)),
            Err(Error::NotDialogForming(180))
        );
        assert_eq!(
            Dialog::new_uac(&inv, &answer(&inv, 100, Some("x"))),
            Err(Error::NotDialogForming(100))
        );
        assert_eq!(
            Dialog::new_uac(&inv, &answer(&inv, 486, Some("x"))),
            Err(Error::NotDialogForming(486))
        );
        let mut other = answer(&inv, 200, Some("x"));
        other.headers.set("Call-ID", "someone-else");
        assert_eq!(Dialog::new_uac(&inv, &other), Err(Error::ResponseMismatch));
    }
}
