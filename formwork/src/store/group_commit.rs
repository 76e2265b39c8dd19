//! SQLite's one writer for an app's own writes: the writes of every request in flight,
//! committed together, on a thread of the writer's own.
//!
//! SQLite lets one connection write at a time, and each commit has a cost of its own
//! (the pages it changed written to the WAL, a full-text index's segment flushed). When
//! many requests write at once, [`Writer`] runs what waits in one transaction, each
//! request's work in a savepoint of its own, and commits once. Each request is answered
//! after that commit, with its own result; a work that fails (or panics) is rolled back to its
//! savepoint and fails alone.
//!
//! The works run on the writer's thread, with the connection's statements called there
//! directly ([`rusqlite`]), not sent one by one to the thread sqlx keeps for each connection:
//! each of those trips woke two threads, and they were most of a post's cost (measured on a
//! no-JS `create_post`: 175 µs of the connection thread's CPU per post, most of it waking).

use sqlx::{pool::PoolConnection, Sqlite, SqlitePool};
use std::{any::Any, borrow::Cow, panic::AssertUnwindSafe};
use tokio::sync::{mpsc, oneshot};

/// The most works one transaction takes (it waits for none: it takes what queued meanwhile).
const MOST_PER_COMMIT: usize = 64;

/// A work's value, its type erased on the way through the writer.
type Value = Box<dyn Any + Send>;

/// A work as the writer runs it, answered once its transaction is committed.
type Work = Box<dyn FnOnce(&rusqlite::Connection) -> rusqlite::Result<Value> + Send>;

/// A work answered as soon as it ran, before its transaction commits; run again first thing
/// in the writer's next transaction while the one it ran in did not commit (see
/// [`Writer::write_ahead`]).
type Ahead = std::sync::Arc<dyn Fn(&rusqlite::Connection) -> rusqlite::Result<Value> + Send + Sync>;

/// A work, and where its answer goes.
struct Job {
    work: Kind,
    done: oneshot::Sender<Result<Value, sqlx::Error>>,
    /// One of formwork's own writes (a form post's claim, outcome or flash): counted in its
    /// metrics, with the transactions it was written in.
    own: bool,
}

/// When a work is answered.
enum Kind {
    Committed(Work),
    Ahead(Ahead),
}

impl Kind {
    /// `work`, answered once its transaction is committed.
    fn committed<T, F>(work: F) -> Self
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        Self::Committed(Box::new(move |connection: &rusqlite::Connection| {
            work(connection).map(|value| Box::new(value) as Value)
        }))
    }
}

/// The writer of one SQLite database. Clones share it; it starts with the first write (on a
/// thread of its own) and stops when the last clone is dropped.
///
/// A work is a plain function of the connection: its statements run at once, on the writer's
/// thread ([`rusqlite`], re-exported as `formwork::store::sqlite::rusqlite`, the same SQLite
/// library sqlx links). Cache its statements with `prepare_cached`: the writer's connection
/// keeps them from one work to the next while writes keep coming.
///
/// ```no_run
/// # async fn run(pool: sqlx::SqlitePool) -> Result<(), sqlx::Error> {
/// use formwork::store::sqlite::Writer;
///
/// let writer = Writer::new(pool);
/// let title = "Hello".to_owned();
/// let id: i64 = writer
///     .write(move |connection| {
///         connection
///             .prepare_cached("INSERT INTO notes (title) VALUES ($1) RETURNING id")?
///             .query_row([title], |row| row.get(0))
///     })
///     .await?;
/// # let _ = id; Ok(()) }
/// ```
#[derive(Clone)]
pub struct Writer {
    pool: SqlitePool,
    queue: std::sync::Arc<std::sync::OnceLock<mpsc::Sender<Job>>>,
    before_commit: &'static [&'static str],
    /// The WAL's length (in frames) past which it is checkpointed beside the writes.
    checkpoint_at: u32,
}

