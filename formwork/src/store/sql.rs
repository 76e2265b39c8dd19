//! The queries of formwork's tables, written once for both sqlx backends: they accept the same
//! SQL (`$N` parameters, `RETURNING`, `ON CONFLICT`). [`framework_queries!`] implements the
//! store traits for a backend's store type, whose `pool` runs them; what differs (connecting,
//! locking, migrations) stays in the backend's module.

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
            #[cfg(feature = "postgres")]
            if db
                .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                .is_some()
            {
                // Connection exceptions (08…), the server shutting down or starting
                // (57P01–57P03), too many connections (53300).
                return code.starts_with("08") || code.starts_with("57P") || code == "53300";
            }
            // SQLite: the file is locked past the busy timeout (BUSY, LOCKED), cannot be
            // opened (CANTOPEN) or read (IOERR), by its primary result code.
            code.parse::<i32>()
                .is_ok_and(|code| matches!(code & 0xff, 5 | 6 | 10 | 14))
        }
        _ => false,
    }
}

/// A query's failure in an action: `?` answers 503 (with `Retry-After`) when the database is
/// unavailable, and a redacted 500 (logged in full, with its correlation id) otherwise.
impl From<sqlx::Error> for crate::ActionError {
    fn from(error: sqlx::Error) -> Self {
        if is_unavailable(&error) {
            Self::unavailable(error)
        } else {
            Self::internal(error)
        }
    }
}

/// Where a store writes a form post's own writes: its claim before the action runs, its
/// outcome and flash after. PostgreSQL's store writes them in batches (`batch::Writer`);
/// SQLite's gives each to the database's one writer, which commits them with the app's
/// writes.
#[async_trait::async_trait]
pub(crate) trait FormWrites: Send + Sync + 'static {
    /// Claims `token` unless an unexpired claim holds it (one that expired before `now` counts
    /// as none): whether this call claimed it.
    async fn claim(&self, token: &str, now: i64, expires_at: i64) -> Result<bool, String>;

    /// Records `outcome` (`(token, outcome)`) and keeps `flash`, whichever are given.
    async fn finish(
        &self,
        outcome: Option<(&str, &str)>,
        flash: Option<NewFlash>,
    ) -> Result<(), String>;
}

/// A flash to keep: its id, its payload and when it expires.
pub(crate) struct NewFlash {
    pub(crate) id: String,
    pub(crate) payload: String,
    pub(crate) expires_at: i64,
}

/// A batch statement's failure, as the batch writer tells its callers.
#[cfg(feature = "postgres")]
pub(crate) fn failure(error: &sqlx::Error) -> super::batch::Failed {
    super::batch::Failed {
        unavailable: is_unavailable(error),
        message: error.to_string(),
    }
}

/// Migrations: `(version, name, SQL)`, oldest first. A version once released never changes
/// (its checksum is checked on every run); a change to the schema is a new migration.
pub(crate) type Migration = (i64, &'static str, &'static str);

/// The SHA-256 of a migration's SQL, as kept in `formwork_migrations`.
pub(crate) fn checksum(sql: &str) -> String {
    use sha2::{Digest, Sha256};
    crate::hex(&Sha256::digest(sql.as_bytes()))
}

/// What applying migrations may find wrong.
pub(crate) fn changed(version: i64, name: &str) -> String {
    format!(
        "formwork migration {version} ({name}) was applied with other SQL than this build has: \
         the database was migrated by another formwork version that changed it"
    )
}

/// The session lookup for an app's principals query (one `SELECT` of the columns `id`, `name`
/// and `rank`, an integer): the session and whom it names, in one statement.
pub(crate) fn session_lookup(principals: &str) -> Result<String, crate::store::StoreSetupError> {
    let principals = principals.trim().trim_end_matches(';').trim();
    if !principals
        .get(..6)
        .is_some_and(|s| s.eq_ignore_ascii_case("select"))
        || principals.contains(';')
    {
        return Err(crate::store::StoreSetupError(format!(
            "the principals query must be one SELECT of the columns id, name and rank, got `{principals}`"
        )));
    }
    Ok(format!(
        "SELECT p.id, p.name, CAST(p.rank AS BIGINT) FROM formwork_sessions s \
         JOIN ({principals}) p ON p.id = s.user_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2"
    ))
}

/// How often, at most, a store sweeps expired flashes and submission claims on the way of a
/// write (seconds of the caller's clock): each sweep is a write of its own, and the rows it
/// removes are ignored by every read meanwhile.
pub(crate) const SWEEP_EVERY: i64 = 60;

