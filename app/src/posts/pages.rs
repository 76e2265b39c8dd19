//! `/posts`, `/posts/{slug}` and `/posts/{slug}/edit`. Server components: they render HTML
//! and ship no code.

use super::{
    create_post::{CreatePost, NewPostForm},
    delete_post::{DeletePost, DeletePostButton, DeletePostForm},
    edit_post::EditPostForm,
    model::{may_delete, may_edit, Author, Post, PostListing},
    read::{get_post, list_posts},
};
use crate::{
    comments::CommentSection,
    paging::Cursor,
    shell::{set_status, NotFound},
    tags,
};
use formwork::Title;
use formwork::{identity::current, ActionError, FormError, FormState, Items, Region};
use leptos::{either::Either, prelude::*};
use leptos_router::hooks::{use_params_map, use_query_map};
use time::{macros::format_description, OffsetDateTime};

/// `/posts`, `/posts?before=ID`, `/posts?after=ID`: the "New post" form (for signed-in users)
/// and the posts, newest first, twenty a page.
#[component]
pub fn PostsPage() -> impl IntoView {
    crate::shell::shared();
    crate::shell::kept_per_visitor();
    let (before, after) = use_query_map().with_untracked(|query| {
        Cursor::from_query(
            query.get("before").as_deref(),
            query.get("after").as_deref(),
        )
        .ids()
    });
    let new_post = match current() {
        Some(_) => Either::Left(view! { <NewPostForm/> }),
        // A post sent from a page that was signed in (another tab signed out since) comes back
        // here refused: the reason shows with the way to sign in.
        None => {
            let refused = FormState::<CreatePost>::new();
            Either::Right(view! {
                <p class="notice">
                    <a href="/login">"Sign in"</a> " or " <a href="/register">"create an account"</a> " to write a post."
                </p>
                <FormError state=refused/>
            })
        }
    };
    view! {
        <Title text="Posts"/>
        <h1>"Posts"</h1>
        {new_post}
        <Region name="posts" tags=vec![tags::POSTS.to_owned()]>
            <Suspense fallback=|| view! { <p>"Loading posts…"</p> }>
                // A server component: the list is read and made once (a closure here would be
                // called again for each of the Suspense's passes over its children).
                {Suspend::new(async move {
                    match list_posts(before, after).await {
                        Ok(listing) => Either::Left(view! { <PostList listing=listing/> }),
                        Err(error) => Either::Right(view! { <LoadError error=error/> }),
                    }
                })}
            </Suspense>
        </Region>
    }
}

