//! The PostgreSQL backend: the scale-out store, shared by every instance.

use super::sql::posts::{NewPostRow, PostRow, POST_INSERT};
use anyhow::Context;
use sqlx::PgPool;
use std::time::Duration;

pub struct PgStore {
    pool: PgPool,
    /// Writes as the SQLite store makes them (each in a transaction of its own here).
    writer: formwork::store::postgres::Writer,
}

impl PgStore {
    /// Connects, applies formwork's migrations and then the app's (`migrations/postgres`,
    /// which move rows into formwork's tables). The database itself must exist.
    pub async fn connect(url: &str, acquire_timeout: Duration) -> anyhow::Result<Self> {
        let pool = formwork::store::postgres::open(url, acquire_timeout).await?;
        formwork::store::postgres::migrate(&pool).await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        let store = Self {
            writer: formwork::store::postgres::Writer::new(pool.clone()),
            pool,
        };
        store
            .backfill_search()
            .await
            .context("could not fold the search text of older posts")?;
        Ok(store)
    }

    /// formwork's store on the same database.
    pub fn framework(&self) -> anyhow::Result<formwork::store::postgres::PgStore> {
        Ok(formwork::store::postgres::PgStore::new(self.pool.clone())
            .principals(super::PRINCIPALS)?)
    }

    /// Revalidations between the instances sharing this database (`LISTEN/NOTIFY`).
    pub fn bus(&self) -> formwork::invalidation::postgres::PgInvalidations {
        formwork::invalidation::postgres::PgInvalidations::new(self.pool.clone())
    }
}

impl PgStore {
    /// Inserts a post, in a transaction of its own.
    async fn insert_post(&self, post: NewPostRow) -> Result<PostRow, sqlx::Error> {
        self.writer
            .write(move |connection| {
                Box::pin(async move {
                    sqlx::query_as::<_, PostRow>(POST_INSERT)
                        .bind(post.slug)
                        .bind(post.title)
                        .bind(post.content)
                        .bind(post.created_at)
                        .bind(post.author_id)
                        .bind(post.search_text)
                        .fetch_one(&mut *connection)
                        .await
                })
            })
            .await
    }
}

super::sql::sql_store!(PgStore, "postgres", postgres);
