//! Twilio's date formats: RFC 2822 in responses, ISO 8601 dates in list filters.
//!
//! Hand-written civil-calendar arithmetic (Howard Hinnant's days-from-civil) because the
//! API needs exactly two formats and nothing else from a date library.

use crate::Error;

const DAY_MS: i64 = 86_400_000;
const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Unix milliseconds as Twilio writes them: `Tue, 14 Nov 2023 22:13:20 +0000`.
pub fn rfc2822(ms: i64) -> String {
    let days = ms.div_euclid(DAY_MS);
    let secs = ms.rem_euclid(DAY_MS) / 1000;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} +0000",
        WEEKDAYS[days.rem_euclid(7) as usize],
        d,
        MONTHS[(m - 1) as usize],
        y,
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Like [`rfc2822`] for an optional time (`null` in JSON when absent).
pub fn rfc2822_opt(ms: Option<i64>) -> Option<String> {
    ms.map(rfc2822)
}

/// A list's `DateCreated` (that UTC day, or that second), `DateCreated>` (on or after)
/// and `DateCreated<` (on or before: a bare date covers that whole day), as the range
/// `[after, before)` in Unix milliseconds. The helper libraries send `DateCreated<` and
/// `DateCreated>`; Twilio's documented `DateCreated<=YYYY-MM-DD` is the same pair once
/// the query is split at its first `=`.
pub fn created_range(params: &crate::params::Params) -> Result<(Option<i64>, Option<i64>), Error> {
    let mut after: Vec<i64> = Vec::new();
    let mut before: Vec<i64> = Vec::new();
    let end = |(t, day): (i64, bool)| if day { next_day(t) } else { t + 1000 };
    if let Some(v) = params.non_empty("DateCreated") {
        let parsed = parse_filter("DateCreated", v)?;
        after.push(parsed.0);
        before.push(end(parsed));
    }
    if let Some(v) = params.non_empty("DateCreated>") {
        after.push(parse_filter("DateCreated>", v)?.0);
    }
    if let Some(v) = params.non_empty("DateCreated<") {
        before.push(end(parse_filter("DateCreated<", v)?));
    }
    Ok((after.into_iter().max(), before.into_iter().min()))
}

/// A list filter's value: `YYYY-MM-DD` (a whole UTC day) or `YYYY-MM-DDTHH:MM:SSZ` (the
/// helper libraries' `iso8601_datetime`). Returns the instant and whether it was a day.
pub fn parse_filter(name: &'static str, value: &str) -> Result<(i64, bool), Error> {
    let bad = || {
        Error::param(
            name,
            format!("{value:?} is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ"),
        )
    };
    let b = value.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Result<i64, Error> {
        let s = value.get(r).ok_or_else(bad)?;
        if !s.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        s.parse().map_err(|_| bad())
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let month_len = [
        31,
        28 + i64::from(is_leap(y)),
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d < 1 || d > month_len[(m - 1) as usize] {
        return Err(bad());
    }
    let day = days_from_civil(y, m, d) * DAY_MS;
    match b.len() {
        10 => Ok((day, true)),
        20 if b[10] == b'T' && b[13] == b':' && b[16] == b':' && b[19] == b'Z' => {
            let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
            if h > 23 || mi > 59 || s > 59 {
                return Err(bad());
            }
            Ok((day + ((h * 60 + mi) * 60 + s) * 1000, false))
        }
        _ => Err(bad()),
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// The start (Unix ms) of the UTC day `y-m-d`; days past a month's end roll over.
pub fn day_start(y: i64, m: i64, d: i64) -> i64 {
    days_from_civil(y, m, d) * DAY_MS
}

/// The (year, month, day) of the UTC day holding `ms`.
pub fn ymd(ms: i64) -> (i64, i64, i64) {
    civil_from_days(ms.div_euclid(DAY_MS))
}

/// `YYYY-MM-DD` of the UTC day holding `ms` (Twilio's `start_date`, `end_date`).
pub fn iso_day(ms: i64) -> String {
    let (y, m, d) = ymd(ms);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DDTHH:MM:SS+00:00` (Twilio's `as_of`).
pub fn iso_time(ms: i64) -> String {
    let secs = ms.rem_euclid(DAY_MS) / 1000;
    format!(
        "{}T{:02}:{:02}:{:02}+00:00",
        iso_day(ms),
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The next whole day after a day's start.
pub fn next_day(day_start: i64) -> i64 {
    day_start + DAY_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_twilio() {
        assert_eq!(
            rfc2822(1_700_000_000_000),
            "Tue, 14 Nov 2023 22:13:20 +0000"
        );
        assert_eq!(rfc2822(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(rfc2822(951_782_400_000), "Tue, 29 Feb 2000 00:00:00 +0000");
    }

    #[test]
    fn parses_days_and_datetimes() {
        assert_eq!(
            parse_filter("StartTime", "2023-11-14").unwrap(),
            (1_699_920_000_000, true)
        );
        assert_eq!(
            parse_filter("StartTime", "2023-11-14T22:13:20Z").unwrap(),
            (1_700_000_000_000, false)
        );
    }

    #[test]
    fn rejects_impossible_dates_naming_the_parameter() {
        for bad in [
            "2023-02-29",
            "2023-13-01",
            "2023-1-01",
            "yesterday",
            "2023-11-14T25:00:00Z",
        ] {
            let e = parse_filter("StartTime>", bad).unwrap_err();
            assert!(e.to_string().starts_with("StartTime>:"), "{bad}: {e}");
        }
        assert!(parse_filter("StartTime", "2024-02-29").is_ok());
    }
}