impl Writer {
    /// The writer of the database `pool` opens (see [`open`](super::sqlite::open)).
    pub fn new(pool: SqlitePool) -> Self {
        Self {
            pool,
            queue: Default::default(),
            before_commit: &[],
            checkpoint_at: super::sqlite::WAL_PAGES_BEFORE_CHECKPOINT,
        }
    }

    /// Runs `statements` (one statement each) at the end of every transaction the writer
    /// commits, after its works and before the commit, in that transaction: what is cheaper
    /// once for many writes than once for each. A full-text index its works' rows were queued
    /// for, say: inside a transaction, FTS5 writes what each statement (and each work's
    /// savepoint) added to it as a segment of its own, and merges those later. When one
    /// fails, the transaction's works fail with it, rolled back. Set it before the writer's
    /// first write.
    pub fn before_commit(mut self, statements: &'static [&'static str]) -> Self {
        self.before_commit = statements;
        self
    }

    /// The WAL's length past which it is checkpointed beside the writes (tests: a mark that a
    /// few writes cross).
    #[cfg(test)]
    fn checkpoint_at(mut self, frames: u32) -> Self {
        self.checkpoint_at = frames;
        self
    }

    /// How many works wait for their turn (not counting those in the transaction running).
    pub fn waiting(&self) -> usize {
        self.queue
            .get()
            .map_or(0, |queue| queue.max_capacity() - queue.capacity())
    }

    /// The pool of the database it writes.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Runs `work` on the writer's connection, within a transaction it shares with the other
    /// works waiting at the same moment, and answers once that transaction is committed.
    ///
    /// The work's statements are committed together, or not at all: when it returns an error
    /// (or panics), what it wrote is rolled back and the others' is not. It must use only the
    /// connection it is given, and not wait for anything else: the works after it wait for it.
    ///
    /// Its errors come back as sqlx's, as every other query's do: a constraint's as a
    /// database error of the same kind and code ([`sqlx::error::DatabaseError`]), a busy or
    /// locked database as one that [`is_unavailable`](crate::store::is_unavailable) tells.
    pub async fn write<T, F>(&self, work: F) -> Result<T, sqlx::Error>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        self.send(Kind::committed(work), false).await
    }

    /// Runs `work` as [`write`](Self::write) does, but answers as soon as it ran, before its
    /// transaction commits: for a write whose caller need not wait for the disk, provided
    /// every later write waits for it. The writer sees to that: its writes commit in order,
    /// and when the transaction it ran in does not commit, the writer runs `work` again
    /// first thing in its next transaction, before any other, and fails that transaction's
    /// works while `work` fails. A later write is committed with it, or after it, or not at
    /// all. Readers on other connections see it once it is committed.
    ///
    /// For a form post's claim on its one-time token ([`FlashStore::claim_submission`]): the
    /// action's writes and the post's outcome come after it, through the same writer, so
    /// they are never committed without it, and a post waits for two commits rather than
    /// three (measured on a no-JS `create_post` at concurrency 32: 14% more posts a second,
    /// the median of three pairs).
    ///
    /// [`FlashStore::claim_submission`]: crate::flash::FlashStore::claim_submission
    pub(crate) async fn write_ahead<T, F>(&self, work: F) -> Result<T, sqlx::Error>
    where
        T: Send + 'static,
        F: Fn(&rusqlite::Connection) -> rusqlite::Result<T> + Send + Sync + 'static,
    {
        let work = Kind::Ahead(std::sync::Arc::new(
            move |connection: &rusqlite::Connection| {
                work(connection).map(|value| Box::new(value) as Value)
            },
        ));
        self.send(work, true).await
    }

    /// [`write`](Self::write) for one of formwork's own writes, counted in its metrics.
    pub(crate) async fn write_own<T, F>(&self, work: F) -> Result<T, sqlx::Error>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        self.send(Kind::committed(work), true).await
    }

    /// Queues `work` for the writer (started by the first), and waits for its answer.
    async fn send<T: Send + 'static>(&self, work: Kind, own: bool) -> Result<T, sqlx::Error> {
        let (done, answer) = oneshot::channel();
        let queue = self.queue.get_or_init(|| {
            let (queue, waiting) = mpsc::channel(4_096);
            let pool = self.pool.clone();
            let before_commit = self.before_commit;
            let checkpoint_at = self.checkpoint_at;
            // The pool's connections are taken and given back through the runtime that
            // writes first (the app's).
            let runtime = tokio::runtime::Handle::try_current();
            let started = std::thread::Builder::new()
                .name("formwork-sqlite-writer".to_owned())
                .spawn(move || match runtime {
                    Ok(runtime) => {
                        let period = Period {
                            runtime: &runtime,
                            pool: &pool,
                            before_commit,
                            checkpoint_at,
                        };
                        commit_together(&period, waiting)
                    }
                    Err(error) => {
                        tracing::error!(%error, "the SQLite writer needs a Tokio runtime")
                    }
                });
            if let Err(error) = started {
                tracing::error!(%error, "could not start the SQLite writer");
            }
            queue
        });
        if own {
            super::WRITE_COUNTS
                .writes
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let job = Job { work, done, own };
        queue.send(job).await.map_err(|_| stopped())?;
        match answer.await {
            Ok(Ok(value)) => value
                .downcast::<T>()
                .map(|value| *value)
                .map_err(|_| sqlx::Error::Protocol("a write's value changed its type".to_owned())),
            Ok(Err(error)) => Err(error),
            Err(_) => Err(sqlx::Error::Protocol(
                "the write panicked, and was rolled back".to_owned(),
            )),
        }
    }
}

