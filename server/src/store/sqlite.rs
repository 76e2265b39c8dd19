//! The SQLite backend: one file, opened as formwork's SQLite store opens it (WAL, foreign keys
//! on, a busy timeout).

use super::sql::posts::{NewPostRow, PostRow, POST_INSERT};
use anyhow::Context;
use sqlx::SqlitePool;
use std::time::Duration;

/// Indexes the posts queued for search (see the migration `post_search_per_commit`), once per
/// commit of the writer: one statement adds them all to the full-text index. `CROSS JOIN`
/// keeps the queue the outer loop (SQLite's planner, without statistics, scanned every post
/// for each commit).
const SEARCH_QUEUE_DRAIN: &[&str] = &[
    "INSERT INTO posts_search (rowid, search_text) \
     SELECT p.id, p.search_text FROM posts_search_queue q CROSS JOIN posts p ON p.id = q.id \
     WHERE p.search_text IS NOT NULL",
    "DELETE FROM posts_search_queue",
];

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
        // Posts queued for search by another writer than the store's (none of the app's own)
        // are indexed now, rather than at the writer's next commit.
        let mut drain = pool.begin().await?;
        for statement in SEARCH_QUEUE_DRAIN {
            sqlx::query(statement).execute(&mut *drain).await?;
        }
        drain.commit().await?;
        let store = Self {
            writer: formwork::store::sqlite::Writer::new(pool.clone())
                .before_commit(SEARCH_QUEUE_DRAIN),
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use app::store::PostStore;
    use formwork::flash::FlashStore;

    /// Posts queued for search and changed before the writer's next commit: a deleted one
    /// leaves the queue without a 'delete' the index never had (which FTS5 takes for a corrupt
    /// index), an edited one is indexed with its new text, and any commit of the writer (a
    /// flash, here) indexes the queue.
    #[tokio::test]
    async fn queued_posts_are_indexed_by_the_writers_next_commit_as_they_are_then() {
        let dir =
            std::env::temp_dir().join(format!("search-queue-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite:{}", dir.join("test.db").display());
        let store = SqliteStore::connect(&url, Duration::from_secs(2))
            .await
            .unwrap();
        let insert = |slug: &'static str, text: &'static str| {
            sqlx::query(
                "INSERT INTO posts (slug, title, content, created_at, search_text) \
                 VALUES ($1, $1, $1, '2026-12-05T12:00:00Z', $2)",
            )
            .bind(slug)
            .bind(text)
            .execute(&store.pool)
        };
        insert("gone", "alpha words").await.unwrap();
        insert("edited", "bravo words").await.unwrap();
        sqlx::query("DELETE FROM posts WHERE slug = 'gone'")
            .execute(&store.pool)
            .await
            .unwrap();
        sqlx::query("UPDATE posts SET search_text = 'charlie words' WHERE slug = 'edited'")
            .execute(&store.pool)
            .await
            .unwrap();
        let found = |word: &'static str| {
            let store = &store;
            async move {
                store
                    .search_posts(&[word.to_owned()], 10)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|post| post.slug)
                    .collect::<Vec<_>>()
            }
        };
        assert!(
            found("charlie").await.is_empty(),
            "not indexed before a commit of the writer"
        );

        store
            .framework()
            .unwrap()
            .put_flash("a-flash", "{}", i64::MAX)
            .await
            .unwrap();
        assert_eq!(found("charlie").await, ["edited"]);
        assert!(
            found("bravo").await.is_empty(),
            "indexed with its text of then"
        );
        assert!(found("alpha").await.is_empty());
        sqlx::query("INSERT INTO posts_search (posts_search) VALUES ('integrity-check')")
            .execute(&store.pool)
            .await
            .expect("the index holds exactly the posts' text");
        let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM posts_search_queue")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(queued, 0);
        store.pool.close().await;
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
