//! What posts need from storage. Implemented per backend in the server binary.

use super::model::{NewPost, Post, PostSummary};
use crate::store::StoreError;

#[async_trait::async_trait]
pub trait PostStore: Send + Sync {
    /// Inserts the post under `base_slug`, or under `base_slug-2`, `-3`, … when taken.
    /// Safe under concurrent inserts of the same title.
    async fn create_post(&self, post: &NewPost, base_slug: &str) -> Result<Post, StoreError>;

    /// Newest first: `limit` posts after skipping `offset`.
    async fn recent_posts(&self, offset: u64, limit: u32) -> Result<Vec<PostSummary>, StoreError>;

    async fn post_by_slug(&self, slug: &str) -> Result<Option<Post>, StoreError>;

    /// Replaces a post's title and content; its slug (its address) stays. `None` when there
    /// is no post `id`.
    async fn update_post(&self, id: i64, post: &NewPost) -> Result<Option<Post>, StoreError>;

    /// Returns whether a post was deleted.
    async fn delete_post(&self, id: i64) -> Result<bool, StoreError>;
}
