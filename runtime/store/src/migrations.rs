//! Versioned schema migrations, applied in order at open; `PRAGMA user_version` holds the
//! version reached. Append only: a released migration is never edited.

use rusqlite::Connection;

use crate::Error;

const MIGRATIONS: &[&str] = &[
    // 1: call records and notifications.
    "CREATE TABLE calls (
        sid TEXT PRIMARY KEY,
        account_sid TEXT NOT NULL,
        from_number TEXT NOT NULL,
        to_number TEXT NOT NULL,
        status TEXT NOT NULL,
        direction TEXT NOT NULL,
        date_created INTEGER NOT NULL,
        start_time INTEGER,
        end_time INTEGER,
        duration INTEGER
    );
    CREATE INDEX calls_by_account ON calls (account_sid, date_created DESC);
    CREATE TABLE notifications (
        sid TEXT PRIMARY KEY,
        account_sid TEXT NOT NULL,
        call_sid TEXT,
        error_code INTEGER NOT NULL,
        log INTEGER NOT NULL,
        message_text TEXT NOT NULL,
        request_url TEXT,
        date_created INTEGER NOT NULL
    );
    CREATE INDEX notifications_by_account ON notifications (account_sid, date_created DESC);",
];

pub(crate) fn apply(conn: &mut Connection) -> Result<(), Error> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(Error::SchemaTooNew {
            found: version,
            known,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
