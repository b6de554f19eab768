//! Parsing SIP messages from datagrams and framing them on streams.

use crate::syntax::{is_token, is_ws};
use crate::uri::{check_any_uri, parse_uri, scheme_of};
use crate::{Error, Headers, Message, Method, NameAddr, Request, Response};

/// Largest header section we accept; a bound on what a peer can make us
/// buffer on a stream.
const MAX_HEAD: usize = 64 * 1024;
/// Largest body we accept on a stream.
const MAX_BODY: usize = 1024 * 1024;

/// A message split into start line, unfolded headers and everything after
/// the blank line, before any semantic check.
#[derive(Debug)]
pub(crate) struct RawMessage<'a> {
    pub start: String,
    pub headers: Headers,
    pub rest: &'a [u8],
}

fn skip_leading_crlf(data: &[u8]) -> usize {
    data.iter()
        .take_while(|b| **b == b'\r' || **b == b'\n')
        .count()
}

/// Index of the blank line ending the head, and the length of that line
/// terminator sequence.
fn find_head_end(data: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while i < data.len() {
        if data[i] == b'\n' {
            if data.get(i + 1) == Some(&b'\n') {
                return Some((i + 1, 1));
            }
            if data.get(i + 1) == Some(&b'\r') && data.get(i + 2) == Some(&b'\n') {
                return Some((i + 1, 2));
            }
        }
        i += 1;
    }
    None
}

/// Splits a datagram into start line, headers and the remainder.
pub(crate) fn split(datagram: &[u8]) -> Result<RawMessage<'_>, Error> {
    // RFC 3261 §7.5: "implementations processing SIP messages over
    // stream-oriented transports MUST ignore any CRLF appearing before the
    // start-line"; we do the same for datagrams (keep-alives).
    let data = &datagram[skip_leading_crlf(datagram)..];
    if data.is_empty() {
        return Err(Error::EmptyMessage);
    }
    // A datagram that ends right after its last header line has an empty
    // body; be liberal and accept it without the blank line.
    let (head, rest) = match find_head_end(data) {
        Some((at, term)) => (&data[..at], &data[at + term..]),
        None => (data, &data[data.len()..]),
    };
    let head = String::from_utf8_lossy(head);
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let start = lines.next().ok_or(Error::EmptyMessage)?.to_string();
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.is_empty() {
            continue;
        }
        if line.starts_with(is_ws) {
            // RFC 3261 §7.3.1: header fields can be extended over multiple
            // lines by preceding each extra line with at least one SP or
            // horizontal tab; the fold is equivalent to a single SP.
            let (_, value) = fields.last_mut().ok_or(Error::InvalidHeaderLine)?;
            let cont = line.trim_matches(is_ws);
            if !value.is_empty() && !cont.is_empty() {
                value.push(' ');
            }
            value.push_str(cont);
            continue;
        }
        let (name, value) = line.split_once(':').ok_or(Error::InvalidHeaderLine)?;
        let name = name.trim_end_matches(is_ws);
        if !is_token(name) {
            return Err(Error::InvalidHeaderLine);
        }
        fields.push((name.to_string(), value.trim_matches(is_ws).to_string()));
    }
    let mut headers = Headers::new();
    for (n, v) in fields {
        headers.push(&n, v);
    }
    Ok(RawMessage {
        start,
        headers,
        rest,
    })
}

