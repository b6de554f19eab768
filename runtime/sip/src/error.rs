//! The crate's single error type.
//!
//! Every way a peer can violate the protocol has its own variant, and
//! [`Error::status`] maps it to the SIP response a UAS sends back, so the
//! endpoint never has to guess which status a failure deserves.

use crate::Method;

/// Everything that can go wrong while parsing, validating or answering SIP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The input held nothing but whitespace.
    #[error("empty message")]
    EmptyMessage,
    /// No blank line ends the header section.
    #[error("header section not terminated")]
    UnterminatedHead,
    /// The message (or its head) exceeds what we are willing to buffer.
    #[error("message too large")]
    MessageTooLarge,
    /// The first line is neither a Request-Line nor a Status-Line.
    #[error("malformed start line: {0}")]
    InvalidStartLine(&'static str),
    /// The SIP-Version is not SIP/2.0.
    #[error("unsupported SIP version {0}")]
    VersionNotSupported(String),
    /// The method is not a `token`.
    #[error("invalid method")]
    InvalidMethod,
    /// The Status-Code is not three digits in 100..=699.
    #[error("invalid status code")]
    InvalidStatusCode,
    /// The Request-URI is not a valid URI.
    #[error("malformed Request-URI")]
    InvalidRequestUri,
    /// The Request-URI carries `?headers`, which a Request-URI must not.
    #[error("Request-URI must not contain headers")]
    RequestUriHeaders,
    /// A header line has no colon or an invalid name.
    #[error("malformed header line")]
    InvalidHeaderLine,
    /// A mandatory header is absent.
    #[error("missing {0} header")]
    MissingHeader(&'static str),
    /// A header that may appear once appears more than once.
    #[error("duplicate {0} header")]
    DuplicateHeader(&'static str),
    /// Content-Length is not a non-negative decimal number.
    #[error("invalid Content-Length")]
    InvalidContentLength,
    /// Content-Length appears more than once, so the body's extent is unknown.
    #[error("multiple Content-Length headers")]
    MultipleContentLength,
    /// Content-Length announces more octets than the datagram holds.
    #[error("Content-Length larger than the body")]
    ContentLengthTooLarge,
    /// A Via header value is malformed.
    #[error("malformed Via: {0}")]
    InvalidVia(&'static str),
    /// A From, To, Contact, Route or Record-Route value is malformed.
    #[error("malformed {header} header: {reason}")]
    InvalidNameAddr {
        /// Which header.
        header: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A SIP/SIPS/tel URI is malformed.
    #[error("malformed URI: {0}")]
    InvalidUri(&'static str),
    /// CSeq is not `number method` with a 32-bit number.
    #[error("malformed CSeq")]
    InvalidCSeq,
    /// The CSeq method differs from the request method.
    #[error("CSeq method does not match the request method")]
    CSeqMethodMismatch,
    /// Max-Forwards is not a number in 0..=255.
    #[error("malformed Max-Forwards")]
    InvalidMaxForwards,
    /// Call-ID is empty or contains whitespace.
    #[error("malformed Call-ID")]
    InvalidCallId,
    /// Date is not an RFC 1123 date in GMT.
    #[error("malformed Date")]
    InvalidDate,
    /// Content-Type is not `type/subtype`.
    #[error("malformed Content-Type")]
    InvalidContentType,
    /// Max-Forwards reached zero on a request that still needs forwarding.
    #[error("too many hops")]
    TooManyHops,
    /// The Request-URI scheme is not sip, sips or tel.
    #[error("unsupported URI scheme {0}")]
    UnsupportedUriScheme(String),
    /// Require lists option tags we do not support.
    #[error("unsupported extensions: {}", .0.join(", "))]
    BadExtension(Vec<String>),
    /// The body's Content-Type is one we cannot process.
    #[error("unsupported media type {0}")]
    UnsupportedMediaType(String),
    /// The request's Accept excludes every type we could answer with.
    #[error("no acceptable answer body type")]
    NotAcceptable,
    /// A known method this endpoint does not implement.
    #[error("method {0} not allowed")]
    MethodNotAllowed(Method),
    /// A method this endpoint does not recognise at all.
    #[error("method {0} not implemented")]
    NotImplemented(String),
    /// A CANCEL matched no transaction.
    #[error("no transaction matches the CANCEL")]
    NoMatchingTransaction,
    /// An in-dialog request does not belong to the dialog.
    #[error("call leg does not exist")]
    CallLegDoesNotExist,
    /// An in-dialog request's CSeq did not increase.
    #[error("CSeq {got} not above {last}")]
    CSeqOutOfOrder {
        /// The request's CSeq number.
        got: u32,
        /// The highest CSeq number already seen.
        last: u32,
    },
    /// The TU named a server transaction that does not exist (any more).
    #[error("unknown server transaction")]
    UnknownTransaction,
    /// The TU tried to respond after a final response was already sent.
    #[error("transaction already has a final response")]
    AlreadyAnswered,
    /// The TU built a response that cannot be sent (for example status < 100).
    #[error("invalid response: {0}")]
    InvalidResponse(&'static str),
    /// The TU asked to CANCEL an INVITE that already has a final response.
    #[error("the INVITE already has a final response")]
    CancelTooLate,
    /// A dialog was asked of a response that cannot create one: only 2xx,
    /// and 101-199 with a To tag, do (RFC 3261 §12.1).
    #[error("a {0} response does not create a dialog")]
    NotDialogForming(u16),
    /// A response does not answer the request it was paired with (Call-ID
    /// or CSeq differ).
    #[error("response does not match the request")]
    ResponseMismatch,
}

impl Error {
    /// The SIP status a UAS answers with when a request fails this way, or
    /// `None` when nothing should be sent to the peer.
    pub fn status(&self) -> Option<u16> {
        use Error::*;
        match self {
            EmptyMessage | UnterminatedHead | UnknownTransaction | AlreadyAnswered
            | InvalidResponse(_) | CancelTooLate | NotDialogForming(_) | ResponseMismatch => None,
            MessageTooLarge => Some(513),
            VersionNotSupported(_) => Some(505),
            TooManyHops => Some(483),
            UnsupportedUriScheme(_) => Some(416),
            BadExtension(_) => Some(420),
            UnsupportedMediaType(_) => Some(415),
            NotAcceptable => Some(406),
            MethodNotAllowed(_) => Some(405),
            NotImplemented(_) => Some(501),
            NoMatchingTransaction | CallLegDoesNotExist => Some(481),
            CSeqOutOfOrder { .. } => Some(500),
            InvalidStartLine(_)
            | InvalidMethod
            | InvalidStatusCode
            | InvalidRequestUri
            | RequestUriHeaders
            | InvalidHeaderLine
            | MissingHeader(_)
            | DuplicateHeader(_)
            | InvalidContentLength
            | MultipleContentLength
            | ContentLengthTooLarge
            | InvalidVia(_)
            | InvalidNameAddr { .. }
            | InvalidUri(_)
            | InvalidCSeq
            | CSeqMethodMismatch
            | InvalidMaxForwards
            | InvalidCallId
            | InvalidDate
            | InvalidContentType => Some(400),
        }
    }

    /// The reason phrase for [`Error::status`]: the standard phrase, and for
    /// 400 the fault itself so the peer's logs say what was wrong.
    pub fn reason_phrase(&self) -> String {
        match self.status() {
            Some(400) => format!("Bad Request ({self})"),
            Some(code) => crate::message::default_reason(code).to_string(),
            None => String::new(),
        }
    }
}
