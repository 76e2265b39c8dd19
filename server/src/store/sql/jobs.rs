//! The durable job queue (`formwork::jobs`) and the email outbox its handlers write to.
//!
//! One claim is one statement: it picks the due jobs and leases them in the same step, so two
//! workers never run one job at once while its lease holds. On PostgreSQL the pick skips rows
//! another worker is leasing right now (`$lock` is `FOR UPDATE SKIP LOCKED`); SQLite runs one
//! write at a time, so it needs nothing there.

macro_rules! job_queries {
    ($store:ident, $db:ty, $lock:literal) => {
        mod jobs {
            use super::$store;
            use formwork::jobs::{Job, JobCounts, JobStore, NewJob};

            /// A claimed row: id, kind, payload, attempts so far (this one included).
            type Claimed = (i64, String, String, i64);

            #[async_trait::async_trait]
            impl JobStore for $store {
                async fn enqueue(&self, job: &NewJob, run_at: i64) -> Result<i64, String> {
                    insert_job(&self.pool, job, run_at, formwork::jobs::now_ms()).await
                }

                async fn claim(
                    &self,
                    now: i64,
                    lease_until: i64,
                    limit: u32,
                ) -> Result<Vec<Job>, String> {
                    let rows: Vec<Claimed> = sqlx::query_as(concat!(
                        "UPDATE jobs SET state = 'running', attempts = attempts + 1, leased_until = $1 \
                         WHERE id IN (SELECT id FROM jobs \
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
                    let mut jobs: Vec<Job> = rows
                        .into_iter()
                        .map(|(id, kind, payload, attempts)| Job {
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
                        "UPDATE jobs SET state = 'done', finished_at = $2, leased_until = NULL, \
                         last_error = NULL WHERE id = $1",
                    )
                    .bind(id)
                    .bind(now)
                    .execute(&self.pool)
                    .await
                    .map_err(|e| e.to_string())?;
                    sqlx::query("DELETE FROM jobs WHERE state = 'done' AND finished_at < $1")
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
                            "UPDATE jobs SET state = 'queued', run_at = $3, leased_until = NULL, \
                             last_error = $2 WHERE id = $1",
                        )
                        .bind(id)
                        .bind(error)
                        .bind(at),
                        None => sqlx::query(
                            "UPDATE jobs SET state = 'dead', finished_at = $3, leased_until = NULL, \
                             last_error = $2 WHERE id = $1",
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

                async fn counts(&self) -> Result<JobCounts, String> {
                    let rows: Vec<(String, i64)> =
                        sqlx::query_as("SELECT state, COUNT(*) FROM jobs GROUP BY state")
                            .fetch_all(&self.pool)
                            .await
                            .map_err(|e| e.to_string())?;
                    let mut counts = JobCounts::default();
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

            #[async_trait::async_trait]
            impl app::store::OutboxStore for $store {
                async fn write_to_outbox(
                    &self,
                    job_id: i64,
                    email: &app::mail::Email,
                ) -> Result<bool, app::store::StoreError> {
                    sqlx::query(
                        "INSERT INTO email_outbox (job_id, recipient, subject, body, created_at) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (job_id) DO NOTHING",
                    )
                    .bind(job_id)
                    .bind(&email.to)
                    .bind(&email.subject)
                    .bind(&email.body)
                    .bind(crate::store::now())
                    .execute(&self.pool)
                    .await
                    .map(|done| done.rows_affected() == 1)
                    .map_err(crate::store::backend_error)
                }

                async fn outbox(
                    &self,
                    limit: u32,
                ) -> Result<Vec<(i64, app::mail::Email)>, app::store::StoreError> {
                    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
                        "SELECT job_id, recipient, subject, body FROM email_outbox \
                         ORDER BY id DESC LIMIT $1",
                    )
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(crate::store::backend_error)?;
                    Ok(rows
                        .into_iter()
                        .map(|(job, to, subject, body)| (job, app::mail::Email { to, subject, body }))
                        .collect())
                }
            }

            /// Records `job` with whatever runs the queries: the pool, or the transaction of
            /// the data the job is about (see `formwork::jobs`).
            pub(crate) async fn insert_job<'e, E>(
                executor: E,
                job: &NewJob,
                run_at: i64,
                now: i64,
            ) -> Result<i64, String>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                sqlx::query_scalar::<_, i64>(
                    "INSERT INTO jobs (kind, payload, state, attempts, run_at, created_at) \
                     VALUES ($1, $2, 'queued', 0, $3, $4) RETURNING id",
                )
                .bind(job.kind)
                .bind(&job.payload)
                .bind(run_at)
                .bind(now)
                .fetch_one(executor)
                .await
                .map_err(|e| e.to_string())
            }
        }
    };
}
pub(crate) use job_queries;
