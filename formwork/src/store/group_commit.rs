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
use sqlx::{Acquire, Connection, SqliteConnection, SqlitePool};
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
    while waiting.recv_many(&mut batch, MOST_PER_COMMIT).await > 0 {
        commit(&pool, std::mem::take(&mut batch)).await;
    }
}

/// Runs `jobs` in one transaction, each in a savepoint, and answers each.
async fn commit(pool: &SqlitePool, jobs: Vec<Job>) {
    let refuse = |jobs: Vec<Job>, error: &sqlx::Error| {
        for job in jobs {
            let _ = job.done.send(Err(copy(error)));
        }
    };
    let mut connection = match pool.acquire().await {
        Ok(connection) => connection,
        Err(error) => return refuse(jobs, &error),
    };
    // The write lock first: no work runs until it is this transaction's.
    let mut transaction = match connection.begin_with("BEGIN IMMEDIATE").await {
        Ok(transaction) => transaction,
        Err(error) => return refuse(jobs, &error),
    };
    let mut written = Vec::with_capacity(jobs.len());
    for Job { work, done } in jobs {
        let mut savepoint = match transaction.begin().await {
            Ok(savepoint) => savepoint,
            Err(error) => {
                let _ = done.send(Err(copy(&error)));
                continue;
            }
        };
        match AssertUnwindSafe(work(&mut savepoint)).catch_unwind().await {
            Ok(Ok(value)) => match savepoint.commit().await {
                Ok(()) => written.push((done, value)),
                Err(error) => {
                    let _ = done.send(Err(error));
                }
            },
            // Rolled back to its savepoint when dropped; the others' writes stay.
            Ok(Err(error)) => {
                drop(savepoint);
                let _ = done.send(Err(error));
            }
            // Its caller hears of it as its answer is dropped.
            Err(panic) => {
                tracing::error!(
                    panic = crate::error::panic_message(panic.as_ref()),
                    "a write panicked; it was rolled back"
                );
                drop(savepoint);
            }
        }
    }
    match transaction.commit().await {
        Ok(()) => {
            for (done, value) in written {
                let _ = done.send(Ok(value));
            }
        }
        Err(error) => {
            tracing::error!(%error, writes = written.len(), "writes committed together failed");
            for (done, _) in written {
                let _ = done.send(Err(copy(&error)));
            }
        }
    }
}
