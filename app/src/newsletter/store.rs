//! What the newsletter needs from storage.

use crate::store::StoreError;

#[async_trait::async_trait]
pub trait NewsletterStore: Send + Sync {
    /// Adds a subscriber; `false` when the address was already subscribed.
    async fn subscribe(&self, email: &str) -> Result<bool, StoreError>;

    async fn subscriber_count(&self) -> Result<u64, StoreError>;
}
