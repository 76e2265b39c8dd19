//! Heavy work off the request path: a durable job queue on the app's own database.
//!
//! An action records a [`NewJob`] in the same transaction as the data it is about (the
//! transactional outbox: a subscriber and the welcome email to send them commit together, or
//! neither does), wakes the queue ([`Waker::wake`]) and answers at once. A [`Queue`] on every
//! instance that runs jobs claims due jobs, runs each kind's handler, and records the outcome:
//!
//! - **Durable.** Jobs are rows, so a job enqueued before a crash or a deploy runs after it.
//!   A claim is a lease: a job whose worker died mid-run is claimed again once its lease has
//!   run out. Delivery is therefore *at least once*; handlers are idempotent (the job's id is
//!   the natural key of what they write).
//! - **Retried.** A failed run is tried again after an exponential backoff
//!   ([`Retry`]: 1 s, 2 s, 4 s, … up to 10 minutes), at most `max_attempts` times; then the job
//!   is kept as dead, with its last error, for an operator to look at. A job whose kind has no
//!   handler, or whose payload does not decode, can never succeed: it is dead at once.
//! - **Shared.** On PostgreSQL several instances claim from one table without taking the same
//!   job twice (`FOR UPDATE SKIP LOCKED`); SQLite has one writer at a time anyway.
//! - **Observable.** Every outcome is logged with the job's id, kind and attempt; counts by
//!   state are on `/metrics`.

use serde::{de::DeserializeOwned, Serialize};
use std::{
    collections::HashMap,
    future::Future,
    pin::Pin,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use tokio::sync::Notify;

/// A job to record: what kind of work, and its input as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// The kind of work: which handler of the [`Queue`] runs it.
    pub kind: &'static str,
    /// The job's input, as JSON.
    pub payload: String,
}

impl NewJob {
    /// A job of `kind` with `payload`, to be run as soon as a worker is free.
    pub fn new<T: Serialize>(kind: &'static str, payload: &T) -> Result<Self, crate::ActionError> {
        let payload = serde_json::to_string(payload).map_err(crate::ActionError::internal)?;
        Ok(Self { kind, payload })
    }
}

/// A claimed job: what the handler of its kind gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The job's id in the store.
    pub id: i64,
    /// The kind of work, as it was enqueued.
    pub kind: String,
    /// The job's input, as JSON.
    pub payload: String,
    /// 1 for the first run, 2 for the first retry, ….
    pub attempt: u32,
}

/// How many jobs are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    /// Waiting for their first run or for a retry.
    pub queued: u64,
    /// Claimed by a worker and not yet finished.
    pub running: u64,
    /// Succeeded (and not yet forgotten).
    pub done: u64,
    /// Failed for the last time; never run again.
    pub dead: u64,
}

/// Where jobs live: one table in the app's database. Times are Unix milliseconds.
#[async_trait::async_trait]
pub trait JobStore: Send + Sync + 'static {
    /// Records `job`, due at `run_at`. Returns its id.
    async fn enqueue(&self, job: &NewJob, run_at: i64) -> Result<i64, String>;

    /// Claims up to `limit` jobs that are due at `now` (queued with `run_at <= now`, or
    /// running with a lease that ran out), leasing them until `lease_until`, and counting
    /// the attempt. No two claims return the same job while its lease holds.
    async fn claim(&self, now: i64, lease_until: i64, limit: u32) -> Result<Vec<Job>, String>;

    /// The job succeeded. Jobs done before `forget_before` are forgotten on the way.
    async fn complete(&self, id: i64, now: i64, forget_before: i64) -> Result<(), String>;

    /// The job failed with `error`: it runs again at `retry_at`, or (`None`) never again and
    /// is kept as dead.
    async fn fail(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<i64>,
        now: i64,
    ) -> Result<(), String>;

    /// How many jobs are in each state now.
    async fn counts(&self) -> Result<JobCounts, String>;
}

/// When a failed job is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Runs in all, the first included.
    pub max_attempts: u32,
    /// The wait after the first failure; it doubles after each one.
    pub base: Duration,
    /// The longest wait.
    pub cap: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(600),
        }
    }
}

