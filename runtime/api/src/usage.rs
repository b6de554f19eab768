//! `…/Usage/Records.json` and its subresources (`Daily`, `Monthly`, `Yearly`, `AllTime`,
//! `Today`, `Yesterday`, `ThisMonth`, `LastMonth`): what an account used, by Twilio's
//! voice categories, summed from the stored calls and their module spans.
//!
//! Twilio: "IncludeSubaccounts: Whether to include usage from the master account and all
//! its subaccounts. Can be: true (the default) … or false to retrieve usage from only the
//! specified account." The windows are whole UTC days; `StartDate` and `EndDate` are
//! `YYYY-MM-DD` or an offset from today such as `-30days`.

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use switchyard_store::{Account, CallUsage, Page, Repository};
use switchyard_types::AccountSid;

use crate::auth::{authenticate, reach};
use crate::date::{day_start, iso_day, iso_time, next_day, parse_filter, ymd};
use crate::params::Params;
use crate::{now_ms, ApiState, Error, API_VERSION};

/// A usage category: name, description, count unit, usage unit.
struct Category {
    name: &'static str,
    description: &'static str,
    count_unit: &'static str,
    usage_unit: &'static str,
}

/// The voice categories this node accounts for.
const CATEGORIES: &[Category] = &[
    Category {
        name: "calls",
        description: "Voice Minutes",
        count_unit: "calls",
        usage_unit: "minutes",
    },
    Category {
        name: "calls-inbound",
        description: "Inbound Voice Minutes",
        count_unit: "calls",
        usage_unit: "minutes",
    },
    Category {
        name: "calls-outbound",
        description: "Outbound Voice Minutes",
        count_unit: "calls",
        usage_unit: "minutes",
    },
    Category {
        name: "recordings",
        description: "Voice Recordings",
        count_unit: "recordings",
        usage_unit: "minutes",
    },
    Category {
        name: "tts",
        description: "Text-to-Speech Characters",
        count_unit: "characters",
        usage_unit: "characters",
    },
];

/// Which records a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Period {
    /// `Records.json` and `AllTime`: one record per category over the window.
    Whole,
    Daily,
    Monthly,
    Yearly,
    Today,
    Yesterday,
    ThisMonth,
    LastMonth,
}

impl Period {
    fn of_segment(segment: &str) -> Option<(Self, &'static str)> {
        let name = segment.strip_suffix(".json").unwrap_or(segment);
        Some(match name {
            "AllTime" => (Self::Whole, "AllTime"),
            "Daily" => (Self::Daily, "Daily"),
            "Monthly" => (Self::Monthly, "Monthly"),
            "Yearly" => (Self::Yearly, "Yearly"),
            "Today" => (Self::Today, "Today"),
            "Yesterday" => (Self::Yesterday, "Yesterday"),
            "ThisMonth" => (Self::ThisMonth, "ThisMonth"),
            "LastMonth" => (Self::LastMonth, "LastMonth"),
            _ => return None,
        })
    }
}

/// The subresources, as `subresource_uris` names them.
const SUBRESOURCES: &[(&str, &str)] = &[
    ("all_time", "AllTime"),
    ("today", "Today"),
    ("yesterday", "Yesterday"),
    ("this_month", "ThisMonth"),
    ("last_month", "LastMonth"),
    ("daily", "Daily"),
    ("monthly", "Monthly"),
    ("yearly", "Yearly"),
];

/// A day filter: `YYYY-MM-DD`, or `-30days` / `+30days` from `today` (a day's start).
pub fn parse_day(name: &'static str, value: &str, today: i64) -> Result<i64, Error> {
    let offset = value
        .strip_suffix("days")
        .and_then(|n| n.strip_prefix(['-', '+']).map(|d| (n.starts_with('-'), d)))
        .and_then(|(neg, d)| d.parse::<i64>().ok().map(|d| if neg { -d } else { d }));
    if let Some(days) = offset {
        return Ok(today + days * 86_400_000);
    }
    match parse_filter(name, value)? {
        (day, true) => Ok(day),
        _ => Err(Error::param(
            name,
            format!("{value:?} is not YYYY-MM-DD or ±Ndays"),
        )),
    }
}

/// `[from, to)` in Unix ms from `StartDate` and `EndDate` (inclusive days), or the
/// defaults given.
pub fn window(
    params: &Params,
    today: i64,
    default_from: i64,
    default_to: i64,
) -> Result<(i64, i64), Error> {
    let from = match params.non_empty("StartDate") {
        Some(v) => parse_day("StartDate", v, today)?,
        None => default_from,
    };
    let to = match params.non_empty("EndDate") {
        Some(v) => next_day(parse_day("EndDate", v, today)?),
        None => default_to,
    };
    Ok((from, to))
}