fn stopped() -> sqlx::Error {
    sqlx::Error::Protocol("the SQLite writer has stopped".to_owned())
}

/// The same failure for another caller (an error is not `Clone`): one that says the database
/// is unavailable stays so (503), any other is internal (500); the message is kept.
fn copy(error: &sqlx::Error) -> sqlx::Error {
    if super::is_unavailable(error) {
        sqlx::Error::Io(std::io::Error::other(error.to_string()))
    } else {
        sqlx::Error::Protocol(error.to_string())
    }
}

/// A statement's failure on the writer's connection, as sqlx tells one of its own: SQLite's
/// extended result code, and the kind of constraint it names.
#[derive(Debug)]
struct WriteError {
    code: i32,
    message: String,
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "(code: {}) {}", self.code, self.message)
    }
}

impl std::error::Error for WriteError {}

impl sqlx::error::DatabaseError for WriteError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(self.code.to_string().into())
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> sqlx::error::ErrorKind {
        use libsqlite3_sys as ffi;
        use sqlx::error::ErrorKind;
        match self.code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                ErrorKind::UniqueViolation
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => ErrorKind::ForeignKeyViolation,
            ffi::SQLITE_CONSTRAINT_NOTNULL => ErrorKind::NotNullViolation,
            ffi::SQLITE_CONSTRAINT_CHECK => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

/// `error` as sqlx's: SQLite's own failures as database errors (their codes kept), no row as
/// `RowNotFound`, anything else (a value of the wrong type) as a protocol error.
pub(crate) fn from_rusqlite(error: rusqlite::Error) -> sqlx::Error {
    match error {
        rusqlite::Error::SqliteFailure(failure, message) => {
            sqlx::Error::Database(Box::new(WriteError {
                code: failure.extended_code,
                message: message.unwrap_or_else(|| failure.to_string()),
            }))
        }
        rusqlite::Error::QueryReturnedNoRows => sqlx::Error::RowNotFound,
        other => sqlx::Error::Protocol(other.to_string()),
    }
}

/// How long the writer keeps its connection once no work waits. Writes that keep coming find
/// it as they left it: its pages and its prepared statements at hand, no trip through the pool
/// and sqlx's thread to take it again (measured: taken again for each busy moment, a post's
/// writes read back a third of their pages and prepared most of their statements afresh). An
/// idle writer gives it back to the readers.
const LINGER: std::time::Duration = std::time::Duration::from_secs(1);

/// How many statements the writer's connection keeps prepared: the works' own, formwork's and
/// the transaction's.
const STATEMENTS_KEPT: usize = 64;

/// The writer's thread: a connection from the pool while works keep coming, its statements
/// run here; given back to the pool (for the readers) once none came for [`LINGER`].
fn commit_together(period: &Period<'_>, mut waiting: mpsc::Receiver<Job>) {
    let (runtime, pool) = (period.runtime, period.pool);
    // A connection given back to the pool is given back through the runtime.
    let _runtime = runtime.enter();
    let mut batch = Vec::with_capacity(MOST_PER_COMMIT);
    // The works answered ahead whose transaction did not commit: written again first.
    let mut ahead = Vec::new();
    while let Some(first) = waiting.blocking_recv() {
        batch.push(first);
        let mut connection = match runtime.block_on(pool.acquire()) {
            Ok(connection) => connection,
            Err(error) => {
                refuse(batch.drain(..), &error);
                continue;
            }
        };
        if !period.run(&mut connection, &mut waiting, &mut batch, &mut ahead) {
            // Where its transaction stands is unknown: it is not given back.
            connection.close_on_drop();
        }
    }
}

/// What a busy period of the writer runs with.
struct Period<'a> {
    runtime: &'a tokio::runtime::Handle,
    pool: &'a SqlitePool,
    before_commit: &'a [&'a str],
    checkpoint_at: u32,
}

