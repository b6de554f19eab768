//! Stateless checks a UAS applies to a request before its TU sees it
//! (RFC 3261 §8.2), each failure a named [`Error`] with its status.

use crate::uri::scheme_of;
use crate::{Error, Method, Request};

/// Methods this endpoint implements, for Allow headers.
pub(crate) const ALLOW: &str = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REGISTER";
/// Body types this endpoint understands, for Accept headers.
pub(crate) const ACCEPT: &str = "application/sdp, application/dtmf-relay";
/// Option tags we implement (none yet): anything in Require is unsupported.
const SUPPORTED: &[&str] = &[];

/// Headers every request needs before we can even build a response or match
/// a transaction. RFC 3261 §8.1.1: "A valid SIP request formulated by a UAC
/// MUST, at a minimum, contain the following header fields: To, From, CSeq,
/// Call-ID, Max-Forwards, and Via". Max-Forwards is tolerated when absent:
/// RFC 2543 clients never sent it and RFC 4475 §3.4.1 (inv2543) must be
/// accepted; a UAS does not forward, so nothing depends on it.
pub(crate) fn mandatory(req: &Request) -> Result<(), Error> {
    for name in ["Via", "To", "From", "Call-ID", "CSeq"] {
        if req.headers.get(name).is_none() {
            return Err(Error::MissingHeader(name));
        }
    }
    Ok(())
}

/// The §8.2 checks in the RFC's order: method, headers, content.
pub(crate) fn request(req: &Request) -> Result<(), Error> {
    // RFC 3261 §8.2.1: "If a UAS recognizes but does not support the method
    // of a request, it MUST generate a 405 (Method Not Allowed) response."
    // An unrecognised method is 501 (§21.5.2).
    match &req.method {
        Method::Invite
        | Method::Ack
        | Method::Bye
        | Method::Cancel
        | Method::Options
        | Method::Info
        // The node is a registrar (RFC 3261 §10.3): its TU answers REGISTER.
        | Method::Register => {}
        Method::Other(m) => return Err(Error::NotImplemented(m.clone())),
        m => return Err(Error::MethodNotAllowed(m.clone())),
    }
    // RFC 3261 §16.3 makes Max-Forwards 0 a 483 for an element that would
    // forward. A UAS is the destination, so RFC 4475 §3.3.11 (zeromf) has it
    // process such requests normally; only a request that still names a
    // Route beyond us would need forwarding.
    if let Some(Ok(0)) = req.max_forwards() {
        if req.headers.get("Route").is_some() {
            return Err(Error::TooManyHops);
        }
    }
    // RFC 3261 §8.2.2.1: "If the Request-URI uses a scheme not supported by
    // the UAS, it SHOULD reject the request with a 416 (Unsupported URI
    // Scheme) response."
    let scheme = scheme_of(&req.uri).unwrap_or("");
    if !["sip", "sips", "tel"]
        .iter()
        .any(|s| scheme.eq_ignore_ascii_case(s))
    {
        return Err(Error::UnsupportedUriScheme(scheme.to_string()));
    }
    // RFC 3261 §8.2.2.3: "If a UAS does not understand an option-tag listed
    // in a Require header field, it MUST respond by generating a response
    // with status code 420 (Bad Extension)." The same section exempts ACK
    // and CANCEL.
    if !matches!(req.method, Method::Ack | Method::Cancel) {
        let unsupported: Vec<String> = req
            .headers
            .get_all("Require")
            .filter(|t| !SUPPORTED.iter().any(|s| s.eq_ignore_ascii_case(t)))
            .map(str::to_string)
            .collect();
        if !unsupported.is_empty() {
            return Err(Error::BadExtension(unsupported));
        }
    }
    if req.method == Method::Invite {
        // RFC 3261 §8.2.3: "If a UAS does not understand the content type of
        // a message body it MUST reject the request with a 415 (Unsupported
        // Media Type) response."
        if !req.body.is_empty() {
            let ct = req.content_type().unwrap_or("");
            if !media_type(ct).eq_ignore_ascii_case("application/sdp") {
                return Err(Error::UnsupportedMediaType(media_type(ct).to_string()));
            }
        }
        // RFC 3261 §21.4.7 (406): "The resource identified by the request is
        // only capable of generating response entities that have content
        // characteristics not acceptable according to the Accept header
        // field sent in the request." Our answers carry SDP (RFC 4475
        // §3.3.15 sdp01).
        let mut accept = req.headers.get_all("Accept").peekable();
        if accept.peek().is_some() && !accept.any(accepts_sdp) {
            return Err(Error::NotAcceptable);
        }
    }
    Ok(())
}

/// `type/subtype` without parameters, trimmed.
fn media_type(ct: &str) -> &str {
    ct.split(';').next().unwrap_or("").trim()
}

fn accepts_sdp(item: &str) -> bool {
    let m = media_type(item);
    ["application/sdp", "application/*", "*/*"]
        .iter()
        .any(|a| m.eq_ignore_ascii_case(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite() -> Request {
        let mut r = Request::new(Method::Invite, "sip:+15550001111@example.com");
        r.headers.push("Content-Type", "application/sdp; charset=x");
        r.body = b"v=0\r\n".to_vec();
        r
    }

    #[test]
    fn accepts_plain_invite() {
        assert_eq!(request(&invite()), Ok(()));
    }

    #[test]
    fn rejections_in_order() {
        let mut r = invite();
        r.method = Method::Subscribe;
        assert_eq!(request(&r), Err(Error::MethodNotAllowed(Method::Subscribe)));
        let mut r = invite();
        r.uri = "mailto:a@b".into();
        assert_eq!(
            request(&r),
            Err(Error::UnsupportedUriScheme("mailto".into()))
        );
        let mut r = invite();
        r.headers.push("Require", "100rel, foo");
        assert_eq!(
            request(&r),
            Err(Error::BadExtension(vec!["100rel".into(), "foo".into()]))
        );
        let mut r = invite();
        r.headers.set("Content-Type", "text/plain");
        assert_eq!(
            request(&r),
            Err(Error::UnsupportedMediaType("text/plain".into()))
        );
        let mut r = invite();
        r.headers.push("Accept", "text/html, application/json");
        assert_eq!(request(&r), Err(Error::NotAcceptable));
        r.headers.push("Accept", "application/*");
        assert_eq!(request(&r), Ok(()));
        let mut r = invite();
        r.headers.push("Max-Forwards", "0");
        assert_eq!(request(&r), Ok(()));
        r.headers.push("Route", "<sip:proxy.example.com;lr>");
        assert_eq!(request(&r), Err(Error::TooManyHops));
    }
}