fn parse_request_line(line: &str) -> Result<(Method, String), Error> {
    // RFC 3261 §7.1: Request-Line = Method SP Request-URI SP SIP-Version
    // CRLF, "The elements are separated by single space (SP) characters"
    // (RFC 4475 §3.1.2.8 lwsstart, §3.1.2.9 trws, §3.1.2.7 lwsruri).
    let parts: Vec<&str> = line.split(' ').collect();
    let [method, uri, version] = parts[..] else {
        return Err(Error::InvalidStartLine(
            "request line needs exactly three single-space separated fields",
        ));
    };
    check_version(version)?;
    let method: Method = method.parse()?;
    if uri.is_empty() {
        return Err(Error::InvalidRequestUri);
    }
    // RFC 3261 §19.1.1 (table): the headers component is not allowed in a
    // Request-URI (RFC 4475 §3.1.2.11 escruri).
    let scheme = scheme_of(uri).ok_or(Error::InvalidRequestUri)?;
    if scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips") {
        let parsed = parse_uri(uri).map_err(|_| Error::InvalidRequestUri)?;
        if !parsed.headers.is_empty() {
            return Err(Error::RequestUriHeaders);
        }
    } else {
        check_any_uri(uri).map_err(|_| Error::InvalidRequestUri)?;
    }
    Ok((method, uri.to_string()))
}

fn check_version(version: &str) -> Result<(), Error> {
    if version.eq_ignore_ascii_case("SIP/2.0") {
        Ok(())
    } else if version.len() > 4 && is_sip_version_prefix(version) {
        Err(Error::VersionNotSupported(version.to_string()))
    } else {
        Err(Error::InvalidStartLine("bad SIP-Version"))
    }
}

/// True when `s` starts with `SIP/` in any case (a Status-Line or a
/// version), checked without slicing inside a multi-byte character.
pub(crate) fn is_sip_version_prefix(s: &str) -> bool {
    s.as_bytes()
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/"))
}

fn parse_status_line(line: &str) -> Result<(u16, String), Error> {
    // RFC 3261 §7.2: Status-Line = SIP-Version SP Status-Code SP
    // Reason-Phrase CRLF, Status-Code = 3DIGIT.
    let (version, rest) = line
        .split_once(' ')
        .ok_or(Error::InvalidStartLine("bad status line"))?;
    check_version(version)?;
    let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::InvalidStatusCode);
    }
    let status: u16 = code.parse().map_err(|_| Error::InvalidStatusCode)?;
    if !(100..=699).contains(&status) {
        return Err(Error::InvalidStatusCode);
    }
    Ok((status, reason.to_string()))
}

/// Single-instance headers checked for duplicates (RFC 3261 §7.3.1: only
/// list-valued headers may appear more than once).
const SINGLE: &[&str] = &[
    "From",
    "To",
    "Call-ID",
    "CSeq",
    "Max-Forwards",
    "Content-Type",
];

/// Syntax checks of the headers the stack itself interprets.
fn check_headers(headers: &Headers, method: Option<&Method>) -> Result<(), Error> {
    for name in SINGLE {
        if headers.count(name) > 1 {
            return Err(Error::DuplicateHeader(name));
        }
    }
    if headers.get("From").is_some() {
        headers.from_hdr()?;
    }
    if headers.get("To").is_some() {
        headers.to_hdr()?;
    }
    if let Some(id) = headers.call_id() {
        if id.is_empty() || id.chars().any(char::is_whitespace) {
            return Err(Error::InvalidCallId);
        }
    }
    if headers.get("CSeq").is_some() {
        let cseq = headers.cseq()?;
        // RFC 3261 §8.1.1.5: "The method MUST match that of the request"
        // (RFC 4475 §3.1.2.17 mismatch01, §3.1.2.18 mismatch02).
        if let Some(m) = method {
            if cseq.method != *m {
                return Err(Error::CSeqMethodMismatch);
            }
        }
    }
    if headers.get("Via").is_some() {
        headers.vias()?;
    }
    if let Some(mf) = headers.max_forwards() {
        mf?;
    }
    headers.contacts()?;
    for name in ["Route", "Record-Route"] {
        for line in headers.get_lines(name) {
            for item in crate::syntax::split_commas(line) {
                NameAddr::parse(
                    if name == "Route" {
                        "Route"
                    } else {
                        "Record-Route"
                    },
                    item,
                )?;
            }
        }
    }
    if let Some(date) = headers.get("Date") {
        check_date(date)?;
    }
    if let Some(ct) = headers.content_type() {
        let media = ct.split(';').next().unwrap_or("").trim();
        match media.split_once('/') {
            Some((t, s)) if is_token(t.trim()) && is_token(s.trim()) => {}
            _ => return Err(Error::InvalidContentType),
        }
    }
    Ok(())
}

