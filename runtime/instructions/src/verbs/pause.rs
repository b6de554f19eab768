//! `<Pause>`: wait in silence.

use crate::attrs::Attrs;
use crate::error::Error;
use crate::print::Tag;
use crate::xml::Element;

/// `<Pause>`: silence for `length` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    /// `length`: seconds; default 1.
    pub length: u32,
}

impl Default for Pause {
    fn default() -> Self {
        Pause { length: 1 }
    }
}

impl Pause {
    pub(crate) fn from_element(el: &Element) -> Result<Self, Error> {
        let mut attrs = Attrs::new(el);
        // 13910 "Pause: Invalid length value".
        let length = attrs.u32("length", 13910)?.unwrap_or(1);
        attrs.finish()?;
        el.expect_empty()?;
        Ok(Pause { length })
    }

    pub(crate) fn write(&self, out: &mut String) {
        let mut tag = Tag::open(out, "Pause");
        tag.u32("length", self.length, 1);
        tag.empty();
    }
}
