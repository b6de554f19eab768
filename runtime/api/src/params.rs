//! Form bodies and query strings as Twilio's clients send them.
//!
//! Twilio's parameters are form-encoded pairs; some repeat (`StatusCallbackEvent`), and
//! some names carry operators (`StartTime>`), so they are kept as an ordered list of pairs
//! rather than deserialized into a struct.

use crate::Error;

/// The decoded `name=value` pairs of a form body or a query string.
#[derive(Debug, Clone, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Decode `application/x-www-form-urlencoded` bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
            .map(Self)
            .map_err(|e| Error::param("body", format!("not form-encoded: {e}")))
    }

    /// The pairs, in the order sent.
    pub fn into_pairs(self) -> Vec<(String, String)> {
        self.0
    }

    /// Decode an optional query string.
    pub fn query(raw: Option<&str>) -> Result<Self, Error> {
        Self::parse(raw.unwrap_or("").as_bytes())
    }

    /// The last value of `name` (a repeated single-valued parameter: the last one wins).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeatable parameter, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Whether `name` was sent at all (even empty: an empty value clears a field).
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// The value of `name` when present and not empty.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// The pairs whose names are not in `skip`, for re-encoding into paging links.
    pub fn without(&self, skip: &[&str]) -> Vec<(String, String)> {
        self.0
            .iter()
            .filter(|(k, _)| !skip.contains(&k.as_str()))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_operator_names() {
        let p = Params::parse(
            b"StatusCallbackEvent=initiated&StatusCallbackEvent=answered&StartTime%3E=2023-11-14&To=%2B1555",
        )
        .unwrap();
        assert_eq!(p.all("StatusCallbackEvent"), vec!["initiated", "answered"]);
        assert_eq!(p.get("StartTime>"), Some("2023-11-14"));
        assert_eq!(p.get("To"), Some("+1555"));
        assert!(!p.has("From"));
        assert_eq!(p.without(&["To", "StatusCallbackEvent"]).len(), 1);
    }

    #[test]
    fn empty_values_are_present_but_not_non_empty() {
        let p = Params::parse(b"VoiceUrl=").unwrap();
        assert!(p.has("VoiceUrl"));
        assert_eq!(p.non_empty("VoiceUrl"), None);
    }
}
