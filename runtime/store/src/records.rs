//! The stored records and their row mapping.

use rusqlite::Row;
use switchyard_types::{AccountSid, CallSid, CallStatus, NotificationSid};

/// One call, as Twilio's Call resource describes it. Times are Unix milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    pub sid: CallSid,
    pub account_sid: AccountSid,
    pub from: String,
    pub to: String,
    pub status: CallStatus,
    /// `inbound` or `outbound-api`.
    pub direction: String,
    pub date_created: i64,
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    /// Seconds.
    pub duration: Option<i64>,
}

/// One notification (an application error or warning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRecord {
    pub sid: NotificationSid,
    pub account_sid: AccountSid,
    pub call_sid: Option<CallSid>,
    /// Twilio's error code (12100, 11200, …).
    pub error_code: u32,
    /// 0 = error, 1 = warning (Twilio's `log` field).
    pub log: u8,
    pub message_text: String,
    pub request_url: Option<String>,
    pub date_created: i64,
}

pub(crate) const CALL_SELECT: &str = "SELECT sid, account_sid, from_number, to_number, status, \
     direction, date_created, start_time, end_time, duration FROM calls";

pub(crate) const NOTIFICATION_SELECT: &str = "SELECT sid, account_sid, call_sid, error_code, log, \
     message_text, request_url, date_created FROM notifications";

fn parsed<T: std::str::FromStr>(row: &Row<'_>, i: usize) -> rusqlite::Result<T> {
    let text: String = row.get(i)?;
    text.parse().map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("invalid identifier {text:?}").into(),
        )
    })
}

fn status(row: &Row<'_>, i: usize) -> rusqlite::Result<CallStatus> {
    let text: String = row.get(i)?;
    serde_status(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("invalid call status {text:?}").into(),
        )
    })
}

fn serde_status(text: &str) -> Option<CallStatus> {
    use CallStatus::*;
    [
        Queued, Ringing, InProgress, Completed, Busy, Failed, NoAnswer, Canceled,
    ]
    .into_iter()
    .find(|s| s.as_str() == text)
}

pub(crate) fn call_from_row(row: &Row<'_>) -> rusqlite::Result<CallRecord> {
    Ok(CallRecord {
        sid: parsed(row, 0)?,
        account_sid: parsed(row, 1)?,
        from: row.get(2)?,
        to: row.get(3)?,
        status: status(row, 4)?,
        direction: row.get(5)?,
        date_created: row.get(6)?,
        start_time: row.get(7)?,
        end_time: row.get(8)?,
        duration: row.get(9)?,
    })
}

pub(crate) fn notification_from_row(row: &Row<'_>) -> rusqlite::Result<NotificationRecord> {
    let call: Option<String> = row.get(2)?;
    Ok(NotificationRecord {
        sid: parsed(row, 0)?,
        account_sid: parsed(row, 1)?,
        call_sid: call.and_then(|c| c.parse().ok()),
        error_code: row.get(3)?,
        log: row.get(4)?,
        message_text: row.get(5)?,
        request_url: row.get(6)?,
        date_created: row.get(7)?,
    })
}
