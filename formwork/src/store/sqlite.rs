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

pub use super::group_commit::Writer;
/// The SQLite library's statements, as the [`Writer`]'s works run them.
pub use rusqlite;

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
/// WAL, `synchronous = NORMAL`, foreign keys on, temporary storage in memory. A query waits at
/// most `acquire_timeout` for a connection or for the write lock; past it, it fails (and
/// actions answer 503).
///
/// Four things keep a write's cost to its own statements (measured with `bench/run.sh`):
/// - a connection is not pinged before each use (a file does not drop a connection the way a
///   network does; a broken one still fails its query, and the pool replaces it);
/// - the WAL is checkpointed every [`WAL_PAGES_BEFORE_CHECKPOINT`] pages, not SQLite's
///   default 1,000: a page written many times between two checkpoints is copied back once.
///   The checkpoint stays SQLite's own (run by the write that crosses the mark, without
///   holding up the other writers), so the WAL starts afresh after it under a steady load;
/// - a write that finds another committing tries again within 100 µs, not after SQLite's
///   1 to 100 ms, so the one write lock is seldom free while writes sleep.
/// - temporary storage is in memory: the [`Writer`]'s transactions keep each work in a
///   savepoint, whose journal SQLite otherwise spills to a temporary file it opens (measured:
///   4% of the writer's time went to opening it).
pub async fn open(url: &str, acquire_timeout: Duration) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .pragma("temp_store", "memory")
        .busy_timeout(acquire_timeout)
        .pragma(
            "wal_autocheckpoint",
            WAL_PAGES_BEFORE_CHECKPOINT.to_string(),
        );
    SqlitePoolOptions::new()
        .max_connections(8)
        .acquire_timeout(acquire_timeout)
        .test_before_acquire(false)
        .after_connect(move |connection, _| {
            Box::pin(async move {
                let mut handle = connection.lock_handle().await?;
                wait_briefly_while_busy(&mut handle, acquire_timeout);
                Ok(())
            })
        })
        .connect_with(options)
        .await
}

/// A write waits for the one before it to commit, up to `timeout`, trying again every 100 µs
/// for its first 10 ms and every millisecond after that.
///
/// SQLite's own wait (`busy_timeout`) sleeps 1, 2, 5, 10, 15, 20, 25 … 100 ms between tries:
/// under a steady stream of writes, each taking the lock for a fraction of a millisecond, the
/// lock sits free while the writes waiting for it sleep (measured with `bench/run.sh`).
fn wait_briefly_while_busy(handle: &mut sqlx::sqlite::LockedSqliteHandle<'_>, timeout: Duration) {
    use std::os::raw::{c_int, c_void};

    thread_local! {
        /// When the wait of this connection's current write began (each connection runs on
        /// a thread of its own).
        static SINCE: std::cell::Cell<Option<std::time::Instant>> = const { std::cell::Cell::new(None) };
    }

    extern "C" fn wait(timeout_ms: *mut c_void, tries: c_int) -> c_int {
        let now = std::time::Instant::now();
        let since = SINCE
            .try_with(|since| {
                if tries == 0 {
                    since.set(Some(now));
                }
                since.get()
            })
            .ok()
            .flatten()
            .unwrap_or(now);
        let waited = now.saturating_duration_since(since);
        if waited >= Duration::from_millis(timeout_ms as usize as u64) {
            return 0;
        }
        std::thread::sleep(if waited < Duration::from_millis(10) {
            Duration::from_micros(100)
        } else {
            Duration::from_millis(1)
        });
        1
    }

    let timeout_ms = usize::try_from(timeout.as_millis()).unwrap_or(usize::MAX);
    #[allow(unsafe_code)]
    // SAFETY: the handle is this connection's open database, held locked while the call
    // runs. The callback is a plain function that never unwinds, and its argument is the
    // timeout itself (a number, never dereferenced), so nothing it points at can dangle.
    unsafe {
        libsqlite3_sys::sqlite3_busy_handler(
            handle.as_raw_handle().as_ptr(),
            Some(wait),
            timeout_ms as *mut c_void,
        );
    }
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

super::sql::framework_queries!(
    SqliteStore,
    "SQLite",
    sqlx::Sqlite,
    "",
    writer: Writer,
);

// `?N` binds the N-th value given (SQLite numbers `$N` by where each first appears).
const CLAIM: &str = "INSERT INTO formwork_submissions (token, expires_at) VALUES (?1, ?2) \
     ON CONFLICT (token) DO UPDATE SET expires_at = excluded.expires_at, outcome = NULL \
     WHERE formwork_submissions.expires_at < ?3 RETURNING token";
const OUTCOME: &str = "UPDATE formwork_submissions SET outcome = ?2 WHERE token = ?1";
const FLASH: &str = "INSERT INTO formwork_flashes (id, payload, expires_at) VALUES (?1, ?2, ?3)";

/// A store's form-post writes on SQLite: each given to the database's one writer, which
/// commits it in the transaction it shares with the app's writes of that moment (rather than
/// beside it: a second writer waiting at SQLite's lock). A claim is answered as soon as it
/// ran ([`Writer::write_ahead`]): the action's writes and the post's outcome, which come
/// after it through the same writer, are committed with it or after it, never without it.
struct Direct {
    writer: Writer,
}

fn start_form_writes(_pool: &SqlitePool, writer: &Writer) -> Box<dyn super::sql::FormWrites> {
    Box::new(Direct {
        writer: writer.clone(),
    })
}

#[async_trait::async_trait]
impl super::sql::FormWrites for Direct {
    async fn claim(&self, token: &str, now: i64, expires_at: i64) -> Result<bool, String> {
        let token = token.to_owned();
        self.writer
            .write_ahead(move |connection| {
                let mut claim = connection.prepare_cached(CLAIM)?;
                let mut rows = claim.query((&token, expires_at, now))?;
                Ok(rows.next()?.is_some())
            })
            .await
            .map_err(|error| error.to_string())
    }

    async fn finish(
        &self,
        outcome: Option<(&str, &str)>,
        flash: Option<super::sql::NewFlash>,
    ) -> Result<(), String> {
        let outcome = outcome.map(|(token, outcome)| (token.to_owned(), outcome.to_owned()));
        self.writer
            .write_own(move |connection| {
                if let Some((token, outcome)) = outcome {
                    connection
                        .prepare_cached(OUTCOME)?
                        .execute((token, outcome))?;
                }
                if let Some(flash) = flash {
                    connection.prepare_cached(FLASH)?.execute((
                        flash.id,
                        flash.payload,
                        flash.expires_at,
                    ))?;
                }
                Ok(())
            })
            .await
            .map_err(|error| error.to_string())
    }
}

/// A sweep (`statement`, of the time `now`), through the writer as formwork's other writes.
async fn sweep(writer: &Writer, statement: &'static str, now: i64) -> Result<(), String> {
    writer
        .write(move |connection| connection.prepare_cached(statement)?.execute([now]))
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}
