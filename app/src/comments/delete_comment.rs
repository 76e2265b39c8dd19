//! The `delete_comment` action, its form and its buttons: one form per page, which every
//! comment's "Delete" button submits with that comment's id (see `formwork::items`).

use formwork::identity::Principal;
use formwork::{ActionError, Bound, ItemButton, Items, ItemsForm};
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

/// The one form every comment's "Delete" button on a page submits. A page renders it once,
/// beside the comments it lists.
#[component]
pub fn DeleteCommentForm(deletes: Items<DeleteComment>) -> impl IntoView {
    view! { <ItemsForm items=deletes class="delete-comment"/> }
}

/// A "Delete" button for one comment, when the viewer may delete it. Either way, a refused
/// delete of this comment is explained here: a stale page may have offered a button that the
/// page, rendered afresh for whoever is signed in now, no longer shows.
#[component]
pub fn DeleteCommentButton(
    deletes: Items<DeleteComment>,
    id: i64,
    author: String,
    allowed: bool,
) -> impl IntoView {
    if !allowed {
        return Either::Left(deletes.outcome(&id));
    }
    let label = ["Delete the comment by ", &author].concat();
    Either::Right(view! {
        <ItemButton items=deletes value=id class="danger link" label=label>
            "Delete"
        </ItemButton>
    })
}