impl Period<'_> {
    /// Runs the works waiting, a transaction at a time, until none came for [`LINGER`] (or
    /// every writer is gone, or the pool is closed). Answers whether the connection may be
    /// given back. The works run on this thread, outside any runtime: a plain function of the
    /// connection.
    fn run(
        &self,
        connection: &mut PoolConnection<Sqlite>,
        waiting: &mut mpsc::Receiver<Job>,
        batch: &mut Vec<Job>,
        ahead: &mut Vec<Ahead>,
    ) -> bool {
        let runtime = self.runtime;
        // sqlx's thread for the connection waits while the handle is held here.
        let mut handle = match runtime.block_on(connection.lock_handle()) {
            Ok(handle) => handle,
            Err(error) => {
                refuse(batch.drain(..), &error);
                return false;
            }
        };
        #[allow(unsafe_code)]
        // SAFETY: the handle is the connection's open database, locked for this thread alone
        // while `handle` lives, and `database` is dropped before it (declared after it). A
        // connection made `from_handle` never closes the handle; it finalizes only the
        // statements it prepared itself.
        let database =
            match unsafe { rusqlite::Connection::from_handle(handle.as_raw_handle().as_ptr()) } {
                Ok(database) => database,
                Err(error) => {
                    refuse(batch.drain(..), &from_rusqlite(error));
                    return false;
                }
            };
        database.set_prepared_statement_cache_capacity(STATEMENTS_KEPT);
        let wal = std::sync::Arc::new(Wal::default());
        // Declared after `database`, dropped before it: SQLite's own checkpoints again when
        // the connection goes back to the pool.
        let _hook = WalHook::install(handle.as_raw_handle().as_ptr(), &wal);
        loop {
            while batch.len() < MOST_PER_COMMIT {
                match waiting.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            if batch.is_empty() {
                let next = async {
                    let closed = std::pin::pin!(self.pool.close_event());
                    match futures::future::select(std::pin::pin!(waiting.recv()), closed).await {
                        futures::future::Either::Left((job, _)) => job,
                        futures::future::Either::Right(_) => None,
                    }
                };
                match runtime.block_on(tokio::time::timeout(LINGER, next)) {
                    Ok(Some(job)) => {
                        batch.push(job);
                        continue;
                    }
                    // Idle, no writer left, or the pool closing.
                    Ok(None) | Err(_) => return true,
                }
            }
            let jobs = std::mem::replace(batch, Vec::with_capacity(MOST_PER_COMMIT));
            commit(&database, self.before_commit, jobs, ahead);
            self.checkpoint(&database, &wal);
            // A transaction that did not commit (nothing to keep, or a failure of its own)
            // ends here; one that cannot end leaves the connection in a state nobody knows.
            if !database.is_autocommit() && run(&database, "ROLLBACK").is_err() {
                return false;
            }
        }
    }

    /// After a commit: a WAL past the mark is checkpointed on another of the pool's
    /// connections while the writer goes on; once that is done, the writer checkpoints what
    /// it wrote meanwhile (a few pages), so that the WAL starts afresh with its next
    /// transaction. A WAL four times past the mark (the other checkpoint far behind, or
    /// failing) is checkpointed here at once, as SQLite would.
    fn checkpoint(&self, database: &rusqlite::Connection, wal: &std::sync::Arc<Wal>) {
        use std::sync::atomic::Ordering::{AcqRel, Relaxed, Release};
        let frames = wal.frames.swap(0, Relaxed);
        if frames == 0 {
            return;
        }
        let mark = i64::from(self.checkpoint_at);
        if wal.caught_up.swap(false, AcqRel) || i64::from(frames) >= 4 * mark {
            checkpoint_in_line(database);
            return;
        }
        if i64::from(frames) >= mark && !wal.running.swap(true, AcqRel) {
            let (pool, wal) = (self.pool.clone(), wal.clone());
            self.runtime.spawn(async move {
                let done = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&pool)
                    .await;
                if let Err(error) = done {
                    tracing::warn!(%error, "could not checkpoint the WAL beside the writer");
                }
                wal.running.store(false, Release);
                wal.caught_up.store(true, Release);
            });
        }
    }
}

