//! Live revalidation: what an action revalidated reaches every open page, which refreshes
//! exactly the parts that show that data.
//!
//! ```text
//! action ─ revalidate_tag("posts") ─► response header x-formwork-revalidated: tag:posts
//!    │                                    └► this tab: the regions and resources tagged `posts`
//!    └► LiveHub (this instance) ──── SSE ──► every other open page that shows `posts`
//!    └► InvalidationBus (other instances) ─► their LiveHub ─► their pages
//! ```
//!
//! On the page, a [`Region`](crate::Region) or a [`Live`] resource declares its tags; nothing
//! is wired to an action by hand. The page subscribes to its tags (and its own
//! path) at [`LIVE_PATH`](crate::protocol::LIVE_PATH); a page without tagged parts opens no
//! stream, so an idle site costs nothing. Every revalidation carries an id: the tab that ran the action sees it twice (in
//! its response and on the stream) and refreshes once.

#[cfg(feature = "hydrate")]
pub mod client;
#[cfg(feature = "ssr")]
mod hub;
mod resource;

pub use resource::Live;

#[cfg(feature = "ssr")]
pub use hub::{stream, LiveHub};

use crate::protocol::POSITION_META;
/// The name of the stream's events.
pub const EVENT: &str = "revalidate";
/// The item that stands for everything (a page that may have missed events refreshes all).
pub const EVERYTHING: &str = "all";
/// At most this many tags per subscription, each at most [`MAX_TAG_LEN`] bytes.
pub const MAX_TAGS: usize = 64;
/// The longest tag a subscription may name, in bytes.
pub const MAX_TAG_LEN: usize = 200;

/// Records, in the page's `<head>`, where the live stream stood when the page was rendered.
/// Put it before the content, so it is taken before the page reads its data.
#[leptos::component]
pub fn LivePosition() -> impl leptos::IntoView {
    #[cfg(feature = "ssr")]
    let position = leptos::prelude::use_context::<LiveHub>().map(|hub| hub.position());
    #[cfg(not(feature = "ssr"))]
    let position: Option<String> = None;
    use leptos::prelude::*;
    position.map(|position| view! { <meta name=POSITION_META content=position/> })
}

/// A tag only its own user hears of on the live stream (say, their todo list): other users
/// never learn when it changes.
pub fn private_tag(user_id: i64, name: &str) -> String {
    format!("user:{user_id}:{name}")
}

/// The user a [`private_tag`] belongs to, if it is one.
pub fn owner_of(tag: &str) -> Option<i64> {
    tag.strip_prefix("user:")?.split_once(':')?.0.parse().ok()
}

/// One revalidation as the stream delivers it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LiveEvent {
    /// The revalidation's id (the action's response names it too).
    pub id: String,
    /// `tag:…` and `path:…` items, or [`EVERYTHING`].
    pub items: Vec<String>,
}

#[cfg(feature = "ssr")]
impl LiveEvent {
    /// "Refresh everything": for pages that may have missed something (a lost connection, a
    /// position no longer known), under a fresh id.
    pub fn everything() -> Self {
        Self {
            id: uuid::Uuid::new_v4().simple().to_string(),
            items: vec![EVERYTHING.to_owned()],
        }
    }
}

/// Whether a page showing `tags` at `path` must refresh for `item`.
pub fn concerns(item: &str, path: &str, tags: &[String]) -> bool {
    if item == EVERYTHING {
        return true;
    }
    if let Some(tag) = item.strip_prefix("tag:") {
        return tags.iter().any(|t| t == tag);
    }
    item.strip_prefix("path:")
        .is_some_and(|scope| in_scope(scope, path))
}

/// Whether the page at `page` is within what `revalidate_path(path)` names: the page itself,
/// or for a scope `/posts/*` the page `/posts` and every page under it (`/*`: every page).
pub fn in_scope(path: &str, page: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    match path.strip_suffix("/*") {
        None => page == path,
        Some(base) => {
            page == base
                || page
                    .strip_prefix(base)
                    .is_some_and(|rest| rest.starts_with('/'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_concerns_its_page_and_a_scope_every_page_under_it() {
        let none: &[String] = &[];
        assert!(concerns("path:/posts", "/posts", none));
        assert!(!concerns("path:/posts", "/posts/hello", none));
        assert!(concerns("path:/posts/*", "/posts", none));
        assert!(concerns("path:/posts/*", "/posts/hello/edit", none));
        assert!(!concerns("path:/posts/*", "/postscript", none));
        assert!(concerns("path:/*", "/", none) && concerns("path:/*", "/todos", none));
    }

    #[test]
    fn an_item_concerns_the_pages_that_show_its_tag_or_are_its_path() {
        let tags = vec!["posts".to_owned(), "comments:7".to_owned()];
        assert!(concerns("tag:posts", "/posts/a", &tags));
        assert!(concerns("tag:comments:7", "/posts/a", &tags));
        assert!(!concerns("tag:comments:70", "/posts/a", &tags));
        assert!(!concerns("tag:post", "/posts/a", &tags));
        assert!(concerns("path:/posts/a", "/posts/a", &tags));
        assert!(!concerns("path:/posts", "/posts/a", &tags));
        assert!(concerns(EVERYTHING, "/", &[]));
        assert!(
            !concerns("posts", "/posts", &tags),
            "an item names its kind"
        );
    }

    #[test]
    fn a_private_tag_names_its_owner() {
        assert_eq!(private_tag(7, "todos"), "user:7:todos");
        assert_eq!(owner_of("user:7:todos"), Some(7));
        assert_eq!(owner_of("user:x:todos"), None);
        assert_eq!(owner_of("posts"), None);
        assert_eq!(owner_of("user:7"), None);
    }
}
