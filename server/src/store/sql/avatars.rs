//! Avatars: the object keys of each user's picture and pending upload.

/// A user's avatar columns.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AvatarRow {
    pub avatar_key: Option<String>,
    pub avatar_pending: Option<String>,
    pub avatar_error: Option<String>,
}

macro_rules! avatar_queries {
    ($store:ident, $backend:ident) => {
        mod avatars {
            use super::$store;
            use crate::store::{backend_error, sql::avatars::AvatarRow};
            use app::settings::avatar::store::{AvatarState, AvatarStore, Finish};
            use app::store::StoreError;

            #[async_trait::async_trait]
            impl AvatarStore for $store {
                async fn stage_avatar(
                    &self,
                    user_id: i64,
                    staging: &str,
                    process: &formwork::jobs::NewJob,
                ) -> Result<bool, StoreError> {
                    let mut tx = self.pool.begin().await.map_err(backend_error)?;
                    let staged = sqlx::query(
                        "UPDATE users SET avatar_pending = $2, avatar_error = NULL WHERE id = $1",
                    )
                    .bind(user_id)
                    .bind(staging)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend_error)?
                    .rows_affected()
                        == 1;
                    if staged {
                        formwork::store::$backend::enqueue_with(
                            &mut *tx,
                            process,
                            formwork::jobs::now_ms(),
                        )
                        .await
                        .map_err(|e| StoreError::Backend(e.into()))?;
                    }
                    tx.commit().await.map_err(backend_error)?;
                    Ok(staged)
                }

                async fn finish_avatar(
                    &self,
                    user_id: i64,
                    staging: &str,
                    key: &str,
                ) -> Result<Finish, StoreError> {
                    let mut tx = self.pool.begin().await.map_err(backend_error)?;
                    // Write first (a no-op on the user's row): the transaction takes SQLite's
                    // write lock, waiting its turn, before it reads. One that read first
                    // could not write once another connection had committed since its read
                    // (SQLite answers "database is locked" at once, without waiting).
                    sqlx::query("UPDATE users SET avatar_pending = avatar_pending WHERE id = $1")
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend_error)?;
                    // Only this upload's job finishes it, so the picture read here is the
                    // one the update replaces.
                    let replaced = sqlx::query_scalar::<_, Option<String>>(
                        "SELECT avatar_key FROM users WHERE id = $1 AND avatar_pending = $2",
                    )
                    .bind(user_id)
                    .bind(staging)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(backend_error)?;
                    let Some(replaced) = replaced else {
                        return Ok(Finish::Superseded);
                    };
                    let done = sqlx::query(
                        "UPDATE users SET avatar_key = $3, avatar_pending = NULL, \
                         avatar_error = NULL WHERE id = $1 AND avatar_pending = $2",
                    )
                    .bind(user_id)
                    .bind(staging)
                    .bind(key)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend_error)?
                    .rows_affected()
                        == 1;
                    tx.commit().await.map_err(backend_error)?;
                    Ok(if done {
                        Finish::Done { replaced }
                    } else {
                        Finish::Superseded
                    })
                }

                async fn fail_avatar(
                    &self,
                    user_id: i64,
                    staging: &str,
                    message: &str,
                ) -> Result<bool, StoreError> {
                    sqlx::query(
                        "UPDATE users SET avatar_pending = NULL, avatar_error = $3 \
                         WHERE id = $1 AND avatar_pending = $2",
                    )
                    .bind(user_id)
                    .bind(staging)
                    .bind(message)
                    .execute(&self.pool)
                    .await
                    .map(|done| done.rows_affected() == 1)
                    .map_err(backend_error)
                }

                async fn avatar(&self, user_id: i64) -> Result<AvatarState, StoreError> {
                    let row = sqlx::query_as::<_, AvatarRow>(
                        "SELECT avatar_key, avatar_pending, avatar_error FROM users WHERE id = $1",
                    )
                    .bind(user_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend_error)?;
                    Ok(row
                        .map(|row| AvatarState {
                            key: row.avatar_key,
                            pending: row.avatar_pending,
                            error: row.avatar_error,
                        })
                        .unwrap_or_default())
                }
            }
        }
    };
}
pub(crate) use avatar_queries;
