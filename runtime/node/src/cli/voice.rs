//! The voice webhook flags numbers and applications share, and their form parameters.

use clap::Args;

/// Parse `GET`/`POST` in any case, sent upper-case as the API echoes them.
pub fn method(value: &str) -> Result<String, String> {
    let upper = value.to_ascii_uppercase();
    match upper.as_str() {
        "GET" | "POST" => Ok(upper),
        _ => Err(format!("{value:?} is not GET or POST")),
    }
}

/// Where the voice webhook lives and how it is called. An empty value (`--fallback-url ""`)
/// clears the setting on update.
#[derive(Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct VoiceArgs {
    /// Webhook that answers calls with TwiML (VoiceUrl).
    #[arg(long, value_name = "URL")]
    pub voice_url: Option<String>,
    /// HTTP method for --voice-url: GET or POST (VoiceMethod; the API defaults to POST).
    #[arg(long, value_name = "METHOD", value_parser = method)]
    pub voice_method: Option<String>,
    /// Webhook tried when --voice-url fails or times out (VoiceFallbackUrl).
    #[arg(long, value_name = "URL")]
    pub fallback_url: Option<String>,
    /// HTTP method for --fallback-url: GET or POST (VoiceFallbackMethod).
    #[arg(long, value_name = "METHOD", value_parser = method)]
    pub fallback_method: Option<String>,
    /// URL told about call status changes (StatusCallback).
    #[arg(long, value_name = "URL")]
    pub status_callback: Option<String>,
    /// HTTP method for --status-callback: GET or POST (StatusCallbackMethod).
    #[arg(long, value_name = "METHOD", value_parser = method)]
    pub status_callback_method: Option<String>,
}

impl VoiceArgs {
    /// Append the parameters that were given (absent flags leave the API's value as is).
    pub fn form(&self, out: &mut Vec<(&'static str, String)>) {
        let pairs = [
            ("VoiceUrl", &self.voice_url),
            ("VoiceMethod", &self.voice_method),
            ("VoiceFallbackUrl", &self.fallback_url),
            ("VoiceFallbackMethod", &self.fallback_method),
            ("StatusCallback", &self.status_callback),
            ("StatusCallbackMethod", &self.status_callback_method),
        ];
        for (name, value) in pairs {
            if let Some(v) = value {
                out.push((name, v.clone()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_normalised_and_checked() {
        assert_eq!(method("get").unwrap(), "GET");
        assert_eq!(method("POST").unwrap(), "POST");
        assert!(method("PUT").is_err());
    }

    #[test]
    fn only_given_flags_become_parameters() {
        let v = VoiceArgs {
            voice_url: Some("http://a.test/v".into()),
            fallback_url: Some(String::new()),
            ..VoiceArgs::default()
        };
        let mut form = Vec::new();
        v.form(&mut form);
        assert_eq!(
            form,
            vec![
                ("VoiceUrl", "http://a.test/v".to_owned()),
                ("VoiceFallbackUrl", String::new())
            ]
        );
    }
}