impl Retry {
    /// The wait before the run after attempt `attempt` failed, or `None` when that was the
    /// last one allowed.
    pub fn after(&self, attempt: u32) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        Some(self.base.saturating_mul(factor).min(self.cap))
    }
}

/// Wakes the queue of this process: an action that enqueued a job calls it, so the job starts
/// now instead of at the next poll. Cheap to clone; waking a process without a running queue
/// does nothing.
#[derive(Clone, Default)]
pub struct Waker(Arc<Notify>);

impl Waker {
    /// Has the queue look for due jobs now.
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

type BoxFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;
type Handler = Arc<dyn Fn(Job) -> Result<BoxFuture, String> + Send + Sync>;

/// Runs the jobs of the kinds it has handlers for.
#[derive(Clone)]
pub struct Queue {
    store: Arc<dyn JobStore>,
    handlers: HashMap<&'static str, Handler>,
    retry: Retry,
    /// How long a claim holds: a job still running after that may be claimed again.
    lease: Duration,
    /// How often to look for due jobs when nothing woke the queue.
    poll: Duration,
    /// How many jobs run at once.
    concurrency: u32,
    /// How long finished jobs are kept.
    keep_done: Duration,
    waker: Waker,
}

impl Queue {
    /// A queue on `store` with no handlers yet: default retries, a 5-minute lease, a poll
    /// every second, and two jobs at once.
    pub fn new(store: Arc<dyn JobStore>) -> Self {
        Self {
            store,
            handlers: HashMap::new(),
            retry: Retry::default(),
            lease: Duration::from_secs(300),
            poll: Duration::from_secs(1),
            concurrency: 2,
            keep_done: Duration::from_secs(24 * 60 * 60),
            waker: Waker::default(),
        }
    }

    /// Runs jobs of `kind` with `handler`, given their payload decoded as `T`. An `Err` is
    /// logged and retried (see [`Retry`]).
    pub fn handle<T, F, Fut>(mut self, kind: &'static str, handler: F) -> Self
    where
        T: DeserializeOwned,
        F: Fn(Job, T) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |job: Job| {
            let input = serde_json::from_str::<T>(&job.payload)
                .map_err(|error| format!("the payload does not decode: {error}"))?;
            Ok(Box::pin(handler(job, input)) as BoxFuture)
        });
        self.handlers.insert(kind, handler);
        self
    }

    /// When failed jobs are tried again (default: [`Retry::default`]).
    pub fn retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// How long a claim holds before a job still running may be claimed again (default: 5
    /// minutes).
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// How often to look for due jobs when nothing woke the queue (default: every second).
    pub fn poll(mut self, every: Duration) -> Self {
        self.poll = every;
        self
    }

    /// How many jobs run at once (at least one; default: two).
    pub fn concurrency(mut self, jobs: u32) -> Self {
        self.concurrency = jobs.max(1);
        self
    }

    /// What actions use to start a job at once.
    pub fn waker(&self) -> Waker {
        self.waker.clone()
    }

    /// Claims the jobs due now (up to the concurrency) and runs them to their end, together.
    /// Returns how many ran. [`Queue::run`] calls it in a loop; tests call it directly.
    pub async fn run_due(&self) -> Result<usize, String> {
        let now = now_ms();
        let lease_until = now.saturating_add(millis(self.lease));
        let jobs = self.store.claim(now, lease_until, self.concurrency).await?;
        let count = jobs.len();
        let runs = jobs.into_iter().map(|job| self.run_one(job));
        futures::future::join_all(runs).await;
        Ok(count)
    }

