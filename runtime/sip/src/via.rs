//! Via and CSeq header values.

use std::fmt;

use crate::syntax::{find_param, is_token, is_token_char, is_ws, parse_params, write_params};
use crate::{Error, Method};

/// The RFC 3261 branch prefix that marks a globally unique branch (§8.1.1.7).
pub const MAGIC_COOKIE: &str = "z9hG4bK";

/// One Via value: `SIP/2.0/transport host[:port] *(;param)` (RFC 3261 §20.42).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// Transport token as written (`UDP`, `TCP`, `TLS`, …).
    pub transport: String,
    /// sent-by host (IPv6 in brackets).
    pub host: String,
    /// sent-by port.
    pub port: Option<u16>,
    /// Parameters in order (`branch`, `received`, `rport`, …).
    pub params: Vec<(String, Option<String>)>,
}

impl Via {
    /// The `branch` parameter.
    pub fn branch(&self) -> Option<&str> {
        find_param(&self.params, "branch").and_then(|v| v.as_deref())
    }

    /// The `received` parameter.
    pub fn received(&self) -> Option<&str> {
        find_param(&self.params, "received").and_then(|v| v.as_deref())
    }

    /// The `rport` parameter (RFC 3581): `None` if absent, `Some(None)` if
    /// present without a value, `Some(Some(port))` if filled in.
    pub fn rport(&self) -> Option<Option<u16>> {
        find_param(&self.params, "rport").map(|v| v.as_deref().and_then(|p| p.parse().ok()))
    }

    /// Sets (or adds) a parameter.
    pub fn set_param(&mut self, name: &str, value: Option<String>) {
        match self
            .params
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(p) => p.1 = value,
            None => self.params.push((name.to_string(), value)),
        }
    }

    /// Parses one Via value (not a comma-separated list).
    pub fn parse(value: &str) -> Result<Via, Error> {
        let mut s = value.trim_matches(is_ws);
        // sent-protocol = protocol-name SLASH protocol-version SLASH transport,
        // where SLASH = SWS "/" SWS (RFC 3261 §25.1).
        let mut parts = Vec::with_capacity(3);
        for i in 0..3 {
            let end = s.find(|c: char| !is_token_char(c)).unwrap_or(s.len());
            let part = &s[..end];
            if !is_token(part) {
                return Err(Error::InvalidVia("bad sent-protocol"));
            }
            parts.push(part);
            s = s[end..].trim_start_matches(is_ws);
            if i < 2 {
                s = s
                    .strip_prefix('/')
                    .ok_or(Error::InvalidVia("bad sent-protocol"))?
                    .trim_start_matches(is_ws);
            }
        }
        if !parts[0].eq_ignore_ascii_case("SIP") {
            return Err(Error::InvalidVia("protocol is not SIP"));
        }
        let end = s.find(|c: char| c == ';' || is_ws(c)).unwrap_or(s.len());
        let sent_by = &s[..end];
        let (host, port) = split_sent_by(sent_by)?;
        let params = parse_params(&s[end..]).ok_or(Error::InvalidVia("malformed parameters"))?;
        Ok(Via {
            transport: parts[2].to_string(),
            host,
            port,
            params,
        })
    }
}

fn split_sent_by(s: &str) -> Result<(String, Option<u16>), Error> {
    let (host, port) = if s.starts_with('[') {
        let end = s.find(']').ok_or(Error::InvalidVia("bad IPv6 reference"))?;
        (&s[..=end], &s[end + 1..])
    } else {
        match s.find(':') {
            Some(i) => (&s[..i], &s[i..]),
            None => (s, ""),
        }
    };
    if host.is_empty()
        || !(host.starts_with('[')
            || host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'))
    {
        return Err(Error::InvalidVia("bad sent-by host"));
    }
    let port = match port.strip_prefix(':') {
        None if port.is_empty() => None,
        Some(p) => Some(
            p.parse()
                .map_err(|_| Error::InvalidVia("bad sent-by port"))?,
        ),
        None => return Err(Error::InvalidVia("bad sent-by")),
    };
    Ok((host.to_string(), port))
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = format!("SIP/2.0/{} {}", self.transport, self.host);
        if let Some(p) = self.port {
            out.push_str(&format!(":{p}"));
        }
        write_params(&mut out, &self.params);
        f.write_str(&out)
    }
}

/// The CSeq header: sequence number and method (RFC 3261 §20.16).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    /// Sequence number; "MUST be expressible as a 32-bit unsigned integer".
    pub seq: u32,
    /// The method.
    pub method: Method,
}

impl CSeq {
    /// Parses `1*DIGIT LWS Method`.
    pub fn parse(value: &str) -> Result<CSeq, Error> {
        let mut it = value.split_whitespace();
        let (Some(num), Some(method), None) = (it.next(), it.next(), it.next()) else {
            return Err(Error::InvalidCSeq);
        };
        if !num.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::InvalidCSeq);
        }
        // RFC 3261 §8.1.1.5: "The sequence number value MUST be expressible
        // as a 32-bit unsigned integer" (RFC 4475 §3.1.2.4 scalar02).
        let seq = num.parse().map_err(|_| Error::InvalidCSeq)?;
        let method = method.parse().map_err(|_| Error::InvalidCSeq)?;
        Ok(CSeq { seq, method })
    }
}

impl fmt::Display for CSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn via_with_lws_everywhere() {
        let v = Via::parse("SIP  /   2.0  /UDP    192.0.2.2;branch=390skdjuw").unwrap();
        assert_eq!(v.transport, "UDP");
        assert_eq!(v.host, "192.0.2.2");
        assert_eq!(v.branch(), Some("390skdjuw"));
        let v =
            Via::parse("SIP  /    2.0   / UDP  192.168.255.111   ; branch= z9hG4bK30239").unwrap();
        assert_eq!(v.branch(), Some("z9hG4bK30239"));
    }

    #[test]
    fn via_rport_and_printing() {
        let mut v = Via::parse("SIP/2.0/UDP [2001:db8::9]:5070;branch=z9hG4bKx;rport").unwrap();
        assert_eq!(v.port, Some(5070));
        assert_eq!(v.rport(), Some(None));
        v.set_param("rport", Some("6000".into()));
        v.set_param("received", Some("10.0.0.1".into()));
        assert_eq!(v.rport(), Some(Some(6000)));
        assert_eq!(
            v.to_string(),
            "SIP/2.0/UDP [2001:db8::9]:5070;branch=z9hG4bKx;rport=6000;received=10.0.0.1"
        );
        assert!(Via::parse("SIP/2.0/UDP 192.0.2.15;;").is_err());
        assert!(Via::parse("SIP/2.0/UDP").is_err());
    }

    #[test]
    fn cseq_limits() {
        assert_eq!(CSeq::parse("0009 INVITE").unwrap().seq, 9);
        assert!(CSeq::parse("36893488147419103232 REGISTER").is_err());
        assert!(CSeq::parse("-1 INVITE").is_err());
        assert!(CSeq::parse("1").is_err());
    }
}
