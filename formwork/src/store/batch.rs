//! formwork's own writes on the way of a form post, written together (PostgreSQL's store; on
//! SQLite the database's one writer does this, see `group_commit`): the submission claims
//! before actions run, and the outcomes and flashes after. A form post used to write each of
//! them in a transaction of its own; under load they now queue for one writer, which writes
//! every claim waiting at that moment in one statement, then every outcome, then every flash.
//!
//! Nothing changes for the caller: each write is answered once it is committed, with its own
//! result. A token claimed twice in one batch is claimed once (the first caller runs, the other
//! is a repeat), as it is when the two come one after the other. If a batch fails for a reason
//! of its own rather than because the database is down, each of its writes is tried alone, so
//! that one write's failure is never its neighbours'.

use super::sql::NewFlash;
use std::collections::{BTreeMap, HashMap};
use tokio::sync::{mpsc, oneshot};

/// The most writes one batch takes (it waits for none: a batch is what queued meanwhile).
const MOST_PER_BATCH: usize = 64;

/// How many writes may wait for the writer before their callers wait to queue.
const QUEUE: usize = 4_096;

/// Why a batch's statement failed.
#[derive(Debug, Clone)]
pub(crate) struct Failed {
    pub(crate) message: String,
    /// The database is down or too busy: trying each write alone would fail the same way,
    /// slower.
    pub(crate) unavailable: bool,
}

/// A backend's statements for a whole batch. Each takes its rows as one JSON array (so one
/// statement's text serves any number of rows, and is prepared once).
#[async_trait::async_trait]
pub(crate) trait Statements: Send + Sync + 'static {
    /// Writes, in one round of statements on one connection:
    /// - `claims`: for each time `now`, the rows `[[token, expires_at], …]` to claim, a token
    ///   whose claim expired before `now` counting as unclaimed; answers the tokens claimed,
    ///   per `now`;
    /// - `outcomes`: `[[token, outcome], …]` to record;
    /// - `flashes`: `[[id, payload, expires_at], …]` to keep.
    ///
    /// Each part answers for itself.
    async fn apply(&self, batch: Rows) -> Applied;
}

/// What one batch writes, as JSON arrays of rows.
#[derive(Default)]
pub(crate) struct Rows {
    pub(crate) claims: Vec<(i64, String)>,
    pub(crate) outcomes: Option<String>,
    pub(crate) flashes: Option<String>,
}

/// How each part of a batch went.
pub(crate) struct Applied {
    /// Per `now`, the tokens claimed (each `now`'s statement answers for itself).
    pub(crate) claims: HashMap<i64, Result<Vec<String>, Failed>>,
    pub(crate) outcomes: Result<(), Failed>,
    pub(crate) flashes: Result<(), Failed>,
}

impl Applied {
    /// A batch whose every part failed alike (its connection, or its writer's transaction).
    /// `nows`: the times of the batch's claims.
    pub(crate) fn failed(nows: impl IntoIterator<Item = i64>, failed: Failed) -> Self {
        Self {
            claims: nows
                .into_iter()
                .map(|now| (now, Err(failed.clone())))
                .collect(),
            outcomes: Err(failed.clone()),
            flashes: Err(failed),
        }
    }
}

enum Write {
    Claim {
        token: String,
        now: i64,
        expires_at: i64,
        done: oneshot::Sender<Result<bool, String>>,
    },
    /// An outcome, a flash, or both (written together as far as the caller is concerned: it
    /// hears of a failure of either).
    Finish {
        outcome: Option<(String, String)>,
        flash: Option<NewFlash>,
        done: oneshot::Sender<Result<(), String>>,
    },
}

/// The queue to the writer of one store. The writer starts with the first write (in the
/// runtime that makes it) and ends when the store is dropped.
pub(crate) struct Writer {
    queue: mpsc::Sender<Write>,
}

impl Writer {
    pub(crate) fn start(statements: impl Statements) -> Self {
        let (queue, waiting) = mpsc::channel(QUEUE);
        tokio::spawn(write(statements, waiting));
        Self { queue }
    }

    async fn send(&self, write: Write) -> Result<(), String> {
        self.queue.send(write).await.map_err(|_| stopped())
    }
}

/// Each write queued for the next batch, and answered once that batch is written.
#[async_trait::async_trait]
impl super::sql::FormWrites for Writer {
    async fn claim(&self, token: &str, now: i64, expires_at: i64) -> Result<bool, String> {
        let (done, answer) = oneshot::channel();
        self.send(Write::Claim {
            token: token.to_owned(),
            now,
            expires_at,
            done,
        })
        .await?;
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }

    async fn finish(
        &self,
        outcome: Option<(&str, &str)>,
        flash: Option<NewFlash>,
    ) -> Result<(), String> {
        let (done, answer) = oneshot::channel();
        self.send(Write::Finish {
            outcome: outcome.map(|(token, outcome)| (token.to_owned(), outcome.to_owned())),
            flash,
            done,
        })
        .await?;
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }
}

fn stopped() -> String {
    "formwork's store writer has stopped".to_owned()
}

