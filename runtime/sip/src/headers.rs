//! The ordered header list of a SIP message.

use crate::syntax::split_commas;

/// RFC 3261 §7.3.3 compact forms (plus those registered later), mapped to
/// the long names they abbreviate.
const COMPACT: &[(&str, &str)] = &[
    ("a", "accept-contact"),
    ("b", "referred-by"),
    ("c", "content-type"),
    ("d", "request-disposition"),
    ("e", "content-encoding"),
    ("f", "from"),
    ("i", "call-id"),
    ("j", "reject-contact"),
    ("k", "supported"),
    ("l", "content-length"),
    ("m", "contact"),
    ("n", "identity-info"),
    ("o", "event"),
    ("r", "refer-to"),
    ("s", "subject"),
    ("t", "to"),
    ("u", "allow-events"),
    ("v", "via"),
    ("x", "session-expires"),
    ("y", "identity"),
];

/// Headers whose values are comma-separated lists that can be split safely
/// (RFC 3261 §7.3.1), as opposed to e.g. WWW-Authenticate whose single value
/// contains commas.
const LIST_HEADERS: &[&str] = &[
    "via",
    "route",
    "record-route",
    "contact",
    "supported",
    "require",
    "proxy-require",
    "unsupported",
    "allow",
    "accept",
    "accept-encoding",
    "accept-language",
];

/// Returns the long, lower-case form of a header name.
pub(crate) fn canonical(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    COMPACT
        .iter()
        .find(|(short, _)| *short == lower)
        .map(|(_, long)| (*long).to_string())
        .unwrap_or(lower)
}

fn same_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b) || canonical(a) == canonical(b)
}

/// An ordered list of `(name, value)` header fields, kept as received so a
/// message prints back in its original order and spelling.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    fields: Vec<(String, String)>,
}

impl Headers {
    /// An empty header list.
    pub fn new() -> Self {
        Self::default()
    }

    /// The first value of `name`; case-insensitive, compact forms equal to
    /// long names (RFC 3261 §7.3.3).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| same_name(n, name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name` in order. For list headers (Via, Route,
    /// Record-Route, Contact, Supported, Require, Allow, Accept, …) comma
    /// separated values are split into separate items, skipping empty ones.
    pub fn get_all<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        let canon = canonical(name);
        let split = LIST_HEADERS.contains(&canon.as_str());
        self.fields
            .iter()
            .filter(move |(n, _)| canonical(n) == canon)
            .flat_map(move |(_, v)| {
                if split {
                    split_commas(v)
                } else {
                    vec![v.as_str()]
                }
            })
            .filter(move |v| !v.is_empty() || !split)
    }

    /// The raw header lines named `name` (not split at commas).
    pub fn get_lines<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        let canon = canonical(name);
        self.fields
            .iter()
            .filter(move |(n, _)| canonical(n) == canon)
            .map(|(_, v)| v.as_str())
    }

    /// How many header lines are named `name`.
    pub fn count(&self, name: &str) -> usize {
        self.get_lines(name).count()
    }

    /// Appends a header line.
    pub fn push(&mut self, name: &str, value: impl Into<String>) {
        self.fields.push((name.to_string(), value.into()));
    }

    /// Inserts a header line before all others (a new top Via).
    pub fn push_front(&mut self, name: &str, value: impl Into<String>) {
        self.fields.insert(0, (name.to_string(), value.into()));
    }

    /// Replaces every line named `name` by one line with `value`, keeping the
    /// position of the first one (or appending if there was none).
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self.fields.iter().position(|(n, _)| same_name(n, name)) {
            Some(pos) => {
                self.fields[pos] = (name.to_string(), value);
                let mut i = 0;
                self.fields.retain(|(n, _)| {
                    let keep = i <= pos || !same_name(n, name);
                    i += 1;
                    keep
                });
            }
            None => self.push(name, value),
        }
    }

    /// Removes every line named `name`.
    pub fn remove(&mut self, name: &str) {
        self.fields.retain(|(n, _)| !same_name(n, name));
    }

    /// Iterates over all `(name, value)` lines in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Number of header lines.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True when there are no header lines.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_and_case_insensitive() {
        let mut h = Headers::new();
        h.push("v", "SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b");
        h.push("VIA", "SIP/2.0/UDP c");
        h.push("i", "abc");
        h.push("Subject", "x, y");
        assert_eq!(h.get("Call-ID"), Some("abc"));
        assert_eq!(h.get("call-id"), Some("abc"));
        let vias: Vec<_> = h.get_all("Via").collect();
        assert_eq!(
            vias,
            vec![
                "SIP/2.0/UDP a;branch=z9hG4bK1",
                "SIP/2.0/UDP b",
                "SIP/2.0/UDP c"
            ]
        );
        // Subject is free text: never split.
        assert_eq!(h.get_all("s").collect::<Vec<_>>(), vec!["x, y"]);
        assert_eq!(h.count("via"), 2);
    }

    #[test]
    fn set_replaces_all_and_remove_removes_all() {
        let mut h = Headers::new();
        h.push("To", "a");
        h.push("Contact", "x");
        h.push("m", "y");
        h.set("contact", "z");
        assert_eq!(h.get_all("Contact").collect::<Vec<_>>(), vec!["z"]);
        assert_eq!(
            h.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            ["To", "contact"]
        );
        h.remove("CONTACT");
        assert_eq!(h.get("m"), None);
        assert_eq!(h.len(), 1);
    }
}
