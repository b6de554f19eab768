//! Building blocks shared by the tables' queries: keyset-paged listings and typed columns.

use std::str::FromStr;

use rusqlite::types::{Type, Value};
use rusqlite::{Connection, Row};

use crate::repository::Page;

/// A listing query assembled from optional filters, with `?` placeholders bound in order.
#[derive(Debug)]
pub(crate) struct Listing {
    pub(crate) sql: String,
    pub(crate) args: Vec<Value>,
}

impl Listing {
    /// `select` (a `SELECT … FROM table`) restricted by `first` (a condition with one `?`).
    pub(crate) fn new(select: &str, first: &str, value: impl Into<Value>) -> Self {
        Self {
            sql: format!("{select} WHERE {first}"),
            args: vec![value.into()],
        }
    }

    /// Add `AND condition`, whose single `?` takes `value`.
    pub(crate) fn and(&mut self, condition: &str, value: impl Into<Value>) {
        self.sql.push_str(" AND ");
        self.sql.push_str(condition);
        self.args.push(value.into());
    }

    /// Finish as a newest-first keyset page. The row-value comparison on the same columns
    /// as the ORDER BY (and as the indexes' tails) lets SQLite seek straight to the page,
    /// and `sid` breaks ties so records created in the same millisecond are neither
    /// skipped nor repeated across pages.
    pub(crate) fn newest_first(self, page: &Page) -> Self {
        self.keyset(page, "<", "DESC")
    }

    /// Finish as an oldest-first keyset page.
    pub(crate) fn oldest_first(self, page: &Page) -> Self {
        self.keyset(page, ">", "ASC")
    }

    fn keyset(mut self, page: &Page, cmp: &str, dir: &str) -> Self {
        if let Some((created, sid)) = &page.after {
            self.sql
                .push_str(&format!(" AND (date_created, sid) {cmp} (?, ?)"));
            self.args.push(Value::Integer(*created));
            self.args.push(Value::Text(sid.clone()));
        }
        self.sql
            .push_str(&format!(" ORDER BY date_created {dir}, sid {dir} LIMIT ?"));
        self.args.push(Value::Integer(i64::from(page.size)));
        self
    }

    /// Run it, mapping each row with `map`.
    pub(crate) fn run<T>(
        &self,
        conn: &Connection,
        map: fn(&Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<Vec<T>> {
        let mut stmt = conn.prepare_cached(&self.sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(self.args.iter()), map)?;
        rows.collect()
    }
}

/// Column `i` parsed with `FromStr` (typed SIDs, enums stored as text).
pub(crate) fn parsed<T: FromStr>(row: &Row<'_>, i: usize) -> rusqlite::Result<T> {
    let text: String = row.get(i)?;
    text.parse().map_err(|_| invalid(i, &text))
}

/// A nullable column parsed with `FromStr`.
pub(crate) fn parsed_opt<T: FromStr>(row: &Row<'_>, i: usize) -> rusqlite::Result<Option<T>> {
    let text: Option<String> = row.get(i)?;
    text.map(|t| t.parse().map_err(|_| invalid(i, &t)))
        .transpose()
}

/// The error for a stored value that does not parse back; a corrupt row fails loudly
/// rather than turning into a default that would be written back later.
pub(crate) fn invalid(i: usize, text: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        i,
        Type::Text,
        format!("invalid stored value {text:?}").into(),
    )
}
