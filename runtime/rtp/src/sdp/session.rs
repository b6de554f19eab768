//! RFC 4566 session descriptions: a faithful parse and print.
//!
//! Lines we do not model (`i=`, `u=`, `e=`, `p=`, `b=`, `r=`, `z=`, `k=` and every
//! attribute) are kept and printed back in the order RFC 4566 §5 prescribes, so a
//! description survives a round trip through this type.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use super::media::MediaDescription;
use super::Direction;
use crate::Error;

/// An `a=` line: `a=<name>` or `a=<name>:<value>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The attribute name.
    pub name: String,
    /// The value after the first colon, if any.
    pub value: Option<String>,
}

impl Attribute {
    /// A property attribute (`a=<name>`).
    pub fn flag(name: &str) -> Self {
        Attribute {
            name: name.to_owned(),
            value: None,
        }
    }

    /// A value attribute (`a=<name>:<value>`).
    pub fn new(name: &str, value: impl Into<String>) -> Self {
        Attribute {
            name: name.to_owned(),
            value: Some(value.into()),
        }
    }

    pub(crate) fn parse(s: &str) -> Self {
        match s.split_once(':') {
            Some((name, value)) => Attribute::new(name, value),
            None => Attribute::flag(s),
        }
    }
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "a={}:{}", self.name, v),
            None => write!(f, "a={}", self.name),
        }
    }
}

/// The `o=` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// User name, `-` when none.
    pub username: String,
    /// Session id.
    pub session_id: u64,
    /// Session version, incremented on every change (RFC 3264 §8).
    pub session_version: u64,
    /// Network type, `IN`.
    pub net_type: String,
    /// Address type, `IP4` or `IP6`.
    pub addr_type: String,
    /// Unicast address (or host name) of the originator.
    pub address: String,
}

impl Origin {
    fn parse(s: &str) -> Result<Self, Error> {
        let f: Vec<&str> = s.split_whitespace().collect();
        let [username, id, version, net_type, addr_type, address] = f[..] else {
            return Err(Error::SdpBadOrigin);
        };
        Ok(Origin {
            username: username.to_owned(),
            session_id: id.parse().map_err(|_| Error::SdpBadOrigin)?,
            session_version: version.parse().map_err(|_| Error::SdpBadOrigin)?,
            net_type: net_type.to_owned(),
            addr_type: addr_type.to_owned(),
            address: address.to_owned(),
        })
    }
}

/// A `c=` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// Network type, `IN`.
    pub net_type: String,
    /// Address type, `IP4` or `IP6`.
    pub addr_type: String,
    /// The connection address, possibly with `/ttl` or `/count` suffixes.
    pub address: String,
}

impl Connection {
    /// An `IN IP4`/`IN IP6` connection to `ip`.
    pub fn from_ip(ip: IpAddr) -> Self {
        Connection {
            net_type: "IN".into(),
            addr_type: if ip.is_ipv4() { "IP4" } else { "IP6" }.into(),
            address: ip.to_string(),
        }
    }

    fn parse(s: &str) -> Result<Self, Error> {
        let f: Vec<&str> = s.split_whitespace().collect();
        let [net_type, addr_type, address] = f[..] else {
            return Err(Error::SdpBadConnection);
        };
        Ok(Connection {
            net_type: net_type.to_owned(),
            addr_type: addr_type.to_owned(),
            address: address.to_owned(),
        })
    }

    /// The address as an IP, without multicast suffixes; `None` for host names.
    pub fn ip(&self) -> Option<IpAddr> {
        let bare = self.address.split('/').next().unwrap_or_default();
        IpAddr::from_str(bare).ok()
    }

    /// Whether this is the RFC 2543 hold address, `0.0.0.0` (or `::`).
    pub fn is_unspecified(&self) -> bool {
        self.ip().is_some_and(|ip| ip.is_unspecified())
    }
}

impl fmt::Display for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c={} {} {}", self.net_type, self.addr_type, self.address)
    }
}

/// A whole session description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// `o=`.
    pub origin: Origin,
    /// `s=`.
    pub session_name: String,
    /// Session-level `c=`.
    pub connection: Option<Connection>,
    /// The `t=` value, `0 0` for the unbounded sessions of SIP.
    pub timing: String,
    /// Session-level attributes, in order.
    pub attributes: Vec<Attribute>,
    /// Other session-level lines as (type, value), printed in RFC 4566 order.
    pub other: Vec<(char, String)>,
    /// The media sections, in order.
    pub media: Vec<MediaDescription>,
}

