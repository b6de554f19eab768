//! The voice settings numbers and applications share (`VoiceUrl`, `VoiceMethod`, …).

use serde_json::{json, Value};

use crate::params::Params;
use crate::validate::{set_method, set_url};
use crate::Error;

/// The webhook settings of a number or an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voice {
    /// `VoiceUrl`.
    pub url: Option<String>,
    /// `VoiceMethod`.
    pub method: String,
    /// `VoiceFallbackUrl`.
    pub fallback_url: Option<String>,
    /// `VoiceFallbackMethod`.
    pub fallback_method: String,
    /// `StatusCallback`.
    pub status_callback: Option<String>,
    /// `StatusCallbackMethod`.
    pub status_callback_method: String,
}

impl Default for Voice {
    /// Twilio's defaults: no URLs, every method `POST`.
    fn default() -> Self {
        Self {
            url: None,
            method: "POST".into(),
            fallback_url: None,
            fallback_method: "POST".into(),
            status_callback: None,
            status_callback_method: "POST".into(),
        }
    }
}

impl Voice {
    /// Apply the parameters that were sent; the others keep their values.
    pub fn apply(&mut self, params: &Params) -> Result<(), Error> {
        set_url(params, "VoiceUrl", &mut self.url)?;
        set_method(params, "VoiceMethod", &mut self.method)?;
        set_url(params, "VoiceFallbackUrl", &mut self.fallback_url)?;
        set_method(params, "VoiceFallbackMethod", &mut self.fallback_method)?;
        set_url(params, "StatusCallback", &mut self.status_callback)?;
        set_method(
            params,
            "StatusCallbackMethod",
            &mut self.status_callback_method,
        )?;
        Ok(())
    }

    /// The settings' JSON fields, to merge into a resource.
    pub fn render(&self) -> Value {
        json!({
            "voice_url": self.url,
            "voice_method": self.method,
            "voice_fallback_url": self.fallback_url,
            "voice_fallback_method": self.fallback_method,
            "status_callback": self.status_callback,
            "status_callback_method": self.status_callback_method,
        })
    }
}

/// Merge `extra`'s fields into the object `base`.
pub fn merge(mut base: Value, extra: Value) -> Value {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        b.extend(e);
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_keeps_absent_clears_empty_and_validates() {
        let mut v = Voice {
            url: Some("http://a.test/v".into()),
            fallback_url: Some("http://a.test/f".into()),
            ..Voice::default()
        };
        v.apply(&Params::parse(b"VoiceFallbackUrl=&VoiceMethod=get").unwrap())
            .unwrap();
        assert_eq!(v.url.as_deref(), Some("http://a.test/v"));
        assert_eq!(v.fallback_url, None);
        assert_eq!(v.method, "GET");
        let e = v
            .apply(&Params::parse(b"StatusCallback=nope").unwrap())
            .unwrap_err();
        assert!(matches!(
            e,
            Error::InvalidUrl {
                param: "StatusCallback",
                ..
            }
        ));
    }
}

/// The stored records that carry voice settings, with the same field names.
pub trait VoiceRecord {
    /// The record's settings.
    fn voice(&self) -> Voice;
    /// Replace the record's settings.
    fn set_voice(&mut self, v: Voice);
}

macro_rules! voice_record {
    ($t:ty) => {
        impl VoiceRecord for $t {
            fn voice(&self) -> Voice {
                Voice {
                    url: self.voice_url.clone(),
                    method: self.voice_method.clone(),
                    fallback_url: self.voice_fallback_url.clone(),
                    fallback_method: self.voice_fallback_method.clone(),
                    status_callback: self.status_callback.clone(),
                    status_callback_method: self.status_callback_method.clone(),
                }
            }

            fn set_voice(&mut self, v: Voice) {
                self.voice_url = v.url;
                self.voice_method = v.method;
                self.voice_fallback_url = v.fallback_url;
                self.voice_fallback_method = v.fallback_method;
                self.status_callback = v.status_callback;
                self.status_callback_method = v.status_callback_method;
            }
        }
    };
}

voice_record!(switchyard_store::Application);
voice_record!(switchyard_store::PhoneNumber);

impl Voice {
    /// The settings of a number or an application.
    pub fn of(record: &impl VoiceRecord) -> Voice {
        record.voice()
    }

    /// Write these settings into a number or an application.
    pub fn store(self, record: &mut impl VoiceRecord) {
        record.set_voice(self);
    }
}
