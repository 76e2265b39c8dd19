//! What accounts need from storage.

use crate::roles::Role;
use crate::store::StoreError;

/// An account, as signing in needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub role: Role,
}

#[async_trait::async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates an account. A taken username (compared without case) or email address is a
    /// [`StoreError::Conflict`] that says which.
    async fn create_account(
        &self,
        username: &str,
        email: &str,
        password_hash: &str,
        role: Role,
    ) -> Result<i64, StoreError>;

    /// The account with this username (compared without case).
    async fn account_by_username(&self, username: &str) -> Result<Option<Account>, StoreError>;

    /// Gives an account a role; `false` when there is no such account.
    async fn set_role(&self, user_id: i64, role: Role) -> Result<bool, StoreError>;

    /// How many accounts there are.
    async fn account_count(&self) -> Result<u64, StoreError>;

    /// The account's display name, if it chose one.
    async fn display_name(&self, user_id: i64) -> Result<Option<String>, StoreError>;

    /// Sets the account's display name; `false` when there is no such account.
    async fn set_display_name(&self, user_id: i64, name: &str) -> Result<bool, StoreError>;
}
