//! The `delete_post` action, its form and its buttons: one plain server-rendered form per page,
//! which every post's "Delete" button submits with that post's id (see `formwork::items`); it
//! works the same with and without JavaScript.

use formwork::identity::Principal;
use formwork::{ActionError, Bound, ItemButton, Items, ItemsForm, LocalPath};
use leptos::{either::Either, prelude::*};

/// What a user who may not delete a post is told (403).
pub const NOT_YOURS: &str = "Only its author or a moderator can delete this post.";

/// Deletes a post, then returns to `next` (a path on this site) or to `/posts`. Its author
/// may, and moderators and admins may delete any; who is asking comes from the session. The
/// id is bound by the server when it renders the button: a client cannot swap it for another.
#[formwork::action(access = SignedIn, revalidates = ["posts", "post:*", "comments:*"])]
pub async fn delete_post(
    by: Principal,
    id: Bound<i64>,
    next: Option<LocalPath>,
) -> Result<(), ActionError> {
    use crate::roles::Role;
    use crate::store::Owned;

    let id = id.into_inner();
    let any = by.is_at_least(Role::Moderator);
    match crate::state::store()?
        .delete_post(id, by.user_id, any)
        .await?
    {
        Owned::Done(()) => {}
        Owned::Missing => return Err(ActionError::not_found("That post")),
        Owned::NotYours => return Err(ActionError::forbidden(NOT_YOURS)),
    }
    tracing::info!(id, by = by.user_id, "post deleted");
    formwork::revalidate_tag(crate::tags::POSTS);
    formwork::revalidate_tag(&crate::tags::post(id));
    formwork::revalidate_tag(&crate::tags::comments(id));
    let fallback = LocalPath::parse("/posts");
    if let Some(to) = next.or(fallback) {
        formwork::redirect(&to);
    }
    Ok(())
}

/// The one form every "Delete" button on a page submits, with where to land afterwards.
/// A page renders it once, beside the posts it lists.
#[component]
pub fn DeletePostForm(deletes: Items<DeletePost>, next: String) -> impl IntoView {
    view! {
        <ItemsForm items=deletes class="delete-post">
            <input type="hidden" name="next" value=next/>
        </ItemsForm>
    }
}

/// A "Delete" button for one post, when the viewer may delete it. Either way a refused delete
/// of this post is explained here (the page, rendered for whoever is signed in now, may no
/// longer offer the button a stale page had).
#[component]
pub fn DeletePostButton(
    deletes: Items<DeletePost>,
    id: i64,
    title: String,
    allowed: bool,
) -> impl IntoView {
    if !allowed {
        return Either::Left(deletes.outcome(&id));
    }
    // Joined rather than formatted: one allocation of the final size, for every row.
    let label = ["Delete “", &title, "”"].concat();
    Either::Right(view! {
        <ItemButton items=deletes value=id class="danger" label=label>
            "Delete"
        </ItemButton>
    })
}
