//! Server-rendered regions that refresh in place when their data changes.
//!
//! Most of a page is HTML that ships no code. A region names the tags of the data it shows.
//! When an action revalidates one of them, in this tab or anywhere else (see [`crate::live`]),
//! the page does not reload: the browser runtime ([`crate::runtime`]) asks the server for the
//! current page again and swaps in the regions concerned, matched by name, in one fetch however
//! many changed. Regions hold server-rendered HTML only (no islands): swapping their markup is
//! all it takes to show the new data, and a region missing from the fresh page is emptied.
//! Without JavaScript the post/redirect/get cycle renders the same regions fresh, so both
//! paths end in the same markup.

use leptos::prelude::*;

/// Marks server-rendered content that refreshes in place when one of its `tags` is
/// revalidated (or its page's path is).
#[component]
pub fn Region(
    /// The region's name, unique on the page (e.g. `"posts"`).
    name: &'static str,
    /// The tags of the data it shows, as its reads are cached under (e.g. `posts`,
    /// `comments:7`).
    #[prop(optional)]
    tags: Vec<String>,
    children: Children,
) -> impl IntoView {
    let tags = (!tags.is_empty()).then(|| tags.join(" "));
    view! { <div data-fw-region=name data-fw-tags=tags>{children()}</div> }
}
