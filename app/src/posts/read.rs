//! Read-only server functions the post pages call. GET, so they stay safe to repeat.

use super::model::{Post, PostListing};
use formwork::ActionError;

/// One page of posts, newest first. Cached under the `posts` tag.
#[formwork::action(access = Public, method = GET)]
pub async fn list_posts(page: u32) -> Result<PostListing, ActionError> {
    use super::model::PAGE_SIZE;
    use crate::tags;
    let paging = crate::paging::Paging::new(page, PAGE_SIZE);
    let store = crate::state::store()?;
    let rows = formwork::cache::query(format!("posts:page:{}", paging.page))
        .tag(tags::POSTS)
        .tag(tags::PEOPLE)
        .ttl(tags::CACHE_TTL)
        .load(move || async move { store.recent_posts(paging.offset(), paging.fetch()).await })
        .await?;
    let (posts, has_older) = paging.split(rows);
    Ok(PostListing {
        posts,
        page: paging.page,
        has_older,
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
