//! `<Record>`: record the caller.

use super::Method;

/// The states of a recording a status callback may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordingEvent {
    /// The recording started.
    InProgress,
    /// The recording is available.
    Completed,
    /// Nothing usable was recorded (too short, or silence).
    Absent,
}

/// Records the caller; `RecordingUrl`, `RecordingDuration` and `Digits` (the key that
/// ended it, or `hangup`) go to `action` as the next request.
///
/// ```
/// use switchyard_sdk::{Record, RecordingEvent};
/// let voicemail = Record::new()
///     .action("/saved")
///     .max_length(120)
///     .play_beep(true)
///     .recording_status_callback("/recording-status")
///     .recording_status_callback_event([RecordingEvent::InProgress, RecordingEvent::Completed]);
/// assert_eq!(voicemail.max_length, 120);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Where `RecordingUrl` goes; `None` = this app's current path.
    pub action: Option<String>,
    /// How `action` is requested.
    pub method: Method,
    /// Seconds of silence that end the recording; 0 disables; default 5.
    pub timeout: u32,
    /// Keys that end the recording; default `1234567890*#`.
    pub finish_on_key: String,
    /// The longest recording in seconds; default 3600.
    pub max_length: u32,
    /// Beep before recording; default true.
    pub play_beep: bool,
    /// Trim leading and trailing silence; default true.
    pub trim_silence: bool,
    /// Told when the recording is available.
    pub recording_status_callback: Option<String>,
    /// How `recording_status_callback` is requested (POST).
    pub recording_status_callback_method: Method,
    /// The recording states requested; empty = `completed` alone (the default).
    pub recording_status_callback_event: Vec<RecordingEvent>,
    /// Transcribe the recording; default false.
    pub transcribe: bool,
    /// Told the transcription.
    pub transcribe_callback: Option<String>,
}

impl Default for Record {
    fn default() -> Self {
        Record {
            action: None,
            method: Method::Post,
            timeout: 5,
            finish_on_key: "1234567890*#".to_owned(),
            max_length: 3600,
            play_beep: true,
            trim_silence: true,
            recording_status_callback: None,
            recording_status_callback_method: Method::Post,
            recording_status_callback_event: Vec::new(),
            transcribe: false,
            transcribe_callback: None,
        }
    }
}

impl Record {
    /// A recording with Twilio's defaults.
    pub fn new() -> Self {
        Record::default()
    }

    /// Where `RecordingUrl` goes.
    pub fn action(mut self, action: impl Into<String>) -> Self {
        self.action = Some(action.into());
        self
    }

    /// How `action` is requested.
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// Seconds of silence that end the recording; 0 disables.
    pub fn timeout(mut self, seconds: u32) -> Self {
        self.timeout = seconds;
        self
    }

    /// Keys that end the recording.
    pub fn finish_on_key(mut self, keys: impl Into<String>) -> Self {
        self.finish_on_key = keys.into();
        self
    }

    /// The longest recording in seconds.
    pub fn max_length(mut self, seconds: u32) -> Self {
        self.max_length = seconds;
        self
    }

    /// Whether to beep first.
    pub fn play_beep(mut self, beep: bool) -> Self {
        self.play_beep = beep;
        self
    }

    /// Whether to trim leading and trailing silence.
    pub fn trim_silence(mut self, trim: bool) -> Self {
        self.trim_silence = trim;
        self
    }

    /// Told when the recording is available.
    pub fn recording_status_callback(mut self, url: impl Into<String>) -> Self {
        self.recording_status_callback = Some(url.into());
        self
    }

    /// How the recording status callback is requested.
    pub fn recording_status_callback_method(mut self, method: Method) -> Self {
        self.recording_status_callback_method = method;
        self
    }

    /// The recording states to request.
    pub fn recording_status_callback_event(
        mut self,
        events: impl IntoIterator<Item = RecordingEvent>,
    ) -> Self {
        self.recording_status_callback_event = events.into_iter().collect();
        self
    }

    /// Transcribe the recording.
    pub fn transcribe(mut self, transcribe: bool) -> Self {
        self.transcribe = transcribe;
        self
    }

    /// Told the transcription (implies `transcribe`).
    pub fn transcribe_callback(mut self, url: impl Into<String>) -> Self {
        self.transcribe = true;
        self.transcribe_callback = Some(url.into());
        self
    }
}
