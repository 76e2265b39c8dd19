//! SQLite's one writer for an app's own writes: the writes of every request in flight,
//! committed together.
//!
//! SQLite lets one connection write at a time, and each commit has a cost of its own
//! (the pages it changed written to the WAL, a full-text index's segment flushed). When
//! many requests write at once, [`Writer`] runs what waits in one transaction, each
//! request's work in a savepoint of its own, and commits once. Each request is answered
//! after that commit, with its own result; a work that fails (or panics) is rolled back to its
//! savepoint and fails alone.

use futures::{future::BoxFuture, FutureExt};
use sqlx::{pool::PoolConnection, Connection, Sqlite, SqliteConnection, SqlitePool};
use std::{any::Any, panic::AssertUnwindSafe};
use tokio::sync::{mpsc, oneshot};

/// The most works one transaction takes (it waits for none: it takes what queued meanwhile).
const MOST_PER_COMMIT: usize = 64;

/// A work's value, its type erased on the way through the writer.
type Value = Box<dyn Any + Send>;

/// A work as the writer runs it.
type Work = Box<
    dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<Value, sqlx::Error>>
        + Send,
>;

/// A work, and where its answer goes.
struct Job {
    work: Work,
    done: oneshot::Sender<Result<Value, sqlx::Error>>,
}

/// The writer of one SQLite database. Clones share it; it starts with the first write (in the
/// runtime that makes it) and stops when the last clone is dropped.
///
/// ```no_run
/// # async fn run(pool: sqlx::SqlitePool) -> Result<(), sqlx::Error> {
/// use formwork::store::sqlite::Writer;
///
/// let writer = Writer::new(pool);
/// let title = "Hello".to_owned();
/// let id: i64 = writer
///     .write(move |connection| {
///         Box::pin(async move {
///             sqlx::query_scalar("INSERT INTO notes (title) VALUES ($1) RETURNING id")
///                 .bind(title)
///                 .fetch_one(&mut *connection)
///                 .await
///         })
///     })
///     .await?;
/// # let _ = id; Ok(()) }
/// ```
#[derive(Clone)]
pub struct Writer {
    pool: SqlitePool,
    queue: std::sync::Arc<std::sync::OnceLock<mpsc::Sender<Job>>>,
}

