//! Posts: publishing under a free slug, the newest-first list, edits and deletes by their
//! author (deletes also by moderators).

use time::OffsetDateTime;

/// A post row with its author, as both backends return it.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct PostRow {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub content: String,
    pub created_at: OffsetDateTime,
    pub author_id: Option<i64>,
    pub author: Option<String>,
    pub author_display_name: Option<String>,
    pub author_avatar: Option<String>,
}

impl PostRow {
    /// The row [`POST_INSERT`] returns, as SQLite's writer reads it (sqlx reads it as
    /// [`sqlx::FromRow`] does elsewhere): the time as sqlx writes it, RFC 3339.
    pub(crate) fn from_sqlite(
        row: &formwork::store::sqlite::rusqlite::Row<'_>,
    ) -> formwork::store::sqlite::rusqlite::Result<Self> {
        use formwork::store::sqlite::rusqlite::{types::Type, Error};
        let created_at: String = row.get("created_at")?;
        let created_at =
            OffsetDateTime::parse(&created_at, &time::format_description::well_known::Rfc3339)
                .map_err(|error| Error::FromSqlConversionFailure(4, Type::Text, Box::new(error)))?;
        Ok(Self {
            id: row.get("id")?,
            slug: row.get("slug")?,
            title: row.get("title")?,
            content: row.get("content")?,
            created_at,
            author_id: row.get("author_id")?,
            author: row.get("author")?,
            author_display_name: row.get("author_display_name")?,
            author_avatar: row.get("author_avatar")?,
        })
    }
}