/// When a store last swept each table.
#[derive(Default, Debug)]
pub(crate) struct Sweeps {
    pub(crate) flashes: std::sync::atomic::AtomicI64,
    pub(crate) submissions: std::sync::atomic::AtomicI64,
}

/// Whether a sweep last done at `last` is due again at `now`; the caller that finds it due
/// does it (the others go on).
pub(crate) fn sweep_due(last: &std::sync::atomic::AtomicI64, now: i64) -> bool {
    use std::sync::atomic::Ordering::Relaxed;
    let before = last.load(Relaxed);
    now.saturating_sub(before) >= SWEEP_EVERY
        && last.compare_exchange(before, now, Relaxed, Relaxed).is_ok()
}

/// Defines the store `$store` on a pool of database `$db` (named `$name` in its docs) and
/// implements `FlashStore`, `SessionStore` and `JobStore` for it; `$lock` is what a job claim
/// adds to pick rows no other worker holds. `$writer` is the backend's writer of an app's
/// writes. The writes of a form post go where the backend's `start_form_writes` (of the store's
/// pool and writer) sends them ([`FormWrites`]), and its `sweep` says how a sweep is run.
macro_rules! framework_queries {
    (
        $store:ident,
        $name:literal,
        $db:ty,
        $lock:literal,
        writer: $writer:ty $(,)?
    ) => {
        #[doc = concat!("formwork's flashes, submissions, sessions and jobs in a ", $name, " database.")]
        #[derive(Clone)]
        pub struct $store {
            pool: sqlx::Pool<$db>,
            session_lookup: Option<String>,
            sweeps: std::sync::Arc<$crate::store::sql::Sweeps>,
            form_writes: std::sync::Arc<std::sync::OnceLock<Box<dyn $crate::store::sql::FormWrites>>>,
            writer: $writer,
        }

        impl $store {
            /// The store on `pool`, whose formwork tables are migrated ([`migrate`]). Nobody
            /// can sign in until [`principals`](Self::principals) says who the users are.
            pub fn new(pool: sqlx::Pool<$db>) -> Self {
                Self {
                    writer: <$writer>::new(pool.clone()),
                    pool,
                    session_lookup: None,
                    sweeps: Default::default(),
                    form_writes: Default::default(),
                }
            }

            /// The database's writer that formwork's own writes go through. Give it the
            /// app's writes too (or give the store the app's with
            /// [`with_writer`](Self::with_writer)): on SQLite, a form post's claim, the action's
            /// writes and the post's outcome then share the transactions of the one writer
            /// the database allows, instead of two writers taking turns at its lock.
            pub fn writer(&self) -> &$writer {
                &self.writer
            }

            /// Writes formwork's own writes through `writer`, the app's writer of the same
            /// database (see [`writer`](Self::writer)).
            pub fn with_writer(mut self, writer: $writer) -> Self {
                self.writer = writer;
                // The form posts' writes this copy makes from now on go through `writer`.
                self.form_writes = Default::default();
                self
            }

            /// Who a session names: one `SELECT` from the app's own tables of the columns `id`
            /// (the id sessions are started for), `name` and `rank` (an integer 0–255, see
            /// [`Rank`]($crate::identity::Rank)). The session lookup joins it: one query per
            /// signed-in request.
            pub fn principals(mut self, query: &str) -> Result<Self, $crate::store::StoreSetupError> {
                self.session_lookup = Some($crate::store::sql::session_lookup(query)?);
                Ok(self)
            }

            /// The pool it queries.
            pub fn pool(&self) -> &sqlx::Pool<$db> {
                &self.pool
            }

            /// Where the form posts' claims, outcomes and flashes are written (the
            /// backend's `start_form_writes`), set up by the first of them.
            fn form_writes(&self) -> &dyn $crate::store::sql::FormWrites {
                self.form_writes
                    .get_or_init(|| start_form_writes(&self.pool, &self.writer))
                    .as_ref()
            }

            /// Sweeps the flashes nobody came back for, once a minute at most, on the way to
            /// keeping one that expires at `expires_at`.
            async fn sweep_flashes(&self, expires_at: i64) -> Result<(), String> {
                let now = expires_at - $crate::flash::FLASH_TTL.as_secs() as i64;
                if $crate::store::sql::sweep_due(&self.sweeps.flashes, now) {
                    self.sweep("DELETE FROM formwork_flashes WHERE expires_at < $1", now).await?;
                }
                Ok(())
            }

            /// Runs a sweep (`statement`, of the time `now`) through the store's writer, as
            /// formwork's other writes.
            async fn sweep(&self, statement: &'static str, now: i64) -> Result<(), String> {
                sweep(&self.writer, statement, now).await
            }
        }

        #[async_trait::async_trait]
        impl $crate::flash::FlashStore for $store {
            async fn put_flash(
                &self,
                id: &str,
                payload: &str,
                expires_at: i64,
            ) -> Result<(), String> {
                self.sweep_flashes(expires_at).await?;
                let flash = $crate::store::sql::NewFlash {
                    id: id.to_owned(),
                    payload: payload.to_owned(),
                    expires_at,
                };
                self.form_writes().finish(None, Some(flash)).await
            }

            async fn take_flash(&self, id: &str, now: i64) -> Result<Option<String>, String> {
                let taken: Option<(String, i64)> = sqlx::query_as(
                    "DELETE FROM formwork_flashes WHERE id = $1 RETURNING payload, expires_at",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| e.to_string())?;
                Ok(taken.and_then(|(payload, expires_at)| (expires_at >= now).then_some(payload)))
            }

            async fn claim_submission(
                &self,
                token: &str,
                now: i64,
                expires_at: i64,
            ) -> Result<bool, String> {
                if $crate::store::sql::sweep_due(&self.sweeps.submissions, now) {
                    self.sweep("DELETE FROM formwork_submissions WHERE expires_at < $1", now)
                        .await?;
                }
                // A claim that expired but is not swept yet counts as none.
                self.form_writes().claim(token, now, expires_at).await
            }

            async fn finish_submission(&self, token: &str, outcome: &str) -> Result<(), String> {
                self.form_writes().finish(Some((token, outcome)), None).await
            }

            async fn finish_submission_with_flash(
                &self,
                token: &str,
                outcome: &str,
                id: &str,
                payload: &str,
                expires_at: i64,
            ) -> Result<(), String> {
                self.sweep_flashes(expires_at).await?;
                let flash = $crate::store::sql::NewFlash {
                    id: id.to_owned(),
                    payload: payload.to_owned(),
                    expires_at,
                };
                self.form_writes().finish(Some((token, outcome)), Some(flash)).await
            }

            async fn submission_outcome(&self, token: &str) -> Result<Option<String>, String> {
                sqlx::query_scalar::<_, Option<String>>(
                    "SELECT outcome FROM formwork_submissions WHERE token = $1",
                )
                .bind(token)
                .fetch_optional(&self.pool)
                .await
                .map(Option::flatten)
                .map_err(|e| e.to_string())
            }
        }

        #[async_trait::async_trait]
        impl $crate::identity::SessionStore for $store {
            async fn session_user(
                &self,
                token_hash: &str,
                now: i64,
            ) -> Result<Option<$crate::identity::Principal>, String> {
                // Without principals nobody can have signed in.
                let Some(lookup) = &self.session_lookup else {
                    return Ok(None);
                };
                // One query: the session and whom it names.
                let row: Option<(i64, String, i64)> = sqlx::query_as(lookup)
                    .bind(token_hash)
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| e.to_string())?;
                row.map(|(user_id, username, rank)| {
                    Ok($crate::identity::Principal {
                        user_id,
                        username,
                        rank: $crate::identity::Rank(u8::try_from(rank).map_err(|_| {
                            format!("user {user_id} has a rank out of 0..=255: {rank}")
                        })?),
                    })
                })
                .transpose()
            }

            async fn insert_session(
                &self,
                token_hash: &str,
                user_id: i64,
                created_at: i64,
                expires_at: i64,
                user_agent: &str,
            ) -> Result<(), String> {
                if self.session_lookup.is_none() {
                    return Err("this store has no principals query: nobody can sign in".into());
                }
                // Sessions that ran out are swept on the way.
                sqlx::query("DELETE FROM formwork_sessions WHERE expires_at <= $1")
                    .bind(created_at)
                    .execute(&self.pool)
                    .await
                    .map_err(|e| e.to_string())?;
                sqlx::query(
                    "INSERT INTO formwork_sessions \
                     (token_hash, user_id, created_at, expires_at, user_agent) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(token_hash)
                .bind(user_id)
                .bind(created_at)
                .bind(expires_at)
                .bind(user_agent)
                .execute(&self.pool)
                .await
                .map(drop)
                .map_err(|e| e.to_string())
            }

            async fn delete_session(&self, token_hash: &str) -> Result<(), String> {
                sqlx::query("DELETE FROM formwork_sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await
                    .map(drop)
                    .map_err(|e| e.to_string())
            }

            async fn user_sessions(
                &self,
                user_id: i64,
                now: i64,
            ) -> Result<Vec<$crate::identity::StoredSession>, String> {
                let rows: Vec<(String, i64, i64, String)> = sqlx::query_as(
                    "SELECT token_hash, created_at, expires_at, user_agent FROM formwork_sessions \
                     WHERE user_id = $1 AND expires_at > $2 \
                     ORDER BY created_at DESC, token_hash",
                )
                .bind(user_id)
                .bind(now)
                .fetch_all(&self.pool)
                .await
                .map_err(|e| e.to_string())?;
                Ok(rows
                    .into_iter()
                    .map(|(token_hash, created_at, expires_at, user_agent)| {
                        $crate::identity::StoredSession {
                            token_hash,
                            created_at,
                            expires_at,
                            user_agent,
                        }
                    })
                    .collect())
            }

            async fn delete_other_sessions(&self, user_id: i64, keep: &str) -> Result<u64, String> {
                sqlx::query("DELETE FROM formwork_sessions WHERE user_id = $1 AND token_hash <> $2")
                    .bind(user_id)
                    .bind(keep)
                    .execute(&self.pool)
                    .await
                    .map(|done| done.rows_affected())
                    .map_err(|e| e.to_string())
            }
        }

        #[async_trait::async_trait]
        impl $crate::jobs::JobStore for $store {
            async fn enqueue(
                &self,
                job: &$crate::jobs::NewJob,
                run_at: i64,
            ) -> Result<i64, String> {
                enqueue_with(&self.pool, job, run_at).await
            }

            async fn claim(
                &self,
                now: i64,
                lease_until: i64,
                limit: u32,
            ) -> Result<Vec<$crate::jobs::Job>, String> {
                // One statement picks the due jobs and leases them: two workers never run one
                // job at once while its lease holds.
                let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(concat!(
                    "UPDATE formwork_jobs SET state = 'running', attempts = attempts + 1, \
                     leased_until = $1 \
                     WHERE id IN (SELECT id FROM formwork_jobs \
                       WHERE (state = 'queued' AND run_at <= $2) \
                          OR (state = 'running' AND leased_until <= $2) \
                       ORDER BY run_at, id LIMIT $3 ",
                    $lock,
                    ") RETURNING id, kind, payload, attempts"
                ))
                .bind(lease_until)
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(|e| e.to_string())?;
                let mut jobs: Vec<$crate::jobs::Job> = rows
                    .into_iter()
                    .map(|(id, kind, payload, attempts)| $crate::jobs::Job {
                        id,
                        kind,
                        payload,
                        attempt: u32::try_from(attempts).unwrap_or(u32::MAX),
                    })
                    .collect();
                // RETURNING comes in no set order; run the oldest first.
                jobs.sort_by_key(|job| job.id);
                Ok(jobs)
            }

            async fn complete(&self, id: i64, now: i64, forget_before: i64) -> Result<(), String> {
                sqlx::query(
                    "UPDATE formwork_jobs SET state = 'done', finished_at = $2, \
                     leased_until = NULL, last_error = NULL WHERE id = $1",
                )
                .bind(id)
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(|e| e.to_string())?;
                sqlx::query("DELETE FROM formwork_jobs WHERE state = 'done' AND finished_at < $1")
                    .bind(forget_before)
                    .execute(&self.pool)
                    .await
                    .map(drop)
                    .map_err(|e| e.to_string())
            }

            async fn fail(
                &self,
                id: i64,
                error: &str,
                retry_at: Option<i64>,
                now: i64,
            ) -> Result<(), String> {
                // Errors are for operators; a runaway one is cut, on a character boundary.
                let error: String = error.chars().take(2_000).collect();
                let query = match retry_at {
                    Some(at) => sqlx::query(
                        "UPDATE formwork_jobs SET state = 'queued', run_at = $3, \
                         leased_until = NULL, last_error = $2 WHERE id = $1",
                    )
                    .bind(id)
                    .bind(error)
                    .bind(at),
                    None => sqlx::query(
                        "UPDATE formwork_jobs SET state = 'dead', finished_at = $3, \
                         leased_until = NULL, last_error = $2 WHERE id = $1",
                    )
                    .bind(id)
                    .bind(error)
                    .bind(now),
                };
                query
                    .execute(&self.pool)
                    .await
                    .map(drop)
                    .map_err(|e| e.to_string())
            }

            async fn counts(&self) -> Result<$crate::jobs::JobCounts, String> {
                let rows: Vec<(String, i64)> =
                    sqlx::query_as("SELECT state, COUNT(*) FROM formwork_jobs GROUP BY state")
                        .fetch_all(&self.pool)
                        .await
                        .map_err(|e| e.to_string())?;
                let mut counts = $crate::jobs::JobCounts::default();
                for (state, count) in rows {
                    let count = u64::try_from(count).unwrap_or_default();
                    match state.as_str() {
                        "queued" => counts.queued = count,
                        "running" => counts.running = count,
                        "done" => counts.done = count,
                        "dead" => counts.dead = count,
                        _ => {}
                    }
                }
                Ok(counts)
            }
        }

        /// Records `job`, due at `run_at` (Unix milliseconds), with whatever runs the query:
        /// the pool, or the transaction of the data the job is about (the transactional
        /// outbox, see [`crate::jobs`]). Returns its id.
        pub async fn enqueue_with<'e, E>(
            executor: E,
            job: &$crate::jobs::NewJob,
            run_at: i64,
        ) -> Result<i64, String>
        where
            E: sqlx::Executor<'e, Database = $db>,
        {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO formwork_jobs (kind, payload, state, attempts, run_at, created_at) \
                 VALUES ($1, $2, 'queued', 0, $3, $4) RETURNING id",
            )
            .bind(job.kind)
            .bind(&job.payload)
            .bind(run_at)
            .bind($crate::jobs::now_ms())
            .fetch_one(executor)
            .await
            .map_err(|e| e.to_string())
        }

        /// Applies `migrations` not applied yet, in one transaction opened with `begin` and
        /// `lock` (which keep two instances starting at once from both applying them),
        /// recording each in `formwork_migrations`; fails when one applied before has other
        /// SQL now. Returns how many it applied.
        async fn apply_migrations(
            pool: &sqlx::Pool<$db>,
            begin: &'static str,
            lock: &'static str,
            migrations: &[$crate::store::sql::Migration],
        ) -> Result<usize, $crate::store::StoreSetupError> {
            use $crate::store::StoreSetupError;
            let error =
                |e: sqlx::Error| StoreSetupError(format!("migrating formwork's tables: {e}"));
            let mut tx = pool.begin_with(begin).await.map_err(error)?;
            if !lock.is_empty() {
                sqlx::raw_sql(lock).execute(&mut *tx).await.map_err(error)?;
            }
            sqlx::raw_sql(
                "CREATE TABLE IF NOT EXISTS formwork_migrations (\
                 version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, \
                 applied_at BIGINT NOT NULL)",
            )
            .execute(&mut *tx)
            .await
            .map_err(error)?;
            let applied: Vec<(i64, String)> =
                sqlx::query_as("SELECT version, checksum FROM formwork_migrations")
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(error)?;
            let mut count = 0;
            for &(version, name, sql) in migrations {
                let checksum = $crate::store::sql::checksum(sql);
                match applied.iter().find(|(v, _)| *v == version) {
                    Some((_, was)) if *was == checksum => continue,
                    Some(_) => {
                        return Err(StoreSetupError($crate::store::sql::changed(version, name)))
                    }
                    None => {}
                }
                sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(error)?;
                sqlx::query(
                    "INSERT INTO formwork_migrations (version, name, checksum, applied_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(version)
                .bind(name)
                .bind(checksum)
                .bind($crate::jobs::now_ms() / 1_000)
                .execute(&mut *tx)
                .await
                .map_err(error)?;
                count += 1;
            }
            tx.commit().await.map_err(error)?;
            Ok(count)
        }
    };
}
pub(crate) use framework_queries;

#[cfg(test)]
mod tests {
    #[test]
    fn a_database_that_is_gone_is_unavailable_and_a_bad_query_is_not() {
        use super::is_unavailable;
        assert!(is_unavailable(&sqlx::Error::PoolTimedOut));
        assert!(is_unavailable(&sqlx::Error::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused
        ))));
        assert!(!is_unavailable(&sqlx::Error::RowNotFound));
        assert!(!is_unavailable(&sqlx::Error::ColumnNotFound("x".into())));
        let down: crate::ActionError = sqlx::Error::PoolTimedOut.into();
        assert_eq!(down.status().as_u16(), 503);
        let wrong: crate::ActionError = sqlx::Error::RowNotFound.into();
        assert_eq!(wrong.status().as_u16(), 500);
    }
}
