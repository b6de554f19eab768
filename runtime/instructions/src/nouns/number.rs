//! `<Number>`: dial a phone number.

use crate::attrs::{is_dtmf_sequence, Attrs};
use crate::error::Error;
use crate::nouns::common::{
    take_transcoder, write_transcoder, AnsweringMachineDetection, LegCallbacks,
};
use crate::print::Tag;
use crate::xml::Element;

/// `<Number>`: a PSTN number to ring.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Number {
    /// The number to dial (the element's text), usually E.164.
    pub number: String,
    /// `sendDigits`: DTMF played once the call is answered (`w` waits 0.5 s).
    pub send_digits: Option<String>,
    /// `byoc`: the BYOC trunk SID to route through.
    pub byoc: Option<String>,
    /// `url`, `method`, `statusCallback*`.
    pub callbacks: LegCallbacks,
    /// `machineDetection*`, `amdStatusCallback*`.
    pub amd: AnsweringMachineDetection,
    /// `transcoder="app:NAME"` (Switchyard extension): the transcoder app's name.
    pub transcoder: Option<String>,
}

impl Number {
    /// A `<Number>` with Twilio's defaults.
    pub fn new(number: impl Into<String>) -> Self {
        Number {
            number: number.into(),
            ..Number::default()
        }
    }

    pub(crate) fn from_element(el: &Element) -> Result<Self, Error> {
        let mut attrs = Attrs::new(el);
        let number = Number {
            number: el.text_only()?,
            // 13222 "Dial->Number: Invalid sendDigits value".
            send_digits: attrs.parsed("sendDigits", 13222, "DTMF keys 0-9, *, # and w", |v| {
                is_dtmf_sequence(v).then(|| v.to_owned())
            })?,
            byoc: attrs.string("byoc"),
            // 13221 "Dial->Number: Invalid method value".
            callbacks: LegCallbacks::take(&mut attrs, 13221)?,
            amd: AnsweringMachineDetection::take(&mut attrs)?,
            transcoder: take_transcoder(&mut attrs)?,
        };
        attrs.finish()?;
        if number.number.is_empty() {
            return Err(Error::MissingText {
                element: el.name.clone(),
                expected: "a phone number",
            });
        }
        Ok(number)
    }

    pub(crate) fn write(&self, out: &mut String) {
        let mut tag = Tag::open(out, "Number");
        tag.opt("sendDigits", self.send_digits.as_deref())
            .opt("byoc", self.byoc.as_deref());
        self.callbacks.write(&mut tag);
        self.amd.write(&mut tag);
        write_transcoder(&mut tag, self.transcoder.as_deref());
        tag.text(&self.number);
    }
}