/// The account and, unless `IncludeSubaccounts=false`, its subaccounts: subaccounts
/// roll up into their parent.
pub fn rolled_up(
    repo: &dyn Repository,
    account: &Account,
    params: &Params,
) -> Result<Vec<AccountSid>, Error> {
    let include =
        !matches!(params.get("IncludeSubaccounts"), Some(v) if v.eq_ignore_ascii_case("false"));
    if !include || account.owner_account_sid.is_some() {
        return Ok(vec![account.sid]);
    }
    let mut sids: Vec<AccountSid> = repo
        .accounts_of(
            account.sid,
            &Page {
                size: 1000,
                after: None,
            },
        )?
        .into_iter()
        .map(|a| a.sid)
        .collect();
    if !sids.contains(&account.sid) {
        sids.push(account.sid);
    }
    Ok(sids)
}

fn month_start(ms: i64) -> i64 {
    let (y, m, _) = ymd(ms);
    day_start(y, m, 1)
}

fn next_month(ms: i64) -> i64 {
    let (y, m, _) = ymd(ms);
    if m == 12 {
        day_start(y + 1, 1, 1)
    } else {
        day_start(y, m + 1, 1)
    }
}

fn next_year(ms: i64) -> i64 {
    day_start(ymd(ms).0 + 1, 1, 1)
}

/// The most records one request returns (Twilio's largest page).
const MAX_RECORDS: usize = 1000;

/// The `[from, to)` of each record of `period`.
fn buckets(period: Period, from: i64, to: i64, today: i64, max: usize) -> Vec<(i64, i64)> {
    let step: fn(i64) -> i64 = match period {
        Period::Whole => return vec![(from, to)],
        Period::Today => return vec![(today, next_day(today))],
        Period::Yesterday => return vec![(today - 86_400_000, today)],
        Period::ThisMonth => return vec![(month_start(today), next_day(today))],
        Period::LastMonth => {
            let this = month_start(today);
            return vec![(month_start(this - 1), this)];
        }
        Period::Daily => next_day,
        Period::Monthly => next_month,
        Period::Yearly => next_year,
    };
    let mut out = Vec::new();
    let mut start = from;
    while start < to && out.len() < max {
        let end = step(start).min(to);
        out.push((start, end));
        start = end;
    }
    out
}

/// `(count, usage)` of `category` in `u`.
fn figures(category: &str, u: &CallUsage) -> (i64, i64) {
    match category {
        "calls" => (
            u.inbound.calls + u.outbound.calls,
            u.inbound.minutes + u.outbound.minutes,
        ),
        "calls-inbound" => (u.inbound.calls, u.inbound.minutes),
        "calls-outbound" => (u.outbound.calls, u.outbound.minutes),
        "tts" => (u.tts_characters, u.tts_characters),
        "recordings" => (u.recordings, u.recording_minutes),
        _ => (0, 0),
    }
}

/// `GET …/Usage/Records.json`.
pub async fn list(
    state: State<ApiState>,
    headers: HeaderMap,
    Path(account): Path<String>,
    query: RawQuery,
) -> Result<Response, Error> {
    records(state, headers, account, None, query).await
}

/// `GET …/Usage/Records/{Subresource}.json`.
pub async fn list_period(
    state: State<ApiState>,
    headers: HeaderMap,
    Path((account, segment)): Path<(String, String)>,
    query: RawQuery,
) -> Result<Response, Error> {
    records(state, headers, account, Some(segment), query).await
}

async fn records(
    State(state): State<ApiState>,
    headers: HeaderMap,
    account: String,
    segment: Option<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    let base = format!("/2010-04-01/Accounts/{}/Usage/Records", account.sid);
    let (period, name) = match &segment {
        None => (Period::Whole, None),
        Some(s) => {
            let (p, n) =
                Period::of_segment(s).ok_or_else(|| Error::NotFound(format!("{base}/{s}")))?;
            (p, Some(n))
        }
    };
    let params = Params::query(query.as_deref())?;
    let categories: Vec<&Category> = match params.non_empty("Category") {
        Some(c) => vec![CATEGORIES.iter().find(|k| k.name == c).ok_or_else(|| {
            let known: Vec<_> = CATEGORIES.iter().map(|k| k.name).collect();
            Error::param("Category", format!("one of {}", known.join(", ")))
        })?],
        None => CATEGORIES.iter().collect(),
    };
    let now = now_ms();
    let today = day_start(ymd(now).0, ymd(now).1, ymd(now).2);
    let created = day_start(
        ymd(account.date_created).0,
        ymd(account.date_created).1,
        ymd(account.date_created).2,
    );
    let (from, to) = window(&params, today, created, next_day(today))?;
    let accounts = rolled_up(state.repo.as_ref(), &account, &params)?;
    let path = match name {
        Some(n) => format!("{base}/{n}.json"),
        None => format!("{base}.json"),
    };
    let mut rows = Vec::new();
    let most = MAX_RECORDS / categories.len();
    for (start, end) in buckets(period, from, to, today, most) {
        let usage = state.repo.call_usage(&accounts, start, end)?;
        for c in &categories {
            rows.push(record(&account, &base, c, &usage, start, end, now));
        }
    }
    let uri = match &query {
        Some(q) if !q.is_empty() => format!("{path}?{q}"),
        _ => path,
    };
    Ok(Json(json!({
        "usage_records": rows,
        "uri": uri,
        "first_page_uri": uri,
        "next_page_uri": null,
        "previous_page_uri": null,
        "page": 0,
        "page_size": rows.len().clamp(50, MAX_RECORDS),
        "start": 0,
        "end": rows.len().saturating_sub(1),
    }))
    .into_response())
}

