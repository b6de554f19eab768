//! The `recordings` table: Twilio's Recording resource (the metadata; the media lives
//! behind the media crate's `RecordingStorage`), upsert, row mapping and the filtered
//! listing.

use rusqlite::{params, Connection, Row};
use switchyard_types::{
    AccountSid, CallSid, ConferenceSid, RecordingSid, RecordingSource, RecordingStatus,
    RecordingTrack,
};

use crate::query::{parsed, parsed_opt, Listing};
use crate::repository::Page;

/// One recording, as Twilio's Recording resource describes it. Times are Unix
/// milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingRecord {
    pub sid: RecordingSid,
    pub account_sid: AccountSid,
    /// The call recorded (the parent leg of a two-leg call).
    pub call_sid: Option<CallSid>,
    /// The conference recorded.
    pub conference_sid: Option<ConferenceSid>,
    pub status: RecordingStatus,
    pub source: RecordingSource,
    /// 1, or 2 for a `-dual` recording (each party on its own channel).
    pub channels: u8,
    pub track: RecordingTrack,
    /// Whole seconds of audio; `None` until it is finished.
    pub duration_secs: Option<u64>,
    pub start_time: i64,
    pub date_created: i64,
    pub date_updated: i64,
    /// Why it is `absent` or `failed` (Twilio's error code).
    pub error_code: Option<u32>,
}

impl RecordingRecord {
    /// A recording `in-progress` from `now` (Unix ms), under a new sid.
    pub fn started(
        account_sid: AccountSid,
        call_sid: Option<CallSid>,
        source: RecordingSource,
        channels: u8,
        track: RecordingTrack,
        now: i64,
    ) -> Self {
        Self {
            sid: RecordingSid::random(),
            account_sid,
            call_sid,
            conference_sid: None,
            status: RecordingStatus::InProgress,
            source,
            channels,
            track,
            duration_secs: None,
            start_time: now,
            date_created: now,
            date_updated: now,
            error_code: None,
        }
    }
}

/// Filters of `GET …/Recordings.json` (Twilio's `CallSid`, `ConferenceSid`,
/// `DateCreated`, `DateCreated<`, `DateCreated>`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordingFilter {
    pub call_sid: Option<CallSid>,
    pub conference_sid: Option<ConferenceSid>,
    /// date_created >= this.
    pub created_after: Option<i64>,
    /// date_created < this.
    pub created_before: Option<i64>,
}

pub(crate) const SELECT: &str = "SELECT sid, account_sid, call_sid, conference_sid, status, \
     source, channels, track, duration, start_time, date_created, date_updated, error_code \
     FROM recordings";

/// Insert the recording or replace every field of the stored one.
pub(crate) fn upsert(conn: &Connection, r: &RecordingRecord) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO recordings (sid, account_sid, call_sid, conference_sid, \
         status, source, channels, track, duration, start_time, date_created, date_updated, \
         error_code) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        r.sid.to_string(),
        r.account_sid.to_string(),
        r.call_sid.map(|s| s.to_string()),
        r.conference_sid.map(|s| s.to_string()),
        r.status.as_str(),
        r.source.as_str(),
        r.channels,
        r.track.as_str(),
        r.duration_secs.map(|d| d as i64),
        r.start_time,
        r.date_created,
        r.date_updated,
        r.error_code,
    ])
}

pub(crate) fn delete(
    conn: &Connection,
    account: AccountSid,
    sid: RecordingSid,
) -> rusqlite::Result<usize> {
    conn.prepare_cached("DELETE FROM recordings WHERE account_sid = ?1 AND sid = ?2")?
        .execute(params![account.to_string(), sid.to_string()])
}

/// The statuses of a recording something is still writing (or was, when its process
/// died). Spelled out in the partial index `recordings_live` and the query below alike.
pub(crate) const UNFINISHED: &str = "status IN ('in-progress', 'paused', 'stopped', 'processing')";

pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<RecordingRecord> {
    let duration: Option<i64> = row.get(8)?;
    Ok(RecordingRecord {
        sid: parsed(row, 0)?,
        account_sid: parsed(row, 1)?,
        call_sid: parsed_opt(row, 2)?,
        conference_sid: parsed_opt(row, 3)?,
        status: parsed(row, 4)?,
        source: parsed(row, 5)?,
        channels: row.get(6)?,
        track: parsed(row, 7)?,
        duration_secs: duration.map(|d| d as u64),
        start_time: row.get(9)?,
        date_created: row.get(10)?,
        date_updated: row.get(11)?,
        error_code: row.get(12)?,
    })
}

/// One page of an account's recordings, newest first. The call and conference filters
/// have indexes `(account_sid, column, date_created DESC, sid DESC)`, so the page is a
/// range scan.
pub(crate) fn listing(account: AccountSid, filter: &RecordingFilter, page: &Page) -> Listing {
    let mut q = Listing::new(SELECT, "account_sid = ?", account.to_string());
    if let Some(call) = filter.call_sid {
        q.and("call_sid = ?", call.to_string());
    }
    if let Some(conference) = filter.conference_sid {
        q.and("conference_sid = ?", conference.to_string());
    }
    if let Some(t) = filter.created_after {
        q.and("date_created >= ?", t);
    }
    if let Some(t) = filter.created_before {
        q.and("date_created < ?", t);
    }
    q.newest_first(page)
}
