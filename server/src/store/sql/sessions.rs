//! Sessions: who a cookie's token signs in (the table keeps only the token's hash).

macro_rules! session_queries {
    ($store:ident) => {
        mod sessions {
            use super::$store;
            use crate::store::sql::accounts::stored_role;
            use formwork::identity::{Principal, StoredSession};

            #[async_trait::async_trait]
            impl formwork::identity::SessionStore for $store {
                async fn session_user(
                    &self,
                    token_hash: &str,
                    now: i64,
                ) -> Result<Option<Principal>, String> {
                    let row: Option<(i64, String, String)> = sqlx::query_as(
                        "SELECT users.id, users.username, users.role FROM sessions \
                         JOIN users ON users.id = sessions.user_id \
                         WHERE sessions.token_hash = $1 AND sessions.expires_at > $2",
                    )
                    .bind(token_hash)
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| e.to_string())?;
                    row.map(|(user_id, username, role)| {
                        Ok(Principal {
                            user_id,
                            username,
                            role: stored_role(&role).map_err(|e| e.to_string())?,
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
                    // Sessions that ran out are swept on the way.
                    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                        .bind(created_at)
                        .execute(&self.pool)
                        .await
                        .map_err(|e| e.to_string())?;
                    sqlx::query(
                        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, user_agent) \
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

                async fn user_sessions(
                    &self,
                    user_id: i64,
                    now: i64,
                ) -> Result<Vec<StoredSession>, String> {
                    let rows: Vec<(String, i64, i64, String)> = sqlx::query_as(
                        "SELECT token_hash, created_at, expires_at, user_agent FROM sessions \
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
                        .map(|(token_hash, created_at, expires_at, user_agent)| StoredSession {
                            token_hash,
                            created_at,
                            expires_at,
                            user_agent,
                        })
                        .collect())
                }

                async fn delete_other_sessions(
                    &self,
                    user_id: i64,
                    keep: &str,
                ) -> Result<u64, String> {
                    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
                        .bind(user_id)
                        .bind(keep)
                        .execute(&self.pool)
                        .await
                        .map(|done| done.rows_affected())
                        .map_err(|e| e.to_string())
                }

                async fn delete_session(&self, token_hash: &str) -> Result<(), String> {
                    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                        .bind(token_hash)
                        .execute(&self.pool)
                        .await
                        .map(drop)
                        .map_err(|e| e.to_string())
                }
            }
        }
    };
}
pub(crate) use session_queries;
