//! `<Client>`: dial a registered client (a softphone or SDK identity).

use crate::attrs::Attrs;
use crate::error::{Error, SCHEMA};
use crate::nouns::common::{take_transcoder, write_transcoder, LegCallbacks, Parameter};
use crate::print::Tag;
use crate::xml::Element;

/// `<Client>`: ring the endpoints registered under `identity`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Client {
    /// The client identity: the element's text, or its `<Identity>` child.
    pub identity: String,
    /// `<Parameter>` children passed to the client.
    pub parameters: Vec<Parameter>,
    /// `url`, `method`, `statusCallback*`.
    pub callbacks: LegCallbacks,
    /// `transcoder="app:NAME"` (Switchyard extension): the transcoder app's name.
    pub transcoder: Option<String>,
}

impl Client {
    /// A `<Client>` with Twilio's defaults.
    pub fn new(identity: impl Into<String>) -> Self {
        Client {
            identity: identity.into(),
            ..Client::default()
        }
    }

    pub(crate) fn from_element(el: &Element) -> Result<Self, Error> {
        let mut attrs = Attrs::new(el);
        let callbacks = LegCallbacks::take(&mut attrs, SCHEMA)?;
        let transcoder = take_transcoder(&mut attrs)?;
        attrs.finish()?;
        let mut identity = el.raw_text().trim().to_owned();
        let mut parameters = Vec::new();
        for child in el.elements() {
            match child.name.as_str() {
                // With <Parameter> children the identity moves into <Identity>
                // because mixed text and elements would be ambiguous.
                "Identity" if identity.is_empty() => {
                    Attrs::new(child).finish()?;
                    identity = child.text_only()?;
                }
                "Parameter" => parameters.push(Parameter::from_element(child)?),
                _ => {
                    return Err(Error::InvalidNesting {
                        parent: el.name.clone(),
                        child: child.name.clone(),
                    })
                }
            }
        }
        if identity.is_empty() {
            return Err(Error::MissingText {
                element: el.name.clone(),
                expected: "a client identity",
            });
        }
        Ok(Client {
            identity,
            parameters,
            callbacks,
            transcoder,
        })
    }

    pub(crate) fn write(&self, out: &mut String) {
        let mut tag = Tag::open(out, "Client");
        self.callbacks.write(&mut tag);
        write_transcoder(&mut tag, self.transcoder.as_deref());
        if self.parameters.is_empty() {
            tag.text(&self.identity);
            return;
        }
        tag.body(|out| {
            Tag::open(out, "Identity").text(&self.identity);
            for parameter in &self.parameters {
                parameter.write(out);
            }
        });
    }
}