/// How long the writer waits its turn to checkpoint in line while another checkpoint runs
/// (the one beside its writes, far behind): writes wait meanwhile, as they do while SQLite
/// checkpoints in line itself.
const CHECKPOINT_TURN: std::time::Duration = std::time::Duration::from_secs(10);

/// A checkpoint on the writer's connection, once any other has ended: SQLite runs one
/// checkpoint at a time and answers another "busy" at once (the first column of the pragma's
/// row), without checkpointing anything.
fn checkpoint_in_line(database: &rusqlite::Connection) {
    let deadline = std::time::Instant::now() + CHECKPOINT_TURN;
    loop {
        match database.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
            row.get::<_, i64>(0)
        }) {
            Ok(0) => return,
            Ok(_) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            Ok(_) => {
                tracing::warn!("could not checkpoint the WAL: another checkpoint held it");
                return;
            }
            Err(error) => {
                tracing::warn!(%error, "could not checkpoint the WAL");
                return;
            }
        }
    }
}

/// The writer's WAL, checkpointed beside its writes rather than in their way. SQLite's own
/// checkpoint runs in the commit that crosses the mark: the writer copied the WAL's pages
/// back into the database while every write waited (measured: a tenth of the writer's time,
/// in stops of tens of milliseconds).
#[derive(Default)]
struct Wal {
    /// The WAL's length in frames after the writer's last commit (SQLite's WAL hook), or 0.
    frames: std::sync::atomic::AtomicI32,
    /// A checkpoint runs on another connection.
    running: std::sync::atomic::AtomicBool,
    /// It ended: the writer checkpoints the rest after its next commit.
    caught_up: std::sync::atomic::AtomicBool,
}

/// The writer's WAL hook on its connection while it holds it (in place of SQLite's
/// checkpoint at each commit past the mark), and SQLite's checkpoint again once dropped.
struct WalHook {
    database: *mut libsqlite3_sys::sqlite3,
    /// What the hook writes to, kept alive while it is installed.
    _wal: std::sync::Arc<Wal>,
}

