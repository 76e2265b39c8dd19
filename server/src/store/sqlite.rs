//! The SQLite backend: one file, opened as formwork's SQLite store opens it (WAL, foreign keys
//! on, a busy timeout).

use super::sql::posts::{NewPostRow, PostRow, POST_INSERT};
use anyhow::Context;
use sqlx::SqlitePool;
use std::time::Duration;

pub struct SqliteStore {
    pool: SqlitePool,
    /// The database's one writer, for the writes many requests make at once (posts).
    writer: formwork::store::sqlite::Writer,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file, applies formwork's migrations and then
    /// the app's (`migrations/sqlite`, which move rows into formwork's tables).
    pub async fn connect(url: &str, acquire_timeout: Duration) -> anyhow::Result<Self> {
        let pool = formwork::store::sqlite::open(url, acquire_timeout).await?;
        formwork::store::sqlite::migrate(&pool).await?;
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        let store = Self {
            writer: formwork::store::sqlite::Writer::new(pool.clone()),
            pool,
        };
        store
            .backfill_search()
            .await
            .context("could not fold the search text of older posts")?;
        Ok(store)
    }

    /// formwork's store on the same database, writing through the same writer: a post's
    /// claim, its action's writes and its outcome share the writer's transactions.
    pub fn framework(&self) -> anyhow::Result<formwork::store::sqlite::SqliteStore> {
        Ok(formwork::store::sqlite::SqliteStore::new(self.pool.clone())
            .with_writer(self.writer.clone())
            .principals(super::PRINCIPALS)?)
    }
}

impl SqliteStore {
    /// Inserts a post through the database's one writer: the posts published at the same
    /// moment are committed together.
    async fn insert_post(&self, post: NewPostRow) -> Result<PostRow, sqlx::Error> {
        use formwork::store::sqlite::rusqlite::Error;
        self.writer
            .write(move |connection| {
                let created_at = post
                    .created_at
                    .format(&time::format_description::well_known::Rfc3339)
                    .map_err(|error| Error::ToSqlConversionFailure(Box::new(error)))?;
                connection.prepare_cached(POST_INSERT)?.query_row(
                    (
                        post.slug,
                        post.title,
                        post.content,
                        created_at,
                        post.author_id,
                        post.search_text,
                    ),
                    PostRow::from_sqlite,
                )
            })
            .await
    }
}

super::sql::sql_store!(SqliteStore, "sqlite", sqlite);
