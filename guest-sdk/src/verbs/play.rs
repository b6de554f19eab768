//! `<Play>` and `<Pause>`.

/// Plays an audio file, or sends DTMF digits.
///
/// ```
/// use switchyard_sdk::Play;
/// let music = Play::url("https://example.com/hold.wav").loop_count(0);
/// let keys = Play::digits("ww1234#");
/// assert_eq!(music.loop_count, 0);
/// assert_eq!(keys.digits.as_deref(), Some("ww1234#"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Play {
    /// The audio to play (WAV or MP3).
    pub url: Option<String>,
    /// Times to play; 0 repeats until the call or the enclosing Gather ends; default 1.
    pub loop_count: u32,
    /// DTMF to send instead: `0-9*#`, `w` waits half a second.
    pub digits: Option<String>,
}

impl Play {
    /// Plays the audio at `url` once.
    pub fn url(url: impl Into<String>) -> Self {
        Play {
            url: Some(url.into()),
            loop_count: 1,
            digits: None,
        }
    }

    /// Sends `digits` as DTMF tones (`w` = half a second's wait).
    pub fn digits(digits: impl Into<String>) -> Self {
        Play {
            url: None,
            loop_count: 1,
            digits: Some(digits.into()),
        }
    }

    /// How many times to play; 0 = until the call or the enclosing Gather ends.
    pub fn loop_count(mut self, times: u32) -> Self {
        self.loop_count = times;
        self
    }
}

impl From<&str> for Play {
    fn from(url: &str) -> Self {
        Play::url(url)
    }
}

impl From<String> for Play {
    fn from(url: String) -> Self {
        Play::url(url)
    }
}

/// Silence.
///
/// ```
/// use switchyard_sdk::Pause;
/// assert_eq!(Pause::seconds(3).length, 3);
/// assert_eq!(Pause::default().length, 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    /// Seconds of silence; Twilio's default is 1.
    pub length: u32,
}

impl Pause {
    /// `seconds` of silence.
    pub fn seconds(seconds: u32) -> Self {
        Pause { length: seconds }
    }
}

impl Default for Pause {
    fn default() -> Self {
        Pause::seconds(1)
    }
}