async fn write(statements: impl Statements, mut waiting: mpsc::Receiver<Write>) {
    let mut batch = Vec::with_capacity(MOST_PER_BATCH);
    while waiting.recv_many(&mut batch, MOST_PER_BATCH).await > 0 {
        let writes = std::mem::take(&mut batch);
        let counts = &super::WRITE_COUNTS;
        counts
            .batches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        counts
            .writes
            .fetch_add(writes.len() as u64, std::sync::atomic::Ordering::Relaxed);
        let alone = writes.len() == 1;
        let (writes, failed) = apply(&statements, writes).await;
        match failed {
            // One write's own failure is not its neighbours': each is tried alone.
            Some(failure) if !alone && !failure.unavailable => {
                tracing::warn!(error = %failure.message, writes = writes.len(), "a batch of formwork's writes failed; writing each alone");
                for write in writes {
                    let (rest, failed) = apply(&statements, vec![write]).await;
                    answer(rest, failed);
                }
            }
            failed => answer(writes, failed),
        }
    }
}

/// What is left to answer after a batch: the writes a failure touched, and the failure.
type Unanswered = (Vec<Write>, Option<Failed>);

/// Writes `writes` in one batch. The writes that succeeded are answered; those a failed
/// statement touched are handed back with the failure.
async fn apply(statements: &impl Statements, writes: Vec<Write>) -> Unanswered {
    let mut rows = Rows::default();
    let mut claims: BTreeMap<i64, Vec<(String, i64)>> = BTreeMap::new();
    let mut first_claims: HashMap<String, i64> = HashMap::new();
    let mut outcomes = Vec::new();
    let mut flashes = Vec::new();
    for write in &writes {
        match write {
            Write::Claim {
                token,
                now,
                expires_at,
                ..
            } => {
                // A token twice in one batch is claimed once, by its first caller.
                if !first_claims.contains_key(token) {
                    first_claims.insert(token.clone(), *now);
                    claims
                        .entry(*now)
                        .or_default()
                        .push((token.clone(), *expires_at));
                }
            }
            Write::Finish { outcome, flash, .. } => {
                if let Some((token, outcome)) = outcome {
                    outcomes.push((token, outcome));
                }
                if let Some(flash) = flash {
                    flashes.push((&flash.id, &flash.payload, flash.expires_at));
                }
            }
        }
    }
    rows.claims = claims
        .iter()
        .map(|(now, rows)| (*now, json(rows)))
        .collect();
    rows.outcomes = (!outcomes.is_empty()).then(|| json(&outcomes));
    rows.flashes = (!flashes.is_empty()).then(|| json(&flashes));
    let applied = statements.apply(rows).await;

    let mut failure = None;
    let mut touched = Vec::new();
    let mut first_answered: std::collections::HashSet<String> = Default::default();
    for write in writes {
        match write {
            Write::Claim {
                token,
                now,
                expires_at,
                done,
            } => match applied.claims.get(&now).map(Result::as_ref) {
                Some(Ok(claimed)) => {
                    let first = first_claims.get(&token) == Some(&now)
                        && first_answered.insert(token.clone());
                    let _ = done.send(Ok(first && claimed.contains(&token)));
                }
                failed => {
                    let failed = match failed {
                        Some(Err(failed)) => failed.clone(),
                        _ => Failed {
                            message: "a claim was left out of its batch".to_owned(),
                            unavailable: false,
                        },
                    };
                    failure.get_or_insert(failed);
                    touched.push(Write::Claim {
                        token,
                        now,
                        expires_at,
                        done,
                    });
                }
            },
            Write::Finish {
                outcome,
                flash,
                done,
            } => {
                let outcome_failed = outcome.as_ref().and(applied.outcomes.as_ref().err());
                let flash_failed = flash.as_ref().and(applied.flashes.as_ref().err());
                match outcome_failed.or(flash_failed) {
                    None => {
                        let _ = done.send(Ok(()));
                    }
                    Some(failed) => {
                        failure.get_or_insert_with(|| failed.clone());
                        // Tried again, it writes only what failed: a flash already kept
                        // would be a duplicate.
                        touched.push(Write::Finish {
                            outcome: outcome.filter(|_| outcome_failed.is_some()),
                            flash: flash.filter(|_| flash_failed.is_some()),
                            done,
                        });
                    }
                }
            }
        }
    }
    (touched, failure)
}

/// Answers each write with `failed`.
fn answer(writes: Vec<Write>, failed: Option<Failed>) {
    let message = failed.map_or_else(stopped, |failed| failed.message);
    for write in writes {
        match write {
            Write::Claim { done, .. } => {
                let _ = done.send(Err(message.clone()));
            }
            Write::Finish { done, .. } => {
                let _ = done.send(Err(message.clone()));
            }
        }
    }
}

/// Rows as a JSON array (of strings and integers, which always encode).
fn json<T: serde::Serialize>(rows: &T) -> String {
    serde_json::to_string(rows).unwrap_or_else(|_| "[]".to_owned())
}
