//! formwork's tables on SQLite (feature `sqlite`): one file, WAL, foreign keys on, a busy
//! timeout.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use formwork::store::sqlite::{self, SqliteStore};
//! use std::time::Duration;
//!
//! let pool = sqlite::open("sqlite:app.db", Duration::from_secs(2)).await?;
//! // Once per start (or from your deploy, before the new version starts).
//! sqlite::migrate(&pool).await?;
//! let store = SqliteStore::new(pool).principals("SELECT id, username AS name, 0 AS rank FROM users")?;
//! # let _ = store; Ok(()) }
//! ```

use super::{sql::Migration, StoreSetupError};
use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    SqlitePool,
};
use std::{str::FromStr, time::Duration};

/// formwork's migrations for SQLite, oldest first.
const MIGRATIONS: &[Migration] = &[(
    1,
    "framework_tables",
    include_str!("../../migrations/sqlite/0001_framework_tables.sql"),
)];

/// Opens (creating if needed) the database file `url` names, as formwork's stores expect it:
/// WAL, `synchronous = NORMAL`, foreign keys on. A query waits at most `acquire_timeout` for a
/// connection or for the write lock; past it, it fails (and actions answer 503).
pub async fn open(url: &str, acquire_timeout: Duration) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(acquire_timeout);
    SqlitePoolOptions::new()
        .max_connections(8)
        .acquire_timeout(acquire_timeout)
        .connect_with(options)
        .await
}

/// Brings formwork's tables in `pool` up to date; returns how many migrations it applied.
/// The builder calls it at start-up; an operator who migrates separately calls it instead.
pub async fn migrate(pool: &SqlitePool) -> Result<usize, StoreSetupError> {
    // An immediate transaction takes the write lock first: a second process migrating at the
    // same moment waits, then finds everything applied.
    apply_migrations(pool, "BEGIN IMMEDIATE", "", MIGRATIONS).await
}

super::sql::framework_queries!(SqliteStore, "SQLite", sqlx::Sqlite, "");
