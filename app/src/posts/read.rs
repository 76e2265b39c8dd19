//! Read-only server functions the post pages call. GET, so they stay safe to repeat.

use super::model::{Post, PostListing};
use formwork::ActionError;

/// A page of posts, newest first: the newest, or those just older than `before`, or just
/// newer than `after` (see [`Cursor`](crate::paging::Cursor)). Cached under the `posts` tag.
#[formwork::action(access = Public, method = GET)]
pub async fn list_posts(
    before: Option<i64>,
    after: Option<i64>,
) -> Result<PostListing, ActionError> {
    use crate::{paging::Cursor, tags};
    let cursor = Cursor::of(before, after);
    let store = crate::state::store()?;
    let listing = formwork::cache::query(format!("posts:{}", cursor.key()))
        .tag(tags::POSTS)
        .tag(tags::PEOPLE)
        .ttl(tags::CACHE_TTL)
        .load(move || async move { listing(&*store, cursor).await })
        .await?;
    Ok(listing)
}

/// The page at `cursor` and where its neighbours start. Every read is an index range: a page
/// deep in the list costs what the first one does.
#[cfg(feature = "ssr")]
async fn listing(
    store: &dyn crate::store::Store,
    cursor: crate::paging::Cursor,
) -> Result<PostListing, crate::store::StoreError> {
    use super::model::PAGE_SIZE;
    use crate::paging::Cursor;
    let size = PAGE_SIZE as usize;
    // One row more than a page, to see whether more follow.
    let mut here = cursor;
    let mut posts = Vec::new();
    if let Cursor::After(id) = cursor {
        let newer = store.posts_after(id, PAGE_SIZE + 1).await?;
        if newer.len() > size {
            // Newest first: the extra row is the first, furthest from `id`.
            posts = newer.into_iter().skip(1).collect();
        } else {
            // What is newer than `id` fits on the newest page: show that page whole.
            here = Cursor::Newest;
        }
    }
    match here {
        Cursor::Newest => posts = store.posts_before(None, PAGE_SIZE + 1).await?,
        Cursor::Before(id) => posts = store.posts_before(Some(id), PAGE_SIZE + 1).await?,
        Cursor::After(_) => {}
    }
    let older = match here {
        Cursor::After(_) => match posts.last() {
            Some(last) if !store.posts_before(Some(last.id), 1).await?.is_empty() => {
                Some(Cursor::Before(last.id))
            }
            _ => None,
        },
        _ => {
            let more = posts.len() > size;
            posts.truncate(size);
            more.then(|| posts.last().map(|last| Cursor::Before(last.id)))
                .flatten()
        }
    };
    let newer = match here {
        Cursor::Newest => None,
        Cursor::Before(id) | Cursor::After(id) => {
            // Newer than the first post shown; on an empty page (only ever `before` the
            // oldest), from its cursor on.
            let top = posts.first().map_or(id.saturating_sub(1), |first| first.id);
            let above = store.posts_after(top, PAGE_SIZE + 1).await?;
            if above.is_empty() {
                None
            } else if above.len() <= size {
                Some(Cursor::Newest)
            } else {
                Some(Cursor::After(top))
            }
        }
    };
    Ok(PostListing {
        posts,
        here,
        newer,
        older,
    })
}

/// The post with this slug. Anything that cannot be a slug is not looked up at all. Cached
/// under `post:{id}`.
#[formwork::action(access = Public, method = GET)]
pub async fn get_post(slug: String) -> Result<Post, ActionError> {
    use crate::tags;
    if !super::model::could_be_slug(&slug) {
        return Err(ActionError::not_found("That post"));
    }
    let store = crate::state::store()?;
    formwork::cache::query(format!("post:slug:{slug}"))
        .ttl(tags::CACHE_TTL)
        .load_tagged(
            |post: &Post| vec![tags::post(post.id), tags::PEOPLE.to_owned()],
            move || async move {
                store
                    .post_by_slug(&slug)
                    .await?
                    .ok_or_else(|| ActionError::not_found("That post"))
            },
        )
        .await
}
