//! `<Refer>`: transfer a SIP call away with a REFER.

use crate::attrs::Attrs;
use crate::error::{Error, SCHEMA};
use crate::keywords::HttpMethod;
use crate::print::Tag;
use crate::xml::Element;

/// `<Refer>`: ask the SIP caller to call `target` instead (RFC 3515).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Refer {
    /// `action`: requested with `ReferCallStatus` once the transfer settles.
    pub action: Option<String>,
    /// `method` for `action`; default POST.
    pub method: HttpMethod,
    /// The `Refer-To` URI from the nested `<Sip>` noun.
    pub target: String,
}

impl Refer {
    pub(crate) fn from_element(el: &Element) -> Result<Self, Error> {
        let mut attrs = Attrs::new(el);
        let action = attrs.string("action");
        let method = attrs.method("method", SCHEMA)?;
        attrs.finish()?;
        el.expect_no_text()?;
        let mut target = None;
        for child in el.elements() {
            if child.name != "Sip" || target.is_some() {
                return Err(Error::InvalidNesting {
                    parent: el.name.clone(),
                    child: child.name.clone(),
                });
            }
            Attrs::new(child).finish()?;
            target = Some(child.text_only()?);
        }
        match target {
            Some(target) if !target.is_empty() => Ok(Refer {
                action,
                method,
                target,
            }),
            _ => Err(Error::MissingTarget {
                element: el.name.clone(),
                expected: "one <Sip> noun holding the transfer target URI",
            }),
        }
    }

    pub(crate) fn write(&self, out: &mut String) {
        let mut tag = Tag::open(out, "Refer");
        tag.opt("action", self.action.as_deref())
            .method("method", self.method);
        tag.body(|out| Tag::open(out, "Sip").text(&self.target));
    }
}
