//! formwork's tables on PostgreSQL (feature `postgres`), the store every instance shares. Its
//! `LISTEN/NOTIFY` carries invalidations between them
//! ([`PgInvalidations`](crate::invalidation::postgres::PgInvalidations)).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use formwork::store::postgres::{self, PgStore};
//! use std::time::Duration;
//!
//! let pool = postgres::open("postgres://app@localhost/app", Duration::from_secs(2)).await?;
//! postgres::migrate(&pool).await?;
//! let store = PgStore::new(pool).principals("SELECT id, username AS name, 0 AS rank FROM users")?;
//! # let _ = store; Ok(()) }
//! ```

use super::{sql::Migration, StoreSetupError};
use sqlx::{postgres::PgPoolOptions, PgPool};
use std::time::Duration;

/// formwork's migrations for PostgreSQL, oldest first.
const MIGRATIONS: &[Migration] = &[(
    1,
    "framework_tables",
    include_str!("../../migrations/postgres/0001_framework_tables.sql"),
)];

/// Connects to the database `url` names (it must exist). A query waits at most
/// `acquire_timeout` for a connection; past it, it fails (and actions answer 503).
pub async fn open(url: &str, acquire_timeout: Duration) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(acquire_timeout)
        .connect(url)
        .await
}

/// Brings formwork's tables in `pool` up to date; returns how many migrations it applied.
/// The builder calls it at start-up; an operator who migrates separately calls it instead.
pub async fn migrate(pool: &PgPool) -> Result<usize, StoreSetupError> {
    // Instances starting together queue on one advisory lock, formwork's own key.
    apply_migrations(
        pool,
        "BEGIN",
        "SELECT pg_advisory_xact_lock(7021712871)",
        MIGRATIONS,
    )
    .await
}

/// An app's writes, as SQLite's [`Writer`](super::sqlite::Writer) takes them, so that one
/// store's code serves both backends. PostgreSQL takes many writers at once: each work runs in
/// a transaction of its own, on a connection of its own.
#[derive(Clone)]
pub struct Writer {
    pool: PgPool,
}

impl Writer {
    /// The writer of the database `pool` connects to.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Runs `work` in a transaction, and answers once it is committed. The work's statements
    /// are committed together, or not at all: when it returns an error, what it wrote is
    /// rolled back.
    pub async fn write<T, F>(&self, work: F) -> Result<T, sqlx::Error>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(
                &'c mut sqlx::PgConnection,
            ) -> futures::future::BoxFuture<'c, Result<T, sqlx::Error>>
            + Send
            + 'static,
    {
        let mut transaction = self.pool.begin().await?;
        let value = work(&mut transaction).await?;
        transaction.commit().await?;
        Ok(value)
    }
}

// Each batch's rows are a JSON array, sent as text.
super::sql::framework_queries!(
    PgStore,
    "PostgreSQL",
    sqlx::Postgres,
    "FOR UPDATE SKIP LOCKED",
    writer: Writer,
    batches_in_writer: false,
    claims: "INSERT INTO formwork_submissions (token, expires_at) \
             SELECT item ->> 0, (item ->> 1)::bigint \
             FROM jsonb_array_elements(CAST($1 AS TEXT)::jsonb) AS item \
             ON CONFLICT (token) DO UPDATE SET expires_at = excluded.expires_at, outcome = NULL \
             WHERE formwork_submissions.expires_at < $2 RETURNING token",
    outcomes: "UPDATE formwork_submissions SET outcome = item ->> 1 \
               FROM jsonb_array_elements(CAST($1 AS TEXT)::jsonb) AS item \
               WHERE formwork_submissions.token = item ->> 0",
    flashes: "INSERT INTO formwork_flashes (id, payload, expires_at) \
              SELECT item ->> 0, item ->> 1, (item ->> 2)::bigint \
              FROM jsonb_array_elements(CAST($1 AS TEXT)::jsonb) AS item",
);
