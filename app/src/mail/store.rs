//! What sending needs from storage.

use super::Email;
use crate::store::StoreError;

#[async_trait::async_trait]
pub trait OutboxStore: Send + Sync {
    /// Writes `email` to the outbox as job `job_id`'s message; `false` when that job's
    /// message is there already.
    async fn write_to_outbox(&self, job_id: i64, email: &Email) -> Result<bool, StoreError>;

    /// The last `limit` messages, newest first, each with its job's id.
    async fn outbox(&self, limit: u32) -> Result<Vec<(i64, Email)>, StoreError>;
}
