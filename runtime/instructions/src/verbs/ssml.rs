//! SSML markup inside `<Say>`.
//!
//! Twilio passes a subset of SSML through to its speech engines. The model keeps the
//! markup as a tree so a synthesizer that understands it can use it, and checks
//! element and attribute names so a typo fails loudly instead of being read aloud.

use crate::error::Error;
use crate::keywords::keyword_enum;
use crate::print::Tag;
use crate::xml::{Element, Node};

keyword_enum! {
    /// An SSML element Twilio accepts inside `<Say>`.
    pub enum SsmlTag {
        /// `<break strength time>`: a pause.
        Break = "break",
        /// `<emphasis level>`.
        Emphasis = "emphasis",
        /// `<lang xml:lang>`: words in another language.
        Lang = "lang",
        /// `<p>`: a paragraph.
        Paragraph = "p",
        /// `<phoneme alphabet ph>`: explicit pronunciation.
        Phoneme = "phoneme",
        /// `<prosody volume rate pitch>`.
        Prosody = "prosody",
        /// `<s>`: a sentence.
        Sentence = "s",
        /// `<say-as interpret-as format>`: read as a date, digits, ….
        SayAs = "say-as",
        /// `<sub alias>`: read the alias instead of the text.
        Sub = "sub",
        /// `<w role>`: a word with a given part of speech.
        Word = "w",
        /// `<amazon:effect name>`: a Polly-specific effect.
        AmazonEffect = "amazon:effect",
        /// `<amazon:domain name>`: a Polly speaking style.
        AmazonDomain = "amazon:domain",
    }
}

impl SsmlTag {
    /// The attributes this element may carry.
    pub fn attributes(self) -> &'static [&'static str] {
        match self {
            SsmlTag::Break => &["strength", "time"],
            SsmlTag::Emphasis => &["level"],
            SsmlTag::Lang => &["xml:lang"],
            SsmlTag::Paragraph | SsmlTag::Sentence => &[],
            SsmlTag::Phoneme => &["alphabet", "ph"],
            SsmlTag::Prosody => &["volume", "rate", "pitch"],
            SsmlTag::SayAs => &["interpret-as", "format"],
            SsmlTag::Sub => &["alias"],
            SsmlTag::Word => &["role"],
            SsmlTag::AmazonEffect | SsmlTag::AmazonDomain => &["name"],
        }
    }
}

/// A piece of `<Say>` content: text or an SSML element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsmlNode {
    /// Text, unescaped, whitespace as written.
    Text(String),
    /// An SSML element and its content.
    Element(SsmlElement),
}

/// One SSML element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsmlElement {
    /// Which element.
    pub tag: SsmlTag,
    /// Its attributes in document order (names checked against [`SsmlTag::attributes`]).
    pub attributes: Vec<(String, String)>,
    /// Its content.
    pub children: Vec<SsmlNode>,
}

/// Parses the content of `parent` (a `<Say>` or an SSML element) as SSML.
pub(crate) fn parse_nodes(parent: &Element) -> Result<Vec<SsmlNode>, Error> {
    parent
        .children
        .iter()
        .map(|node| match node {
            Node::Text(text) => Ok(SsmlNode::Text(text.clone())),
            Node::Element(element) => parse_element(parent, element).map(SsmlNode::Element),
        })
        .collect()
}

fn parse_element(parent: &Element, element: &Element) -> Result<SsmlElement, Error> {
    use crate::keywords::Keyword;
    let tag = SsmlTag::from_keyword(&element.name).ok_or_else(|| Error::InvalidNesting {
        parent: parent.name.clone(),
        child: element.name.clone(),
    })?;
    if let Some((name, _)) = element
        .attributes
        .iter()
        .find(|(name, _)| !tag.attributes().contains(&name.as_str()))
    {
        return Err(Error::UnknownAttribute {
            element: element.name.clone(),
            attribute: name.clone(),
        });
    }
    Ok(SsmlElement {
        tag,
        attributes: element.attributes.clone(),
        children: parse_nodes(element)?,
    })
}

/// The words a plain synthesizer should speak: every text run with markup
/// removed, runs separated by one space so `<s>Hi</s><s>there</s>` does not
/// read as one word.
pub(crate) fn plain_text(nodes: &[SsmlNode]) -> String {
    let mut runs = Vec::new();
    collect_text(nodes, &mut runs);
    runs.join(" ")
}

fn collect_text<'n>(nodes: &'n [SsmlNode], runs: &mut Vec<&'n str>) {
    for node in nodes {
        match node {
            SsmlNode::Text(text) if !text.trim().is_empty() => runs.push(text.trim()),
            SsmlNode::Text(_) => {}
            SsmlNode::Element(element) => collect_text(&element.children, runs),
        }
    }
}

pub(crate) fn write_nodes(nodes: &[SsmlNode], out: &mut String) {
    for node in nodes {
        match node {
            SsmlNode::Text(text) => out.push_str(&quick_xml::escape::escape(text.as_str())),
            SsmlNode::Element(element) => {
                let mut tag = Tag::open(out, element.tag.as_str());
                for (name, value) in &element.attributes {
                    tag.attr(name, value);
                }
                if element.children.is_empty() {
                    tag.empty();
                } else {
                    tag.body(|out| write_nodes(&element.children, out));
                }
            }
        }
    }
}
