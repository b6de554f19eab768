//! The `sip_bindings` table: the registrar's contact bindings, so registered phones stay
//! reachable across a restart. One address-of-record's bindings are replaced together.

use rusqlite::{params, Connection, Row};
use switchyard_types::AccountSid;

use crate::query::parsed;
use crate::{Error, Store};

/// One contact bound to an identity of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingRecord {
    /// The Contact URI.
    pub contact: String,
    /// The address the REGISTER came from (`ip:port`).
    pub source: String,
    /// `UDP`, `TCP` or `TLS`.
    pub transport: String,
    /// Unix seconds when it lapses.
    pub expires_at: i64,
    pub call_id: String,
    pub cseq: u32,
    /// `Path` values in order.
    pub path: Vec<String>,
    pub user_agent: Option<String>,
}

/// Every binding of one identity; an empty list removes them all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingSet {
    pub account_sid: AccountSid,
    pub identity: String,
    pub bindings: Vec<BindingRecord>,
}

const SELECT: &str = "SELECT account_sid, identity, contact, source, transport, expires_at, \
     call_id, cseq, path, user_agent FROM sip_bindings";

pub(crate) fn replace(conn: &Connection, set: &BindingSet) -> rusqlite::Result<usize> {
    let account = set.account_sid.to_string();
    let mut n = conn
        .prepare_cached("DELETE FROM sip_bindings WHERE account_sid = ?1 AND identity = ?2")?
        .execute(params![account, set.identity])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO sip_bindings (account_sid, identity, contact, source, transport, \
         expires_at, call_id, cseq, path, user_agent) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for b in &set.bindings {
        n += insert.execute(params![
            account,
            set.identity,
            b.contact,
            b.source,
            b.transport,
            b.expires_at,
            b.call_id,
            b.cseq,
            serde_json::to_string(&b.path).unwrap_or_else(|_| "[]".into()),
            b.user_agent,
        ])?;
    }
    Ok(n)
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<(AccountSid, String, BindingRecord)> {
    let path: String = row.get(8)?;
    let path = serde_json::from_str(&path).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(8, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok((
        parsed(row, 0)?,
        row.get(1)?,
        BindingRecord {
            contact: row.get(2)?,
            source: row.get(3)?,
            transport: row.get(4)?,
            expires_at: row.get(5)?,
            call_id: row.get(6)?,
            cseq: row.get(7)?,
            path,
            user_agent: row.get(9)?,
        },
    ))
}

impl Store {
    /// Replace an identity's bindings in the background (the registrar does not wait
    /// for the disk); returns at once.
    pub fn put_bindings(&self, set: BindingSet) {
        self.send(crate::writer::Write::Bindings(Box::new(set)));
    }

    /// Every binding that has not lapsed at `now` (Unix seconds), grouped by identity.
    pub fn live_bindings(&self, now: i64) -> Result<Vec<BindingSet>, Error> {
        let rows = self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "{SELECT} WHERE expires_at > ?1 ORDER BY account_sid, identity"
            ))?;
            let rows = stmt.query_map([now], from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })?;
        let mut sets: Vec<BindingSet> = Vec::new();
        for (account_sid, identity, b) in rows {
            match sets.last_mut() {
                Some(s) if s.account_sid == account_sid && s.identity == identity => {
                    s.bindings.push(b)
                }
                _ => sets.push(BindingSet {
                    account_sid,
                    identity,
                    bindings: vec![b],
                }),
            }
        }
        Ok(sets)
    }
}
