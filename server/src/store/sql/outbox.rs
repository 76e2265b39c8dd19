//! The email outbox the mail jobs write to (the queue itself is formwork's, see
//! `formwork::store`).

macro_rules! outbox_queries {
    ($store:ident) => {
        mod outbox {
            use super::$store;

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
                        .map(|(job, to, subject, body)| {
                            (job, app::mail::Email { to, subject, body })
                        })
                        .collect())
                }
            }
        }
    };
}
pub(crate) use outbox_queries;
