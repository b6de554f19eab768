//! The `phone_numbers` table: incoming numbers, each held by one account.

use rusqlite::{params, Connection, OptionalExtension, Row};
use switchyard_types::AccountSid;

use crate::query::{parsed, parsed_opt, Listing};
use crate::records::PhoneNumber;
use crate::repository::{NumberFilter, Page};
use crate::Error;

pub(crate) const SELECT: &str = "SELECT sid, account_sid, phone_number, friendly_name, \
     voice_url, voice_method, voice_fallback_url, voice_fallback_method, status_callback, \
     status_callback_method, status_callback_event, voice_application_sid, voice_wasm_app, \
     date_created, date_updated, voice_transcoder FROM phone_numbers";

/// Insert or replace a number. Runs on the writer connection, so the ownership checks and
/// the write cannot interleave with another writer's.
pub(crate) fn put(conn: &Connection, n: &PhoneNumber) -> Result<usize, Error> {
    let account = n.account_sid.to_string();
    let sid = n.sid.to_string();
    // The same SID under another account is not this account's to replace.
    let sid_owner: Option<String> = conn
        .prepare_cached("SELECT account_sid FROM phone_numbers WHERE sid = ?1")?
        .query_row([&sid], |r| r.get(0))
        .optional()?;
    if sid_owner.is_some_and(|o| o != account) {
        return Err(Error::Conflict {
            what: "phone number sid",
            value: sid,
        });
    }
    // A number routes to exactly one application, so another record holding the same
    // E.164 number (of any account) makes this one a conflict rather than a takeover.
    let holder: Option<String> = conn
        .prepare_cached("SELECT sid FROM phone_numbers WHERE phone_number = ?1")?
        .query_row([&n.phone_number], |r| r.get(0))
        .optional()?;
    if holder.is_some_and(|h| h != sid) {
        return Err(Error::Conflict {
            what: "phone number",
            value: n.phone_number.clone(),
        });
    }
    // An upsert on the SID (not INSERT OR REPLACE, which would silently delete whichever
    // row a UNIQUE column collided with).
    Ok(conn
        .prepare_cached(
            "INSERT INTO phone_numbers (sid, account_sid, phone_number, friendly_name, \
             voice_url, voice_method, voice_fallback_url, voice_fallback_method, \
             status_callback, status_callback_method, status_callback_event, \
             voice_application_sid, voice_wasm_app, date_created, date_updated, \
             voice_transcoder) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) \
             ON CONFLICT (sid) DO UPDATE SET phone_number = excluded.phone_number, \
             friendly_name = excluded.friendly_name, voice_url = excluded.voice_url, \
             voice_method = excluded.voice_method, \
             voice_fallback_url = excluded.voice_fallback_url, \
             voice_fallback_method = excluded.voice_fallback_method, \
             status_callback = excluded.status_callback, \
             status_callback_method = excluded.status_callback_method, \
             status_callback_event = excluded.status_callback_event, \
             voice_application_sid = excluded.voice_application_sid, \
             voice_wasm_app = excluded.voice_wasm_app, \
             date_created = excluded.date_created, date_updated = excluded.date_updated, \
             voice_transcoder = excluded.voice_transcoder",
        )?
        .execute(params![
            sid,
            account,
            n.phone_number,
            n.friendly_name,
            n.voice_url,
            n.voice_method,
            n.voice_fallback_url,
            n.voice_fallback_method,
            n.status_callback,
            n.status_callback_method,
            // Event names never contain spaces, so one space-separated column suffices.
            n.status_callback_event.join(" "),
            n.voice_application_sid.map(|s| s.to_string()),
            n.voice_wasm_app,
            n.date_created,
            n.date_updated,
            n.voice_transcoder,
        ])?)
}

pub(crate) fn delete(conn: &Connection, account: AccountSid, sid: &str) -> Result<usize, Error> {
    Ok(conn
        .prepare_cached("DELETE FROM phone_numbers WHERE account_sid = ?1 AND sid = ?2")?
        .execute(params![account.to_string(), sid])?)
}

pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<PhoneNumber> {
    let events: String = row.get(10)?;
    Ok(PhoneNumber {
        sid: parsed(row, 0)?,
        account_sid: parsed(row, 1)?,
        phone_number: row.get(2)?,
        friendly_name: row.get(3)?,
        voice_url: row.get(4)?,
        voice_method: row.get(5)?,
        voice_fallback_url: row.get(6)?,
        voice_fallback_method: row.get(7)?,
        status_callback: row.get(8)?,
        status_callback_method: row.get(9)?,
        status_callback_event: events.split_whitespace().map(str::to_owned).collect(),
        voice_application_sid: parsed_opt(row, 11)?,
        voice_wasm_app: row.get(12)?,
        date_created: row.get(13)?,
        date_updated: row.get(14)?,
        voice_transcoder: row.get(15)?,
    })
}

/// One page of an account's numbers, newest first. `phone_number` matches part of the
/// number with `*` standing for any one digit (Twilio's `PhoneNumber` filter);
/// `friendly_name` matches exactly.
pub(crate) fn listing(account: AccountSid, filter: &NumberFilter, page: &Page) -> Listing {
    let mut q = Listing::new(SELECT, "account_sid = ?", account.to_string());
    if let Some(pattern) = &filter.phone_number {
        q.and("phone_number LIKE ? ESCAPE '\\'", like_pattern(pattern));
    }
    if let Some(name) = &filter.friendly_name {
        q.and("friendly_name = ?", name.clone());
    }
    q.newest_first(page)
}

/// `*` becomes LIKE's one-character `_`; LIKE's own wildcards in the input match literally.
fn like_pattern(pattern: &str) -> String {
    let mut out = String::from("%");
    for c in pattern.chars() {
        match c {
            '*' => out.push('_'),
            '%' | '_' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('%');
    out
}
