//! Typed accessors for the headers the transaction and dialog layers use.

use crate::{CSeq, Error, Headers, NameAddr, Via};

impl Headers {
    /// The Call-ID value.
    pub fn call_id(&self) -> Option<&str> {
        self.get("Call-ID")
    }

    /// The CSeq header, parsed.
    pub fn cseq(&self) -> Result<CSeq, Error> {
        CSeq::parse(self.get("CSeq").ok_or(Error::MissingHeader("CSeq"))?)
    }

    /// The From header, parsed.
    pub fn from_hdr(&self) -> Result<NameAddr, Error> {
        NameAddr::parse(
            "From",
            self.get("From").ok_or(Error::MissingHeader("From"))?,
        )
    }

    /// The To header, parsed.
    pub fn to_hdr(&self) -> Result<NameAddr, Error> {
        NameAddr::parse("To", self.get("To").ok_or(Error::MissingHeader("To"))?)
    }

    /// Every Via value, top first. Empty list elements (`a,,b`) are errors.
    pub fn vias(&self) -> Result<Vec<Via>, Error> {
        let mut out = Vec::new();
        for line in self.get_lines("Via") {
            for item in crate::syntax::split_commas(line) {
                if item.is_empty() {
                    return Err(Error::InvalidVia("empty list element"));
                }
                out.push(Via::parse(item)?);
            }
        }
        if out.is_empty() {
            return Err(Error::MissingHeader("Via"));
        }
        Ok(out)
    }

    /// The first Contact value, parsed.
    pub fn contact(&self) -> Option<Result<NameAddr, Error>> {
        self.get_all("Contact")
            .next()
            .map(|v| NameAddr::parse("Contact", v))
    }

    /// Every Contact value, parsed.
    pub fn contacts(&self) -> Result<Vec<NameAddr>, Error> {
        let mut out = Vec::new();
        for line in self.get_lines("Contact") {
            for item in crate::syntax::split_commas(line) {
                out.push(NameAddr::parse("Contact", item)?);
            }
        }
        Ok(out)
    }

    /// Max-Forwards, parsed. RFC 3261 §20.22: Max-Forwards = 1*DIGIT, "a
    /// range of 0-255".
    pub fn max_forwards(&self) -> Option<Result<u8, Error>> {
        self.get("Max-Forwards").map(|v| {
            let v = v.trim();
            if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::InvalidMaxForwards);
            }
            v.parse::<u8>().map_err(|_| Error::InvalidMaxForwards)
        })
    }

    /// The Content-Type value.
    pub fn content_type(&self) -> Option<&str> {
        self.get("Content-Type")
    }
}

/// Adds the typed accessors as inherent methods so callers need no import.
macro_rules! accessors {
    ($ty:ty) => {
        impl $ty {
            /// The Call-ID value.
            pub fn call_id(&self) -> Option<&str> {
                self.headers.call_id()
            }
            /// The CSeq header, parsed.
            pub fn cseq(&self) -> Result<$crate::CSeq, $crate::Error> {
                self.headers.cseq()
            }
            /// The From header, parsed.
            pub fn from_hdr(&self) -> Result<$crate::NameAddr, $crate::Error> {
                self.headers.from_hdr()
            }
            /// The To header, parsed.
            pub fn to_hdr(&self) -> Result<$crate::NameAddr, $crate::Error> {
                self.headers.to_hdr()
            }
            /// Every Via value, top first.
            pub fn vias(&self) -> Result<Vec<$crate::Via>, $crate::Error> {
                self.headers.vias()
            }
            /// The first Contact value, parsed.
            pub fn contact(&self) -> Option<Result<$crate::NameAddr, $crate::Error>> {
                self.headers.contact()
            }
            /// Max-Forwards, parsed.
            pub fn max_forwards(&self) -> Option<Result<u8, $crate::Error>> {
                self.headers.max_forwards()
            }
            /// The Content-Type value.
            pub fn content_type(&self) -> Option<&str> {
                self.headers.content_type()
            }
        }
    };
}

accessors!(crate::Request);
accessors!(crate::Response);
