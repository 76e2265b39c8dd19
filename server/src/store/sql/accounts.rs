//! Accounts and roles: sign-up, sign-in lookups, and the admin page's role changes.

use app::roles::Role;
use app::store::StoreError;

/// A role as stored; the schema's CHECK allows only these three.
pub(crate) fn stored_role(text: &str) -> Result<Role, StoreError> {
    Role::parse(text).ok_or_else(|| {
        StoreError::Backend(format!("unknown role `{text}` in the users table").into())
    })
}

/// An account row as the admin page lists it.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AccountRow {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub role: String,
    pub created_at: time::OffsetDateTime,
}

impl TryFrom<AccountRow> for app::admin::AccountSummary {
    type Error = StoreError;

    fn try_from(row: AccountRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.id,
            username: row.username,
            email: row.email,
            role: stored_role(&row.role)?,
            created_at: row.created_at,
        })
    }
}

macro_rules! account_queries {
    ($store:ident) => {
        mod accounts {
            use super::$store;
            use crate::store::{
                backend_error, is_unique_violation, now,
                sql::accounts::{stored_role, AccountRow},
            };
            use app::roles::Role;
            use app::{
                accounts::store::Account,
                admin::{store::RoleChange, AccountSummary},
                store::{AccountStore, AdminStore, StoreError},
            };

            #[async_trait::async_trait]
            impl AccountStore for $store {
                async fn create_account(
                    &self,
                    username: &str,
                    email: &str,
                    password_hash: &str,
                    role: Role,
                ) -> Result<i64, StoreError> {
                    let inserted = sqlx::query_scalar::<_, i64>(
                        "INSERT INTO users (username, email, password_hash, role, created_at) \
                         VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    )
                    .bind(username)
                    .bind(email)
                    .bind(password_hash)
                    .bind(role.as_str())
                    .bind(now())
                    .fetch_one(&self.pool)
                    .await;
                    match inserted {
                        Ok(id) => Ok(id),
                        Err(error) if is_unique_violation(&error) => {
                            let name_taken = self.account_by_username(username).await?.is_some();
                            Err(StoreError::Conflict(if name_taken {
                                format!("The username {username} is taken. Choose another one.")
                            } else {
                                "An account with this email address exists. Sign in instead."
                                    .to_owned()
                            }))
                        }
                        Err(error) => Err(backend_error(error)),
                    }
                }

                async fn account_by_username(
                    &self,
                    username: &str,
                ) -> Result<Option<Account>, StoreError> {
                    let row: Option<(i64, String, String, String)> = sqlx::query_as(
                        "SELECT id, username, password_hash, role FROM users \
                         WHERE lower(username) = lower($1)",
                    )
                    .bind(username)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend_error)?;
                    row.map(|(id, username, password_hash, role)| {
                        Ok(Account {
                            id,
                            username,
                            password_hash,
                            role: stored_role(&role)?,
                        })
                    })
                    .transpose()
                }

                async fn set_role(&self, user_id: i64, role: Role) -> Result<bool, StoreError> {
                    sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
                        .bind(role.as_str())
                        .bind(user_id)
                        .execute(&self.pool)
                        .await
                        .map(|done| done.rows_affected() == 1)
                        .map_err(backend_error)
                }

                async fn account_count(&self) -> Result<u64, StoreError> {
                    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users")
                        .fetch_one(&self.pool)
                        .await
                        .map(|count| u64::try_from(count).unwrap_or_default())
                        .map_err(backend_error)
                }

                async fn display_name(&self, user_id: i64) -> Result<Option<String>, StoreError> {
                    sqlx::query_scalar::<_, Option<String>>(
                        "SELECT display_name FROM users WHERE id = $1",
                    )
                    .bind(user_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map(Option::flatten)
                    .map_err(backend_error)
                }

                async fn set_display_name(
                    &self,
                    user_id: i64,
                    name: &str,
                ) -> Result<bool, StoreError> {
                    sqlx::query("UPDATE users SET display_name = $2 WHERE id = $1")
                        .bind(user_id)
                        .bind(name)
                        .execute(&self.pool)
                        .await
                        .map(|done| done.rows_affected() == 1)
                        .map_err(backend_error)
                }
            }

            #[async_trait::async_trait]
            impl AdminStore for $store {
                async fn accounts(
                    &self,
                    prefix: &str,
                    offset: u64,
                    limit: u32,
                ) -> Result<Vec<AccountSummary>, StoreError> {
                    let offset = i64::try_from(offset).unwrap_or(i64::MAX);
                    // A prefix compared as text, not a LIKE pattern: `%` and `_` mean themselves.
                    sqlx::query_as::<_, AccountRow>(
                        "SELECT id, username, email, role, created_at FROM users \
                         WHERE substr(lower(username), 1, length($1)) = lower($1) \
                         ORDER BY id DESC LIMIT $2 OFFSET $3",
                    )
                    .bind(prefix)
                    .bind(i64::from(limit))
                    .bind(offset)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend_error)?
                    .into_iter()
                    .map(AccountSummary::try_from)
                    .collect()
                }

                async fn change_role(
                    &self,
                    user_id: i64,
                    role: Role,
                ) -> Result<RoleChange, StoreError> {
                    let mut tx = self.pool.begin().await.map_err(backend_error)?;
                    // Lock the admins first (a no-op write takes their row locks, and SQLite's
                    // write lock), so two admins demoting each other at once are serialised
                    // and the second one sees that only one admin is left.
                    sqlx::query("UPDATE users SET role = role WHERE role = 'admin'")
                        .execute(&mut *tx)
                        .await
                        .map_err(backend_error)?;
                    let target: Option<(String, String)> =
                        sqlx::query_as("SELECT username, role FROM users WHERE id = $1")
                            .bind(user_id)
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(backend_error)?;
                    let Some((username, current)) = target else {
                        return Ok(RoleChange::NoSuchAccount);
                    };
                    if stored_role(&current)? == Role::Admin && role != Role::Admin {
                        let admins = sqlx::query_scalar::<_, i64>(
                            "SELECT COUNT(*) FROM users WHERE role = 'admin'",
                        )
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(backend_error)?;
                        if admins <= 1 {
                            return Ok(RoleChange::LastAdmin { username });
                        }
                    }
                    sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
                        .bind(role.as_str())
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend_error)?;
                    tx.commit().await.map_err(backend_error)?;
                    Ok(RoleChange::Changed { username })
                }
            }
        }
    };
}
pub(crate) use account_queries;
