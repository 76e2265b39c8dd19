//! The read behind the list, and the four actions that change it. Each action answers with
//! the user's whole list as it now stands: with JavaScript, the page settles on it in the same
//! round trip. Whose list it is comes from the session, never from the request; another
//! user's todo is "not found", so ids say nothing about other people's lists.

use super::model::{Todo, TodoTitle};
use formwork::identity::Principal;
use formwork::ActionError;

/// What a user sees for a todo that is not on their list (404).
pub const NOT_FOUND: &str = "That todo";

/// The signed-in user's todos, oldest first. Cached under their private tag.
#[formwork::action(access = SignedIn, method = GET)]
pub async fn list_todos(me: Principal) -> Result<Vec<Todo>, ActionError> {
    let store = crate::state::store()?;
    formwork::cache::query(format!("todos:{}", me.user_id))
        .tag(super::model::tag(me.user_id))
        .ttl(crate::tags::CACHE_TTL)
        .load(move || async move { Ok(store.todos_of(me.user_id).await?) })
        .await
}

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
#[formwork::action(access = SignedIn, rate_limit = per_user(100).per_hour(), body_limit = 4 KiB, revalidates = ["user:*:todos"])]
pub async fn add_todo(
    me: Principal,
    #[server(flatten)] todo: TodoTitle,
) -> Result<Vec<Todo>, ActionError> {
    use super::model::{duplicate, TODOS_PER_USER};
    use crate::store::StoreError;

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

/// Marks a todo done or not done. The form sends the state it wants, not "flip": two tabs
/// ticking the same todo at once both end with it ticked.
#[formwork::action(access = SignedIn, body_limit = 1 KiB, revalidates = ["user:*:todos"])]
pub async fn set_todo_done(me: Principal, id: i64, done: bool) -> Result<Vec<Todo>, ActionError> {
    found(
        crate::state::store()?
            .set_todo_done(me.user_id, id, done)
            .await?,
    )?;
    changed(me.user_id).await
}

/// Renames a todo.
#[formwork::action(access = SignedIn, body_limit = 4 KiB, revalidates = ["user:*:todos"])]
pub async fn rename_todo(
    me: Principal,
    id: i64,
    #[server(flatten)] todo: TodoTitle,
) -> Result<Vec<Todo>, ActionError> {
    use crate::store::StoreError;

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

/// Deletes a todo.
#[formwork::action(access = SignedIn, body_limit = 1 KiB, revalidates = ["user:*:todos"])]
pub async fn delete_todo(me: Principal, id: i64) -> Result<Vec<Todo>, ActionError> {
    found(crate::state::store()?.delete_todo(me.user_id, id).await?)?;
    changed(me.user_id).await
}
