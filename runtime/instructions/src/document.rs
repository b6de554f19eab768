//! Whole TwiML documents: `<Response>` and its verbs.

use crate::error::Error;
use crate::verbs::Verb;
use crate::xml::parse_document;

/// Parses a TwiML voice document into its verbs, in order.
///
/// The root must be `<Response>` (an XML declaration before it is fine); text
/// between verbs is ignored; unknown verbs, unknown attributes, misplaced
/// elements and bad attribute values are errors naming what is wrong.
pub fn parse_twiml(xml: &str) -> Result<Vec<Verb>, Error> {
    let root = parse_document(xml)?;
    if root.name != "Response" {
        return Err(Error::WrongRoot { found: root.name });
    }
    crate::attrs::Attrs::new(&root).finish()?;
    root.elements().map(Verb::from_element).collect()
}

/// [`parse_twiml`] for a raw HTTP body, which must be UTF-8.
pub fn parse_twiml_bytes(xml: &[u8]) -> Result<Vec<Verb>, Error> {
    let text = std::str::from_utf8(xml).map_err(|e| Error::MalformedXml {
        detail: format!("document is not UTF-8: {e}"),
    })?;
    // A byte-order mark is legal before the XML declaration.
    parse_twiml(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// Prints verbs as a TwiML document; attributes at Twilio's default are omitted.
/// `parse_twiml(&to_twiml(v))` gives back `v` for every parsed document.
pub fn to_twiml(verbs: &[Verb]) -> String {
    let mut out = String::from(r#"<?xml version="1.0" encoding="UTF-8"?><Response>"#);
    for verb in verbs {
        verb.write(&mut out);
    }
    out.push_str("</Response>");
    out
}