impl WalHook {
    /// On `database`, an open database locked for the writer's thread.
    fn install(database: *mut libsqlite3_sys::sqlite3, wal: &std::sync::Arc<Wal>) -> Self {
        #[allow(unsafe_code)]
        unsafe extern "C" fn committed(
            wal: *mut std::ffi::c_void,
            _database: *mut libsqlite3_sys::sqlite3,
            _name: *const std::ffi::c_char,
            frames: std::ffi::c_int,
        ) -> std::ffi::c_int {
            // SAFETY: `wal` is the `Wal` the hook was installed with, kept alive by the
            // `WalHook` that uninstalls it.
            let wal = unsafe { &*wal.cast::<Wal>() };
            wal.frames
                .store(frames, std::sync::atomic::Ordering::Relaxed);
            libsqlite3_sys::SQLITE_OK
        }
        #[allow(unsafe_code)]
        // SAFETY: the handle is the writer's open database, locked for its thread; the hook
        // is a plain function that never unwinds, and its argument points into the `Wal`
        // this guard keeps alive until it uninstalls the hook.
        unsafe {
            libsqlite3_sys::sqlite3_wal_hook(
                database,
                Some(committed),
                std::sync::Arc::as_ptr(wal).cast_mut().cast(),
            );
        }
        Self {
            database,
            _wal: wal.clone(),
        }
    }
}

impl Drop for WalHook {
    fn drop(&mut self) {
        let pages = std::ffi::c_int::try_from(super::sqlite::WAL_PAGES_BEFORE_CHECKPOINT)
            .unwrap_or(std::ffi::c_int::MAX);
        #[allow(unsafe_code)]
        // SAFETY: the database is still open and locked for this thread (the guard is
        // dropped before the handle's lock); this replaces the hook with SQLite's own.
        unsafe {
            libsqlite3_sys::sqlite3_wal_autocheckpoint(self.database, pages);
        }
    }
}

/// Runs one of the transaction's own statements, prepared once for the connection.
fn run(database: &rusqlite::Connection, statement: &str) -> rusqlite::Result<()> {
    database.prepare_cached(statement)?.execute([]).map(|_| ())
}

/// Answers each of `jobs` with `error`.
fn refuse(jobs: impl IntoIterator<Item = Job>, error: &sqlx::Error) {
    for job in jobs {
        let _ = job.done.send(Err(copy(error)));
    }
}

/// The savepoint each work runs in: one name, set again after each work (SQLite keeps a
/// savepoint that was rolled back to, so a failed work leaves it in place for the next).
const SAVEPOINT: &str = "SAVEPOINT formwork_work";
/// What a work that succeeded is followed by when another comes after it: its writes kept in
/// the transaction (and then the next one's savepoint).
const KEEP: &str = "RELEASE formwork_work";
/// What a work that failed (or panicked) is followed by: its writes undone, the savepoint kept.
const UNDO: &str = "ROLLBACK TO formwork_work";

