//! Read-only server functions the post pages call. GET, so they stay safe to repeat.

use super::model::{Post, PostListing};
use formwork::ActionError;
use leptos::prelude::*;
use server_fn::codec::GetUrl;

/// One page of posts, newest first.
#[server(input = GetUrl)]
pub async fn list_posts(page: u32) -> Result<PostListing, ActionError> {
    use super::model::PAGE_SIZE;
    let page = page.max(1);
    let offset = u64::from(page - 1) * u64::from(PAGE_SIZE);
    // Ask for one more than a page to learn whether an older page exists.
    let mut posts = crate::state::store()?
        .recent_posts(offset, PAGE_SIZE + 1)
        .await?;
    let has_older = posts.len() > PAGE_SIZE as usize;
    posts.truncate(PAGE_SIZE as usize);
    Ok(PostListing {
        posts,
        page,
        has_older,
    })
}

formwork::declare!(ListPosts { access: Public });

/// The post with this slug. Anything that cannot be a slug is not looked up at all.
#[server(input = GetUrl)]
pub async fn get_post(slug: String) -> Result<Post, ActionError> {
    if !super::model::could_be_slug(&slug) {
        return Err(ActionError::not_found("That post"));
    }
    crate::state::store()?
        .post_by_slug(&slug)
        .await?
        .ok_or_else(|| ActionError::not_found("That post"))
}

formwork::declare!(GetPost { access: Public });
