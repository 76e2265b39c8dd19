//! Storage backends. The scheme of `DATABASE_URL` picks one; both implement the app's
//! `Store` and pass the same conformance suite (`tests/conformance.rs`).
//!
//! Each backend has its own migrations (`migrations/sqlite`, `migrations/postgres`), applied at
//! start-up; the queries are written once for both ([`sql`], one file per resource). Rows
//! decode into typed structs.

pub mod postgres;
mod sql;
pub mod sqlite;

use app::store::{Store, StoreError};
use formwork::{
    flash::FlashStore, identity::SessionStore, invalidation::InvalidationBus, jobs::JobStore,
};
use std::sync::Arc;
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

/// Opens the store `url` names and brings its schema up to date.
pub async fn connect(url: &str) -> anyhow::Result<Stores> {
    fn all<S: Store + FlashStore + SessionStore + JobStore>(
        store: S,
        bus: Option<Arc<dyn InvalidationBus>>,
    ) -> Stores {
        let store = Arc::new(store);
        Stores {
            app: store.clone(),
            flash: store.clone(),
            sessions: store.clone(),
            jobs: store,
            bus,
        }
    }
    match Backend::of(url)? {
        Backend::Sqlite => Ok(all(sqlite::SqliteStore::connect(url).await?, None)),
        Backend::Postgres => {
            let store = postgres::PgStore::connect(url).await?;
            let bus = Arc::new(postgres::PgInvalidations::new(&store));
            Ok(all(store, Some(bus)))
        }
    }
}

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
    StoreError::Backend(Box::new(error))
}

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
