//! A small owned XML tree built with quick-xml.
//!
//! TwiML documents are tiny (Twilio caps them at 64 kB), so building a tree first
//! and validating it second keeps every verb's parser a plain function of one
//! element instead of a hand-written state machine over reader events.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::error::Error;

/// One element: its name, attributes in document order, and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Node>,
}

/// Element content: a child element or a run of (unescaped) character data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    Element(Element),
    Text(String),
}

impl Element {
    /// The child elements, skipping text.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The concatenated character data directly inside this element.
    pub fn raw_text(&self) -> String {
        self.children
            .iter()
            .filter_map(|n| match n {
                Node::Text(t) => Some(t.as_str()),
                Node::Element(_) => None,
            })
            .collect()
    }

    /// Text content of an element that may hold only text (a URL, a number, a
    /// name), trimmed because pretty-printed documents indent it.
    pub fn text_only(&self) -> Result<String, Error> {
        if let Some(child) = self.elements().next() {
            return Err(Error::InvalidNesting {
                parent: self.name.clone(),
                child: child.name.clone(),
            });
        }
        Ok(self.raw_text().trim().to_owned())
    }

    /// Fails unless the element holds nothing but whitespace.
    pub fn expect_empty(&self) -> Result<(), Error> {
        let text = self.text_only()?;
        if text.is_empty() {
            Ok(())
        } else {
            Err(Error::UnexpectedText {
                element: self.name.clone(),
                text,
            })
        }
    }

    /// Fails on non-blank text; for elements whose content is child elements.
    pub fn expect_no_text(&self) -> Result<(), Error> {
        let text = self.raw_text();
        if text.trim().is_empty() {
            Ok(())
        } else {
            Err(Error::UnexpectedText {
                element: self.name.clone(),
                text: text.trim().to_owned(),
            })
        }
    }
}

/// Parses `xml` into its root element. Declarations, comments, processing
/// instructions and text outside the root are ignored.
pub(crate) fn parse_document(xml: &str) -> Result<Element, Error> {
    let mut reader = Reader::from_str(xml);
    // Whitespace is meaningful inside <Say> SSML, so keep text as written and let
    // each element decide whether to trim.
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let event = reader.read_event().map_err(|e| malformed(&reader, e))?;
        match event {
            Event::Start(start) => {
                check_single_root(&root, &stack, &start)?;
                stack.push(open(&start)?);
            }
            Event::Empty(start) => {
                check_single_root(&root, &stack, &start)?;
                let element = open(&start)?;
                attach(&mut stack, &mut root, element);
            }
            Event::End(_) => {
                // quick-xml checks that end names match their start tags.
                if let Some(element) = stack.pop() {
                    attach(&mut stack, &mut root, element);
                }
            }
            Event::Text(text) => {
                let text = text.xml_content().map_err(|e| malformed(&reader, e))?;
                push_text(&mut stack, &text);
            }
            Event::CData(data) => {
                let text = data.xml_content().map_err(|e| malformed(&reader, e))?;
                push_text(&mut stack, &text);
            }
            Event::GeneralRef(reference) => {
                let resolved = if let Some(c) = reference
                    .resolve_char_ref()
                    .map_err(|e| malformed(&reader, e))?
                {
                    c.to_string()
                } else {
                    let name = reference.decode().map_err(|e| malformed(&reader, e))?;
                    resolve_predefined_entity(&name)
                        .ok_or_else(|| Error::MalformedXml {
                            detail: format!("unknown entity &{name};"),
                        })?
                        .to_owned()
                };
                push_text(&mut stack, &resolved);
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(Error::MalformedXml {
            detail: format!("element <{}> is never closed", open.name),
        });
    }
    root.ok_or(Error::MissingRoot)
}

fn malformed<E: std::fmt::Display>(reader: &Reader<&[u8]>, error: E) -> Error {
    Error::MalformedXml {
        detail: format!("{error} (at byte {})", reader.error_position()),
    }
}

/// XML 1.0 §2.1: "There is exactly one element, called the root, or document
/// element, no part of which appears in the content of any other element."
fn check_single_root(
    root: &Option<Element>,
    stack: &[Element],
    start: &BytesStart<'_>,
) -> Result<(), Error> {
    if root.is_some() && stack.is_empty() {
        return Err(Error::MalformedXml {
            detail: format!(
                "second root element <{}>",
                String::from_utf8_lossy(start.name().as_ref())
            ),
        });
    }
    Ok(())
}

fn open(start: &BytesStart<'_>) -> Result<Element, Error> {
    let name = std::str::from_utf8(start.name().as_ref())
        .map_err(|e| Error::MalformedXml {
            detail: e.to_string(),
        })?
        .to_owned();
    let mut attributes = Vec::new();
    // `attributes()` has duplicate checks on: XML 1.0 §3.1 "An attribute name MUST
    // NOT appear more than once in the same start-tag or empty-element tag."
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| Error::MalformedXml {
            detail: format!("in <{name}>: {e}"),
        })?;
        let key = std::str::from_utf8(attribute.key.as_ref())
            .map_err(|e| Error::MalformedXml {
                detail: e.to_string(),
            })?
            .to_owned();
        let value = attribute
            .unescape_value()
            .map_err(|e| Error::MalformedXml {
                detail: format!("in <{name}> attribute `{key}`: {e}"),
            })?
            .into_owned();
        attributes.push((key, value));
    }
    Ok(Element {
        name,
        attributes,
        children: Vec::new(),
    })
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, element: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(Node::Element(element)),
        None => *root = Some(element),
    }
}

/// Appends character data, merging with a preceding text run so an entity
/// reference does not split one string into several nodes.
fn push_text(stack: &mut [Element], text: &str) {
    let Some(parent) = stack.last_mut() else {
        // Text outside the root element carries no instructions.
        return;
    };
    if let Some(Node::Text(previous)) = parent.children.last_mut() {
        previous.push_str(text);
    } else {
        parent.children.push(Node::Text(text.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_and_cdata_merge_into_one_text_run() {
        let root = parse_document("<a>x &amp; y &#65;<![CDATA[<z>]]></a>").unwrap();
        assert_eq!(root.children, vec![Node::Text("x & y A<z>".into())]);
    }

    #[test]
    fn attributes_are_unescaped_in_order() {
        let root = parse_document(r#"<a b="1&amp;2" c='3'/>"#).unwrap();
        assert_eq!(
            root.attributes,
            vec![("b".into(), "1&2".into()), ("c".into(), "3".into())]
        );
    }

    #[test]
    fn unclosed_and_mismatched_elements_are_malformed() {
        for doc in ["<a><b></a>", "<a>", "<a></a><b/>", "<a x='1' x='2'/>"] {
            assert!(
                matches!(parse_document(doc), Err(Error::MalformedXml { .. })),
                "{doc}"
            );
        }
    }

    #[test]
    fn empty_document_has_no_root() {
        assert_eq!(
            parse_document("<?xml version=\"1.0\"?>  "),
            Err(Error::MissingRoot)
        );
    }
}
