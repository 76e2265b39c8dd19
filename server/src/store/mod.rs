//! Storage backends. The scheme of `DATABASE_URL` picks one; both implement the app's
//! `Store` and pass the same conformance suite (`tests/conformance.rs`).
//!
//! Each backend has its own migrations (`migrations/sqlite`, `migrations/postgres`), applied at
//! start-up after formwork's (its flashes, submissions, sessions and jobs: `formwork::store`);
//! the queries are written once for both ([`sql`], one file per resource). Rows decode into
//! typed structs.

pub mod postgres;
mod sql;
pub mod sqlite;

use app::store::{Store, StoreError};
use formwork::store::Stores as FrameworkStores;
use std::{sync::Arc, time::Duration};
use time::OffsetDateTime;

/// One database, seen through the traits that use it.
#[derive(Clone)]
pub struct Stores {
    /// What the app's actions and pages read and write.
    pub app: Arc<dyn Store>,
    /// formwork's tables in the same database (flashes, submissions, sessions, jobs), and
    /// how revalidations reach the other instances sharing it (PostgreSQL's `LISTEN/NOTIFY`,
    /// or Redis: see `Config::with_bus`; none for SQLite, which one instance has to itself).
    pub framework: FrameworkStores,
}

/// How long a request waits for a database connection (or, on SQLite, for a lock) before
/// its store call fails as unavailable, unless configured otherwise.
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// Opens the store `url` names and brings its schema up to date, with the default acquire
/// timeout.
pub async fn connect(url: &str) -> anyhow::Result<Stores> {
    connect_with(url, DEFAULT_ACQUIRE_TIMEOUT).await
}

/// Opens the store `url` names and brings its schema up to date. A store call waits at most
/// `acquire_timeout` for a connection (SQLite: for the write lock as well); past it the call
/// fails as [`StoreError::Unavailable`], which actions answer with 503.
pub async fn connect_with(url: &str, acquire_timeout: Duration) -> anyhow::Result<Stores> {
    fn all(app: Arc<dyn Store>, framework: FrameworkStores) -> Stores {
        Stores { app, framework }
    }
    match Backend::of(url)? {
        Backend::Sqlite => {
            let store = sqlite::SqliteStore::connect(url, acquire_timeout).await?;
            let framework = FrameworkStores::of(store.framework()?);
            Ok(all(Arc::new(store), framework))
        }
        Backend::Postgres => {
            let store = postgres::PgStore::connect(url, acquire_timeout).await?;
            let framework = FrameworkStores::of(store.framework()?).with_bus(Arc::new(store.bus()));
            Ok(all(Arc::new(store), framework))
        }
    }
}

/// Who a session names: the app's accounts, as formwork's session lookup joins them.
/// Their rank is their role's (`app::roles::Role::rank`).
pub(crate) const PRINCIPALS: &str = "SELECT id, username AS name, \
     CASE role WHEN 'admin' THEN 2 WHEN 'moderator' THEN 1 ELSE 0 END AS rank FROM users";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> anyhow::Result<Self> {
        let scheme = url.split(':').next().unwrap_or_default();
        match scheme {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            _ => anyhow::bail!(
                "DATABASE_URL must start with sqlite: or postgres://, got `{scheme}:`"
            ),
        }
    }
}

/// Timestamps are stored at microsecond precision on both backends.
pub(crate) fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now)
}

pub(crate) fn backend_error(error: sqlx::Error) -> StoreError {
    if is_unavailable(&error) {
        StoreError::Unavailable(Box::new(error))
    } else {
        StoreError::Backend(Box::new(error))
    }
}

/// Whether `error` says the database is down, unreachable or too busy: formwork's test.
pub use formwork::store::is_unavailable;

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_follows_the_scheme() {
        assert_eq!(Backend::of("sqlite:x.db").ok(), Some(Backend::Sqlite));
        assert_eq!(
            Backend::of("postgres://u@h/db").ok(),
            Some(Backend::Postgres)
        );
        assert_eq!(
            Backend::of("postgresql://u@h/db").ok(),
            Some(Backend::Postgres)
        );
        assert!(Backend::of("mysql://x").is_err());
    }
}
