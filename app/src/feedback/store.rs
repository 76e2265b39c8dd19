//! What the feedback form needs from storage.

use super::send_feedback::Feedback;
use crate::store::StoreError;

#[async_trait::async_trait]
pub trait FeedbackStore: Send + Sync {
    /// Keeps one note; returns its id.
    async fn save_feedback(&self, feedback: &Feedback) -> Result<i64, StoreError>;

    /// How many notes are kept.
    async fn feedback_count(&self) -> Result<u64, StoreError>;
}
