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
    ($store:ident) => {
        mod posts {
            use super::$store;
            use crate::store::{
                backend_error, is_unique_violation, now,
                sql::posts::{
                    contains_pattern, next_free_slug, suffix_range, PostRow, PostSummaryRow, EXCERPT_CHARS,
                    POST_SELECT, SLUG_ATTEMPTS,
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

            }

            #[async_trait::async_trait]
            impl PostStore for $store {
                async fn create_post(
                    &self,
                    post: &NewPost,
                    base_slug: &str,
                    author_id: i64,
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
                        let inserted = sqlx::query_scalar::<_, i64>(
                            "INSERT INTO posts (slug, title, content, created_at, author_id) \
                             VALUES ($1, $2, $3, $4, $5) RETURNING id",
                        )
                        .bind(&slug)
                        .bind(&post.title)
                        .bind(&post.content)
                        .bind(now())
                        .bind(author_id)
                        .fetch_one(&self.pool)
                        .await;
                        match inserted {
                            Ok(id) => {
                                return self.post_by_id(id).await?.ok_or_else(|| {
                                    StoreError::Backend("a post vanished right after its insert".into())
                                })
                            }
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
                        "SELECT posts.id, posts.slug, posts.title, \
                         substr(posts.content, 1, CAST($1 AS INTEGER)) AS excerpt, posts.created_at, \
                         posts.author_id, users.username AS author, users.display_name AS author_display_name, users.avatar_key AS author_avatar \
                         FROM posts LEFT JOIN users ON users.id = posts.author_id \
                         ORDER BY posts.id DESC LIMIT $2 OFFSET $3",
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
                    editor: i64,
                ) -> Result<Owned<Post>, StoreError> {
                    let updated = sqlx::query(
                        "UPDATE posts SET title = $1, content = $2 WHERE id = $3 AND author_id = $4",
                    )
                    .bind(&post.title)
                    .bind(&post.content)
                    .bind(id)
                    .bind(editor)
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
                    let conditions = (1..=words.len())
                        .map(|n| {
                            format!(
                                "(lower(posts.title) LIKE ${n} ESCAPE '\\' \
                                 OR lower(posts.content) LIKE ${n} ESCAPE '\\')"
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(" AND ");
                    let sql = format!(
                        "{POST_SELECT} WHERE {conditions} ORDER BY posts.id DESC LIMIT ${}",
                        words.len() + 1
                    );
                    let mut query = sqlx::query_as::<_, PostRow>(&sql);
                    for word in words {
                        query = query.bind(contains_pattern(word));
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
