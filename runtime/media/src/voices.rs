//! Mapping of Twilio `<Say>` voices and languages onto espeak-ng voice names.

/// espeak-ng voices (by language tag) this module may select. All ship with the
/// Debian `espeak-ng-data` package.
const ESPEAK_LANGUAGES: &[&str] = &[
    "af",
    "ar",
    "bg",
    "ca",
    "cmn",
    "cs",
    "cy",
    "da",
    "de",
    "el",
    "en-029",
    "en-gb",
    "en-gb-scotland",
    "en-us",
    "es",
    "es-419",
    "et",
    "eu",
    "fa",
    "fi",
    "fr-be",
    "fr-ch",
    "fr-fr",
    "ga",
    "he",
    "hi",
    "hr",
    "hu",
    "id",
    "is",
    "it",
    "ja",
    "ko",
    "lt",
    "lv",
    "ms",
    "nb",
    "nl",
    "pl",
    "pt",
    "pt-br",
    "ro",
    "ru",
    "sk",
    "sl",
    "sr",
    "sv",
    "sw",
    "ta",
    "th",
    "tr",
    "uk",
    "ur",
    "vi",
    "yue",
];

/// Twilio locales whose espeak-ng voice is not spelled the same way.
const LOCALE_ALIASES: &[(&str, &str)] = &[
    ("en-au", "en-gb"),
    ("en-ca", "en-us"),
    ("en-ie", "en-gb"),
    ("en-in", "en-gb"),
    ("en-nz", "en-gb"),
    ("en-za", "en-gb"),
    ("en-gb-wls", "en-gb"),
    ("es-mx", "es-419"),
    ("es-us", "es-419"),
    ("fr-ca", "fr-fr"),
    ("pt-pt", "pt"),
    ("nb-no", "nb"),
    ("no", "nb"),
    ("zh", "cmn"),
    ("zh-cn", "cmn"),
    ("zh-tw", "cmn"),
    ("zh-hk", "yue"),
    ("cmn-cn", "cmn"),
    ("yue-hk", "yue"),
    ("ca-es", "ca"),
];

/// Amazon Polly voices that are male; every other Polly voice name is treated as
/// female, which is the majority of Polly's catalogue.
const POLLY_MALE: &[&str] = &[
    "matthew",
    "joey",
    "justin",
    "kevin",
    "stephen",
    "brian",
    "arthur",
    "russell",
    "aditi-m",
    "geraint",
    "mathieu",
    "hans",
    "daniel",
    "enrique",
    "miguel",
    "andres",
    "giorgio",
    "adriano",
    "ricardo",
    "cristiano",
    "ruben",
    "takumi",
    "maxim",
    "jacek",
    "jan",
    "mads",
    "liam",
    "remi",
    "sergio",
    "thiago",
    "zhiyu-m",
    "filip",
    "gregory",
];

/// The espeak-ng `-v` argument for a Twilio `voice` and `language`.
///
/// `language` is a Twilio locale (`en-US`, `fr-FR`, …); an empty one means `en-US`,
/// Twilio's default. A `Google.xx-YY-…` voice carries its own locale, which wins.
/// Women's voices (`woman`, `alice`, female Polly and Google voices) get espeak's
/// `f3` variant. A language espeak-ng cannot speak falls back to American English
/// with a warning, since a call must hear *something*.
pub fn espeak_voice(voice: &str, language: &str) -> String {
    let voice_lc = voice.trim().to_ascii_lowercase();
    let mut locale = language.trim().to_ascii_lowercase().replace('_', "-");
    let female = if let Some(name) = voice_lc.strip_prefix("polly.") {
        let name = name
            .trim_end_matches("-neural")
            .trim_end_matches("-generative");
        !POLLY_MALE.contains(&name)
    } else if let Some(name) = voice_lc.strip_prefix("google.") {
        // Google.en-US-Standard-C, Google.fr-FR-Neural2-A: the locale is the first
        // two dash-separated fields.
        let mut parts = name.split('-');
        if let (Some(l), Some(r)) = (parts.next(), parts.next()) {
            locale = format!("{l}-{r}");
        }
        true
    } else {
        matches!(voice_lc.as_str(), "woman" | "alice")
    };
    let base = espeak_language(&locale).unwrap_or_else(|| {
        tracing::warn!(
            language,
            "no espeak-ng voice for this language; using en-us"
        );
        "en-us"
    });
    if female {
        format!("{base}+f3")
    } else {
        base.to_owned()
    }
}

fn espeak_language(locale: &str) -> Option<&'static str> {
    if locale.is_empty() {
        return Some("en-us");
    }
    if let Some(&(_, to)) = LOCALE_ALIASES.iter().find(|(from, _)| *from == locale) {
        return Some(to);
    }
    if let Some(&exact) = ESPEAK_LANGUAGES.iter().find(|l| **l == locale) {
        return Some(exact);
    }
    let primary = locale.split('-').next().unwrap_or("");
    match primary {
        "en" => Some("en-us"),
        "fr" => Some("fr-fr"),
        _ => ESPEAK_LANGUAGES.iter().find(|l| **l == primary).copied(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twilio_voices_map_to_espeak() {
        assert_eq!(espeak_voice("man", "en-US"), "en-us");
        assert_eq!(espeak_voice("woman", "en-GB"), "en-gb+f3");
        assert_eq!(espeak_voice("alice", "fr-FR"), "fr-fr+f3");
        assert_eq!(espeak_voice("man", "de-DE"), "de");
        assert_eq!(espeak_voice("man", "es-ES"), "es");
        assert_eq!(espeak_voice("man", "es-MX"), "es-419");
        assert_eq!(espeak_voice("", ""), "en-us");
        assert_eq!(espeak_voice("man", "pt-BR"), "pt-br");
        assert_eq!(espeak_voice("man", "en-AU"), "en-gb");
        assert_eq!(espeak_voice("man", "ja_JP"), "ja");
    }

    #[test]
    fn polly_and_google_voices() {
        assert_eq!(espeak_voice("Polly.Joanna", "en-US"), "en-us+f3");
        assert_eq!(espeak_voice("Polly.Matthew-Neural", "en-US"), "en-us");
        assert_eq!(espeak_voice("Polly.Mathieu", "fr-FR"), "fr-fr");
        assert_eq!(espeak_voice("Google.de-DE-Standard-A", "en-US"), "de+f3");
    }

    #[test]
    fn unknown_language_falls_back_to_english() {
        assert_eq!(espeak_voice("man", "xx-YY"), "en-us");
        assert_eq!(espeak_voice("woman", "klingon"), "en-us+f3");
    }
}
