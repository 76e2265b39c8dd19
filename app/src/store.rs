//! The storage contract the app needs. The server binary implements it once per backend
//! (SQLite and PostgreSQL), and one conformance suite holds both to it.

pub use crate::accounts::store::AccountStore;
pub use crate::admin::store::AdminStore;
pub use crate::comments::store::CommentStore;
pub use crate::contact::store::ContactStore;
pub use crate::feedback::store::FeedbackStore;
pub use crate::mail::store::OutboxStore;
pub use crate::newsletter::store::{Bounce, NewsletterStore};
pub use crate::posts::store::PostStore;
pub use crate::settings::avatar::store::AvatarStore;
pub use crate::todos::store::TodoStore;
use formwork::ActionError;

/// Everything the app stores, behind one object.
#[async_trait::async_trait]
pub trait Store:
    AccountStore
    + AdminStore
    + PostStore
    + CommentStore
    + NewsletterStore
    + ContactStore
    + FeedbackStore
    + TodoStore
    + OutboxStore
    + AvatarStore
    + Send
    + Sync
    + 'static
{
    /// `"sqlite"` or `"postgres"`, for logs and health checks.
    fn backend(&self) -> &'static str;

    /// Proves the database answers (used by `/healthz`).
    async fn ping(&self) -> Result<(), StoreError>;
}

/// How a change to something with an owner ended: the owner is who the session says, never
/// who the request says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owned<T> {
    Done(T),
    /// There is no such thing (or no longer).
    Missing,
    /// It exists, but belongs to someone else.
    NotYours,
}

/// Why a store call failed, in the terms the app can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule would be broken; the message names what.
    #[error("{0}")]
    Conflict(String),
    /// The database failed; the cause is logged, never shown.
    #[error(transparent)]
    Backend(Box<dyn std::error::Error + Send + Sync>),
    /// The database is down, unreachable or too busy to answer in time: nothing was changed,
    /// and the same request may succeed shortly (503 with `Retry-After`).
    #[error(transparent)]
    Unavailable(Box<dyn std::error::Error + Send + Sync>),
}

impl From<StoreError> for ActionError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(message) => ActionError::Conflict { message },
            StoreError::Backend(cause) => ActionError::internal(cause),
            StoreError::Unavailable(cause) => ActionError::unavailable(cause),
        }
    }
}
