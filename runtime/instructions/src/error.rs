//! The crate's single error type.

use thiserror::Error;

/// Why a TwiML document (or one of its elements) was rejected.
///
/// Every variant names the offending element and, where relevant, the attribute and
/// the value, so an application developer can find the mistake from the log line
/// alone. [`Error::twilio_code`] maps each variant to the code Twilio's error
/// dictionary uses for the same mistake, so `ErrorCode` in fallback requests and
/// notifications means what Twilio users already know.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// The body is not well-formed XML (or not UTF-8).
    #[error("TwiML document is not well-formed XML: {detail}")]
    MalformedXml {
        /// What the XML reader reported.
        detail: String,
    },
    /// The document holds no element at all.
    #[error("TwiML document has no root element")]
    MissingRoot,
    /// The root element is something other than `<Response>`.
    #[error("the root element must be <Response>, found <{found}>")]
    WrongRoot {
        /// The root element's name.
        found: String,
    },
    /// An element that is not a TwiML voice verb appeared inside `<Response>`.
    #[error("<{verb}> is not a TwiML voice verb")]
    UnknownVerb {
        /// The element's name.
        verb: String,
    },
    /// A real TwiML verb that this model does not cover yet.
    #[error("<{verb}> is a TwiML verb Switchyard does not support")]
    UnsupportedVerb {
        /// The verb's name.
        verb: String,
    },
    /// A real TwiML noun of this verb that this model does not cover (`<Start><Siprec>`,
    /// `<Connect><Room>`, …).
    #[error("<{parent}><{noun}> is a TwiML noun Switchyard does not support")]
    UnsupportedNoun {
        /// The verb holding it.
        parent: String,
        /// The noun's name.
        noun: String,
    },
    /// An element appeared inside a parent that may not hold it.
    #[error("<{parent}> may not contain <{child}>")]
    InvalidNesting {
        /// The containing element.
        parent: String,
        /// The misplaced element.
        child: String,
    },
    /// An attribute this element does not define.
    #[error("<{element}> has unknown attribute `{attribute}`")]
    UnknownAttribute {
        /// The element carrying the attribute.
        element: String,
        /// The attribute's name as written.
        attribute: String,
    },
    /// An attribute the element cannot work without is absent.
    #[error("<{element}> requires the `{attribute}` attribute")]
    MissingAttribute {
        /// The element.
        element: String,
        /// The missing attribute.
        attribute: &'static str,
    },
    /// An attribute value outside what the attribute accepts.
    #[error(
        "<{element}> attribute `{attribute}` has invalid value {value:?}: expected {expected}"
    )]
    InvalidAttributeValue {
        /// The element carrying the attribute.
        element: String,
        /// The attribute's name.
        attribute: &'static str,
        /// The value as written.
        value: String,
        /// What the attribute accepts.
        expected: &'static str,
        /// Twilio's code for this mistake (12200 when Twilio defines none).
        code: u32,
    },
    /// An element whose text content is required is empty.
    #[error("<{element}> requires text content: {expected}")]
    MissingText {
        /// The element.
        element: String,
        /// What the text should be.
        expected: &'static str,
    },
    /// Text content that does not fit the element.
    #[error("<{element}> has invalid text {text:?}: expected {expected}")]
    InvalidText {
        /// The element.
        element: String,
        /// The text as written.
        text: String,
        /// What the text should be.
        expected: &'static str,
        /// Twilio's code for this mistake (12200 when Twilio defines none).
        code: u32,
    },
    /// Non-blank text inside an element that takes only attributes or children.
    #[error("<{element}> may not contain text, found {text:?}")]
    UnexpectedText {
        /// The element.
        element: String,
        /// The stray text.
        text: String,
    },
    /// A `<Dial>` or `<Refer>` with nothing to connect to.
    #[error("<{element}> has nothing to dial: expected {expected}")]
    MissingTarget {
        /// The element.
        element: String,
        /// What it should contain.
        expected: &'static str,
    },
}

impl Error {
    /// Twilio's error-dictionary code for this error.
    ///
    /// 12100 "Document parse failure", 12102 "The root element must be Response",
    /// 12200 "Schema validation warning", and the verb-specific 13xxx/14xxx codes
    /// for bad values where Twilio defines one.
    pub fn twilio_code(&self) -> u32 {
        match self {
            Error::MalformedXml { .. } | Error::MissingRoot => 12100,
            Error::WrongRoot { .. } => 12102,
            Error::InvalidNesting { parent, .. } => match parent.as_str() {
                // 13215 "Dial: Invalid nested element".
                "Dial" => 13215,
                // 13320 "Gather: Invalid nested verb".
                "Gather" => 13320,
                _ => 12200,
            },
            Error::MissingText { element, .. } if element == "Say" => 13520,
            Error::InvalidAttributeValue { code, .. } | Error::InvalidText { code, .. } => *code,
            Error::UnknownVerb { .. }
            | Error::UnsupportedVerb { .. }
            | Error::UnsupportedNoun { .. }
            | Error::UnknownAttribute { .. }
            | Error::MissingAttribute { .. }
            | Error::MissingText { .. }
            | Error::UnexpectedText { .. }
            | Error::MissingTarget { .. } => 12200,
        }
    }
}

/// Twilio's code for schema violations that have no verb-specific code.
pub(crate) const SCHEMA: u32 = 12200;