impl Writer {
    /// The writer of the database `pool` opens (see [`open`](super::sqlite::open)).
    pub fn new(pool: SqlitePool) -> Self {
        Self {
            pool,
            queue: Default::default(),
        }
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
    pub async fn write<T, F>(&self, work: F) -> Result<T, sqlx::Error>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, sqlx::Error>>
            + Send
            + 'static,
    {
        let (done, answer) = oneshot::channel();
        let queue = self.queue.get_or_init(|| {
            let (queue, waiting) = mpsc::channel(4_096);
            let pool = self.pool.clone();
            // A thread of its own: the writer's turns do not wait behind the requests' tasks.
            let started = std::thread::Builder::new()
                .name("formwork-sqlite-writer".to_owned())
                .spawn(move || {
                    match tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        Ok(runtime) => runtime.block_on(commit_together(pool, waiting)),
                        Err(error) => tracing::error!(%error, "could not start the SQLite writer"),
                    }
                });
            if let Err(error) = started {
                tracing::error!(%error, "could not start the SQLite writer");
            }
            queue
        });
        let job = Job {
            work: Box::new(move |connection: &mut SqliteConnection| {
                async move { work(connection).await.map(|value| Box::new(value) as Value) }.boxed()
            }),
            done,
        };
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

async fn commit_together(pool: SqlitePool, mut waiting: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MOST_PER_COMMIT);
    // The connection is kept from one transaction to the next while works keep coming: a
    // connection given back to the pool is tested there with a round trip of its own.
    let mut held: Option<PoolConnection<Sqlite>> = None;
    loop {
        if waiting.is_empty() {
            // Nothing waits: the connection goes back to the pool for the readers.
            held = None;
        }
        if waiting.recv_many(&mut batch, MOST_PER_COMMIT).await == 0 {
            return;
        }
        let jobs = std::mem::take(&mut batch);
        let mut connection = match held.take() {
            Some(connection) => connection,
            None => match pool.acquire().await {
                Ok(connection) => connection,
                Err(error) => {
                    refuse(jobs, &error);
                    continue;
                }
            },
        };
        if commit(&mut connection, jobs).await {
            held = Some(connection);
        }
    }
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
/// the transaction, and the next one's savepoint, in one round trip to the connection.
const KEEP_AND_NEXT: &str = "RELEASE formwork_work; SAVEPOINT formwork_work";
/// What a work that failed (or panicked) is followed by: its writes undone, the savepoint kept.
const UNDO: &str = "ROLLBACK TO formwork_work";

/// Runs `jobs` in one transaction, each in a savepoint, and answers each.
///
/// The savepoints are SQLite's own statements, two of them sent together between works: one
/// round trip to the connection's thread per work besides the work's own, where a savepoint
/// begun and released apart took two. A transaction of one work takes no savepoint at all:
/// its failure rolls back the whole transaction, which holds nothing else.
///
/// Answers whether `connection` may run the next transaction: not after a failure of the
/// transaction itself, nor after a work panicked (perhaps half-way through a statement).
async fn commit(connection: &mut SqliteConnection, jobs: Vec<Job>) -> bool {
    // The write lock first: no work runs until it is this transaction's.
    let mut transaction = match connection.begin_with("BEGIN IMMEDIATE").await {
        Ok(transaction) => transaction,
        Err(error) => {
            refuse(jobs, &error);
            return false;
        }
    };
    let alone = jobs.len() == 1;
    if !alone {
        if let Err(error) = sqlx::raw_sql(SAVEPOINT).execute(&mut *transaction).await {
            refuse(jobs, &error);
            return false;
        }
    }
    let count = jobs.len();
    let mut written = Vec::with_capacity(count);
    let mut panicked = false;
    let mut jobs = jobs.into_iter().enumerate();
    while let Some((index, Job { work, done })) = jobs.next() {
        let last = index + 1 == count;
        let outcome = match AssertUnwindSafe(work(&mut transaction))
            .catch_unwind()
            .await
        {
            Ok(Ok(value)) => {
                written.push((done, value));
                Ok(())
            }
            Ok(Err(error)) => {
                let _ = done.send(Err(error));
                Err(())
            }
            // Its caller hears of it as its answer is dropped.
            Err(panic) => {
                tracing::error!(
                    panic = crate::error::panic_message(panic.as_ref()),
                    "a write panicked; it was rolled back"
                );
                drop(done);
                panicked = true;
                Err(())
            }
        };
        // Alone, a failed work is undone by rolling the whole transaction back (when
        // `transaction` is dropped, below); the last work's savepoint ends with the commit.
        let between = match outcome {
            _ if alone => continue,
            Ok(()) if last => continue,
            Ok(()) => KEEP_AND_NEXT,
            Err(()) => UNDO,
        };
        if let Err(error) = sqlx::raw_sql(between).execute(&mut *transaction).await {
            // Where the transaction stands is unknown: nothing in it is kept.
            tracing::error!(%error, "could not end a write's savepoint; its transaction is rolled back");
            for (done, _) in written {
                let _ = done.send(Err(copy(&error)));
            }
            refuse(jobs.map(|(_, job)| job), &error);
            return false;
        }
    }
    if written.is_empty() {
        // Nothing to keep: the transaction is rolled back as it is dropped.
        return !panicked;
    }
    match transaction.commit().await {
        Ok(()) => {
            for (done, value) in written {
                let _ = done.send(Ok(value));
            }
            !panicked
        }
        Err(error) => {
            tracing::error!(%error, writes = written.len(), "writes committed together failed");
            for (done, _) in written {
                let _ = done.send(Err(copy(&error)));
            }
            false
        }
    }
}
