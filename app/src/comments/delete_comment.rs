//! The `delete_comment` action and its button.

use formwork::identity::Principal;
use formwork::{bound, ActionError, ActionForm, Bound, FormError, FormState};
use leptos::{either::Either, prelude::*};

/// What a user who may not delete a comment is told (403).
pub const NOT_YOURS: &str = "Only its author or a moderator can delete this comment.";

/// Deletes a comment: its author may, and moderators and admins may delete any. Who is asking
/// comes from the session; the id is bound by the server when it renders the button. The page
/// the button was on comes back, without the comment.
#[formwork::action(access = SignedIn, body_limit = 1 KiB, revalidates = ["comments:*"])]
pub async fn delete_comment(by: Principal, id: Bound<i64>) -> Result<(), ActionError> {
    use crate::roles::Role;
    use crate::store::Owned;

    let id = id.into_inner();
    let any = by.is_at_least(Role::Moderator);
    let post_id = match crate::state::store()?
        .delete_comment(id, by.user_id, any)
        .await?
    {
        Owned::Done(post_id) => post_id,
        Owned::Missing => return Err(ActionError::not_found("That comment")),
        Owned::NotYours => return Err(ActionError::forbidden(NOT_YOURS)),
    };
    tracing::info!(id, post_id, by = by.user_id, "comment deleted");
    formwork::revalidate_tag(&crate::tags::comments(post_id));
    Ok(())
}

/// A "Delete" button for one comment, when the viewer may delete it. Either way, a refused
/// delete of this comment is explained here: a stale page may have offered a button that the
/// page, rendered afresh for whoever is signed in now, no longer shows.
#[component]
pub fn DeleteCommentButton(id: i64, author: String, allowed: bool) -> impl IntoView {
    let id = bound::sign::<DeleteComment>(&id);
    // Every comment on the page may have this form; an outcome belongs to the submitted one.
    let state = FormState::<DeleteComment>::for_item("id", &id);
    if !allowed {
        return Either::Left(view! { <FormError state=state/> });
    }
    Either::Right(view! {
        <ActionForm state=state class="delete-comment">
            <input type="hidden" name="id" value=id/>
            <button type="submit" class="danger link" aria-label=format!("Delete the comment by {author}")>
                "Delete"
            </button>
        </ActionForm>
    })
}
