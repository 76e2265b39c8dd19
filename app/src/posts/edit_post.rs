//! The `update_post` action and the edit form on `/posts/{slug}/edit`: a plain
//! server-rendered form, the same with and without JavaScript.

use super::model::{NewPost, Post};
use formwork::identity::Principal;
use formwork::{
    bound, ActionError, ActionForm, Bound, FormState, SubmitButton, TextArea, TextInput,
};
use leptos::prelude::*;

/// What a user who may not edit a post is told (403).
pub const NOT_YOURS: &str = "Only its author can edit this post.";

/// Saves a post's new title and content, then goes back to the post. Only its author may:
/// who is asking comes from the session. Its address (slug)
/// stays, so links to it keep working. The id is bound by the server when it renders the form.
#[formwork::action(access = SignedIn, body_limit = 64 KiB, revalidates = ["posts", "post:*"])]
pub async fn update_post(
    editor: Principal,
    id: Bound<i64>,
    #[server(flatten)] post: NewPost,
) -> Result<(), ActionError> {
    use crate::store::Owned;

    let updated = match crate::state::store()?
        .update_post(id.into_inner(), &post, editor.user_id)
        .await?
    {
        Owned::Done(post) => post,
        Owned::Missing => return Err(ActionError::not_found("That post")),
        Owned::NotYours => return Err(ActionError::forbidden(NOT_YOURS)),
    };
    tracing::info!(id = updated.id, slug = %updated.slug, "post edited");
    formwork::revalidate_tag(crate::tags::POSTS);
    formwork::revalidate_tag(&crate::tags::post(updated.id));
    let to = formwork::LocalPath::parse(&format!("/posts/{}", updated.slug))
        .ok_or_else(|| ActionError::internal("a slug made an invalid path"))?;
    formwork::redirect(&to);
    Ok(())
}

/// The edit form, filled with the post as it is (or, after a failed save, as the user left it).
#[component]
pub fn EditPostForm(post: Post) -> impl IntoView {
    let id = bound::sign::<UpdatePost>(&post.id);
    let state =
        FormState::<UpdatePost>::new().defaults([("title", post.title), ("content", post.content)]);
    view! {
        <ActionForm state=state class="edit-post">
            <input type="hidden" name="id" value=id/>
            <fieldset>
                <legend>"Edit post"</legend>
                <TextInput field=state.fields().title id="edit-post-title" autocomplete="off"/>
                <TextArea field=state.fields().content id="edit-post-content" rows=12/>
                <div class="actions">
                    <SubmitButton label="Save changes" pending_label="Saving…"/>
                    <a class="button secondary" href=format!("/posts/{}", post.slug)>"Cancel"</a>
                </div>
            </fieldset>
        </ActionForm>
    }
}
