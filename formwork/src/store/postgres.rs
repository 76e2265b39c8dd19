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

/// formwork's flashes, submissions, sessions and jobs in a PostgreSQL database.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    session_lookup: Option<String>,
}

impl PgStore {
    /// The store on `pool`, whose formwork tables are migrated ([`migrate`]). Nobody can sign
    /// in until [`principals`](Self::principals) says who the users are.
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            session_lookup: None,
        }
    }

    /// Who a session names: one `SELECT` from the app's own tables of the columns `id` (the
    /// id sessions are started for), `name` and `rank` (an integer 0–255, see
    /// [`Rank`](crate::identity::Rank)). The session lookup joins it: one query per
    /// signed-in request.
    pub fn principals(mut self, query: &str) -> Result<Self, StoreSetupError> {
        self.session_lookup = Some(super::sql::session_lookup(query)?);
        Ok(self)
    }

    /// The pool it queries.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

super::sql::framework_queries!(PgStore, sqlx::Postgres, "FOR UPDATE SKIP LOCKED");
