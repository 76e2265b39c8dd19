//! The `delete_post` action and its button: a plain server-rendered form, which works the same
//! with and without JavaScript.

use formwork::{bound, ActionError, ActionForm, Bound, FormError, FormState, LocalPath};
use leptos::prelude::*;

/// Deletes a post, then returns to `next` (a path on this site) or to `/posts`. The id is
/// bound by the server when it renders the button: a client cannot swap it for another.
#[server]
pub async fn delete_post(id: Bound<i64>, next: Option<LocalPath>) -> Result<(), ActionError> {
    let id = id.into_inner();
    let deleted = crate::state::store()?.delete_post(id).await?;
    if !deleted {
        return Err(ActionError::not_found("That post"));
    }
    tracing::info!(id, "post deleted");
    let fallback = LocalPath::parse("/posts");
    if let Some(to) = next.or(fallback) {
        formwork::redirect(&to);
    }
    Ok(())
}

formwork::declare!(DeletePost { access: Public });

/// A "Delete" button for one post. `next` is where to land afterwards.
#[component]
pub fn DeletePostButton(id: i64, next: String, title: String) -> impl IntoView {
    let id = bound::sign::<DeletePost>(&id);
    // Every post on the page has this form; an outcome belongs to the one that was submitted.
    let state = FormState::<DeletePost>::for_item("id", &id);
    view! {
        <ActionForm state=state class="delete-post">
            <input type="hidden" name="id" value=id/>
            <input type="hidden" name="next" value=next/>
            <button type="submit" class="danger" aria-label=format!("Delete “{title}”")>
                "Delete"
            </button>
            <FormError state=state/>
        </ActionForm>
    }
}
