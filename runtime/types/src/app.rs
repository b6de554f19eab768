//! Names of tenant Wasm apps, and the `app:NAME` form that refers to one wherever a URL
//! or a setting can name an app instead (`VoiceUrl`, `VoiceTranscoder`, `<Dial>`'s
//! `transcoder`).

/// The longest app name.
pub const APP_NAME_MAX: usize = 64;

/// Whether `name` can name a tenant's Wasm app: 1 to 64 ASCII letters, digits, `-` or `_`.
pub fn is_app_name(name: &str) -> bool {
    (1..=APP_NAME_MAX).contains(&name.len())
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

/// The `NAME` of a value that is exactly `app:NAME` (no path), when `NAME` is an app name.
pub fn app_reference(value: &str) -> Option<&str> {
    value.strip_prefix("app:").filter(|name| is_app_name(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_names_are_letters_digits_dash_underscore_up_to_64() {
        assert!(is_app_name("agc"));
        assert!(is_app_name("dtmf_mute-2"));
        assert!(is_app_name(&"a".repeat(64)));
        assert!(!is_app_name(&"a".repeat(65)));
        assert!(!is_app_name(""));
        assert!(!is_app_name("bad name"));
        assert!(!is_app_name("v1.2"));
        assert!(!is_app_name("a/b"));
    }

    #[test]
    fn app_reference_is_exactly_app_colon_name() {
        assert_eq!(app_reference("app:agc"), Some("agc"));
        assert_eq!(app_reference("app:"), None);
        assert_eq!(app_reference("agc"), None);
        assert_eq!(app_reference("app:agc/x"), None);
        assert_eq!(app_reference("APP:agc"), None);
        assert_eq!(app_reference("app: agc"), None);
    }
}
