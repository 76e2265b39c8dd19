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

super::sql::framework_queries!(
    PgStore,
    "PostgreSQL",
    sqlx::Postgres,
    "FOR UPDATE SKIP LOCKED",
    writer: Writer,
);

// Each batch's rows are a JSON array, sent as text.
const CLAIMS: &str = "INSERT INTO formwork_submissions (token, expires_at) \
     SELECT item ->> 0, (item ->> 1)::bigint \
     FROM jsonb_array_elements(CAST($1 AS TEXT)::jsonb) AS item \
     ON CONFLICT (token) DO UPDATE SET expires_at = excluded.expires_at, outcome = NULL \
     WHERE formwork_submissions.expires_at < $2 RETURNING token";
const OUTCOMES: &str = "UPDATE formwork_submissions SET outcome = item ->> 1 \
     FROM jsonb_array_elements(CAST($1 AS TEXT)::jsonb) AS item \
     WHERE formwork_submissions.token = item ->> 0";
const FLASHES: &str = "INSERT INTO formwork_flashes (id, payload, expires_at) \
     SELECT item ->> 0, item ->> 1, (item ->> 2)::bigint \
     FROM jsonb_array_elements(CAST($1 AS TEXT)::jsonb) AS item";

/// A store's batches, on PostgreSQL: one connection of the pool for the whole batch (one
/// checkout, one check-in), each statement committed alone. PostgreSQL takes many writers at
/// once: a batch does not wait for the app's writes.
struct Batches {
    pool: PgPool,
}

/// A store's form-post writes on PostgreSQL: in batches ([`Batches`]).
fn start_form_writes(pool: &PgPool, _writer: &Writer) -> Box<dyn super::sql::FormWrites> {
    Box::new(super::batch::Writer::start(Batches { pool: pool.clone() }))
}

#[async_trait::async_trait]
impl super::batch::Statements for Batches {
    async fn apply(&self, rows: super::batch::Rows) -> super::batch::Applied {
        match self.pool.acquire().await {
            Ok(mut connection) => write(&mut connection, rows).await,
            Err(error) => super::batch::Applied::failed(
                rows.claims.iter().map(|(now, _)| *now),
                super::sql::failure(&error),
            ),
        }
    }
}

/// One batch's statements on `connection`; each part answers for itself.
async fn write(
    connection: &mut sqlx::PgConnection,
    rows: super::batch::Rows,
) -> super::batch::Applied {
    let failed = |error: sqlx::Error| super::sql::failure(&error);
    let mut claims = std::collections::HashMap::new();
    for (now, claimed) in rows.claims {
        let claimed = sqlx::query_scalar::<_, String>(CLAIMS)
            .bind(claimed)
            .bind(now)
            .fetch_all(&mut *connection)
            .await
            .map_err(failed);
        claims.insert(now, claimed);
    }
    let mut write = async |statement: &'static str, rows: Option<String>| match rows {
        None => Ok(()),
        Some(rows) => sqlx::query(statement)
            .bind(rows)
            .execute(&mut *connection)
            .await
            .map(drop)
            .map_err(failed),
    };
    let outcomes = write(OUTCOMES, rows.outcomes).await;
    let flashes = write(FLASHES, rows.flashes).await;
    super::batch::Applied {
        claims,
        outcomes,
        flashes,
    }
}

/// A sweep (`statement`, of the time `now`): one statement, committed alone.
async fn sweep(writer: &Writer, statement: &'static str, now: i64) -> Result<(), String> {
    sqlx::query(statement)
        .bind(now)
        .execute(&writer.pool)
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}
