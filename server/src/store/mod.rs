//! Storage backends. The scheme of `DATABASE_URL` picks one; both implement the app's
//! `Store` and pass the same conformance suite (`tests/conformance.rs`).
//!
//! Each backend has its own SQL and its own migrations (`migrations/sqlite`,
//! `migrations/postgres`), applied at start-up. Rows decode into typed structs.

pub mod postgres;
pub mod sqlite;

use app::store::{Store, StoreError};
use formwork::{flash::FlashStore, identity::SessionStore};
use std::sync::Arc;
use time::OffsetDateTime;

/// One database, seen through the traits that use it.
#[derive(Clone)]
pub struct Stores {
    /// What the app's actions and pages read and write.
    pub app: Arc<dyn Store>,
    /// Where plain form posts leave their outcome for the next page.
    pub flash: Arc<dyn FlashStore>,
    /// Who is signed in.
    pub sessions: Arc<dyn SessionStore>,
}

/// Opens the store `url` names and brings its schema up to date.
pub async fn connect(url: &str) -> anyhow::Result<Stores> {
    fn all<S: Store + FlashStore + SessionStore>(store: S) -> Stores {
        let store = Arc::new(store);
        Stores {
            app: store.clone(),
            flash: store.clone(),
            sessions: store,
        }
    }
    match Backend::of(url)? {
        Backend::Sqlite => Ok(all(sqlite::SqliteStore::connect(url).await?)),
        Backend::Postgres => Ok(all(postgres::PgStore::connect(url).await?)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> anyhow::Result<Self> {
        let scheme = url.split(':').next().unwrap_or_default();
        match scheme {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            _ => anyhow::bail!(
                "DATABASE_URL must start with sqlite: or postgres://, got `{scheme}:`"
            ),
        }
    }
}

/// A post row, as both backends return it.
#[derive(Debug, sqlx::FromRow)]
struct PostRow {
    id: i64,
    slug: String,
    title: String,
    content: String,
    created_at: OffsetDateTime,
}

impl From<PostRow> for app::posts::model::Post {
    fn from(row: PostRow) -> Self {
        Self {
            id: row.id,
            slug: row.slug,
            title: row.title,
            content: row.content,
            created_at: row.created_at,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
struct PostSummaryRow {
    id: i64,
    slug: String,
    title: String,
    excerpt: String,
    created_at: OffsetDateTime,
}

impl From<PostSummaryRow> for app::posts::model::PostSummary {
    fn from(row: PostSummaryRow) -> Self {
        Self {
            id: row.id,
            slug: row.slug,
            title: row.title,
            excerpt: row.excerpt,
            created_at: row.created_at,
        }
    }
}

/// Characters of content the list shows.
const EXCERPT_CHARS: i64 = 280;

/// How often an insert retries after losing a race for the same slug.
const SLUG_ATTEMPTS: usize = 16;

/// The next free slug: `base` if free, else `base-N` with N one past the highest taken.
fn next_free_slug(base: &str, taken: &[String]) -> String {
    if !taken.iter().any(|slug| slug == base) {
        return base.to_owned();
    }
    let highest = taken
        .iter()
        .filter_map(|slug| {
            if slug == base {
                Some(1)
            } else {
                slug.strip_prefix(base)?
                    .strip_prefix('-')?
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n >= 2)
            }
        })
        .max();
    format!("{base}-{}", highest.unwrap_or(1) + 1)
}

/// Bounds for an index range scan that finds `base-…` slugs: `base-` ≤ slug < `base.`
/// (`.` is the character after `-`).
fn suffix_range(base: &str) -> (String, String) {
    (format!("{base}-"), format!("{base}."))
}

/// Timestamps are stored at microsecond precision on both backends.
fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now)
}

/// A role as stored; the schema's CHECK allows only these three.
fn stored_role(text: &str) -> Result<formwork::identity::Role, StoreError> {
    formwork::identity::Role::parse(text).ok_or_else(|| {
        StoreError::Backend(format!("unknown role `{text}` in the users table").into())
    })
}

fn backend_error(error: sqlx::Error) -> StoreError {
    StoreError::Backend(Box::new(error))
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// The queries, written once: both backends accept this SQL (`$N` parameters, `CAST`).
/// Each backend module invokes it for its store type, whose `pool` field runs the queries;
/// what differs (connecting, pool settings, migrations) stays in the backend's module.
macro_rules! sql_store {
    ($store:ident, $backend:literal) => {
        mod queries {
            use super::$store;
            use crate::store::{
                stored_role, backend_error, is_unique_violation, next_free_slug, now, suffix_range, PostRow,
                PostSummaryRow, EXCERPT_CHARS, SLUG_ATTEMPTS,
            };
            use formwork::identity::{Principal, Role};
            use app::{
                accounts::store::Account,
                contact::send_message::ContactMessage,
                feedback::send_feedback::Feedback,
                posts::model::{NewPost, Post, PostSummary},
                store::{
                    AccountStore, ContactStore, FeedbackStore, NewsletterStore, PostStore, Store,
                    StoreError,
                },
            };

            #[async_trait::async_trait]
            impl NewsletterStore for $store {
                async fn subscribe(&self, email: &str) -> Result<bool, StoreError> {
                    sqlx::query(
                        "INSERT INTO newsletter_subscribers (email, created_at) VALUES ($1, $2) \
                         ON CONFLICT (email) DO NOTHING",
                    )
                    .bind(email)
                    .bind(now())
                    .execute(&self.pool)
                    .await
                    .map(|done| done.rows_affected() == 1)
                    .map_err(backend_error)
                }

                async fn subscriber_count(&self) -> Result<u64, StoreError> {
                    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM newsletter_subscribers")
                        .fetch_one(&self.pool)
                        .await
                        .map(|count| u64::try_from(count).unwrap_or_default())
                        .map_err(backend_error)
                }
            }

            #[async_trait::async_trait]
            impl ContactStore for $store {
                async fn save_contact_message(
                    &self,
                    message: &ContactMessage,
                ) -> Result<i64, StoreError> {
                    sqlx::query_scalar::<_, i64>(
                        "INSERT INTO contact_messages (name, email, message, created_at) \
                         VALUES ($1, $2, $3, $4) RETURNING id",
                    )
                    .bind(&message.name)
                    .bind(&message.email)
                    .bind(&message.message)
                    .bind(now())
                    .fetch_one(&self.pool)
                    .await
                    .map_err(backend_error)
                }
            }

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
            }

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

                async fn delete_session(&self, token_hash: &str) -> Result<(), String> {
                    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                        .bind(token_hash)
                        .execute(&self.pool)
                        .await
                        .map(drop)
                        .map_err(|e| e.to_string())
                }
            }

            #[async_trait::async_trait]
            impl FeedbackStore for $store {
                async fn save_feedback(&self, feedback: &Feedback) -> Result<i64, StoreError> {
                    sqlx::query_scalar::<_, i64>(
                        "INSERT INTO feedback (message, created_at) VALUES ($1, $2) RETURNING id",
                    )
                    .bind(&feedback.message)
                    .bind(now())
                    .fetch_one(&self.pool)
                    .await
                    .map_err(backend_error)
                }

                async fn feedback_count(&self) -> Result<u64, StoreError> {
                    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM feedback")
                        .fetch_one(&self.pool)
                        .await
                        .map(|count| u64::try_from(count).unwrap_or_default())
                        .map_err(backend_error)
                }
            }

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
                    Ok(taken.and_then(|(payload, expires_at)| (expires_at >= now).then_some(payload)))
                }
            }

            #[async_trait::async_trait]
            impl Store for $store {
                fn backend(&self) -> &'static str {
                    $backend
                }

                async fn ping(&self) -> Result<(), StoreError> {
                    sqlx::query("SELECT 1")
                        .execute(&self.pool)
                        .await
                        .map(drop)
                        .map_err(backend_error)
                }
            }

            #[async_trait::async_trait]
            impl PostStore for $store {
                async fn create_post(
                    &self,
                    post: &NewPost,
                    base_slug: &str,
                ) -> Result<Post, StoreError> {
                    let (from, to) = suffix_range(base_slug);
                    for _ in 0..SLUG_ATTEMPTS {
                        let taken: Vec<String> = sqlx::query_scalar(
                            "SELECT slug FROM posts WHERE slug = $1 OR (slug >= $2 AND slug < $3)",
                        )
                        .bind(base_slug)
                        .bind(&from)
                        .bind(&to)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(backend_error)?;
                        let slug = next_free_slug(base_slug, &taken);
                        let inserted = sqlx::query_as::<_, PostRow>(
                            "INSERT INTO posts (slug, title, content, created_at) \
                             VALUES ($1, $2, $3, $4) \
                             RETURNING id, slug, title, content, created_at",
                        )
                        .bind(&slug)
                        .bind(&post.title)
                        .bind(&post.content)
                        .bind(now())
                        .fetch_one(&self.pool)
                        .await;
                        match inserted {
                            Ok(row) => return Ok(row.into()),
                            // Another writer took this slug between our read and our insert.
                            Err(error) if is_unique_violation(&error) => continue,
                            Err(error) => return Err(backend_error(error)),
                        }
                    }
                    Err(StoreError::Conflict(
                        "Too many posts are being published with this title right now. \
                         Please try again."
                            .into(),
                    ))
                }

                async fn recent_posts(
                    &self,
                    offset: u64,
                    limit: u32,
                ) -> Result<Vec<PostSummary>, StoreError> {
                    let offset = i64::try_from(offset).unwrap_or(i64::MAX);
                    sqlx::query_as::<_, PostSummaryRow>(
                        "SELECT id, slug, title, substr(content, 1, CAST($1 AS INTEGER)) AS excerpt, \
                         created_at FROM posts ORDER BY id DESC LIMIT $2 OFFSET $3",
                    )
                    .bind(EXCERPT_CHARS)
                    .bind(i64::from(limit))
                    .bind(offset)
                    .fetch_all(&self.pool)
                    .await
                    .map(|rows| rows.into_iter().map(Into::into).collect())
                    .map_err(backend_error)
                }

                async fn update_post(
                    &self,
                    id: i64,
                    post: &NewPost,
                ) -> Result<Option<Post>, StoreError> {
                    sqlx::query_as::<_, PostRow>(
                        "UPDATE posts SET title = $1, content = $2 WHERE id = $3 \
                         RETURNING id, slug, title, content, created_at",
                    )
                    .bind(&post.title)
                    .bind(&post.content)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map(|row| row.map(Into::into))
                    .map_err(backend_error)
                }

                async fn post_by_slug(&self, slug: &str) -> Result<Option<Post>, StoreError> {
                    sqlx::query_as::<_, PostRow>(
                        "SELECT id, slug, title, content, created_at FROM posts WHERE slug = $1",
                    )
                    .bind(slug)
                    .fetch_optional(&self.pool)
                    .await
                    .map(|row| row.map(Into::into))
                    .map_err(backend_error)
                }

                async fn delete_post(&self, id: i64) -> Result<bool, StoreError> {
                    sqlx::query("DELETE FROM posts WHERE id = $1")
                        .bind(id)
                        .execute(&self.pool)
                        .await
                        .map(|done| done.rows_affected() > 0)
                        .map_err(backend_error)
                }
            }
        }
    };
}
pub(crate) use sql_store;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_slugs_count_up_from_two() {
        let taken = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(next_free_slug("hello", &taken(&[])), "hello");
        assert_eq!(next_free_slug("hello", &taken(&["hello"])), "hello-2");
        assert_eq!(
            next_free_slug("hello", &taken(&["hello", "hello-2"])),
            "hello-3"
        );
        assert_eq!(
            next_free_slug("hello", &taken(&["hello", "hello-7"])),
            "hello-8"
        );
        // Other slugs that share the prefix are not suffixes.
        assert_eq!(
            next_free_slug("hello", &taken(&["hello", "hello-world"])),
            "hello-2"
        );
        // A freed base slug is used again.
        assert_eq!(next_free_slug("hello", &taken(&["hello-2"])), "hello");
        assert_eq!(
            next_free_slug("post", &taken(&["post", "post-1"])),
            "post-2"
        );
    }

    #[test]
    fn backend_follows_the_scheme() {
        assert_eq!(Backend::of("sqlite:x.db").ok(), Some(Backend::Sqlite));
        assert_eq!(
            Backend::of("postgres://u@h/db").ok(),
            Some(Backend::Postgres)
        );
        assert_eq!(
            Backend::of("postgresql://u@h/db").ok(),
            Some(Backend::Postgres)
        );
        assert!(Backend::of("mysql://x").is_err());
    }
}
