//! `<Reject>`: refuse an incoming call without answering it.

use crate::attrs::Attrs;
use crate::error::{Error, SCHEMA};
use crate::keywords::keyword_enum;
use crate::print::Tag;
use crate::xml::Element;

keyword_enum! {
    /// `reason` on `<Reject>`: which signal the caller hears.
    #[derive(Default)]
    pub enum RejectReason {
        /// A "not in service" rejection (the default).
        #[default]
        Rejected = "rejected",
        /// A busy signal.
        Busy = "busy",
    }
}

/// `<Reject>`: decline the call; only avoids answering when it is the first verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reject {
    /// `reason`; default `rejected`.
    pub reason: RejectReason,
}

impl Reject {
    pub(crate) fn from_element(el: &Element) -> Result<Self, Error> {
        let mut attrs = Attrs::new(el);
        let reason = attrs.keyword("reason", SCHEMA)?.unwrap_or_default();
        attrs.finish()?;
        el.expect_empty()?;
        Ok(Reject { reason })
    }

    pub(crate) fn write(&self, out: &mut String) {
        let mut tag = Tag::open(out, "Reject");
        tag.keyword("reason", self.reason, RejectReason::Rejected);
        tag.empty();
    }
}
