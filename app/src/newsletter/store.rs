//! What the newsletter needs from storage.

use crate::store::StoreError;

/// What a bounce report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bounce {
    /// The address was subscribed, and no longer is.
    Unsubscribed,
    /// It was not subscribed (already removed, or never).
    NotSubscribed,
    /// This delivery was handled before: nothing was done again.
    Replayed,
}

#[async_trait::async_trait]
pub trait NewsletterStore: Send + Sync {
    /// Handles delivery `delivery` of a bounce report for `email` (lowercase), once: records
    /// the delivery and unsubscribes the address in one transaction, so a retried delivery
    /// is never lost and a replayed one never acts twice. Deliveries recorded before
    /// `forget_before` are forgotten.
    async fn bounce(
        &self,
        delivery: &str,
        email: &str,
        forget_before: time::OffsetDateTime,
    ) -> Result<Bounce, StoreError>;

    /// Adds a subscriber and records `welcome`, the job that greets them, in one
    /// transaction: both or neither. `false` (and no job) when the address was already
    /// subscribed.
    async fn subscribe(
        &self,
        email: &str,
        welcome: &formwork::jobs::NewJob,
    ) -> Result<bool, StoreError>;

    async fn subscriber_count(&self) -> Result<u64, StoreError>;
}
