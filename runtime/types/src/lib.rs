//! Typed identifiers shared by every Switchyard crate.
//!
//! Twilio's resource identifiers ("SIDs") are a two-letter prefix followed by 32 lowercase
//! hexadecimal digits. Each kind gets its own type so a `CallSid` can never be passed where
//! an `AccountSid` is expected; they are parsed once, at the edge, and carried typed.

use std::fmt;
use std::str::FromStr;

mod app;
mod recording;

pub use app::{app_reference, is_app_name, APP_NAME_MAX};
pub use recording::{
    RecordingSource, RecordingStatus, RecordingTrack, RecordingUpdate, UnknownValue,
};

/// Why a string is not a SID of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SidError {
    #[error("expected a SID starting with {expected:?}, got {got:?}")]
    WrongPrefix { expected: &'static str, got: String },
    #[error("a SID is 34 characters (2-letter prefix + 32 hex digits), got {0}")]
    WrongLength(usize),
    #[error("a SID's last 32 characters are lowercase hex digits")]
    NotHex,
}

macro_rules! sid_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name([u8; 16]);

        impl $name {
            /// The two-letter prefix of this kind of SID.
            pub const PREFIX: &'static str = $prefix;

            /// A fresh random SID.
            pub fn random() -> Self {
                Self(rand::random())
            }

            /// The SID whose 32 hex digits are `bytes`.
            pub const fn from_bytes(bytes: [u8; 16]) -> Self {
                Self(bytes)
            }

            /// The 16 bytes behind the hex digits.
            pub const fn as_bytes(&self) -> &[u8; 16] {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($prefix)?;
                for b in self.0 {
                    write!(f, "{b:02x}")?;
                }
                Ok(())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }

        impl FromStr for $name {
            type Err = SidError;
            fn from_str(s: &str) -> Result<Self, SidError> {
                parse_sid($prefix, s).map(Self)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

fn parse_sid(prefix: &'static str, s: &str) -> Result<[u8; 16], SidError> {
    if s.len() != 34 {
        return Err(SidError::WrongLength(s.len()));
    }
    if !s.starts_with(prefix) {
        return Err(SidError::WrongPrefix {
            expected: prefix,
            got: s.chars().take(2).collect(),
        });
    }
    let hex = &s.as_bytes()[2..];
    let mut out = [0u8; 16];
    for (i, pair) in hex.chunks(2).enumerate() {
        let hi = hex_digit(pair[0])?;
        let lo = hex_digit(pair[1])?;
        out[i] = hi << 4 | lo;
    }
    Ok(out)
}

fn hex_digit(c: u8) -> Result<u8, SidError> {
    match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        _ => Err(SidError::NotHex),
    }
}

sid_type!(
    /// A call (`CA…`).
    CallSid, "CA"
);
sid_type!(
    /// An account or subaccount (`AC…`).
    AccountSid, "AC"
);
sid_type!(
    /// An incoming phone number (`PN…`).
    PhoneNumberSid, "PN"
);
sid_type!(
    /// A recording (`RE…`).
    RecordingSid, "RE"
);
sid_type!(
    /// An application (`AP…`).
    ApplicationSid, "AP"
);
sid_type!(
    /// A conference (`CF…`).
    ConferenceSid, "CF"
);
sid_type!(
    /// A notification (`NO…`).
    NotificationSid, "NO"
);
sid_type!(
    /// An event subscription (`ES…`).
    SubscriptionSid, "ES"
);
sid_type!(
    /// A SIP domain (`SD…`).
    SipDomainSid, "SD"
);
sid_type!(
    /// A SIP credential list (`CL…`).
    CredentialListSid, "CL"
);
sid_type!(
    /// A SIP credential, one username and password of a credential list (`CR…`).
    CredentialSid, "CR"
);
sid_type!(
    /// A SIP IP access control list (`AL…`).
    IpAccessControlListSid, "AL"
);
sid_type!(
    /// An address range of an IP access control list (`IP…`).
    IpAddressSid, "IP"
);
sid_type!(
    /// An API key (`SK…`).
    ApiKeySid, "SK"
);
sid_type!(
    /// A Media Stream (`MZ…`).
    StreamSid, "MZ"
);
sid_type!(
    /// A call queue (`QU…`).
    QueueSid, "QU"
);

/// Twilio's `CallStatus` values, with Twilio's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallStatus {
    Queued,
    Ringing,
    InProgress,
    Completed,
    Busy,
    Failed,
    NoAnswer,
    Canceled,
}

impl CallStatus {
    /// The wire spelling (`in-progress`, `no-answer`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Ringing => "ringing",
            Self::InProgress => "in-progress",
            Self::Completed => "completed",
            Self::Busy => "busy",
            Self::Failed => "failed",
            Self::NoAnswer => "no-answer",
            Self::Canceled => "canceled",
        }
    }

    /// Whether the call is over.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::Busy | Self::Failed | Self::NoAnswer | Self::Canceled
        )
    }
}

impl fmt::Display for CallStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_text() {
        let sid = CallSid::random();
        let text = sid.to_string();
        assert_eq!(text.len(), 34);
        assert!(text.starts_with("CA"));
        assert_eq!(text.parse::<CallSid>().unwrap(), sid);
    }

    #[test]
    fn rejects_wrong_kind_and_bad_digits() {
        let call = CallSid::random().to_string();
        assert!(matches!(
            call.parse::<AccountSid>(),
            Err(SidError::WrongPrefix { .. })
        ));
        assert_eq!(
            "CA0123456789ABCDEF0123456789abcdef".parse::<CallSid>(),
            Err(SidError::NotHex)
        );
        assert_eq!("CA12".parse::<CallSid>(), Err(SidError::WrongLength(4)));
    }

    #[test]
    fn status_spelling_matches_twilio() {
        assert_eq!(CallStatus::InProgress.as_str(), "in-progress");
        assert_eq!(CallStatus::NoAnswer.to_string(), "no-answer");
        assert!(CallStatus::Canceled.is_final());
        assert!(!CallStatus::Ringing.is_final());
    }
}
