//! Building the initial INVITE of an outbound call, and the fresh tags and
//! Call-IDs it needs.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::dialog::bracket;
use crate::validate::ALLOW;
use crate::{Method, NameAddr, Request};

/// Counts tokens handed out, so no two calls hash the same input.
static ISSUED: AtomicU64 = AtomicU64::new(0);

/// A fresh random tag (64 bits, hex). RFC 3261 §19.3: tags "MUST be
/// globally unique and cryptographically random with at least 32 bits of
/// randomness". The bits come from the standard library's randomly keyed
/// hasher (the same source as the endpoint's own tags), so no clock and no
/// extra dependency.
pub fn fresh_tag() -> String {
    let n = ISSUED.fetch_add(1, Ordering::Relaxed);
    format!("{:016x}", RandomState::new().hash_one(n))
}

/// Adds a To tag of ours to a response that has none: RFC 3261 §8.2.6.2, "the UAS MUST
/// add a tag to the To header field in the response" (outside a dialog too, e.g. a
/// refusal before one exists).
pub fn add_to_tag(response: &mut crate::Response) {
    if let Some(to) = response.headers.get("To") {
        if !to.contains(";tag=") {
            let value = format!("{to};tag={}", fresh_tag());
            response.headers.set("To", value);
        }
    }
}

/// A fresh Call-ID, `<128 random bits>@host`. RFC 3261 §8.1.1.4: "Use of
/// cryptographically random identifiers (RFC 1750) in the generation of
/// Call-IDs is RECOMMENDED."
pub fn fresh_call_id(host: &str) -> String {
    format!("{}{}@{host}", fresh_tag(), fresh_tag())
}

/// The initial INVITE of an outbound call (RFC 3261 §8.1.1), without Via
/// (the endpoint's `send_invite` adds it). `from` must carry our tag
/// (§8.1.1.3); `to` carries none. Adds Max-Forwards 70, Contact, Allow,
/// Supported and, with a body, Content-Type `application/sdp`.
pub fn new_invite(
    request_uri: &str,
    from: &NameAddr,
    to: &NameAddr,
    call_id: &str,
    cseq: u32,
    contact: &str,
    sdp: Option<Vec<u8>>,
) -> Request {
    let mut req = Request::new(Method::Invite, request_uri);
    req.headers.push("From", from.to_string());
    req.headers.push("To", to.to_string());
    req.headers.push("Call-ID", call_id);
    req.headers.push("CSeq", format!("{cseq} INVITE"));
    // §8.1.1.6: "A UAC MUST insert a Max-Forwards header field into each
    // request it originates with a value that SHOULD be 70."
    req.headers.push("Max-Forwards", "70");
    // §8.1.1.8: "The Contact header field MUST be present and contain
    // exactly one SIP or SIPS URI in any request that can result in the
    // establishment of a dialog."
    req.headers.push("Contact", bracket(contact));
    req.headers.push("Allow", ALLOW);
    // No option tags yet; the header says so explicitly.
    req.headers.push("Supported", "");
    if let Some(body) = sdp {
        req.headers.push("Content-Type", "application/sdp");
        req.body = body;
    }
    req
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_call_ids_are_fresh() {
        let (a, b) = (fresh_tag(), fresh_tag());
        assert_ne!(a, b);
        assert_eq!(a.len(), 16);
        let id = fresh_call_id("node.example.com");
        assert!(id.ends_with("@node.example.com"));
        assert_ne!(id, fresh_call_id("node.example.com"));
    }

    #[test]
    fn invite_has_what_a_uac_must_send() {
        let mut from = NameAddr::new("sip:+15550001111@node.example.com");
        from.params.push(("tag".into(), Some("t1".into())));
        let to = NameAddr::new("sip:+15557654321@carrier.example.com");
        let sdp = b"v=0\r\n".to_vec();
        let inv = new_invite(
            "sip:+15557654321@carrier.example.com",
            &from,
            &to,
            "c@h",
            1,
            "sip:node@192.0.2.1",
            Some(sdp.clone()),
        );
        assert_eq!(inv.from_hdr().unwrap().tag(), Some("t1"));
        assert_eq!(inv.to_hdr().unwrap().tag(), None);
        assert_eq!(inv.cseq().unwrap().seq, 1);
        assert_eq!(inv.max_forwards(), Some(Ok(70)));
        assert_eq!(inv.headers.get("Contact"), Some("<sip:node@192.0.2.1>"));
        assert_eq!(inv.content_type(), Some("application/sdp"));
        assert_eq!(inv.body, sdp);
        assert!(inv.headers.get("Allow").unwrap().contains("CANCEL"));
        let bare = new_invite("sip:b@x", &from, &to, "c@h", 1, "<sip:n@x>", None);
        assert!(bare.content_type().is_none());
        assert_eq!(bare.headers.get("Contact"), Some("<sip:n@x>"));
    }
}
