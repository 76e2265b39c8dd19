//! Server-rendered regions that refresh in place when their data changes.
//!
//! In islands mode most of a page is HTML that ships no code. A region names the tags of the
//! data it shows. When an action revalidates one of them, in this tab or anywhere else (see
//! [`crate::live`]), the page does not reload: it asks the server for the current page again
//! and swaps in the regions concerned, matched by name, in one fetch however many changed.
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

/// Fetches the current page again and replaces each named region with its fresh markup.
///
/// Regions hold server-rendered HTML only (no islands), so swapping their markup is all it
/// takes to show the new data. A region missing from the fresh page is emptied: the server
/// said it has nothing to show there.
#[cfg(feature = "hydrate")]
pub async fn refresh_regions(names: &[&str]) -> Result<(), &'static str> {
    use crate::protocol::{REFRESH_HEADER, REGION_ATTRIBUTE};
    use web_sys::{DomParser, SupportedType};

    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    let href = window.location().href().map_err(|_| "no location")?;
    let answer = crate::browser::fetch_with(&href, "text/html", None, &[(REFRESH_HEADER, "1")])
        .await
        .map_err(|_| "the page could not be fetched")?;
    if !answer.ok {
        return Err("the page did not answer with a success");
    }
    let fresh = DomParser::new()
        .and_then(|parser| parser.parse_from_string(&answer.text, SupportedType::TextHtml))
        .map_err(|_| "the page could not be parsed")?;

    for name in names {
        let selector = format!("[{REGION_ATTRIBUTE}=\"{name}\"]");
        let Some(current) = document.query_selector(&selector).ok().flatten() else {
            continue;
        };
        let markup = fresh
            .query_selector(&selector)
            .ok()
            .flatten()
            .map(|region| region.inner_html())
            .unwrap_or_default();
        current.set_inner_html(&markup);
    }
    Ok(())
}