#[component]
fn PostList(listing: PostListing) -> impl IntoView {
    let PostListing {
        posts,
        here,
        newer,
        older,
    } = listing;
    let here = here.href("/posts");
    let empty = posts.is_empty();
    let viewer = current();
    let deletable: Vec<bool> = posts
        .iter()
        .map(|post| may_delete(viewer.as_ref(), post.author.as_ref()))
        .collect();
    // One form for every row's "Delete", offering the posts this viewer may delete.
    let offered = posts.iter().zip(&deletable).filter(|(_, may)| **may);
    let deletes = Items::<DeletePost>::bound("id", offered.map(|(post, _)| post.id));
    let form = deletable
        .contains(&true)
        .then(|| view! { <DeletePostForm deletes=deletes.clone() next=here/> });
    view! {
        {form}
        <ol class="post-list" aria-label="Posts">
            {posts
                .into_iter()
                .zip(deletable)
                .map(|(post, deletable)| {
                    view! {
                        <li class="post-summary">
                            <h2><a href=format!("/posts/{}", post.slug)>{post.title.clone()}</a></h2>
                            <Byline author=post.author at=post.created_at/>
                            <p class="excerpt">{post.excerpt}</p>
                            <DeletePostButton deletes=deletes.clone() id=post.id title=post.title allowed=deletable/>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
        {empty.then(|| view! { <p class="empty">"No posts here yet."</p> })}
        <nav class="pagination" aria-label="Pages">
            {newer.map(|newer| view! { <a rel="prev" href=newer.href("/posts")>"← Newer"</a> })}
            {older.map(|older| view! { <a rel="next" href=older.href("/posts")>"Older →"</a> })}
        </nav>
    }
}

/// `/posts/{slug}`: one post, or a 404.
#[component]
pub fn PostPage() -> impl IntoView {
    crate::shell::shared();
    crate::shell::kept_per_visitor();
    routed_post(|post| {
        let viewer = current();
        let editable = may_edit(viewer.as_ref(), post.author.as_ref());
        let deletable = may_delete(viewer.as_ref(), post.author.as_ref());
        let deletes = Items::<DeletePost>::bound("id", deletable.then_some(post.id));
        view! {
            <Title text=post.title.clone()/>
            {deletable.then(|| view! { <DeletePostForm deletes=deletes.clone() next="/posts".to_owned()/> })}
            <Region name="post" tags=vec![tags::post(post.id)]>
                <article class="post">
                    <h1>{post.title.clone()}</h1>
                    <Byline author=post.author at=post.created_at/>
                    <div class="content">{post.content}</div>
                    <div class="post-actions">
                        {editable.then(|| view! {
                            <a class="button secondary" href=format!("/posts/{}/edit", post.slug)>"Edit"</a>
                        })}
                        <DeletePostButton deletes=deletes id=post.id title=post.title allowed=deletable/>
                    </div>
                </article>
            </Region>
            <CommentSection post_id=post.id/>
            <p><a href="/posts">"← All posts"</a></p>
        }
    })
}

/// `/posts/{slug}/edit`: the edit form for one post, or a 404. Only its author gets the
/// form; anyone else is told why (401 signed out, 403 otherwise).
#[component]
pub fn EditPostPage() -> impl IntoView {
    routed_post(|post| {
        let viewer = current();
        let form = if may_edit(viewer.as_ref(), post.author.as_ref()) {
            Either::Left(view! { <EditPostForm post=post.clone()/> })
        } else {
            let error = match viewer {
                None => ActionError::Unauthenticated,
                Some(_) => ActionError::forbidden(super::edit_post::NOT_YOURS),
            };
            Either::Right(view! { <LoadError error=error/> })
        };
        view! {
            <Title text=format!("Edit “{}”", post.title)/>
            <h1>{format!("Edit “{}”", post.title)}</h1>
            {form}
        }
    })
}

/// The post the route's `slug` names, shown by `show`: a missing post is the 404 page, and a
/// read that failed says why.
fn routed_post<V>(show: fn(Post) -> V) -> impl IntoView
where
    V: IntoView + Send + 'static,
{
    let slug = use_params_map()
        .read_untracked()
        .get("slug")
        .unwrap_or_default();
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {Suspend::new(async move {
                match get_post(slug).await {
                    Ok(post) => Either::Left(show(post)),
                    Err(ActionError::NotFound { .. }) => Either::Right(Either::Left(view! { <NotFound/> })),
                    Err(error) => Either::Right(Either::Right(view! { <LoadError error=error/> })),
                }
            })}
        </Suspense>
    }
}

/// Who wrote a post, and when.
#[component]
fn Byline(author: Option<Author>, at: OffsetDateTime) -> impl IntoView {
    view! {
        <p class="byline">
            {author.map(|author| view! { "by " <AuthorName username=author.username display_name=author.display_name avatar=author.avatar/> " · " })}
            <PublishedAt at=at/>
        </p>
    }
}

#[component]
fn PublishedAt(at: OffsetDateTime) -> impl IntoView {
    let shown = at
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute] UTC"
        ))
        .unwrap_or_default();
    let machine = at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    view! { <time datetime=machine>{shown}</time> }
}

/// A read that failed: the status it stands for, and its (already redacted) message.
#[component]
fn LoadError(error: ActionError) -> impl IntoView {
    set_status(error.status().as_u16());
    view! { <p class="form-error" role="alert">{error.to_string()}</p> }
}

/// Who wrote something: the name they chose, with the username they sign in with (names need
/// not be unique, usernames are); just the username when they chose none.
#[component]
pub fn AuthorName(
    username: String,
    display_name: Option<String>,
    /// The object key of their picture.
    avatar: Option<String>,
) -> impl IntoView {
    let picture = avatar.map(|key| {
        view! { <img class="avatar" src=crate::settings::avatar::url(&key) alt="" width="24" height="24" loading="lazy"/> }
    });
    let name = match display_name {
        Some(name) => leptos::either::Either::Left(view! {
            <span class="author">{name}</span> " " <span class="handle">{format!("@{username}")}</span>
        }),
        None => leptos::either::Either::Right(view! { <span class="author">{username}</span> }),
    };
    view! { {picture} {name} }
}