    async fn run_one(&self, job: Job) {
        let (id, attempt) = (job.id, job.attempt);
        let kind = job.kind.clone();
        let outcome = match self.handlers.get(kind.as_str()) {
            None => Err((format!("no handler for jobs of kind `{kind}`"), false)),
            Some(handler) => match handler(job) {
                Err(error) => Err((error, false)),
                Ok(run) => run.await.map_err(|error| (error, true)),
            },
        };
        let now = now_ms();
        let recorded = match outcome {
            Ok(()) => {
                tracing::info!(job = id, %kind, attempt, "job done");
                let forget_before = now.saturating_sub(millis(self.keep_done));
                self.store.complete(id, now, forget_before).await
            }
            Err((error, retryable)) => {
                let retry_in = retryable.then(|| self.retry.after(attempt)).flatten();
                match retry_in {
                    Some(wait) => tracing::warn!(
                        job = id, %kind, attempt, %error, retry_in_ms = millis(wait),
                        "job failed; it will be retried"
                    ),
                    None => tracing::error!(
                        job = id, %kind, attempt, %error,
                        "job failed for good; it is kept as dead"
                    ),
                }
                let retry_at = retry_in.map(|wait| now.saturating_add(millis(wait)));
                self.store.fail(id, &error, retry_at, now).await
            }
        };
        if let Err(error) = recorded {
            // The lease runs out and the job is claimed again: nothing is lost.
            tracing::error!(job = id, %kind, %error, "could not record a job's outcome");
        }
    }

    /// Runs jobs until `stop` resolves, then lets the ones in flight finish. Woken by
    /// [`Waker::wake`], and polls the table otherwise (jobs other instances enqueued, retries
    /// coming due, leases running out).
    pub async fn run(self, stop: impl Future<Output = ()> + Send + 'static) {
        tracing::info!(
            kinds = ?self.handlers.keys().collect::<Vec<_>>(),
            concurrency = self.concurrency,
            "job queue running"
        );
        let stopping = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopper = tokio::spawn({
            let (stopping, waker) = (stopping.clone(), self.waker.clone());
            async move {
                stop.await;
                stopping.store(true, std::sync::atomic::Ordering::SeqCst);
                // `notify_one` keeps a permit, so the loop sees it even if it is busy now.
                waker.wake();
            }
        });
        let stopped = || stopping.load(std::sync::atomic::Ordering::SeqCst);
        while !stopped() {
            // Jobs in flight always run to their end: a stop only keeps new ones from starting.
            let busy = match self.run_due().await {
                // A full batch means more may be waiting: look again at once.
                Ok(count) => count >= self.concurrency as usize,
                Err(error) => {
                    tracing::error!(%error, "could not claim jobs");
                    false
                }
            };
            if busy || stopped() {
                continue;
            }
            tokio::select! {
                () = self.waker.0.notified() => {}
                () = tokio::time::sleep(self.poll) => {}
            }
        }
        stopper.abort();
        tracing::info!("job queue stopped");
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(millis)
        .unwrap_or_default()
}

/// `formwork_jobs{state="…"}` gauges for `/metrics`.
pub fn metrics(counts: JobCounts) -> String {
    let mut out = String::from(
        "# HELP formwork_jobs Jobs in the durable queue, by state.\n# TYPE formwork_jobs gauge\n",
    );
    for (state, count) in [
        ("queued", counts.queued),
        ("running", counts.running),
        ("done", counts.done),
        ("dead", counts.dead),
    ] {
        out.push_str(&format!("formwork_jobs{{state=\"{state}\"}} {count}\n"));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_stops_after_the_last_attempt() {
        let retry = Retry {
            max_attempts: 6,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(10),
        };
        let waits: Vec<_> = (1..=6).map(|attempt| retry.after(attempt)).collect();
        assert_eq!(
            waits,
            [
                Some(Duration::from_secs(1)),
                Some(Duration::from_secs(2)),
                Some(Duration::from_secs(4)),
                Some(Duration::from_secs(8)),
                Some(Duration::from_secs(10)),
                None,
            ]
        );
        assert_eq!(Retry::default().after(5), None, "five runs by default");
        assert_eq!(Retry::default().after(40), None);
    }

    #[test]
    fn metrics_name_every_state() {
        let text = metrics(JobCounts {
            queued: 3,
            running: 1,
            done: 7,
            dead: 2,
        });
        assert!(text.contains("formwork_jobs{state=\"queued\"} 3\n"));
        assert!(text.contains("formwork_jobs{state=\"running\"} 1\n"));
        assert!(text.contains("formwork_jobs{state=\"done\"} 7\n"));
        assert!(text.contains("formwork_jobs{state=\"dead\"} 2\n"));
    }
}
