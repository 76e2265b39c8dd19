//! What comments need from storage. Implemented per backend in the server binary.

use super::model::Comment;
use crate::store::{Owned, StoreError};

#[async_trait::async_trait]
pub trait CommentStore: Send + Sync {
    /// Adds a comment by `author_id` under post `post_id`; `None` when there is no such post.
    async fn add_comment(
        &self,
        post_id: i64,
        author_id: i64,
        body: &str,
    ) -> Result<Option<Comment>, StoreError>;

    /// The comments of a post, oldest first.
    async fn comments_of(&self, post_id: i64) -> Result<Vec<Comment>, StoreError>;

    /// Deletes a comment if `by` wrote it, or whoever `by` is when `any` is set (moderators);
    /// done, it names the post the comment was under.
    async fn delete_comment(&self, id: i64, by: i64, any: bool) -> Result<Owned<i64>, StoreError>;
}