/// RFC 3261 §20.17: SIP-date = rfc1123-date, and "the time zone MUST be
/// GMT" (RFC 4475 §3.1.2.12 baddate).
fn check_date(value: &str) -> Result<(), Error> {
    const DAYS: [&str; 7] = ["Mon,", "Tue,", "Wed,", "Thu,", "Fri,", "Sat,", "Sun,"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parts: Vec<&str> = value.split_whitespace().collect();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let ok = parts.len() == 6
        && DAYS.contains(&parts[0])
        && digits(parts[1], 2)
        && MONTHS.contains(&parts[2])
        && digits(parts[3], 4)
        && {
            let t: Vec<&str> = parts[4].split(':').collect();
            t.len() == 3 && t.iter().all(|p| digits(p, 2))
        }
        && parts[5] == "GMT";
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidDate)
    }
}

/// Takes the body: exactly Content-Length octets. Missing Content-Length
/// means "to the end of the datagram" (RFC 3261 §18.3 allows this for UDP).
fn take_body<'a>(headers: &Headers, rest: &'a [u8]) -> Result<&'a [u8], Error> {
    match content_length(headers)? {
        None => Ok(rest),
        // RFC 3261 §18.3: "If a response or request contains a
        // Content-Length header field value that is larger than the number of
        // bytes in the message body, the message is malformed"; surplus
        // octets after the body are discarded (RFC 4475 §3.1.1.8 dblreq).
        Some(n) if n > rest.len() => Err(Error::ContentLengthTooLarge),
        Some(n) => Ok(&rest[..n]),
    }
}

/// Content-Length, if present exactly once.
fn content_length(headers: &Headers) -> Result<Option<usize>, Error> {
    let mut lines = headers.get_lines("Content-Length");
    let Some(value) = lines.next() else {
        return Ok(None);
    };
    if lines.next().is_some() {
        return Err(Error::MultipleContentLength);
    }
    let v = value.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::InvalidContentLength);
    }
    v.parse().map(Some).map_err(|_| Error::InvalidContentLength)
}

/// Parses one SIP message from a datagram. Never panics.
pub fn parse_message(datagram: &[u8]) -> Result<Message, Error> {
    let raw = split(datagram)?;
    if is_sip_version_prefix(&raw.start) {
        let (status, reason) = parse_status_line(&raw.start)?;
        let body = take_body(&raw.headers, raw.rest)?;
        check_headers(&raw.headers, None)?;
        Ok(Message::Response(Response {
            status,
            reason,
            headers: raw.headers,
            body: body.to_vec(),
        }))
    } else {
        let (method, uri) = parse_request_line(&raw.start)?;
        let body = take_body(&raw.headers, raw.rest)?;
        check_headers(&raw.headers, Some(&method))?;
        Ok(Message::Request(Request {
            method,
            uri,
            headers: raw.headers,
            body: body.to_vec(),
        }))
    }
}

/// RFC 5626 §3.5.1: on a stream "the client … sends a CRLF CRLF ("ping")" and "the
/// server … responds with a single CRLF ("pong")". Returns how many pings the start of
/// `stream_buf` holds, each four bytes: the caller drains them and answers each.
pub fn keepalive_pings(stream_buf: &[u8]) -> usize {
    stream_buf
        .chunks_exact(4)
        .take_while(|c| *c == b"\r\n\r\n")
        .count()
}

