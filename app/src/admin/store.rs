//! What the admin page needs from storage.

use super::AccountSummary;
use crate::roles::Role;
use crate::store::StoreError;

/// How a role change ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleChange {
    Changed {
        username: String,
    },
    NoSuchAccount,
    /// The account is the only admin, and the change would leave none.
    LastAdmin {
        username: String,
    },
}

#[async_trait::async_trait]
pub trait AdminStore: Send + Sync {
    /// Accounts whose username starts with `prefix` (without regard to case), newest first:
    /// `limit` after skipping `offset`.
    async fn accounts(
        &self,
        prefix: &str,
        offset: u64,
        limit: u32,
    ) -> Result<Vec<AccountSummary>, StoreError>;

    /// Gives an account a role, unless that would leave the site without an admin. Safe
    /// under concurrent changes: two admins demoting each other at once leave one admin.
    async fn change_role(&self, user_id: i64, role: Role) -> Result<RoleChange, StoreError>;
}
