//! The single writer thread: batches what arrives together into one transaction.

use std::sync::mpsc;

use rusqlite::{params, Connection};

use crate::records::{CallRecord, NotificationRecord};

pub(crate) enum Write {
    Call(CallRecord),
    Notification(NotificationRecord),
    Flush(mpsc::Sender<()>),
}

pub(crate) fn spawn(mut conn: Connection) -> mpsc::Sender<Write> {
    let (tx, rx) = mpsc::channel::<Write>();
    std::thread::Builder::new()
        .name("store-writer".into())
        .spawn(move || {
            while let Ok(first) = rx.recv() {
                let mut batch = vec![first];
                batch.extend(rx.try_iter().take(1023));
                if let Err(e) = write_batch(&mut conn, &mut batch) {
                    tracing::error!(error = %e, "store write failed");
                }
                for w in batch {
                    if let Write::Flush(done) = w {
                        let _ = done.send(());
                    }
                }
            }
        })
        .expect("spawning the store writer thread");
    tx
}

fn write_batch(conn: &mut Connection, batch: &mut [Write]) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    for w in batch.iter() {
        match w {
            Write::Call(c) => {
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO calls (sid, account_sid, from_number, to_number, \
                     status, direction, date_created, start_time, end_time, duration) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )?
                .execute(params![
                    c.sid.to_string(),
                    c.account_sid.to_string(),
                    c.from,
                    c.to,
                    c.status.as_str(),
                    c.direction,
                    c.date_created,
                    c.start_time,
                    c.end_time,
                    c.duration,
                ])?;
            }
            Write::Notification(n) => {
                tx.prepare_cached(
                    "INSERT INTO notifications (sid, account_sid, call_sid, error_code, log, \
                     message_text, request_url, date_created) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?
                .execute(params![
                    n.sid.to_string(),
                    n.account_sid.to_string(),
                    n.call_sid.map(|c| c.to_string()),
                    n.error_code,
                    n.log,
                    n.message_text,
                    n.request_url,
                    n.date_created,
                ])?;
            }
            Write::Flush(_) => {}
        }
    }
    tx.commit()
}
