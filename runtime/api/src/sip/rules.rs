//! The values the SIP resources accept: domain names, usernames, passwords and address
//! ranges.

use std::net::IpAddr;

use crate::Error;

/// A domain name: a host name of letters, digits and '-' labels separated by dots
/// (RFC 1123 §2.1), at most 253 characters, stored in lower case. Twilio also requires
/// the name to end in `.sip.twilio.com`; a Switchyard node serves the names its operator
/// points at it, so any valid host name is accepted.
pub(crate) fn domain_name(value: &str) -> Result<String, Error> {
    let bad = |why: &str| Error::param("DomainName", format!("{value:?} {why}"));
    if value.is_empty() || value.len() > 253 {
        return Err(bad("must be a host name of 1 to 253 characters"));
    }
    for label in value.split('.') {
        let ok = (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(bad(
                "is not a host name: each dot-separated label is 1 to 63 letters, digits \
                 and '-', not starting or ending with '-'",
            ));
        }
    }
    Ok(value.to_ascii_lowercase())
}

/// Twilio: the username "can be up to 32 characters long". It goes into SIP URIs and
/// digest headers, so it is limited to RFC 3261's unreserved user characters.
pub(crate) fn username(value: &str) -> Result<String, Error> {
    let ok = (1..=32).contains(&value.len())
        && value
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"-_.!~*'()&=+$,;?/".contains(&c));
    if !ok {
        return Err(Error::param(
            "Username",
            format!(
                "{value:?} must be 1 to 32 letters, digits or the characters -_.!~*'()&=+$,;?/"
            ),
        ));
    }
    Ok(value.to_owned())
}

/// Twilio: "The password must be a minimum of 12 characters, contain at least 1 digit,
/// and have mixed case." (And, as Twilio's SipAuthPassword, fewer than 256 characters.)
/// The message never repeats the password.
pub(crate) fn password(value: &str) -> Result<&str, Error> {
    let strong = (12..256).contains(&value.chars().count())
        && value.chars().any(|c| c.is_ascii_digit())
        && value.chars().any(char::is_uppercase)
        && value.chars().any(char::is_lowercase);
    if !strong {
        return Err(Error::param(
            "Password",
            "must be a minimum of 12 characters, contain at least 1 digit, and have mixed case",
        ));
    }
    Ok(value)
}

/// An `IpAddress` and its `CidrPrefixLength` (0–32 for IPv4, 0–128 for IPv6). Without
/// a prefix length the range is the one address (Twilio's default of 32, for IPv4).
pub(crate) fn address(ip: &str, prefix: Option<&str>) -> Result<(String, u8), Error> {
    let parsed: IpAddr = ip.parse().map_err(|_| {
        Error::param(
            "IpAddress",
            format!("{ip:?} is not an IPv4 or IPv6 address"),
        )
    })?;
    let max = if parsed.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        None => max,
        Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| {
            Error::param(
                "CidrPrefixLength",
                format!("{p:?} is not a whole number from 0 to {max}"),
            )
        })?,
    };
    Ok((parsed.to_string(), prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_names_are_host_names_in_lower_case() {
        assert_eq!(
            domain_name("Acme.SIP.example.com").unwrap(),
            "acme.sip.example.com"
        );
        assert_eq!(domain_name("pbx-1.local").unwrap(), "pbx-1.local");
        for bad in [
            "",
            "a..b",
            "-a.b",
            "a-.b",
            "a b.c",
            "a_b.c",
            &"x".repeat(64),
        ] {
            assert!(domain_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords_follow_twilios_strength_rules() {
        assert!(password("IWasAtSignal2018").is_ok());
        for weak in [
            "Short1a",
            "alllowercase123",
            "ALLUPPERCASE123",
            "NoDigitsAtAllHere",
        ] {
            let e = password(weak).unwrap_err();
            assert!(e.to_string().starts_with("Password:"), "{weak}");
            assert!(!e.to_string().contains(weak));
        }
    }

    #[test]
    fn usernames_are_short_and_uri_safe() {
        assert!(username("alice.smith-1").is_ok());
        assert!(username("").is_err());
        assert!(username("a@b").is_err());
        assert!(username(&"a".repeat(33)).is_err());
    }

    #[test]
    fn addresses_and_prefixes() {
        assert_eq!(
            address("192.0.2.1", None).unwrap(),
            ("192.0.2.1".into(), 32)
        );
        assert_eq!(
            address("2001:db8::1", Some("64")).unwrap(),
            ("2001:db8::1".into(), 64)
        );
        assert!(address("192.0.2.1", Some("33")).is_err());
        assert!(address("192.0.2", None).is_err());
        assert!(address("::1", Some("129")).is_err());
    }
}
