//! Comments on posts: shown under each post; signed-in users write them, authors delete their
//! own and moderators delete any. Server-rendered forms, the same with and without JavaScript.
//!
//! - [`model`]: the comment types and the rules a comment must meet;
//! - [`add_comment`] and [`delete_comment`]: one action per file, each with its form;
//! - `store` (server only): what comments need from storage.

pub mod add_comment;
pub mod delete_comment;
pub mod model;
#[cfg(feature = "ssr")]
pub mod store;

use add_comment::AddCommentForm;
use delete_comment::{DeleteComment, DeleteCommentButton, DeleteCommentForm};
use formwork::{identity::Principal, ActionError, Items};
use leptos::{either::Either, prelude::*};
use model::Comment;

/// The comments of one post, oldest first. Cached under `comments:{post_id}`.
#[formwork::action(access = Public, method = GET)]
pub async fn comments_of(post_id: i64) -> Result<Vec<Comment>, ActionError> {
    use crate::tags;
    let store = crate::state::store()?;
    formwork::cache::query(format!("comments:{post_id}"))
        .tag(tags::comments(post_id))
        .tag(tags::PEOPLE)
        .ttl(tags::CACHE_TTL)
        .load(move || async move { Ok(store.comments_of(post_id).await?) })
        .await
}

/// Whether `viewer` may delete `comment`: its author, and moderators and admins.
pub fn may_delete(viewer: Option<&Principal>, comment: &Comment) -> bool {
    viewer.is_some_and(|v| {
        v.user_id == comment.author_id || v.is_at_least(crate::roles::Role::Moderator)
    })
}

/// The comments under a post, and the form to add one (or a link to sign in).
#[component]
pub fn CommentSection(post_id: i64) -> impl IntoView {
    let viewer = formwork::identity::current();
    let add = match viewer {
        Some(_) => Either::Left(view! { <AddCommentForm post_id=post_id/> }),
        None => Either::Right(view! {
            <p class="notice"><a href="/login">"Sign in"</a> " to join the conversation."</p>
        }),
    };
    view! {
        <section class="comments" aria-labelledby="comments-heading">
            <h2 id="comments-heading">"Comments"</h2>
            // Only the list refreshes when a comment comes or goes: a comment being written
            // below stays as it is.
            <formwork::Region name="comments" tags=vec![crate::tags::comments(post_id)]>
            <Suspense fallback=|| view! { <p>"Loading comments…"</p> }>
                {Suspend::new(async move {
                    match comments_of(post_id).await {
                        Ok(comments) => Either::Left(view! {
                            <CommentList comments=comments viewer=viewer/>
                        }),
                        Err(error) => Either::Right(view! {
                            <p class="form-error" role="alert">{error.to_string()}</p>
                        }),
                    }
                })}
            </Suspense>
            </formwork::Region>
            {add}
        </section>
    }
}

#[component]
fn CommentList(comments: Vec<Comment>, viewer: Option<Principal>) -> impl IntoView {
    if comments.is_empty() {
        return Either::Left(view! { <p class="empty">"No comments yet."</p> });
    }
    let deletable: Vec<bool> = comments
        .iter()
        .map(|comment| may_delete(viewer.as_ref(), comment))
        .collect();
    // One form for every comment's "Delete", offering those this viewer may delete.
    let offered = comments.iter().zip(&deletable).filter(|(_, may)| **may);
    let deletes = Items::<DeleteComment>::bound("id", offered.map(|(comment, _)| comment.id));
    let form = deletable
        .contains(&true)
        .then(|| view! { <DeleteCommentForm deletes=deletes.clone()/> });
    Either::Right(view! {
        {form}
        <ol class="comment-list" aria-label="Comments">
            {comments
                .into_iter()
                .zip(deletable)
                .map(|(comment, deletable)| {
                    let when = comment
                        .created_at
                        .format(time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC"))
                        .unwrap_or_default();
                    view! {
                        <li class="comment">
                            <p class="comment-meta"><strong><crate::posts::pages::AuthorName username=comment.author.clone() display_name=comment.author_display_name.clone() avatar=comment.author_avatar.clone()/></strong> " · " <time>{when}</time></p>
                            <p class="comment-body">{comment.body.clone()}</p>
                            <DeleteCommentButton deletes=deletes.clone() id=comment.id author=comment.author.clone() allowed=deletable/>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    })
}
