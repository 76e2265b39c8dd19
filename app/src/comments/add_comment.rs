//! The `add_comment` action and its form.

use super::model::NewComment;
use formwork::identity::Principal;
use formwork::{bound, ActionError, ActionForm, Bound, FormState, SubmitButton, TextArea};
use leptos::prelude::*;

/// Adds a comment by the signed-in user under a post. The post id is bound by the server when
/// it renders the form; the author comes from the session, never from the request.
#[formwork::action(access = SignedIn, rate_limit = per_user(10).per_minute(), body_limit = 16 KiB, revalidates = ["comments:*"])]
pub async fn add_comment(
    author: Principal,
    post: Bound<i64>,
    #[server(flatten)] comment: NewComment,
) -> Result<(), ActionError> {
    let added = crate::state::store()?
        .add_comment(post.into_inner(), author.user_id, &comment.body)
        .await?
        .ok_or_else(|| ActionError::not_found("That post"))?;
    tracing::info!(id = added.id, post_id = added.post_id, "comment added");
    formwork::revalidate_tag(&crate::tags::comments(added.post_id));
    Ok(())
}

/// The "Add a comment" form under a post.
#[component]
pub fn AddCommentForm(post_id: i64) -> impl IntoView {
    let post = bound::sign::<AddComment>(&post_id);
    let state = FormState::<AddComment>::new();
    view! {
        <ActionForm state=state class="add-comment">
            <input type="hidden" name="post" value=post/>
            <fieldset>
                <legend>"Add a comment"</legend>
                <TextArea field=state.fields().body id="comment-body" rows=3/>
                <div class="actions">
                    <SubmitButton label="Comment" pending_label="Sending…"/>
                </div>
            </fieldset>
        </ActionForm>
    }
}
