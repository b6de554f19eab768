/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// SQLite refused a statement or the file is unreadable.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The data directory could not be created.
    #[error("data directory: {0}")]
    Io(String),
    /// The file was migrated by a newer build; opening it could lose data.
    #[error(
        "the database was written by a newer Switchyard (schema {found}, this build knows {known})"
    )]
    SchemaTooNew { found: i64, known: i64 },
    /// A stored value does not parse back into its type.
    #[error("stored value {value:?} in column {column} is not valid")]
    Corrupt { column: &'static str, value: String },
    /// A unique value is already taken: a phone number held by another account or
    /// number, or a SID that already exists.
    #[error("{what} {value} is already in use")]
    Conflict { what: &'static str, value: String },
    /// The record to update does not exist.
    #[error("{what} {sid} does not exist")]
    NotFound { what: &'static str, sid: String },
    /// A session value would take its conversation past its quota; nothing was written.
    #[error(
        "the conversation would hold {keys} keys of {bytes} bytes; its quota is {max_keys} keys \
         and {max_bytes} bytes"
    )]
    SessionQuota {
        /// Keys the conversation would hold with the value.
        keys: u64,
        /// Bytes of keys and values it would hold.
        bytes: u64,
        max_keys: u64,
        max_bytes: u64,
    },
    /// The writer thread could not commit (or is gone), so the write is not durable.
    #[error("the store's writer failed: {0}")]
    Writer(String),
}
