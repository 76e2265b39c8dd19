//! What todos need from storage. Implemented per backend in the server binary.

use super::model::Todo;
use crate::store::StoreError;

#[async_trait::async_trait]
pub trait TodoStore: Send + Sync {
    /// A user's todos, oldest first.
    async fn todos_of(&self, owner: i64) -> Result<Vec<Todo>, StoreError>;

    /// Adds a todo to `owner`'s list, unless they hold `limit` already (`None`). A title they
    /// have already is a [`StoreError::Conflict`].
    async fn add_todo(
        &self,
        owner: i64,
        title: &str,
        limit: usize,
    ) -> Result<Option<Todo>, StoreError>;

    /// Marks one of `owner`'s todos done or not; `false` when they have no such todo.
    async fn set_todo_done(&self, owner: i64, id: i64, done: bool) -> Result<bool, StoreError>;

    /// Renames one of `owner`'s todos; `false` when they have no such todo. A title they have
    /// on another todo is a [`StoreError::Conflict`].
    async fn rename_todo(&self, owner: i64, id: i64, title: &str) -> Result<bool, StoreError>;

    /// Deletes one of `owner`'s todos; `false` when they have no such todo.
    async fn delete_todo(&self, owner: i64, id: i64) -> Result<bool, StoreError>;
}
