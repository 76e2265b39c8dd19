//! The `create_post` action and the "New post" form that calls it.

use super::model::NewPost;
use formwork::identity::Principal;
use formwork::{ActionError, ActionForm, FormState, SubmitButton, TextArea, TextInput};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Which submit button published the post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AfterPublish {
    /// Stay on the list, which shows the new post (the default).
    Stay,
    /// Go to the new post's own page.
    Open,
}

/// What publishing returns: the post's title and where it now lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub slug: String,
    pub title: String,
}

/// Publishes a post by the signed-in user. Its slug comes from the title and is made unique
/// with `-2`, `-3`, ….
// A post body is at most 10,000 characters: 64 KiB holds it in any script.
#[formwork::action(access = SignedIn, rate_limit = per_user(30).per_hour(), body_limit = 64 KiB, revalidates = ["posts"])]
pub async fn create_post(
    author: Principal,
    #[server(flatten)] post: NewPost,
    after: Option<AfterPublish>,
) -> Result<Published, ActionError> {
    use super::model::base_slug;
    use formwork::{redirect, LocalPath};

    let created = crate::state::store()?
        .create_post(&post, &base_slug(&post.title), author.user_id)
        .await?;
    tracing::info!(id = created.id, slug = %created.slug, "post published");
    formwork::revalidate_tag(crate::tags::POSTS);

    if after == Some(AfterPublish::Open) {
        let to = LocalPath::parse(&format!("/posts/{}", created.slug))
            .ok_or_else(|| ActionError::internal("a slug made an invalid path"))?;
        redirect(&to);
    }
    Ok(Published {
        slug: created.slug,
        title: created.title,
    })
}

/// The "New post" form. Without JavaScript it posts and the server redirects back with the
/// outcome in a flash; with it, formwork's browser runtime sends the same post, and the form
/// and the list below (tagged `posts`, which publishing revalidates) change in place, with no
/// reload and no WASM.
#[component]
pub fn NewPostForm() -> impl IntoView {
    let state = FormState::<CreatePost>::new();
    let title = state.fields().title;
    let content = state.fields().content;

    view! {
        <ActionForm state=state>
            <fieldset class="new-post">
                <legend>"New post"</legend>
                <TextInput field=title id="new-post-title" autocomplete="off"/>
                <TextArea field=content id="new-post-content"/>
                {state.success(|published| view! {
                    <p class="form-success" role="status">
                        "Published "
                        <a href=format!("/posts/{}", published.slug)>{published.title}</a>
                        "."
                    </p>
                })}
                <div class="actions">
                    <SubmitButton label="Publish" pending_label="Publishing…" name="after" value="stay"/>
                    <SubmitButton label="Publish and open" name="after" value="open" class="secondary"/>
                </div>
            </fieldset>
        </ActionForm>
    }
}