fn record(
    account: &Account,
    base: &str,
    c: &Category,
    usage: &CallUsage,
    start: i64,
    end: i64,
    now: i64,
) -> Value {
    let (count, used) = figures(c.name, usage);
    let (start_date, end_date) = (iso_day(start), iso_day(end - 1));
    let subresources: serde_json::Map<String, Value> = SUBRESOURCES
        .iter()
        .map(|(key, seg)| {
            (
                (*key).to_owned(),
                json!(format!("{base}/{seg}.json?Category={}", c.name)),
            )
        })
        .collect();
    json!({
        "account_sid": account.sid,
        "api_version": API_VERSION,
        "as_of": iso_time(now),
        "category": c.name,
        "description": c.description,
        "start_date": start_date,
        "end_date": end_date,
        "count": count.to_string(),
        "count_unit": c.count_unit,
        "usage": used.to_string(),
        "usage_unit": c.usage_unit,
        "price": "0.0",
        "price_unit": "usd",
        "uri": format!(
            "{base}.json?Category={}&StartDate={start_date}&EndDate={end_date}",
            c.name
        ),
        "subresource_uris": subresources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    #[test]
    fn relative_and_absolute_days() {
        let today = day_start(2026, 12, 7);
        assert_eq!(
            parse_day("StartDate", "-30days", today).unwrap(),
            today - 30 * DAY
        );
        assert_eq!(parse_day("EndDate", "+1days", today).unwrap(), today + DAY);
        assert_eq!(
            parse_day("StartDate", "2026-11-07", today).unwrap(),
            day_start(2026, 11, 7)
        );
        assert!(parse_day("StartDate", "yesterday", today).is_err());
        assert!(parse_day("StartDate", "2026-11-07T10:00:00Z", today).is_err());
    }

    #[test]
    fn periods_cut_windows_on_utc_calendar_bounds() {
        let today = day_start(2026, 3, 2);
        assert_eq!(
            buckets(Period::Yesterday, 0, 0, today, 1000),
            vec![(day_start(2026, 3, 1), today)]
        );
        assert_eq!(
            buckets(Period::LastMonth, 0, 0, today, 1000),
            vec![(day_start(2026, 2, 1), day_start(2026, 3, 1))]
        );
        assert_eq!(
            buckets(Period::ThisMonth, 0, 0, today, 1000),
            vec![(day_start(2026, 3, 1), today + DAY)]
        );
        let daily = buckets(
            Period::Daily,
            day_start(2026, 2, 27),
            today + DAY,
            today,
            1000,
        );
        assert_eq!(daily.len(), 4, "27, 28 Feb, 1, 2 Mar");
        let monthly = buckets(
            Period::Monthly,
            day_start(2025, 12, 15),
            today + DAY,
            today,
            1000,
        );
        assert_eq!(
            monthly,
            vec![
                (day_start(2025, 12, 15), day_start(2026, 1, 1)),
                (day_start(2026, 1, 1), day_start(2026, 2, 1)),
                (day_start(2026, 2, 1), day_start(2026, 3, 1)),
                (day_start(2026, 3, 1), today + DAY),
            ]
        );
        let yearly = buckets(
            Period::Yearly,
            day_start(2025, 6, 1),
            today + DAY,
            today,
            1000,
        );
        assert_eq!(yearly.len(), 2);
    }

    #[test]
    fn categories_read_their_figures() {
        let mut u = CallUsage::default();
        u.inbound.calls = 2;
        u.inbound.minutes = 3;
        u.outbound.calls = 1;
        u.outbound.minutes = 1;
        u.tts_characters = 40;
        u.recordings = 2;
        u.recording_minutes = 5;
        assert_eq!(figures("calls", &u), (3, 4));
        assert_eq!(figures("calls-inbound", &u), (2, 3));
        assert_eq!(figures("calls-outbound", &u), (1, 1));
        assert_eq!(figures("tts", &u), (40, 40));
        assert_eq!(figures("recordings", &u), (2, 5));
    }
}
