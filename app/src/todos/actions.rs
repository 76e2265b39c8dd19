//! The read behind the list, and the four actions that change it. Each action answers with
//! the user's whole list as it now stands: with JavaScript, the page settles on it in the same
//! round trip. Whose list it is comes from the session, never from the request; another
//! user's todo is "not found", so ids say nothing about other people's lists.

use super::model::{Todo, TodoTitle};
use formwork::ActionError;
use leptos::prelude::*;
use server_fn::codec::GetUrl;

/// What a user sees for a todo that is not on their list (404).
pub const NOT_FOUND: &str = "That todo";

/// The signed-in user's todos, oldest first. Cached under their private tag.
#[server(input = GetUrl)]
pub async fn list_todos() -> Result<Vec<Todo>, ActionError> {
    let me = formwork::identity::signed_in()?;
    let store = crate::state::store()?;
    formwork::cache::query(format!("todos:{}", me.user_id))
        .tag(super::model::tag(me.user_id))
        .ttl(crate::tags::CACHE_TTL)
        .load(move || async move { Ok(store.todos_of(me.user_id).await?) })
        .await
}

formwork::declare!(ListTodos { access: SignedIn });

/// After a change: every page of the user's hears of it, and the answer is the list as the
/// database now has it.
#[cfg(feature = "ssr")]
async fn changed(user_id: i64) -> Result<Vec<Todo>, ActionError> {
    formwork::revalidate_tag(&super::model::tag(user_id));
    Ok(crate::state::store()?.todos_of(user_id).await?)
}

#[cfg(feature = "ssr")]
fn found(changed_any: bool) -> Result<(), ActionError> {
    if changed_any {
        Ok(())
    } else {
        Err(ActionError::not_found(NOT_FOUND))
    }
}

/// Adds a todo to the signed-in user's list.
#[server]
pub async fn add_todo(#[server(flatten)] todo: TodoTitle) -> Result<Vec<Todo>, ActionError> {
    use super::model::{duplicate, TODOS_PER_USER};
    use crate::store::StoreError;
    use formwork::Validated;

    let me = formwork::identity::signed_in()?;
    let todo = todo.validated()?;
    let added = crate::state::store()?
        .add_todo(me.user_id, &todo.title, TODOS_PER_USER)
        .await
        .map_err(|error| match error {
            StoreError::Conflict(_) => ActionError::field("title", duplicate(&todo.title)),
            other => other.into(),
        })?
        .ok_or_else(|| ActionError::Conflict {
            message: format!(
                "Your list holds {TODOS_PER_USER} todos, the most it can. Delete some first."
            ),
        })?;
    tracing::info!(id = added.id, owner = me.user_id, "todo added");
    changed(me.user_id).await
}

formwork::declare!(AddTodo {
    access: SignedIn,
    body_limit: 4 * 1024,
    rate_limit: formwork::RateLimit::per_user(100).per_hour(),
});

/// Marks a todo done or not done. The form sends the state it wants, not "flip": two tabs
/// ticking the same todo at once both end with it ticked.
#[server]
pub async fn set_todo_done(id: i64, done: bool) -> Result<Vec<Todo>, ActionError> {
    let me = formwork::identity::signed_in()?;
    found(
        crate::state::store()?
            .set_todo_done(me.user_id, id, done)
            .await?,
    )?;
    changed(me.user_id).await
}

formwork::declare!(SetTodoDone {
    access: SignedIn,
    body_limit: 1024,
});

/// Renames a todo.
#[server]
pub async fn rename_todo(
    id: i64,
    #[server(flatten)] todo: TodoTitle,
) -> Result<Vec<Todo>, ActionError> {
    use crate::store::StoreError;
    use formwork::Validated;

    let me = formwork::identity::signed_in()?;
    let todo = todo.validated()?;
    let renamed = crate::state::store()?
        .rename_todo(me.user_id, id, &todo.title)
        .await
        .map_err(|error| match error {
            StoreError::Conflict(_) => {
                ActionError::field("title", super::model::duplicate(&todo.title))
            }
            other => other.into(),
        })?;
    found(renamed)?;
    changed(me.user_id).await
}

formwork::declare!(RenameTodo {
    access: SignedIn,
    body_limit: 4 * 1024,
});

/// Deletes a todo.
#[server]
pub async fn delete_todo(id: i64) -> Result<Vec<Todo>, ActionError> {
    let me = formwork::identity::signed_in()?;
    found(crate::state::store()?.delete_todo(me.user_id, id).await?)?;
    changed(me.user_id).await
}

formwork::declare!(DeleteTodo {
    access: SignedIn,
    body_limit: 1024,
});