/// Where an unmodelled line goes when printing: before `c=`, between `c=` and `t=`,
/// or after `t=` (RFC 4566 §5 order: v o s i u e p c b t r z k a).
fn session_slot(kind: char) -> u8 {
    match kind {
        'i' | 'u' | 'e' | 'p' => 0,
        'b' => 1,
        _ => 2,
    }
}

impl SessionDescription {
    /// Parses a description. Lines may end in CRLF or a bare LF.
    ///
    /// RFC 4566 §5: "An SDP session description consists of a number of lines of text
    /// of the form: <type>=<value> where <type> MUST be exactly one case-significant
    /// character".
    pub fn parse(text: &str) -> Result<Self, Error> {
        let mut version_seen = false;
        let mut origin = None;
        let mut session_name = None;
        let mut timing = None;
        let mut connection = None;
        let mut attributes = Vec::new();
        let mut other = Vec::new();
        let mut media: Vec<MediaDescription> = Vec::new();

        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim_end();
            if line.is_empty() {
                continue;
            }
            let number = i + 1;
            let mut chars = line.chars();
            let (Some(kind), Some('=')) = (chars.next(), chars.next()) else {
                return Err(Error::SdpMalformedLine { line: number });
            };
            let value = &line[2..];
            // RFC 4566 §5: "The first line of a session description is "v=0"."
            if !version_seen {
                if kind != 'v' || value.trim() != "0" {
                    return Err(Error::SdpBadVersion);
                }
                version_seen = true;
                continue;
            }
            if let Some(m) = media.last_mut() {
                match kind {
                    'm' => media.push(MediaDescription::parse_m_line(value)?),
                    'c' => m.connection = Some(Connection::parse(value)?),
                    'a' => m.attributes.push(Attribute::parse(value)),
                    _ => m.other.push((kind, value.to_owned())),
                }
                continue;
            }
            match kind {
                'o' => origin = Some(Origin::parse(value)?),
                's' => session_name = Some(value.to_owned()),
                't' => {
                    // Only the first `t=` is modelled; repeats are rare and kept verbatim.
                    if timing.is_none() {
                        timing = Some(value.to_owned());
                    } else {
                        other.push((kind, value.to_owned()));
                    }
                }
                'c' => connection = Some(Connection::parse(value)?),
                'a' => attributes.push(Attribute::parse(value)),
                'm' => media.push(MediaDescription::parse_m_line(value)?),
                'v' => return Err(Error::SdpMalformedLine { line: number }),
                _ => other.push((kind, value.to_owned())),
            }
        }
        if !version_seen {
            return Err(Error::SdpBadVersion);
        }
        // RFC 4566 §5 makes o=, s= and t= mandatory. We insist on the first two, which
        // the offer/answer rules use, and tolerate a missing t= (some gateways omit it;
        // SIP sessions are unbounded anyway).
        Ok(SessionDescription {
            origin: origin.ok_or(Error::SdpMissingLine('o'))?,
            session_name: session_name.ok_or(Error::SdpMissingLine('s'))?,
            connection,
            timing: timing.unwrap_or_else(|| "0 0".to_owned()),
            attributes,
            other,
            media,
        })
    }

    /// The first session-level attribute called `name`.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The session-level direction attribute, if any.
    pub fn direction(&self) -> Option<Direction> {
        self.attributes
            .iter()
            .find_map(|a| Direction::from_attribute(&a.name))
    }

    /// The connection that applies to media section `index`: its own, else the
    /// session's (RFC 4566 §5.7).
    pub fn connection_for(&self, index: usize) -> Option<&Connection> {
        self.media
            .get(index)
            .and_then(|m| m.connection.as_ref())
            .or(self.connection.as_ref())
    }

    /// The direction that applies to media section `index`: its own attribute, else
    /// the session's, else sendrecv (RFC 4566 §6 default).
    pub fn direction_for(&self, index: usize) -> Direction {
        self.media
            .get(index)
            .and_then(|m| m.direction())
            .or(self.direction())
            .unwrap_or_default()
    }
}

