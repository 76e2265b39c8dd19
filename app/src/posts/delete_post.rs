//! The `delete_post` action and its button: a plain server-rendered form, which works the same
//! with and without JavaScript.

use formwork::identity::Principal;
use formwork::{bound, ActionError, ActionForm, Bound, FormError, FormState, LocalPath};
use leptos::{either::EitherOf3, prelude::*};

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

/// A "Delete" button for one post, when the viewer may delete it; `next` is where to land
/// afterwards. Either way a refused delete of this post is explained here (the page, rendered
/// for whoever is signed in now, may no longer offer the button a stale page had).
#[component]
pub fn DeletePostButton(id: i64, next: String, title: String, allowed: bool) -> impl IntoView {
    // A viewer who may not delete is offered nothing. Only a refused delete has something to
    // say here, so a page with no delete outcome to show signs nothing and builds no form
    // state for its rows (measured: half the CPU of a signed-out /posts).
    let snapshot = formwork::form::snapshot::<DeletePost>();
    if !allowed && snapshot.outcome.is_none() {
        return EitherOf3::A(());
    }
    let id = bound::sign::<DeletePost>(&id);
    // Every post on the page has this form; an outcome belongs to the one that was submitted.
    let state = FormState::<DeletePost>::restore_item(snapshot, "id", &id);
    if !allowed {
        return EitherOf3::B(view! { <FormError state=state/> });
    }
    EitherOf3::C(view! {
        <ActionForm state=state class="delete-post">
            <input type="hidden" name="id" value=id/>
            <input type="hidden" name="next" value=next/>
            <button type="submit" class="danger" aria-label=format!("Delete “{title}”")>
                "Delete"
            </button>
        </ActionForm>
    })
}
