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
///
/// Two things keep a write's cost to its own statements (measured with `bench/run.sh`):
/// - a connection is not pinged before each use (a file does not drop a connection the way a
///   network does; a broken one still fails its query, and the pool replaces it);
/// - the WAL is checkpointed every [`WAL_PAGES_BEFORE_CHECKPOINT`] pages, not SQLite's
///   default 1,000: a page written many times between two checkpoints is copied back once.
///   The checkpoint stays SQLite's own (run by the write that crosses the mark, without
///   holding up the other writers), so the WAL starts afresh after it under a steady load.
pub async fn open(url: &str, acquire_timeout: Duration) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(acquire_timeout)
        .pragma(
            "wal_autocheckpoint",
            WAL_PAGES_BEFORE_CHECKPOINT.to_string(),
        );
    SqlitePoolOptions::new()
        .max_connections(8)
        .acquire_timeout(acquire_timeout)
        .test_before_acquire(false)
        .connect_with(options)
        .await
}

/// How many pages the WAL holds before a write checkpoints it (about 40 MB of 4 KiB pages).
pub const WAL_PAGES_BEFORE_CHECKPOINT: u32 = 10_000;

/// Brings formwork's tables in `pool` up to date; returns how many migrations it applied.
/// The builder calls it at start-up; an operator who migrates separately calls it instead.
pub async fn migrate(pool: &SqlitePool) -> Result<usize, StoreSetupError> {
    // An immediate transaction takes the write lock first: a second process migrating at the
    // same moment waits, then finds everything applied.
    apply_migrations(pool, "BEGIN IMMEDIATE", "", MIGRATIONS).await
}

// Each batch's rows are a JSON array (`json_each`); `WHERE true` tells SQLite's parser that
// the `ON CONFLICT` is the upsert's.
super::sql::framework_queries!(
    SqliteStore,
    "SQLite",
    sqlx::Sqlite,
    "",
    claims: "INSERT INTO formwork_submissions (token, expires_at) \
             SELECT value ->> 0, value ->> 1 FROM json_each($1) WHERE true \
             ON CONFLICT (token) DO UPDATE SET expires_at = excluded.expires_at, outcome = NULL \
             WHERE formwork_submissions.expires_at < $2 RETURNING token",
    outcomes: "UPDATE formwork_submissions SET outcome = item.value ->> 1 \
               FROM json_each($1) AS item WHERE formwork_submissions.token = item.value ->> 0",
    flashes: "INSERT INTO formwork_flashes (id, payload, expires_at) \
              SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each($1)",
);
