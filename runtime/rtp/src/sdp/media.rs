//! An SDP media section (`m=` and the lines up to the next `m=`).

use std::fmt;

use super::session::{Attribute, Connection};
use super::Direction;
use crate::Error;

/// A parsed `a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    /// Payload type.
    pub payload_type: u8,
    /// Encoding name as written.
    pub encoding: String,
    /// Clock rate in Hz.
    pub clock_rate: u32,
    /// Channel count, when given.
    pub channels: Option<u32>,
}

impl RtpMap {
    fn parse(value: &str) -> Option<RtpMap> {
        let (pt, rest) = value.split_once(' ')?;
        let mut parts = rest.trim().split('/');
        let encoding = parts.next()?.to_owned();
        let clock_rate = parts.next()?.parse().ok()?;
        let channels = match parts.next() {
            Some(c) => Some(c.parse().ok()?),
            None => None,
        };
        Some(RtpMap {
            payload_type: pt.trim().parse().ok()?,
            encoding,
            clock_rate,
            channels,
        })
    }
}

/// One media section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    /// Media type: `audio`, `video`, …
    pub media: String,
    /// Transport port; 0 means the stream is disabled or rejected.
    pub port: u16,
    /// The `/<number of ports>` suffix, when present.
    pub port_count: Option<u16>,
    /// Transport protocol, e.g. `RTP/AVP`.
    pub proto: String,
    /// Media formats (payload types for RTP), in the author's order of preference.
    pub formats: Vec<String>,
    /// Media-level `c=`.
    pub connection: Option<Connection>,
    /// Attributes, in order.
    pub attributes: Vec<Attribute>,
    /// Other lines (`i=`, `b=`, `k=`) as (type, value).
    pub other: Vec<(char, String)>,
}

impl MediaDescription {
    /// Parses the value of an `m=` line:
    /// `<media> <port>[/<number of ports>] <proto> <fmt> ...` (RFC 4566 §5.14).
    pub(crate) fn parse_m_line(value: &str) -> Result<Self, Error> {
        let mut f = value.split_whitespace();
        let (Some(media), Some(port), Some(proto)) = (f.next(), f.next(), f.next()) else {
            return Err(Error::SdpBadMedia);
        };
        let (port, port_count) = match port.split_once('/') {
            Some((p, n)) => (p, Some(n.parse().map_err(|_| Error::SdpBadMedia)?)),
            None => (port, None),
        };
        let formats: Vec<String> = f.map(str::to_owned).collect();
        // RFC 4566 §5.14 gives the m= line at least one <fmt>.
        if formats.is_empty() {
            return Err(Error::SdpBadMedia);
        }
        Ok(MediaDescription {
            media: media.to_owned(),
            port: port.parse().map_err(|_| Error::SdpBadMedia)?,
            port_count,
            proto: proto.to_owned(),
            formats,
            connection: None,
            attributes: Vec::new(),
            other: Vec::new(),
        })
    }

    /// The first attribute called `name`.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// All well-formed `a=rtpmap` lines.
    pub fn rtpmaps(&self) -> impl Iterator<Item = RtpMap> + '_ {
        self.attributes
            .iter()
            .filter(|a| a.name == "rtpmap")
            .filter_map(|a| a.value.as_deref().and_then(RtpMap::parse))
    }

    /// The rtpmap of payload type `pt`.
    pub fn rtpmap(&self, pt: u8) -> Option<RtpMap> {
        self.rtpmaps().find(|m| m.payload_type == pt)
    }

    /// The `a=fmtp` parameters of payload type `pt`.
    pub fn fmtp(&self, pt: u8) -> Option<&str> {
        self.attributes
            .iter()
            .filter(|a| a.name == "fmtp")
            .filter_map(|a| a.value.as_deref())
            .find_map(|v| {
                let (p, params) = v.split_once(' ')?;
                (p.trim().parse() == Ok(pt)).then_some(params.trim())
            })
    }

    /// The `a=ptime` in milliseconds.
    pub fn ptime(&self) -> Option<u32> {
        self.attribute("ptime")?
            .value
            .as_deref()?
            .trim()
            .parse()
            .ok()
    }

    /// The direction attribute of this section, if any.
    pub fn direction(&self) -> Option<Direction> {
        self.attributes
            .iter()
            .find_map(|a| Direction::from_attribute(&a.name))
    }

    /// The formats as payload type numbers (non-numeric ones skipped).
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + '_ {
        self.formats.iter().filter_map(|f| f.parse().ok())
    }
}

impl fmt::Display for MediaDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m={} {}", self.media, self.port)?;
        if let Some(n) = self.port_count {
            write!(f, "/{n}")?;
        }
        write!(f, " {}", self.proto)?;
        for fmt in &self.formats {
            write!(f, " {fmt}")?;
        }
        write!(f, "\r\n")?;
        // RFC 4566 §5 media order: m i c b k a.
        for (k, v) in self.other.iter().filter(|(k, _)| *k == 'i') {
            write!(f, "{k}={v}\r\n")?;
        }
        if let Some(c) = &self.connection {
            write!(f, "{c}\r\n")?;
        }
        for (k, v) in self.other.iter().filter(|(k, _)| *k != 'i') {
            write!(f, "{k}={v}\r\n")?;
        }
        for a in &self.attributes {
            write!(f, "{a}\r\n")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rtpmap_fmtp_ptime_and_direction() {
        let mut m = MediaDescription::parse_m_line("audio 4000/2 RTP/AVP 96 0 101").unwrap();
        assert_eq!(m.port_count, Some(2));
        for a in [
            "rtpmap:96 opus/48000/2",
            "rtpmap:101 telephone-event/8000",
            "rtpmap:bad",
            "fmtp:101 0-16",
            "ptime:30",
            "recvonly",
        ] {
            m.attributes.push(Attribute::parse(a));
        }
        assert_eq!(
            m.rtpmap(96),
            Some(RtpMap {
                payload_type: 96,
                encoding: "opus".into(),
                clock_rate: 48000,
                channels: Some(2)
            })
        );
        assert_eq!(m.rtpmaps().count(), 2);
        assert_eq!(m.fmtp(101), Some("0-16"));
        assert_eq!(m.fmtp(96), None);
        assert_eq!(m.ptime(), Some(30));
        assert_eq!(m.direction(), Some(Direction::RecvOnly));
        assert_eq!(m.payload_types().collect::<Vec<_>>(), [96, 0, 101]);
    }
}