impl FromStr for SessionDescription {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        SessionDescription::parse(s)
    }
}

impl fmt::Display for SessionDescription {
    /// Prints with CRLF line ends, as RFC 4566 §5 requires ("The sequence CRLF (0x0d0a)
    /// is used to end a record").
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.origin;
        write!(f, "v=0\r\n")?;
        write!(
            f,
            "o={} {} {} {} {} {}\r\n",
            o.username, o.session_id, o.session_version, o.net_type, o.addr_type, o.address
        )?;
        write!(f, "s={}\r\n", self.session_name)?;
        let others = |slot: u8| {
            self.other
                .iter()
                .filter(move |(k, _)| session_slot(*k) == slot)
        };
        for (k, v) in others(0) {
            write!(f, "{k}={v}\r\n")?;
        }
        if let Some(c) = &self.connection {
            write!(f, "{c}\r\n")?;
        }
        for (k, v) in others(1) {
            write!(f, "{k}={v}\r\n")?;
        }
        write!(f, "t={}\r\n", self.timing)?;
        for (k, v) in others(2) {
            write!(f, "{k}={v}\r\n")?;
        }
        for a in &self.attributes {
            write!(f, "{a}\r\n")?;
        }
        for m in &self.media {
            write!(f, "{m}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "v=0\r\no=- 1 2 IN IP4 10.0.0.1\r\ns=call\r\ni=info\r\nc=IN IP4 10.0.0.1\r\nb=AS:64\r\nt=0 0\r\na=tool:x\r\nm=audio 4000 RTP/AVP 0 101\r\nb=TIAS:64000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendonly\r\n";

    #[test]
    fn round_trips_and_keeps_unknown_lines() {
        let sdp = SessionDescription::parse(SAMPLE).unwrap();
        assert_eq!(sdp.to_string(), SAMPLE);
        assert_eq!(sdp.origin.session_version, 2);
        assert_eq!(
            sdp.attribute("tool").and_then(|a| a.value.as_deref()),
            Some("x")
        );
        assert_eq!(sdp.direction_for(0), Direction::SendOnly);
        assert_eq!(
            sdp.connection_for(0).and_then(Connection::ip),
            Some(IpAddr::from([10, 0, 0, 1]))
        );
    }

    #[test]
    fn accepts_bare_newlines_and_reorders_out_of_place_lines() {
        let lf = "v=0\no=- 1 2 IN IP4 h\ns=-\nt=0 0\nc=IN IP4 0.0.0.0\n";
        let sdp = SessionDescription::parse(lf).unwrap();
        assert!(sdp.connection.as_ref().unwrap().is_unspecified());
        assert_eq!(
            sdp.to_string(),
            "v=0\r\no=- 1 2 IN IP4 h\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
        );
    }

    #[test]
    fn rejects_malformed_descriptions() {
        let e = |s: &str| SessionDescription::parse(s).unwrap_err();
        assert_eq!(e("o=- 1 2 IN IP4 h\r\n"), Error::SdpBadVersion);
        assert_eq!(e("v=1\r\n"), Error::SdpBadVersion);
        assert_eq!(e(""), Error::SdpBadVersion);
        assert_eq!(e("v=0\r\nbogus\r\n"), Error::SdpMalformedLine { line: 2 });
        assert_eq!(e("v=0\r\no=- x 2 IN IP4 h\r\n"), Error::SdpBadOrigin);
        assert_eq!(
            e("v=0\r\no=- 1 2 IN IP4 h\r\nt=0 0\r\n"),
            Error::SdpMissingLine('s')
        );
        assert_eq!(e("v=0\r\ns=-\r\n"), Error::SdpMissingLine('o'));
        assert_eq!(
            e("v=0\r\no=- 1 2 IN IP4 h\r\ns=-\r\nc=IN\r\n"),
            Error::SdpBadConnection
        );
        assert_eq!(
            e("v=0\r\no=- 1 2 IN IP4 h\r\ns=-\r\nm=audio x RTP/AVP 0\r\n"),
            Error::SdpBadMedia
        );
        assert_eq!(
            e("v=0\r\no=- 1 2 IN IP4 h\r\ns=-\r\nm=audio 5 RTP/AVP\r\n"),
            Error::SdpBadMedia
        );
    }
}
