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
use formwork::{
    flash::FlashStore, identity::SessionStore, invalidation::InvalidationBus, jobs::JobStore,
};
use std::{sync::Arc, time::Duration};
use time::OffsetDateTime;

/// One database, seen through the traits that use it.
#[derive(Clone)]
pub struct Stores {
    /// What the app's actions and pages read and write.
    pub app: Arc<dyn Store>,
    /// Where plain form posts leave their outcome for the next page.
    pub flash: Arc<dyn FlashStore>,
    /// Who is signed in.
    pub sessions: Arc<dyn SessionStore>,
    /// The durable job queue's table.
    pub jobs: Arc<dyn JobStore>,
    /// How revalidations reach the other instances sharing this database (PostgreSQL's
    /// `LISTEN/NOTIFY`); `None` for SQLite, which one instance has to itself.
    pub bus: Option<Arc<dyn InvalidationBus>>,
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
        Stores {
            app,
            flash: framework.flash,
            sessions: framework.sessions,
            jobs: framework.jobs,
            bus: framework.bus,
        }
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
pub(crate) const PRINCIPALS: &str = "SELECT id, username AS name, role FROM users";

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

/// Whether `error` says the database is down, unreachable or too busy (a request may succeed
/// once it is back), rather than that this query is wrong.
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let code = db.code();
            let code = code.as_deref().unwrap_or_default();
            match db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                // Connection exceptions (08…), the server shutting down or starting
                // (57P01–57P03), too many connections (53300).
                Some(_) => code.starts_with("08") || code.starts_with("57P") || code == "53300",
                // SQLite: the file is locked past the busy timeout (BUSY, LOCKED), cannot be
                // opened (CANTOPEN) or read (IOERR), by its primary result code.
                None => code
                    .parse::<i32>()
                    .is_ok_and(|code| matches!(code & 0xff, 5 | 6 | 10 | 14)),
            }
        }
        _ => false,
    }
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_that_is_gone_is_unavailable_and_a_bad_query_is_not() {
        assert!(is_unavailable(&sqlx::Error::PoolTimedOut));
        assert!(is_unavailable(&sqlx::Error::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused
        ))));
        assert!(!is_unavailable(&sqlx::Error::RowNotFound));
        assert!(!is_unavailable(&sqlx::Error::ColumnNotFound("x".into())));
    }

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
