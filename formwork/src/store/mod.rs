//! formwork's own tables: flashes, one-time submission tokens, sessions and the job queue.
//!
//! The framework keeps them; the app's tables stay in the app's migrations. Three stores
//! implement all four, and pass one conformance suite:
//!
//! - [`memory::MemoryStore`]: in this process, for tests and small single-instance apps;
//! - `sqlite::SqliteStore` (feature `sqlite`): the embedded default;
//! - `postgres::PgStore` (feature `postgres`): the store several instances share, with
//!   `invalidation::postgres::PgInvalidations` to carry revalidations between them.
//!
//! The sqlx stores bring their own migrations, recorded in their own table
//! (`formwork_migrations`, beside the app's `_sqlx_migrations`): the builder applies them at
//! start-up, or an operator runs `sqlite::migrate` / `postgres::migrate` from a deploy step.
//! Sessions name the app's users through the app's own query (`principals`), joined into the
//! session lookup: one query per signed-in request.
//!
//! A plain form post writes to them twice: its submission token is claimed before the action
//! runs, and its outcome and flash are kept after. Under load, a post costs the database a
//! fraction of a transaction of formwork's own besides the action's: PostgreSQL's store gathers
//! these writes from every post in flight and writes each kind for all of them in one
//! statement (`batch`); SQLite's gives them to the database's one writer, which commits the
//! writes of every post in flight together, the app's with formwork's (`group_commit`).

#[cfg(feature = "postgres")]
mod batch;
#[cfg(feature = "sqlite")]
mod group_commit;
pub mod memory;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(feature = "sqlite")]
pub mod sqlite;

#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use sql::is_unavailable;

use crate::{
    flash::FlashStore, identity::SessionStore, invalidation::InvalidationBus, jobs::JobStore,
};
use std::sync::Arc;

/// The stores formwork needs, and the bus between instances if there are several.
#[derive(Clone)]
pub struct Stores {
    /// Where plain form posts leave their outcome for the next page, and one-time form tokens
    /// are claimed.
    pub flash: Arc<dyn FlashStore>,
    /// Who is signed in.
    pub sessions: Arc<dyn SessionStore>,
    /// The durable job queue.
    pub jobs: Arc<dyn JobStore>,
    /// How revalidations reach the other instances; `None` for one instance on its own.
    pub bus: Option<Arc<dyn InvalidationBus>>,
}

impl Stores {
    /// All three tables in `store`, and no bus.
    pub fn of<S: FlashStore + SessionStore + JobStore>(store: S) -> Self {
        let store = Arc::new(store);
        Self {
            flash: store.clone(),
            sessions: store.clone(),
            jobs: store,
            bus: None,
        }
    }

    /// Adds the bus that carries revalidations to the other instances.
    pub fn with_bus(mut self, bus: Arc<dyn InvalidationBus>) -> Self {
        self.bus = Some(bus);
        self
    }
}

/// How many of a form post's own writes (claims, outcomes, flashes) the sqlx stores made, and
/// in how many batches: their ratio is how many posts share a round of statements.
pub(crate) struct WriteCounts {
    pub(crate) writes: std::sync::atomic::AtomicU64,
    pub(crate) batches: std::sync::atomic::AtomicU64,
}

/// The process's [`WriteCounts`], for the metrics.
pub(crate) static WRITE_COUNTS: WriteCounts = WriteCounts {
    writes: std::sync::atomic::AtomicU64::new(0),
    batches: std::sync::atomic::AtomicU64::new(0),
};

/// A store that cannot be set up: its migrations failed or its configuration is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSetupError(pub String);

impl std::fmt::Display for StoreSetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreSetupError {}
