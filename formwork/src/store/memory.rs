//! formwork's tables in memory: for tests, and for a small app on one instance that may lose
//! its flashes, sessions and queued jobs when it restarts. Same behaviour as the sqlx stores
//! (one conformance suite runs against all three).

use crate::{
    flash::FlashStore,
    identity::{Principal, SessionStore, StoredSession},
    jobs::{Job, JobCounts, JobStore, NewJob},
};
use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex, MutexGuard},
};

/// Who a user id names, for [`MemoryStore::principals`].
pub type Principals = Arc<dyn Fn(i64) -> Option<Principal> + Send + Sync>;

/// formwork's flashes, submissions, sessions and jobs, in this process's memory.
#[derive(Clone, Default)]
pub struct MemoryStore {
    tables: Arc<Mutex<Tables>>,
    principals: Option<Principals>,
}

#[derive(Default)]
struct Tables {
    /// id → (payload, expires_at)
    flashes: HashMap<String, (String, i64)>,
    /// token → (outcome, expires_at)
    submissions: HashMap<String, (Option<String>, i64)>,
    /// token hash → (user id, the session)
    sessions: HashMap<String, (i64, StoredSession)>,
    jobs: BTreeMap<i64, JobRow>,
    last_job: i64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Queued,
    Running,
    Done,
    Dead,
}

struct JobRow {
    kind: String,
    payload: String,
    state: State,
    attempts: u32,
    run_at: i64,
    leased_until: Option<i64>,
    finished_at: Option<i64>,
    last_error: Option<String>,
}

impl MemoryStore {
    /// An empty store. Nobody can sign in until [`principals`](Self::principals) says who
    /// the users are.
    pub fn new() -> Self {
        Self::default()
    }

    /// Who a session's user id names (`None`: nobody any more, the session names no one).
    pub fn principals(
        mut self,
        principals: impl Fn(i64) -> Option<Principal> + Send + Sync + 'static,
    ) -> Self {
        self.principals = Some(Arc::new(principals));
        self
    }

    fn tables(&self) -> Result<MutexGuard<'_, Tables>, String> {
        self.tables
            .lock()
            .map_err(|_| "the memory store was poisoned by a panic".to_owned())
    }

    /// The last error a job failed with, for tests.
    pub fn last_error(&self, job: i64) -> Option<String> {
        self.tables()
            .ok()?
            .jobs
            .get(&job)
            .and_then(|row| row.last_error.clone())
    }
}

#[async_trait::async_trait]
impl FlashStore for MemoryStore {
    async fn put_flash(&self, id: &str, payload: &str, expires_at: i64) -> Result<(), String> {
        let now = expires_at - crate::flash::FLASH_TTL.as_secs() as i64;
        let mut tables = self.tables()?;
        tables.flashes.retain(|_, (_, expires)| *expires >= now);
        if tables.flashes.contains_key(id) {
            return Err(format!("a flash with id {id} exists already"));
        }
        tables
            .flashes
            .insert(id.to_owned(), (payload.to_owned(), expires_at));
        Ok(())
    }

    async fn take_flash(&self, id: &str, now: i64) -> Result<Option<String>, String> {
        Ok(self
            .tables()?
            .flashes
            .remove(id)
            .and_then(|(payload, expires_at)| (expires_at >= now).then_some(payload)))
    }

    async fn claim_submission(
        &self,
        token: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<bool, String> {
        let mut tables = self.tables()?;
        tables.submissions.retain(|_, (_, expires)| *expires >= now);
        if tables.submissions.contains_key(token) {
            return Ok(false);
        }
        tables
            .submissions
            .insert(token.to_owned(), (None, expires_at));
        Ok(true)
    }

    async fn finish_submission(&self, token: &str, outcome: &str) -> Result<(), String> {
        if let Some((kept, _)) = self.tables()?.submissions.get_mut(token) {
            *kept = Some(outcome.to_owned());
        }
        Ok(())
    }

    async fn submission_outcome(&self, token: &str) -> Result<Option<String>, String> {
        Ok(self
            .tables()?
            .submissions
            .get(token)
            .and_then(|(outcome, _)| outcome.clone()))
    }
}

#[async_trait::async_trait]
impl SessionStore for MemoryStore {
    async fn session_user(&self, token_hash: &str, now: i64) -> Result<Option<Principal>, String> {
        let Some(principals) = &self.principals else {
            return Ok(None);
        };
        let user = self
            .tables()?
            .sessions
            .get(token_hash)
            .filter(|(_, session)| session.expires_at > now)
            .map(|(user, _)| *user);
        Ok(user.and_then(|user| principals(user)))
    }

