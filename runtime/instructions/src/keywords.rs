//! Attribute values that are one word out of a fixed set.
//!
//! Twilio's keyword values are case-sensitive (`record-from-answer`, `busy`), with
//! one exception handled separately: HTTP methods, which Twilio accepts in any case.

/// A value spelled as one keyword from a fixed list.
pub(crate) trait Keyword: Sized + Copy + PartialEq {
    /// The keyword for `text`, or `None` if it is not one of the list.
    fn from_keyword(text: &str) -> Option<Self>;
    /// The keyword as written in TwiML.
    fn keyword(self) -> &'static str;
    /// The accepted keywords, for error messages.
    const EXPECTED: &'static str;
}

/// Declares a public enum whose variants are spelled as TwiML keywords.
macro_rules! keyword_enum {
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
            /// The keyword as written in TwiML.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( Self::$variant => $text, )+
                }
            }
        }

        impl $crate::keywords::Keyword for $name {
            fn from_keyword(text: &str) -> Option<Self> {
                match text {
                    $( $text => Some(Self::$variant), )+
                    _ => None,
                }
            }
            fn keyword(self) -> &'static str {
                self.as_str()
            }
            const EXPECTED: &'static str = concat!("one of" $(, " `", $text, "`")+);
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use keyword_enum;

/// The HTTP method used to fetch a URL named by an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum HttpMethod {
    /// `GET`: parameters go in the query string.
    Get,
    /// `POST`: parameters go in a form-encoded body; Twilio's default everywhere.
    #[default]
    Post,
}

impl HttpMethod {
    /// The method as printed (upper case).
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        }
    }

    /// Parses `GET` or `POST` in any letter case, as Twilio does.
    pub fn parse(text: &str) -> Option<Self> {
        if text.eq_ignore_ascii_case("GET") {
            Some(HttpMethod::Get)
        } else if text.eq_ignore_ascii_case("POST") {
            Some(HttpMethod::Post)
        } else {
            None
        }
    }
}

impl std::fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

keyword_enum! {
    /// Recording status callback events (`recordingStatusCallbackEvent`).
    pub enum RecordingEvent {
        /// The recording started.
        InProgress = "in-progress",
        /// The recording is available.
        Completed = "completed",
        /// The recording was discarded (too short, silence).
        Absent = "absent",
    }
}

keyword_enum! {
    /// Call progress events of a dialed leg (`statusCallbackEvent` on nouns).
    pub enum CallEvent {
        /// The leg was created.
        Initiated = "initiated",
        /// The far end is ringing.
        Ringing = "ringing",
        /// The far end answered.
        Answered = "answered",
        /// The leg ended.
        Completed = "completed",
    }
}

keyword_enum! {
    /// Whether silence at both ends of a recording is trimmed (`trim`).
    pub enum Trim {
        /// Remove leading and trailing silence.
        TrimSilence = "trim-silence",
        /// Keep the recording as captured.
        DoNotTrim = "do-not-trim",
    }
}

keyword_enum! {
    /// Which side of a bridged call is recorded (`recordingTrack`).
    #[derive(Default)]
    pub enum RecordingTrack {
        /// Both parties.
        #[default]
        Both = "both",
        /// Audio from the caller's side.
        Inbound = "inbound",
        /// Audio towards the caller.
        Outbound = "outbound",
    }
}

impl From<RecordingTrack> for switchyard_types::RecordingTrack {
    /// The same side as a recording's `track` field says it.
    fn from(t: RecordingTrack) -> Self {
        match t {
            RecordingTrack::Both => Self::Both,
            RecordingTrack::Inbound => Self::Inbound,
            RecordingTrack::Outbound => Self::Outbound,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_case_insensitive_and_nothing_else() {
        assert_eq!(HttpMethod::parse("get"), Some(HttpMethod::Get));
        assert_eq!(HttpMethod::parse("PoSt"), Some(HttpMethod::Post));
        assert_eq!(HttpMethod::parse("PUT"), None);
        assert_eq!(HttpMethod::parse(" GET"), None);
    }

    #[test]
    fn keywords_are_case_sensitive_and_round_trip() {
        assert_eq!(Trim::from_keyword("do-not-trim"), Some(Trim::DoNotTrim));
        assert_eq!(Trim::from_keyword("Do-Not-Trim"), None);
        for event in [
            RecordingEvent::InProgress,
            RecordingEvent::Completed,
            RecordingEvent::Absent,
        ] {
            assert_eq!(RecordingEvent::from_keyword(event.keyword()), Some(event));
        }
        assert_eq!(Trim::EXPECTED, "one of `trim-silence` `do-not-trim`");
    }
}
