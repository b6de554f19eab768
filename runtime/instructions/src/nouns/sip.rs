//! `<Sip>`: dial a SIP URI.

use crate::attrs::{is_dtmf_sequence, Attrs};
use crate::error::Error;
use crate::nouns::common::{
    take_transcoder, write_transcoder, AnsweringMachineDetection, LegCallbacks,
};
use crate::print::Tag;
use crate::xml::Element;

/// `<Sip>`: a SIP endpoint to ring.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sip {
    /// The SIP URI (the element's text), e.g. `sip:alice@example.com;transport=tcp`.
    pub uri: String,
    /// `username` for digest authentication towards the endpoint.
    pub username: Option<String>,
    /// `password` for digest authentication towards the endpoint.
    pub password: Option<String>,
    /// `sendDigits`: DTMF played once the call is answered.
    pub send_digits: Option<String>,
    /// `url`, `method`, `statusCallback*`.
    pub callbacks: LegCallbacks,
    /// `machineDetection*`, `amdStatusCallback*`.
    pub amd: AnsweringMachineDetection,
    /// `transcoder="app:NAME"` (Switchyard extension): the transcoder app's name.
    pub transcoder: Option<String>,
}

impl Sip {
    /// A `<Sip>` with Twilio's defaults.
    pub fn new(uri: impl Into<String>) -> Self {
        Sip {
            uri: uri.into(),
            ..Sip::default()
        }
    }

    pub(crate) fn from_element(el: &Element) -> Result<Self, Error> {
        let mut attrs = Attrs::new(el);
        let sip = Sip {
            uri: el.text_only()?,
            username: attrs.string("username"),
            password: attrs.string("password"),
            // 13242 "Dial->SIP: Invalid sendDigits value".
            send_digits: attrs.parsed("sendDigits", 13242, "DTMF keys 0-9, *, # and w", |v| {
                is_dtmf_sequence(v).then(|| v.to_owned())
            })?,
            // 13241 "Dial->SIP: Invalid method value".
            callbacks: LegCallbacks::take(&mut attrs, 13241)?,
            amd: AnsweringMachineDetection::take(&mut attrs)?,
            transcoder: take_transcoder(&mut attrs)?,
        };
        attrs.finish()?;
        // 13243 "Dial->SIP: Invalid SIP URI"; RFC 3261 §19.1.1: "The "sip:" and
        // "sips:" schemes follow the guidelines in RFC 2396".
        let lower = sip.uri.to_ascii_lowercase();
        if !(lower.starts_with("sip:") || lower.starts_with("sips:")) || sip.uri.len() <= 5 {
            return Err(Error::InvalidText {
                element: el.name.clone(),
                text: sip.uri,
                expected: "a sip: or sips: URI",
                code: 13243,
            });
        }
        Ok(sip)
    }

    pub(crate) fn write(&self, out: &mut String) {
        let mut tag = Tag::open(out, "Sip");
        tag.opt("username", self.username.as_deref())
            .opt("password", self.password.as_deref())
            .opt("sendDigits", self.send_digits.as_deref());
        self.callbacks.write(&mut tag);
        self.amd.write(&mut tag);
        write_transcoder(&mut tag, self.transcoder.as_deref());
        tag.text(&self.uri);
    }
}
