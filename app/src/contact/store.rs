//! What the contact form needs from storage.

use super::send_message::ContactMessage;
use crate::store::StoreError;

#[async_trait::async_trait]
pub trait ContactStore: Send + Sync {
    /// Keeps a message for the team; returns its id.
    async fn save_contact_message(&self, message: &ContactMessage) -> Result<i64, StoreError>;
}
