//! Comments under posts, with their author's name; deleted by their author or a moderator.

/// A comment row with its author's name.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct CommentRow {
    pub id: i64,
    pub post_id: i64,
    pub author_id: i64,
    pub author: String,
    pub author_display_name: Option<String>,
    pub author_avatar: Option<String>,
    pub body: String,
    pub created_at: time::OffsetDateTime,
}

impl From<CommentRow> for app::comments::model::Comment {
    fn from(row: CommentRow) -> Self {
        Self {
            id: row.id,
            post_id: row.post_id,
            author_id: row.author_id,
            author: row.author,
            author_display_name: row.author_display_name,
            author_avatar: row.author_avatar,
            body: row.body,
            created_at: row.created_at,
        }
    }
}

/// What a comment is read with.
pub(crate) const COMMENT_SELECT: &str = "SELECT comments.id, comments.post_id, \
     comments.author_id, users.username AS author, \
     users.display_name AS author_display_name, users.avatar_key AS author_avatar, comments.body, comments.created_at \
     FROM comments JOIN users ON users.id = comments.author_id";

macro_rules! comment_queries {
    ($store:ident) => {
        mod comments {
            use super::$store;
            use crate::store::{
                backend_error, now,
                sql::comments::{CommentRow, COMMENT_SELECT},
            };
            use app::{
                comments::model::Comment,
                store::{CommentStore, Owned, StoreError},
            };

            #[async_trait::async_trait]
            impl CommentStore for $store {
                async fn add_comment(
                    &self,
                    post_id: i64,
                    author_id: i64,
                    body: &str,
                ) -> Result<Option<Comment>, StoreError> {
                    // One statement: a post deleted a moment ago adds nothing (no orphan).
                    let id = sqlx::query_scalar::<_, i64>(
                        "INSERT INTO comments (post_id, author_id, body, created_at) \
                         SELECT id, $2, $3, $4 FROM posts WHERE id = $1 RETURNING id",
                    )
                    .bind(post_id)
                    .bind(author_id)
                    .bind(body)
                    .bind(now())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend_error)?;
                    let Some(id) = id else { return Ok(None) };
                    sqlx::query_as::<_, CommentRow>(&format!(
                        "{COMMENT_SELECT} WHERE comments.id = $1"
                    ))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map(|row| row.map(Into::into))
                    .map_err(backend_error)
                }

                async fn comments_of(&self, post_id: i64) -> Result<Vec<Comment>, StoreError> {
                    sqlx::query_as::<_, CommentRow>(&format!(
                        "{COMMENT_SELECT} WHERE comments.post_id = $1 ORDER BY comments.id"
                    ))
                    .bind(post_id)
                    .fetch_all(&self.pool)
                    .await
                    .map(|rows| rows.into_iter().map(Into::into).collect())
                    .map_err(backend_error)
                }

                async fn delete_comment(
                    &self,
                    id: i64,
                    by: i64,
                    any: bool,
                ) -> Result<Owned<i64>, StoreError> {
                    let post_id = sqlx::query_scalar::<_, i64>(
                        "DELETE FROM comments WHERE id = $1 AND (author_id = $2 OR $3) \
                         RETURNING post_id",
                    )
                    .bind(id)
                    .bind(by)
                    .bind(any)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend_error)?;
                    match post_id {
                        Some(post_id) => Ok(Owned::Done(post_id)),
                        None => self.unchanged("comments", id).await,
                    }
                }
            }
        }
    };
}
pub(crate) use comment_queries;