/// Runs `jobs` in one transaction, each in a savepoint, then `before_commit` when a work is
/// kept, and answers each: a work answered ahead as soon as it ran, the others once the
/// transaction is committed. A transaction of one work takes no savepoint: its failure rolls
/// back the whole transaction, which holds nothing else. A transaction that is not committed
/// is left open, for the caller to roll back (a work's panic unwinds through its statements,
/// which are reset as they drop: the connection is as usable as after any other failure).
///
/// `ahead`: the works answered ahead in a transaction that did not commit. They run first,
/// before the savepoints; while one fails, so do `jobs`. They leave the list once committed.
/// The works this transaction answers ahead join it until it is, unless the list held some
/// already: then they are answered once committed, as any other.
fn commit(
    database: &rusqlite::Connection,
    before_commit: &[&str],
    jobs: Vec<Job>,
    ahead: &mut Vec<Ahead>,
) {
    if jobs.iter().any(|job| job.own) {
        super::WRITE_COUNTS
            .batches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    // The write lock first: no work runs until it is this transaction's.
    if let Err(error) = run(database, "BEGIN IMMEDIATE") {
        return refuse(jobs, &from_rusqlite(error));
    }
    let again = std::panic::catch_unwind(AssertUnwindSafe(|| {
        ahead.iter().try_for_each(|work| work(database).map(drop))
    }));
    if let Err(error) = again.unwrap_or(Err(rusqlite::Error::InvalidQuery)) {
        let error = from_rusqlite(error);
        tracing::error!(%error, writes = jobs.len(), "writes answered ahead could not be written again; the writes after them wait");
        return refuse(jobs, &error);
    }
    let retrying = !ahead.is_empty();
    // With works written again before it, a work is not alone: its failure is its own.
    let alone = jobs.len() == 1 && !retrying;
    if !alone {
        if let Err(error) = run(database, SAVEPOINT) {
            return refuse(jobs, &from_rusqlite(error));
        }
    }
    let count = jobs.len();
    let mut written = Vec::with_capacity(count);
    let mut jobs = jobs.into_iter().enumerate();
    while let Some((index, Job { work, done, .. })) = jobs.next() {
        let last = index + 1 == count;
        let (ran, answered_ahead) = match work {
            Kind::Committed(work) => (
                std::panic::catch_unwind(AssertUnwindSafe(|| work(database))),
                None,
            ),
            // While a transaction failed to commit (works wait to be written again), none
            // is answered ahead: each is answered with its transaction, and the works
            // written again stay as many as one transaction answered ahead.
            Kind::Ahead(work) => (
                std::panic::catch_unwind(AssertUnwindSafe(|| work(database))),
                (!retrying).then_some(work),
            ),
        };
        let outcome = match ran {
            Ok(Ok(value)) => {
                match answered_ahead {
                    // Answered now; written again until its transaction is committed.
                    Some(work) => {
                        ahead.push(work);
                        let _ = done.send(Ok(value));
                    }
                    None => written.push((done, value)),
                }
                Ok(())
            }
            Ok(Err(error)) => {
                let _ = done.send(Err(from_rusqlite(error)));
                Err(())
            }
            // Its caller hears of it as its answer is dropped.
            Err(panic) => {
                tracing::error!(
                    panic = crate::error::panic_message(panic.as_ref()),
                    "a write panicked; it was rolled back"
                );
                drop(done);
                Err(())
            }
        };
        // Alone, a failed work is undone by rolling the whole transaction back (by the
        // caller); the last work's savepoint ends with the commit.
        let between = match outcome {
            _ if alone => continue,
            Ok(()) if last => continue,
            Ok(()) => run(database, KEEP).and_then(|()| run(database, SAVEPOINT)),
            Err(()) => run(database, UNDO),
        };
        if let Err(error) = between {
            // Where the transaction stands is unknown: nothing in it is kept.
            let error = from_rusqlite(error);
            tracing::error!(%error, "could not end a write's savepoint; its transaction is rolled back");
            for (done, _) in written {
                let _ = done.send(Err(copy(&error)));
            }
            return refuse(jobs.map(|(_, job)| job), &error);
        }
    }
    if written.is_empty() && ahead.is_empty() {
        // Nothing to keep: rolled back by the caller.
        return;
    }
    if let Err(error) = before_commit
        .iter()
        .try_for_each(|statement| run(database, statement))
    {
        // The works' transaction is not complete without them: none of it is kept (rolled
        // back by the caller).
        let error = from_rusqlite(error);
        tracing::error!(
            %error,
            writes = written.len(),
            "the statements before a commit failed; its writes are rolled back"
        );
        for (done, _) in written {
            let _ = done.send(Err(copy(&error)));
        }
        return;
    }
    match run(database, "COMMIT") {
        Ok(()) => {
            ahead.clear();
            for (done, value) in written {
                let _ = done.send(Ok(value));
            }
        }
        Err(error) => {
            let error = from_rusqlite(error);
            tracing::error!(%error, writes = written.len(), "writes committed together failed");
            for (done, _) in written {
                let _ = done.send(Err(copy(&error)));
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A fresh database file, opened as formwork opens one, in a directory of its own.
    async fn database(name: &str) -> (std::path::PathBuf, SqlitePool) {
        let dir = std::env::temp_dir().join(format!(
            "formwork-writer-{name}-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let pool = super::super::sqlite::open(
            &format!("sqlite:{}", dir.join("test.db").display()),
            std::time::Duration::from_secs(2),
        )
        .await
        .unwrap();
        (dir, pool)
    }

    /// A work answered ahead is answered before its transaction commits. When that
    /// transaction does not commit, the writer writes the work again first in each of its
    /// next transactions, and none of them commits without it; once one has, it is not
    /// written again. Meanwhile, works that would be answered ahead are answered with their
    /// transaction.
    #[tokio::test]
    async fn a_work_answered_ahead_is_written_again_until_a_transaction_with_it_commits() {
        /// Fails the commit of every transaction while `trip` holds a row.
        static GUARD: &[&str] = &["INSERT INTO audit (ok) SELECT NOT EXISTS (SELECT 1 FROM trip)"];
        let (dir, pool) = database("ahead").await;
        for table in [
            "CREATE TABLE claims (token TEXT PRIMARY KEY)",
            "CREATE TABLE notes (body TEXT NOT NULL)",
            "CREATE TABLE trip (x INTEGER)",
            "CREATE TABLE audit (ok INTEGER NOT NULL CHECK (ok = 1))",
            "INSERT INTO trip VALUES (1)",
        ] {
            sqlx::query(table).execute(&pool).await.unwrap();
        }
        let writer = Writer::new(pool.clone()).before_commit(GUARD);
        let note = |body: &'static str| {
            writer.write(move |connection| {
                connection
                    .prepare_cached("INSERT INTO notes (body) VALUES ($1)")?
                    .execute([body])
            })
        };
        let rows = |table: &'static str| {
            let pool = pool.clone();
            async move {
                sqlx::query_scalar::<_, String>(&format!("SELECT * FROM {table} ORDER BY 1"))
                    .fetch_all(&pool)
                    .await
                    .unwrap()
            }
        };

        let claim = |token: &'static str| {
            writer.write_ahead(move |connection| {
                connection
                    .prepare_cached("INSERT INTO claims (token) VALUES ($1)")?
                    .execute([token])
            })
        };
        // Answered, though its transaction did not commit.
        assert_eq!(claim("a").await.unwrap(), 1);
        assert!(rows("claims").await.is_empty());
        // Once one did not commit, the next are answered with their own transaction.
        assert!(claim("b").await.is_err());
        // A later write's transaction fails as long as the claim cannot be committed.
        assert!(note("while tripped").await.is_err());
        assert!(rows("claims").await.is_empty());
        assert!(rows("notes").await.is_empty());

        sqlx::query("DELETE FROM trip")
            .execute(&pool)
            .await
            .unwrap();
        note("after").await.unwrap();
        assert_eq!(rows("claims").await, ["a"]);
        assert_eq!(rows("notes").await, ["after"]);
        // Committed, it is not written again (it would fail: the token is taken).
        note("last").await.unwrap();
        assert_eq!(rows("notes").await, ["after", "last"]);
        pool.close().await;
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The writer checkpoints its WAL in its own way (beside its writes, then the rest
    /// itself): the WAL still starts afresh, never holding more than four times the mark and
    /// one commit, and every write is kept.
    #[tokio::test]
    async fn the_writers_wal_is_checkpointed_and_starts_afresh() {
        const MARK: u32 = 40;
        let (dir, pool) = database("wal").await;
        sqlx::query("CREATE TABLE notes (body TEXT NOT NULL)")
            .execute(&pool)
            .await
            .unwrap();
        let writer = Writer::new(pool.clone()).checkpoint_at(MARK);
        // A page and more each: every commit writes a few frames.
        let body = "x".repeat(5_000);
        for _ in 0..400 {
            let body = body.clone();
            writer
                .write(move |connection| {
                    connection
                        .prepare_cached("INSERT INTO notes (body) VALUES ($1)")?
                        .execute([body])
                })
                .await
                .unwrap();
        }
        let wal = std::fs::metadata(dir.join("test.db-wal")).unwrap().len();
        let frames = wal.saturating_sub(32) / (24 + 4096);
        assert!(
            frames <= u64::from(4 * MARK + 8),
            "the WAL grew to {frames} frames"
        );
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM notes")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(count, 400);
        pool.close().await;
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