impl From<PostRow> for app::posts::model::Post {
    fn from(row: PostRow) -> Self {
        Self {
            id: row.id,
            slug: row.slug,
            title: row.title,
            content: row.content,
            created_at: row.created_at,
            author: author(
                row.author_id,
                row.author,
                row.author_display_name,
                row.author_avatar,
            ),
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct PostSummaryRow {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub excerpt: String,
    pub created_at: OffsetDateTime,
    pub author_id: Option<i64>,
    pub author: Option<String>,
    pub author_display_name: Option<String>,
    pub author_avatar: Option<String>,
}

impl From<PostSummaryRow> for app::posts::model::PostSummary {
    fn from(row: PostSummaryRow) -> Self {
        Self {
            id: row.id,
            slug: row.slug,
            title: row.title,
            excerpt: row.excerpt,
            created_at: row.created_at,
            author: author(
                row.author_id,
                row.author,
                row.author_display_name,
                row.author_avatar,
            ),
        }
    }
}

fn author(
    id: Option<i64>,
    username: Option<String>,
    display_name: Option<String>,
    avatar: Option<String>,
) -> Option<app::posts::model::Author> {
    Some(app::posts::model::Author {
        id: id?,
        username: username?,
        display_name,
        avatar,
    })
}

/// What a post is read with: its row and its author's name.
pub(crate) const POST_SELECT: &str = "SELECT posts.id, posts.slug, posts.title, posts.content, \
     posts.created_at, posts.author_id, users.username AS author, users.display_name AS author_display_name, users.avatar_key AS author_avatar \
     FROM posts LEFT JOIN users ON users.id = posts.author_id";

/// A new post, and the row [`POST_SELECT`] would read of it, in one statement: the author's
/// columns come from subqueries (a `RETURNING` clause reads only the table it writes).
pub(crate) const POST_INSERT: &str = "INSERT INTO posts \
     (slug, title, content, created_at, author_id, search_text) VALUES ($1, $2, $3, $4, $5, $6) \
     RETURNING id, slug, title, content, created_at, author_id, \
     (SELECT username FROM users WHERE users.id = posts.author_id) AS author, \
     (SELECT display_name FROM users WHERE users.id = posts.author_id) AS author_display_name, \
     (SELECT avatar_key FROM users WHERE users.id = posts.author_id) AS author_avatar";

/// A post's row as [`POST_INSERT`] writes it (`$1` to `$6`), through the backend's writer
/// (each backend's `insert_post`: on SQLite, the posts published at the same moment are
/// committed together).
pub(crate) struct NewPostRow {
    pub slug: String,
    pub title: String,
    pub content: String,
    pub created_at: OffsetDateTime,
    pub author_id: i64,
    pub search_text: String,
}

/// What a post is searched by: its title and content, [folded](app::search::query::fold) as
/// the words of a query are, on two lines (a word has no whitespace, so none matches across).
pub(crate) fn search_text(title: &str, content: &str) -> String {
    use app::search::query::fold;
    format!("{}\n{}", fold(title), fold(content))
}

/// The shortest word a trigram index can look up; shorter ones are matched row by row.
const TRIGRAM: usize = 3;

/// A `LIKE … ESCAPE '\'` pattern that matches text holding `word`: its `%`, `_` and `\`
/// are escaped, so they stand for themselves.
pub(crate) fn contains_pattern(word: &str) -> String {
    let mut pattern = String::with_capacity(word.len() + 2);
    pattern.push('%');
    for c in word.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// A `GLOB` pattern (case-sensitive, as folded text needs) that matches text holding `word`:
/// its `*`, `?` and `[` are bracketed, so they stand for themselves.
pub(crate) fn glob_contains(word: &str) -> String {
    let mut pattern = String::with_capacity(word.len() + 2);
    pattern.push('*');
    for c in word.chars() {
        match c {
            '*' => pattern.push_str("[*]"),
            '?' => pattern.push_str("[?]"),
            '[' => pattern.push_str("[[]"),
            c => pattern.push(c),
        }
    }
    pattern.push('*');
    pattern
}

/// An FTS5 query that holds every one of `words` as a plain string (double quotes doubled):
/// with the trigram tokenizer, a string matches wherever it occurs, inside words too.
pub(crate) fn fts_every(words: &[&String]) -> String {
    words
        .iter()
        .map(|word| format!("\"{}\"", word.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// The search for posts holding every one of `words` (folded), newest first, at most `$N`
/// (the last parameter), on `backend`: the SQL and, in order, the text of each parameter
/// before the limit.
///
/// - SQLite: the words of three characters or more go to the FTS5 trigram index
///   (`posts_search`) as one MATCH, which yields its hits newest first and stops at the limit;
///   shorter ones (`a`, `%`, an emoji) are GLOBs over the folded text of those hits, or of every
///   post when no word is long enough for the index.
/// - PostgreSQL: one `LIKE` per word over the folded text, which the `pg_trgm` index answers
///   for words of three characters or more.
pub(crate) fn search_sql(backend: &str, words: &[String]) -> (String, Vec<String>) {
    let mut binds = Vec::new();
    let mut conditions = Vec::new();
    let sql = if backend == "sqlite" {
        let (long, short): (Vec<&String>, Vec<&String>) = words
            .iter()
            .partition(|word| word.chars().count() >= TRIGRAM);
        if !long.is_empty() {
            binds.push(fts_every(&long));
            conditions.push(format!("posts_search MATCH ${}", binds.len()));
        }
        for word in short {
            binds.push(glob_contains(word));
            conditions.push(format!("search_text GLOB ${}", binds.len()));
        }
        format!(
            "{POST_SELECT} WHERE posts.id IN (SELECT rowid FROM posts_search WHERE {} \
             ORDER BY rowid DESC LIMIT ${}) ORDER BY posts.id DESC",
            conditions.join(" AND "),
            binds.len() + 1
        )
    } else {
        for word in words {
            binds.push(contains_pattern(word));
            conditions.push(format!(
                "posts.search_text LIKE ${} ESCAPE '\\'",
                binds.len()
            ));
        }
        format!(
            "{POST_SELECT} WHERE {} ORDER BY posts.id DESC LIMIT ${}",
            conditions.join(" AND "),
            binds.len() + 1
        )
    };
    (sql, binds)
}

/// Characters of content the list shows.
pub(crate) const EXCERPT_CHARS: i64 = 280;

/// How often an insert retries after losing a race for the same slug.
pub(crate) const SLUG_ATTEMPTS: usize = 16;

/// The next free slug: `base` if free, else `base-N` with N one past the highest taken.
pub(crate) fn next_free_slug(base: &str, taken: &[String]) -> String {
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
pub(crate) fn suffix_range(base: &str) -> (String, String) {
    (format!("{base}-"), format!("{base}."))
}

macro_rules! post_queries {
    ($store:ident, $backend:literal) => {
        mod posts {
            use super::$store;
            use crate::store::{
                backend_error, is_unique_violation, now,
                sql::posts::{
                    next_free_slug, search_sql, search_text, suffix_range, NewPostRow, PostRow,
                    PostSummaryRow, EXCERPT_CHARS, POST_SELECT, SLUG_ATTEMPTS,
                },
            };
            use app::{
                posts::model::{NewPost, Post, PostSummary},
                store::{Owned, PostStore, StoreError},
            };

            impl $store {
                async fn post_by_id(&self, id: i64) -> Result<Option<Post>, StoreError> {
                    sqlx::query_as::<_, PostRow>(&format!("{POST_SELECT} WHERE posts.id = $1"))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map(|row| row.map(Into::into))
                        .map_err(backend_error)
                }

                /// Folds the search text of posts written before it existed (their
                /// `search_text` is NULL after the migration that added it), a batch per
                /// transaction. Run at start-up; safe to run twice at once (two instances), as
                /// both write the same text.
                pub(crate) async fn backfill_search(&self) -> Result<(), StoreError> {
                    const BATCH: i64 = 500;
                    let mut done = 0;
                    loop {
                        let rows: Vec<(i64, String, String)> = sqlx::query_as(
                            "SELECT id, title, content FROM posts WHERE search_text IS NULL \
                             ORDER BY id LIMIT $1",
                        )
                        .bind(BATCH)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(backend_error)?;
                        if rows.is_empty() {
                            if done > 0 {
                                tracing::info!(
                                    posts = done,
                                    "folded the search text of posts written before search had it"
                                );
                            }
                            return Ok(());
                        }
                        let mut tx = self.pool.begin().await.map_err(backend_error)?;
                        for (id, title, content) in &rows {
                            sqlx::query("UPDATE posts SET search_text = $1 WHERE id = $2")
                                .bind(search_text(title, content))
                                .bind(id)
                                .execute(&mut *tx)
                                .await
                                .map_err(backend_error)?;
                        }
                        tx.commit().await.map_err(backend_error)?;
                        done += rows.len();
                    }
                }
            }

            #[async_trait::async_trait]
            impl PostStore for $store {
                async fn create_post(
                    &self,
                    post: &NewPost,
                    base_slug: &str,
                    author_id: i64,
                ) -> Result<Post, StoreError> {
                    // Through the database's writer: on SQLite, the posts published at the
                    // same moment are committed together.
                    let insert = |slug: String| {
                        self.insert_post(NewPostRow {
                            slug,
                            title: post.title.clone(),
                            content: post.content.clone(),
                            created_at: now(),
                            author_id,
                            search_text: search_text(&post.title, &post.content),
                        })
                    };
                    // Most titles are new: one statement. A taken slug is looked for once it
                    // turns out to be taken.
                    match insert(base_slug.to_owned()).await {
                        Ok(row) => return Ok(row.into()),
                        Err(error) if is_unique_violation(&error) => {}
                        Err(error) => return Err(backend_error(error)),
                    }
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
                        match insert(next_free_slug(base_slug, &taken)).await {
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

                async fn posts_after(
                    &self,
                    after: i64,
                    limit: u32,
                ) -> Result<Vec<PostSummary>, StoreError> {
                    sqlx::query_as::<_, PostSummaryRow>(
                        "SELECT * FROM (SELECT posts.id, posts.slug, posts.title, \
                         substr(posts.content, 1, CAST($1 AS INTEGER)) AS excerpt, posts.created_at, \
                         posts.author_id, users.username AS author, users.display_name AS author_display_name, users.avatar_key AS author_avatar \
                         FROM posts LEFT JOIN users ON users.id = posts.author_id \
                         WHERE posts.id > $2 ORDER BY posts.id LIMIT $3) AS newer ORDER BY id DESC",
                    )
                    .bind(EXCERPT_CHARS)
                    .bind(after)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map(|rows| rows.into_iter().map(Into::into).collect())
                    .map_err(backend_error)
                }

                async fn update_post(
                    &self,
                    id: i64,
                    post: &NewPost,
                    editor: i64,
                ) -> Result<Owned<Post>, StoreError> {
                    let updated = sqlx::query(
                        "UPDATE posts SET title = $1, content = $2, search_text = $5 \
                         WHERE id = $3 AND author_id = $4",
                    )
                    .bind(&post.title)
                    .bind(&post.content)
                    .bind(id)
                    .bind(editor)
                    .bind(search_text(&post.title, &post.content))
                    .execute(&self.pool)
                    .await
                    .map_err(backend_error)?;
                    if updated.rows_affected() == 0 {
                        return self.unchanged("posts", id).await;
                    }
                    Ok(match self.post_by_id(id).await? {
                        Some(post) => Owned::Done(post),
                        None => Owned::Missing,
                    })
                }

                async fn post_by_slug(&self, slug: &str) -> Result<Option<Post>, StoreError> {
                    sqlx::query_as::<_, PostRow>(&format!("{POST_SELECT} WHERE posts.slug = $1"))
                        .bind(slug)
                        .fetch_optional(&self.pool)
                        .await
                        .map(|row| row.map(Into::into))
                        .map_err(backend_error)
                }

                async fn posts_before(
                    &self,
                    before: Option<i64>,
                    limit: u32,
                ) -> Result<Vec<PostSummary>, StoreError> {
                    sqlx::query_as::<_, PostSummaryRow>(
                        "SELECT posts.id, posts.slug, posts.title, \
                         substr(posts.content, 1, CAST($1 AS INTEGER)) AS excerpt, posts.created_at, \
                         posts.author_id, users.username AS author, users.display_name AS author_display_name, users.avatar_key AS author_avatar \
                         FROM posts LEFT JOIN users ON users.id = posts.author_id \
                         WHERE posts.id < $2 ORDER BY posts.id DESC LIMIT $3",
                    )
                    .bind(EXCERPT_CHARS)
                    .bind(before.unwrap_or(i64::MAX))
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map(|rows| rows.into_iter().map(Into::into).collect())
                    .map_err(backend_error)
                }

                async fn search_posts(
                    &self,
                    words: &[String],
                    limit: u32,
                ) -> Result<Vec<Post>, StoreError> {
                    if words.is_empty() {
                        return Ok(Vec::new());
                    }
                    let (sql, binds) = search_sql($backend, words);
                    let mut query = sqlx::query_as::<_, PostRow>(&sql);
                    for bind in binds {
                        query = query.bind(bind);
                    }
                    query
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await
                        .map(|rows| rows.into_iter().map(Into::into).collect())
                        .map_err(backend_error)
                }

                async fn delete_post(
                    &self,
                    id: i64,
                    by: i64,
                    any: bool,
                ) -> Result<Owned<()>, StoreError> {
                    let deleted = sqlx::query(
                        "DELETE FROM posts WHERE id = $1 AND (author_id = $2 OR $3)",
                    )
                    .bind(id)
                    .bind(by)
                    .bind(any)
                    .execute(&self.pool)
                    .await
                    .map_err(backend_error)?;
                    if deleted.rows_affected() == 0 {
                        return self.unchanged("posts", id).await;
                    }
                    Ok(Owned::Done(()))
                }
            }
        }
    };
}
pub(crate) use post_queries;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_searched_word_stands_for_itself_in_each_dialect() {
        assert_eq!(glob_contains("a*b?[c]"), "*a[*]b[?][[]c]*");
        assert_eq!(contains_pattern("5%_\\"), "%5\\%\\_\\\\%");
        let quoted = "say\"hi".to_owned();
        let plain = "abc".to_owned();
        assert_eq!(fts_every(&[&quoted, &plain]), "\"say\"\"hi\" AND \"abc\"");

        let words = ["rust".to_owned(), "a".to_owned(), "leptos".to_owned()];
        let (sql, binds) = search_sql("sqlite", &words);
        assert_eq!(binds, ["\"rust\" AND \"leptos\"", "*a*"]);
        assert!(
            sql.contains("posts_search MATCH $1 AND search_text GLOB $2"),
            "{sql}"
        );
        assert!(sql.contains("LIMIT $3"), "{sql}");
        let (sql, binds) = search_sql("sqlite", &["é".to_owned()]);
        assert_eq!(binds, ["*é*"]);
        assert!(!sql.contains("MATCH"), "{sql}");

        let (sql, binds) = search_sql("postgres", &words);
        assert_eq!(binds, ["%rust%", "%a%", "%leptos%"]);
        assert!(sql.contains("posts.search_text LIKE $3 ESCAPE"), "{sql}");
        assert!(sql.ends_with("LIMIT $4"), "{sql}");
    }

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
}