/// TCP framing: `Ok(Some(n))` once the first `n` bytes of `stream_buf` hold
/// a whole message (head and Content-Length body), `Ok(None)` when more
/// bytes are needed. Leading CRLF keep-alives (RFC 5626 §4.4.1) are counted
/// in `n`, so the caller drains them with the message; a buffer holding only
/// keep-alives returns `Ok(None)`.
pub fn frame_len(stream_buf: &[u8]) -> Result<Option<usize>, Error> {
    let skip = skip_leading_crlf(stream_buf);
    let data = &stream_buf[skip..];
    if data.is_empty() {
        return Ok(None);
    }
    let Some((at, term)) = find_head_end(data) else {
        return if data.len() > MAX_HEAD {
            Err(Error::MessageTooLarge)
        } else {
            Ok(None)
        };
    };
    if at > MAX_HEAD {
        return Err(Error::MessageTooLarge);
    }
    let head_len = at + term;
    // Only the header section is needed to find the body's extent.
    let raw = split(&data[..head_len])?;
    // RFC 3261 §18.3: "In the case of stream-oriented transports such as
    // TCP, the Content-Length header field indicates the size of the body."
    // A missing one is taken as an empty body, as most stacks do.
    let body = content_length(&raw.headers)?.unwrap_or(0);
    if body > MAX_BODY {
        return Err(Error::MessageTooLarge);
    }
    let total = skip + head_len + body;
    Ok((stream_buf.len() >= total).then_some(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_crlf_pings_are_counted_and_a_lone_pong_is_not() {
        assert_eq!(keepalive_pings(b"\r\n\r\n"), 1);
        assert_eq!(keepalive_pings(b"\r\n\r\n\r\n\r\nOPTIONS"), 2);
        assert_eq!(keepalive_pings(b"\r\n"), 0);
        assert_eq!(keepalive_pings(b"\r\n\r"), 0);
        assert_eq!(keepalive_pings(b"REGISTER sip:x SIP/2.0\r\n\r\n"), 0);
    }

    const INVITE: &str = "INVITE sip:+15550001111@example.com SIP/2.0\r\n\
        Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc;rport\r\n\
        v: SIP/2.0/TCP 10.0.0.2, SIP/2.0/UDP 10.0.0.3\r\n\
        Max-Forwards: 70\r\n\
        f: \"Alice\" <sip:alice@example.com>;tag=1\r\n\
        t: <sip:+15550001111@example.com>\r\n\
        i: abc@10.0.0.1\r\n\
        CSeq: 1 INVITE\r\n\
        Subject: folded\r\n  across lines\r\n\
        c: application/sdp\r\n\
        l: 4\r\n\r\nv=0\r\nEXTRA";

    #[test]
    fn parses_compact_and_folded() {
        let Message::Request(r) = parse_message(INVITE.as_bytes()).unwrap() else {
            panic!("not a request")
        };
        assert_eq!(r.method, Method::Invite);
        assert_eq!(r.body, b"v=0\r");
        assert_eq!(r.headers.get("subject"), Some("folded across lines"));
        assert_eq!(r.call_id(), Some("abc@10.0.0.1"));
        assert_eq!(r.from_hdr().unwrap().tag(), Some("1"));
        assert_eq!(r.content_type(), Some("application/sdp"));
        let vias = r.vias().unwrap();
        assert_eq!(vias.len(), 3);
        assert_eq!(vias[1].transport, "TCP");
        assert_eq!(vias[0].rport(), Some(None));
    }

    #[test]
    fn round_trip_keeps_meaning() {
        let m = parse_message(INVITE.as_bytes()).unwrap();
        let bytes = m.to_bytes();
        let again = parse_message(&bytes).unwrap();
        let strip = |m: &Message| {
            let mut h = m.headers().clone();
            h.remove("Content-Length");
            h
        };
        assert_eq!(strip(&again), strip(&m));
        let (Message::Request(a), Message::Request(b)) = (&again, &m) else {
            panic!("not requests")
        };
        assert_eq!((&a.method, &a.uri, &a.body), (&b.method, &b.uri, &b.body));
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.ends_with("Content-Length: 4\r\n\r\nv=0\r"));
        assert_eq!(text.matches("Content-Length").count(), 1);
        assert!(!text.contains("l: 4"));
    }

    #[test]
    fn start_line_errors() {
        assert_eq!(parse_message(b"\r\n\r\n"), Err(Error::EmptyMessage));
        assert!(matches!(
            parse_message(b"OPTIONS sip:a@b SIP/3.0\r\n\r\n"),
            Err(Error::VersionNotSupported(_))
        ));
        assert!(matches!(
            parse_message(b"OPTIONS  sip:a@b SIP/2.0\r\n\r\n"),
            Err(Error::InvalidStartLine(_))
        ));
        assert_eq!(
            parse_message(b"SIP/2.0 4294967301 x\r\n\r\n"),
            Err(Error::InvalidStatusCode)
        );
        let Message::Response(r) = parse_message(b"SIP/2.0 100 \r\nCall-ID: x\r\n\r\n").unwrap()
        else {
            panic!()
        };
        assert_eq!((r.status, r.reason.as_str()), (100, ""));
    }

    #[test]
    fn content_length_rules() {
        let base = "OPTIONS sip:a@b SIP/2.0\r\nCSeq: 1 OPTIONS\r\n";
        let two = format!("{base}Content-Length: 1\r\nl: 1\r\n\r\nx");
        assert_eq!(
            parse_message(two.as_bytes()),
            Err(Error::MultipleContentLength)
        );
        let big = format!("{base}Content-Length: 10\r\n\r\nx");
        assert_eq!(
            parse_message(big.as_bytes()),
            Err(Error::ContentLengthTooLarge)
        );
        let neg = format!("{base}Content-Length: -1\r\n\r\nx");
        assert_eq!(
            parse_message(neg.as_bytes()),
            Err(Error::InvalidContentLength)
        );
        let mismatch = "OPTIONS sip:a@b SIP/2.0\r\nCSeq: 1 INVITE\r\n\r\n";
        assert_eq!(
            parse_message(mismatch.as_bytes()),
            Err(Error::CSeqMethodMismatch)
        );
    }

    #[test]
    fn multibyte_start_lines_do_not_panic() {
        assert!(parse_message("SIé 200 OK\r\n\r\n".as_bytes()).is_err());
        assert!(parse_message("OPTIONS sip:a@b SIé/2.0\r\n\r\n".as_bytes()).is_err());
    }

    #[test]
    fn dates_must_be_gmt() {
        assert!(check_date("Sat, 15 Oct 2005 04:44:56 GMT").is_ok());
        assert!(check_date("Fri, 01 Jan 2010 16:00:00 EST").is_err());
    }

    #[test]
    fn framing_counts_keepalives_and_waits_for_body() {
        let msg = b"OPTIONS sip:a@b SIP/2.0\r\nl: 3\r\n\r\nabc";
        let mut buf = b"\r\n\r\n".to_vec();
        buf.extend_from_slice(msg);
        assert_eq!(frame_len(&buf), Ok(Some(buf.len())));
        assert_eq!(frame_len(&buf[..buf.len() - 1]), Ok(None));
        assert_eq!(frame_len(&buf[..10]), Ok(None));
        assert_eq!(frame_len(b"\r\n\r\n"), Ok(None));
        buf.extend_from_slice(b"OPTIONS");
        assert_eq!(frame_len(&buf), Ok(Some(buf.len() - 7)));
        assert_eq!(
            frame_len(b"OPTIONS sip:a@b SIP/2.0\r\nl: x\r\n\r\n"),
            Err(Error::InvalidContentLength)
        );
        assert_eq!(
            frame_len(&vec![b'a'; MAX_HEAD + 1]),
            Err(Error::MessageTooLarge)
        );
    }
}
