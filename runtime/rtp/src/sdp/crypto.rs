//! SDES: SRTP keys carried in SDP `a=crypto` attributes (RFC 4568), for the one crypto
//! suite the node speaks, `AES_CM_128_HMAC_SHA1_80`.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::media::MediaDescription;
use super::session::Attribute;

/// RFC 4568 §6.2.1: "AES_CM_128_HMAC_SHA1_80 ... master key length of 128 bits and a
/// salt length of 112 bits".
pub const AES_CM_128_HMAC_SHA1_80: &str = "AES_CM_128_HMAC_SHA1_80";
/// The transport of RTP protected by SRTP (RFC 3711 §12).
pub const SAVP: &str = "RTP/SAVP";
/// Plain RTP (RFC 3551).
pub const AVP: &str = "RTP/AVP";

/// A master key (16 bytes) followed by its master salt (14 bytes), as the `inline:` key
/// parameter carries them (RFC 4568 §6.1: "the concatenated master key and salt, base64
/// encoded").
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct MasterKey(pub [u8; 30]);

impl MasterKey {
    pub const KEY_LEN: usize = 16;

    /// The 128-bit master key.
    pub fn key(&self) -> &[u8] {
        &self.0[..Self::KEY_LEN]
    }

    /// The 112-bit master salt.
    pub fn salt(&self) -> &[u8] {
        &self.0[Self::KEY_LEN..]
    }
}

impl fmt::Debug for MasterKey {
    // Keys never reach a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

/// Whether a leg protects its media with SRTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SrtpPolicy {
    /// Plain RTP only; `RTP/SAVP` streams are not usable.
    #[default]
    Off,
    /// Answers either; offers plain RTP.
    Optional(MasterKey),
    /// `RTP/SAVP` with an SDES key only: a plain offer is refused (488).
    Required(MasterKey),
}

impl SrtpPolicy {
    /// Our master key, when SRTP is allowed at all.
    pub fn key(&self) -> Option<MasterKey> {
        match self {
            SrtpPolicy::Off => None,
            SrtpPolicy::Optional(k) | SrtpPolicy::Required(k) => Some(*k),
        }
    }
}

/// The two directions' keys of an SRTP stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SrtpKeys {
    /// What we protect what we send with (the key in our SDP).
    pub local: MasterKey,
    /// What the peer protects what it sends with (the key in its SDP).
    pub remote: MasterKey,
}

/// One `a=crypto:<tag> <crypto-suite> <key-params> [<session-params>]` (RFC 4568 §9.1)
/// whose suite and key the node can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crypto {
    pub tag: u32,
    pub key: MasterKey,
}

impl Crypto {
    /// Reads an attribute value; `None` for a suite other than AES_CM_128_HMAC_SHA1_80,
    /// a key that is not 30 bytes, several keys, an MKI, or session parameters.
    pub fn parse(value: &str) -> Option<Crypto> {
        let mut fields = value.split_ascii_whitespace();
        let tag = fields.next()?;
        // RFC 4568 §9.1: tag = 1*9DIGIT.
        if tag.is_empty() || tag.len() > 9 || !tag.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let suite = fields.next()?;
        let key_params = fields.next()?;
        // RFC 4568 §6.3.7: "the answerer ... MUST reject" an attribute with session
        // parameters it does not understand; we understand none.
        if !suite.eq_ignore_ascii_case(AES_CM_128_HMAC_SHA1_80)
            || fields.next().is_some()
            || key_params.contains(';')
        {
            return None;
        }
        let inline = key_params.strip_prefix("inline:")?;
        // key-info = key-salt ["|" lifetime] ["|" mki ":" mki-length]: a lifetime we
        // accept (the node rekeys on every new offer long before 2^31 packets), an MKI
        // we cannot use.
        let mut parts = inline.split('|');
        let key_salt = parts.next()?;
        for p in parts {
            if p.contains(':') {
                return None;
            }
        }
        let bytes = STANDARD.decode(key_salt).ok()?;
        Some(Crypto {
            tag: tag.parse().ok()?,
            key: MasterKey(bytes.try_into().ok()?),
        })
    }

    /// The attribute.
    pub fn attribute(&self) -> Attribute {
        Attribute::new(
            "crypto",
            format!(
                "{} {AES_CM_128_HMAC_SHA1_80} inline:{}",
                self.tag,
                STANDARD.encode(self.key.0)
            ),
        )
    }

    /// The first usable crypto attribute of a section (RFC 4568 §7.1.1: the offerer
    /// lists them in its order of preference).
    pub fn first_of(m: &MediaDescription) -> Option<Crypto> {
        Self::all_of(m).next()
    }

    /// Every usable crypto attribute of a section.
    pub fn all_of(m: &MediaDescription) -> impl Iterator<Item = Crypto> + '_ {
        m.attributes
            .iter()
            .filter(|a| a.name == "crypto")
            .filter_map(|a| a.value.as_deref().and_then(Crypto::parse))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";

    #[test]
    fn reads_the_rfc_4568_example_with_lifetime_and_prints_it_back() {
        // RFC 4568 §3 (example), without its MKI.
        let c = Crypto::parse(&format!("1 AES_CM_128_HMAC_SHA1_80 inline:{KEY}|2^20")).unwrap();
        assert_eq!(c.tag, 1);
        assert_eq!(c.key.key().len(), 16);
        assert_eq!(c.key.salt().len(), 14);
        assert_eq!(STANDARD.encode(c.key.0), KEY);
        assert_eq!(
            c.attribute().to_string(),
            format!("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{KEY}")
        );
    }

    #[test]
    fn refuses_what_it_cannot_use() {
        for bad in [
            format!("1 AES_CM_128_HMAC_SHA1_32 inline:{KEY}"),
            format!("1 AES_CM_128_HMAC_SHA1_80 inline:{KEY}|2^20|1:4"),
            format!("1 AES_CM_128_HMAC_SHA1_80 inline:{KEY} UNENCRYPTED_SRTP"),
            format!("1 AES_CM_128_HMAC_SHA1_80 inline:{KEY};inline:{KEY}"),
            "1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ=".to_owned(),
            format!("x AES_CM_128_HMAC_SHA1_80 inline:{KEY}"),
            format!("1234567890 AES_CM_128_HMAC_SHA1_80 inline:{KEY}"),
            "1 AES_CM_128_HMAC_SHA1_80".to_owned(),
        ] {
            assert_eq!(Crypto::parse(&bad), None, "{bad}");
        }
    }

    #[test]
    fn keys_stay_out_of_debug_output() {
        let k = MasterKey([7; 30]);
        assert_eq!(format!("{k:?}"), "MasterKey(..)");
    }
}
