//! What the action pipeline keeps between requests: flashes and one-time submission tokens.

macro_rules! flash_queries {
    ($store:ident) => {
        mod flash {
            use super::$store;

            #[async_trait::async_trait]
            impl formwork::flash::FlashStore for $store {
                async fn put_flash(
                    &self,
                    id: &str,
                    payload: &str,
                    expires_at: i64,
                ) -> Result<(), String> {
                    // Flashes nobody came back for are swept on the way.
                    let now = expires_at - formwork::flash::FLASH_TTL.as_secs() as i64;
                    sqlx::query("DELETE FROM flashes WHERE expires_at < $1")
                        .bind(now)
                        .execute(&self.pool)
                        .await
                        .map_err(|e| e.to_string())?;
                    sqlx::query("INSERT INTO flashes (id, payload, expires_at) VALUES ($1, $2, $3)")
                        .bind(id)
                        .bind(payload)
                        .bind(expires_at)
                        .execute(&self.pool)
                        .await
                        .map(drop)
                        .map_err(|e| e.to_string())
                }

                async fn claim_submission(
                    &self,
                    token: &str,
                    now: i64,
                    expires_at: i64,
                ) -> Result<bool, String> {
                    sqlx::query("DELETE FROM submissions WHERE expires_at < $1")
                        .bind(now)
                        .execute(&self.pool)
                        .await
                        .map_err(|e| e.to_string())?;
                    sqlx::query(
                        "INSERT INTO submissions (token, expires_at) VALUES ($1, $2) \
                         ON CONFLICT (token) DO NOTHING",
                    )
                    .bind(token)
                    .bind(expires_at)
                    .execute(&self.pool)
                    .await
                    .map(|done| done.rows_affected() == 1)
                    .map_err(|e| e.to_string())
                }

                async fn finish_submission(
                    &self,
                    token: &str,
                    outcome: &str,
                ) -> Result<(), String> {
                    sqlx::query("UPDATE submissions SET outcome = $1 WHERE token = $2")
                        .bind(outcome)
                        .bind(token)
                        .execute(&self.pool)
                        .await
                        .map(drop)
                        .map_err(|e| e.to_string())
                }

                async fn submission_outcome(&self, token: &str) -> Result<Option<String>, String> {
                    sqlx::query_scalar::<_, Option<String>>(
                        "SELECT outcome FROM submissions WHERE token = $1",
                    )
                    .bind(token)
                    .fetch_optional(&self.pool)
                    .await
                    .map(Option::flatten)
                    .map_err(|e| e.to_string())
                }

                async fn take_flash(&self, id: &str, now: i64) -> Result<Option<String>, String> {
                    let taken: Option<(String, i64)> = sqlx::query_as(
                        "DELETE FROM flashes WHERE id = $1 RETURNING payload, expires_at",
                    )
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| e.to_string())?;
                    Ok(taken
                        .and_then(|(payload, expires_at)| (expires_at >= now).then_some(payload)))
                }
            }
        }
    };
}
pub(crate) use flash_queries;
