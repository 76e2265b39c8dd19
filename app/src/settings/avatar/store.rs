//! What avatars need from storage: the keys of a user's picture and of their pending upload.
//! The pictures themselves live in the object store.

use crate::store::StoreError;

/// A user's picture as the profile page shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AvatarState {
    /// The object key of the picture shown next to their posts and comments.
    pub key: Option<String>,
    /// The object key of an upload still waiting to be processed.
    pub pending: Option<String>,
    /// Why the last upload could not be used (until the next one).
    pub error: Option<String>,
}

/// How finishing an upload ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    /// The new picture is the user's; `replaced` is the key of the one it replaced.
    Done { replaced: Option<String> },
    /// A newer upload (or none) is pending now: this one is not used.
    Superseded,
}

#[async_trait::async_trait]
pub trait AvatarStore: Send + Sync {
    /// Records `staging` as the user's pending upload and `process`, the job that prepares
    /// it, in one transaction: both or neither. A pending upload it replaces is left to its
    /// own job, which finds itself superseded. `false` when there is no such user.
    async fn stage_avatar(
        &self,
        user_id: i64,
        staging: &str,
        process: &formwork::jobs::NewJob,
    ) -> Result<bool, StoreError>;

    /// Makes `key` the user's picture, if `staging` is still their pending upload.
    async fn finish_avatar(
        &self,
        user_id: i64,
        staging: &str,
        key: &str,
    ) -> Result<Finish, StoreError>;

    /// Records why the pending upload `staging` could not be used (if it is still pending).
    async fn fail_avatar(
        &self,
        user_id: i64,
        staging: &str,
        message: &str,
    ) -> Result<bool, StoreError>;

    /// The user's picture, pending upload and last error.
    async fn avatar(&self, user_id: i64) -> Result<AvatarState, StoreError>;
}
