//! A recording's `status`, `source` and `track`, with Twilio's spelling: the store keeps
//! them, the REST API and the status callbacks say them, the media engine moves them.

use std::fmt;
use std::str::FromStr;

/// A value that is not one of an enum's spellings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{got:?} is not {expected}")]
pub struct UnknownValue {
    /// The accepted spellings, for the message.
    pub expected: &'static str,
    /// What was given.
    pub got: String,
}

/// Declares an enum spelled as Twilio spells its values, with `as_str`, `Display` and
/// `FromStr`.
macro_rules! spelled_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$( Self::$variant, )+];

            /// Twilio's spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( Self::$variant => $text, )+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, UnknownValue> {
                match s {
                    $( $text => Ok(Self::$variant), )+
                    _ => Err(UnknownValue {
                        expected: concat!("one of" $(, " ", $text)+),
                        got: s.to_owned(),
                    }),
                }
            }
        }
    };
}

spelled_enum! {
    /// Twilio's recording `status`.
    pub enum RecordingStatus {
        /// Being written.
        InProgress = "in-progress",
        /// Paused through the REST API; resumes with `in-progress`.
        Paused = "paused",
        /// Stopped through the REST API, not yet finished.
        Stopped = "stopped",
        /// Finished, the file being finalised.
        Processing = "processing",
        /// The media can be fetched.
        Completed = "completed",
        /// Nothing usable was recorded (silence only, or nothing at all).
        Absent = "absent",
        /// Writing failed.
        Failed = "failed",
    }
}

impl RecordingStatus {
    /// Whether nothing is recording into it any more.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Absent | Self::Failed)
    }
}

spelled_enum! {
    /// Twilio's recording `source`: what started it.
    pub enum RecordingSource {
        /// `<Record>`.
        RecordVerb = "RecordVerb",
        /// `<Dial record=…>`.
        DialVerb = "DialVerb",
        /// `<Conference record=…>`.
        Conference = "Conference",
        /// `Calls.create(Record=true)`.
        OutboundApi = "OutboundAPI",
        /// `POST …/Calls/{CallSid}/Recordings.json`.
        StartCallRecordingApi = "StartCallRecordingAPI",
        /// `POST …/Conferences/{ConferenceSid}/Recordings.json`.
        StartConferenceRecordingApi = "StartConferenceRecordingAPI",
        /// A SIP trunk's recording setting.
        Trunking = "Trunking",
    }
}

spelled_enum! {
    /// Twilio's recording `track`: which direction of the call's audio it holds.
    pub enum RecordingTrack {
        /// What the node receives from the caller.
        Inbound = "inbound",
        /// What the node sends to the caller.
        Outbound = "outbound",
        /// Both.
        Both = "both",
    }
}

/// What `POST …/Calls/{CallSid}/Recordings/{Sid}.json` asks of a live call's recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordingUpdate {
    /// `Status=paused`; `skip` is `PauseBehavior=skip` (nothing is written while paused)
    /// rather than the default `silence` (silence is written instead of the call).
    Pause {
        /// `PauseBehavior=skip`.
        skip: bool,
    },
    /// `Status=in-progress`: resume a paused recording.
    Resume,
    /// `Status=stopped`: end it; it completes like any finished recording.
    Stop,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips_through_its_spelling() {
        for s in RecordingStatus::ALL {
            assert_eq!(s.as_str().parse::<RecordingStatus>(), Ok(*s));
        }
        for s in RecordingSource::ALL {
            assert_eq!(s.as_str().parse::<RecordingSource>(), Ok(*s));
        }
        for t in RecordingTrack::ALL {
            assert_eq!(t.to_string().parse::<RecordingTrack>(), Ok(*t));
        }
        assert_eq!(RecordingSource::OutboundApi.as_str(), "OutboundAPI");
        assert_eq!(RecordingStatus::InProgress.as_str(), "in-progress");
    }

    #[test]
    fn unknown_spellings_name_the_accepted_ones() {
        let e = "done".parse::<RecordingStatus>().unwrap_err();
        assert_eq!(e.got, "done");
        assert!(e.expected.contains("in-progress"), "{}", e.expected);
        assert!(e.to_string().starts_with("\"done\" is not one of"));
        assert!("Inbound".parse::<RecordingTrack>().is_err());
    }

    #[test]
    fn only_completed_absent_and_failed_are_final() {
        let finals: Vec<_> = RecordingStatus::ALL
            .iter()
            .filter(|s| s.is_final())
            .map(|s| s.as_str())
            .collect();
        assert_eq!(finals, ["completed", "absent", "failed"]);
    }
}
