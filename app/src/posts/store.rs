//! What posts need from storage. Implemented per backend in the server binary.

use super::model::{NewPost, Post, PostSummary};
use crate::store::{Owned, StoreError};

#[async_trait::async_trait]
pub trait PostStore: Send + Sync {
    /// Inserts the post by `author_id` under `base_slug`, or under `base_slug-2`, `-3`, …
    /// when taken. Safe under concurrent inserts of the same title.
    async fn create_post(
        &self,
        post: &NewPost,
        base_slug: &str,
        author_id: i64,
    ) -> Result<Post, StoreError>;

    /// The `limit` posts just newer than the post `after`, newest first (a page of the list
    /// seen from below). Like [`posts_before`](Self::posts_before), an index range at any depth.
    async fn posts_after(&self, after: i64, limit: u32) -> Result<Vec<PostSummary>, StoreError>;

    async fn post_by_slug(&self, slug: &str) -> Result<Option<Post>, StoreError>;

    /// Newest first: `limit` posts older than the post `before` (from the newest when
    /// `None`). Posts published meanwhile never shift what this returns.
    async fn posts_before(
        &self,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<PostSummary>, StoreError>;

    /// The newest `limit` posts whose title or content holds every one of `words`, each
    /// [folded](crate::search::query::fold) as a query's words are, and compared with the post's
    /// text folded the same way (so case aside, on every backend alike); the words are plain
    /// text, never patterns.
    async fn search_posts(&self, words: &[String], limit: u32) -> Result<Vec<Post>, StoreError>;

    /// Replaces a post's title and content if `editor` wrote it; its slug (its address) stays.
    async fn update_post(
        &self,
        id: i64,
        post: &NewPost,
        editor: i64,
    ) -> Result<Owned<Post>, StoreError>;

    /// Deletes a post if `by` wrote it, or whoever wrote it when `any` is set (moderators).
    async fn delete_post(&self, id: i64, by: i64, any: bool) -> Result<Owned<()>, StoreError>;
}
