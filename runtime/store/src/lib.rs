//! Embedded SQLite store for call records and notifications
