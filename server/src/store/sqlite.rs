//! The SQLite backend: one file, WAL, foreign keys on, a busy timeout.

use super::{
    backend_error, is_unique_violation, next_free_slug, now, suffix_range, PostRow, PostSummaryRow,
    EXCERPT_CHARS, SLUG_ATTEMPTS,
};
use app::{
    posts::model::{NewPost, Post, PostSummary},
    store::{PostStore, Store, StoreError},
};
use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    SqlitePool,
};
use std::{str::FromStr, time::Duration};

pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies `migrations/sqlite`.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        Ok(Self { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
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
impl PostStore for SqliteStore {
    async fn create_post(&self, post: &NewPost, base_slug: &str) -> Result<Post, StoreError> {
        let (from, to) = suffix_range(base_slug);
        for _ in 0..SLUG_ATTEMPTS {
            let taken: Vec<String> = sqlx::query_scalar(
                "SELECT slug FROM posts WHERE slug = ?1 OR (slug >= ?2 AND slug < ?3)",
            )
            .bind(base_slug)
            .bind(&from)
            .bind(&to)
            .fetch_all(&self.pool)
            .await
            .map_err(backend_error)?;
            let slug = next_free_slug(base_slug, &taken);
            let inserted = sqlx::query_as::<_, PostRow>(
                "INSERT INTO posts (slug, title, content, created_at) VALUES (?1, ?2, ?3, ?4) \
                 RETURNING id, slug, title, content, created_at",
            )
            .bind(&slug)
            .bind(post.title())
            .bind(post.content())
            .bind(now())
            .fetch_one(&self.pool)
            .await;
            match inserted {
                Ok(row) => return Ok(row.into()),
                // Another writer took this slug between our read and our insert: look again.
                Err(error) if is_unique_violation(&error) => continue,
                Err(error) => return Err(backend_error(error)),
            }
        }
        Err(StoreError::Conflict(
            "Too many posts are being published with this title right now. Please try again."
                .into(),
        ))
    }

    async fn recent_posts(&self, offset: u64, limit: u32) -> Result<Vec<PostSummary>, StoreError> {
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        sqlx::query_as::<_, PostSummaryRow>(
            "SELECT id, slug, title, substr(content, 1, ?1) AS excerpt, created_at \
             FROM posts ORDER BY id DESC LIMIT ?2 OFFSET ?3",
        )
        .bind(EXCERPT_CHARS)
        .bind(i64::from(limit))
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map(|rows| rows.into_iter().map(Into::into).collect())
        .map_err(backend_error)
    }

    async fn post_by_slug(&self, slug: &str) -> Result<Option<Post>, StoreError> {
        sqlx::query_as::<_, PostRow>(
            "SELECT id, slug, title, content, created_at FROM posts WHERE slug = ?1",
        )
        .bind(slug)
        .fetch_optional(&self.pool)
        .await
        .map(|row| row.map(Into::into))
        .map_err(backend_error)
    }

    async fn delete_post(&self, id: i64) -> Result<bool, StoreError> {
        sqlx::query("DELETE FROM posts WHERE id = ?1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map(|done| done.rows_affected() > 0)
            .map_err(backend_error)
    }
}