    async fn insert_session(
        &self,
        token_hash: &str,
        user_id: i64,
        created_at: i64,
        expires_at: i64,
        user_agent: &str,
    ) -> Result<(), String> {
        if self.principals.is_none() {
            return Err("this store has no principals: nobody can sign in".into());
        }
        let mut tables = self.tables()?;
        tables
            .sessions
            .retain(|_, (_, session)| session.expires_at > created_at);
        if tables.sessions.contains_key(token_hash) {
            return Err("a session with this token exists already".into());
        }
        tables.sessions.insert(
            token_hash.to_owned(),
            (
                user_id,
                StoredSession {
                    token_hash: token_hash.to_owned(),
                    created_at,
                    expires_at,
                    user_agent: user_agent.to_owned(),
                },
            ),
        );
        Ok(())
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), String> {
        self.tables()?.sessions.remove(token_hash);
        Ok(())
    }

    async fn user_sessions(&self, user_id: i64, now: i64) -> Result<Vec<StoredSession>, String> {
        let mut sessions: Vec<StoredSession> = self
            .tables()?
            .sessions
            .values()
            .filter(|(user, session)| *user == user_id && session.expires_at > now)
            .map(|(_, session)| session.clone())
            .collect();
        sessions.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| a.token_hash.cmp(&b.token_hash))
        });
        Ok(sessions)
    }

    async fn delete_other_sessions(&self, user_id: i64, keep: &str) -> Result<u64, String> {
        let mut tables = self.tables()?;
        let before = tables.sessions.len();
        tables
            .sessions
            .retain(|hash, (user, _)| *user != user_id || hash == keep);
        Ok((before - tables.sessions.len()) as u64)
    }
}

#[async_trait::async_trait]
impl JobStore for MemoryStore {
    async fn enqueue(&self, job: &NewJob, run_at: i64) -> Result<i64, String> {
        let mut tables = self.tables()?;
        tables.last_job += 1;
        let id = tables.last_job;
        tables.jobs.insert(
            id,
            JobRow {
                kind: job.kind.to_owned(),
                payload: job.payload.clone(),
                state: State::Queued,
                attempts: 0,
                run_at,
                leased_until: None,
                finished_at: None,
                last_error: None,
            },
        );
        Ok(id)
    }

    async fn claim(&self, now: i64, lease_until: i64, limit: u32) -> Result<Vec<Job>, String> {
        let mut tables = self.tables()?;
        let mut due: Vec<(i64, i64)> = tables
            .jobs
            .iter()
            .filter(|(_, row)| match row.state {
                State::Queued => row.run_at <= now,
                State::Running => row.leased_until.is_some_and(|until| until <= now),
                State::Done | State::Dead => false,
            })
            .map(|(id, row)| (row.run_at, *id))
            .collect();
        due.sort_unstable();
        due.truncate(limit as usize);
        let mut claimed: Vec<Job> = due
            .into_iter()
            .filter_map(|(_, id)| {
                let row = tables.jobs.get_mut(&id)?;
                row.state = State::Running;
                row.attempts = row.attempts.saturating_add(1);
                row.leased_until = Some(lease_until);
                Some(Job {
                    id,
                    kind: row.kind.clone(),
                    payload: row.payload.clone(),
                    attempt: row.attempts,
                })
            })
            .collect();
        claimed.sort_by_key(|job| job.id);
        Ok(claimed)
    }

    async fn complete(&self, id: i64, now: i64, forget_before: i64) -> Result<(), String> {
        let mut tables = self.tables()?;
        if let Some(row) = tables.jobs.get_mut(&id) {
            row.state = State::Done;
            row.finished_at = Some(now);
            row.leased_until = None;
            row.last_error = None;
        }
        tables.jobs.retain(|_, row| {
            !(row.state == State::Done && row.finished_at.is_some_and(|at| at < forget_before))
        });
        Ok(())
    }

    async fn fail(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<i64>,
        now: i64,
    ) -> Result<(), String> {
        let mut tables = self.tables()?;
        if let Some(row) = tables.jobs.get_mut(&id) {
            row.last_error = Some(error.chars().take(2_000).collect());
            row.leased_until = None;
            match retry_at {
                Some(at) => {
                    row.state = State::Queued;
                    row.run_at = at;
                }
                None => {
                    row.state = State::Dead;
                    row.finished_at = Some(now);
                }
            }
        }
        Ok(())
    }

    async fn counts(&self) -> Result<JobCounts, String> {
        let mut counts = JobCounts::default();
        for row in self.tables()?.jobs.values() {
            match row.state {
                State::Queued => counts.queued += 1,
                State::Running => counts.running += 1,
                State::Done => counts.done += 1,
                State::Dead => counts.dead += 1,
            }
        }
        Ok(counts)
    }
}
