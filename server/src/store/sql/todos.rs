//! Each user's todos: only ever read and changed with their owner in the query, so another
//! user's id matches nothing.

/// A todo row.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TodoRow {
    pub id: i64,
    pub title: String,
    pub done: bool,
}

impl From<TodoRow> for app::todos::model::Todo {
    fn from(row: TodoRow) -> Self {
        Self {
            id: row.id,
            title: row.title,
            done: row.done,
        }
    }
}

macro_rules! todo_queries {
    ($store:ident) => {
        mod todos {
            use super::$store;
            use crate::store::{backend_error, is_unique_violation, now, sql::todos::TodoRow};
            use app::{
                store::{StoreError, TodoStore},
                todos::model::Todo,
            };

            /// A title the owner has on another todo.
            fn title_taken(error: sqlx::Error) -> StoreError {
                if is_unique_violation(&error) {
                    StoreError::Conflict("a todo with this title exists".into())
                } else {
                    backend_error(error)
                }
            }

            #[async_trait::async_trait]
            impl TodoStore for $store {
                async fn todos_of(&self, owner: i64) -> Result<Vec<Todo>, StoreError> {
                    sqlx::query_as::<_, TodoRow>(
                        "SELECT id, title, done FROM todos WHERE owner_id = $1 ORDER BY id",
                    )
                    .bind(owner)
                    .fetch_all(&self.pool)
                    .await
                    .map(|rows| rows.into_iter().map(Into::into).collect())
                    .map_err(backend_error)
                }

                async fn add_todo(
                    &self,
                    owner: i64,
                    title: &str,
                    limit: usize,
                ) -> Result<Option<Todo>, StoreError> {
                    // One statement: the limit is checked where the row is written.
                    sqlx::query_as::<_, TodoRow>(
                        "INSERT INTO todos (owner_id, title, done, created_at) \
                         SELECT $1, $2, FALSE, $3 \
                         WHERE (SELECT COUNT(*) FROM todos WHERE owner_id = $1) < $4 \
                         RETURNING id, title, done",
                    )
                    .bind(owner)
                    .bind(title)
                    .bind(now())
                    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                    .fetch_optional(&self.pool)
                    .await
                    .map(|row| row.map(Into::into))
                    .map_err(title_taken)
                }

                async fn set_todo_done(
                    &self,
                    owner: i64,
                    id: i64,
                    done: bool,
                ) -> Result<bool, StoreError> {
                    sqlx::query("UPDATE todos SET done = $3 WHERE id = $1 AND owner_id = $2")
                        .bind(id)
                        .bind(owner)
                        .bind(done)
                        .execute(&self.pool)
                        .await
                        .map(|done| done.rows_affected() > 0)
                        .map_err(backend_error)
                }

                async fn rename_todo(
                    &self,
                    owner: i64,
                    id: i64,
                    title: &str,
                ) -> Result<bool, StoreError> {
                    sqlx::query("UPDATE todos SET title = $3 WHERE id = $1 AND owner_id = $2")
                        .bind(id)
                        .bind(owner)
                        .bind(title)
                        .execute(&self.pool)
                        .await
                        .map(|done| done.rows_affected() > 0)
                        .map_err(title_taken)
                }

                async fn delete_todo(&self, owner: i64, id: i64) -> Result<bool, StoreError> {
                    sqlx::query("DELETE FROM todos WHERE id = $1 AND owner_id = $2")
                        .bind(id)
                        .bind(owner)
                        .execute(&self.pool)
                        .await
                        .map(|done| done.rows_affected() > 0)
                        .map_err(backend_error)
                }
            }
        }
    };
}
pub(crate) use todo_queries;
