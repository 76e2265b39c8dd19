//! Server-rendered regions that refresh in place after an action.
//!
//! In islands mode most of a page is HTML that ships no code. When an action changes the data
//! behind such HTML, the page does not reload: the island that ran the action asks the server
//! for the current page again and swaps in the regions that changed, matched by name. Without
//! JavaScript the post/redirect/get cycle renders the same regions fresh, so both paths end in
//! the same markup.

use leptos::prelude::*;

/// The attribute that names a region in the markup.
pub const REGION_ATTRIBUTE: &str = "data-fw-region";

/// Marks server-rendered content that [`refresh_regions`] can replace in place.
#[component]
pub fn Region(
    /// The region's name, unique on the page (e.g. `"posts"`).
    name: &'static str,
    children: Children,
) -> impl IntoView {
    view! { <div data-fw-region=name>{children()}</div> }
}

/// Fetches the current page again and replaces each named region with its fresh markup.
///
/// Regions hold server-rendered HTML only (no islands), so swapping their markup is all it
/// takes to show the new data. A region missing from the fresh page is emptied: the server
/// said it has nothing to show there.
#[cfg(feature = "hydrate")]
pub async fn refresh_regions(names: &[&str]) -> Result<(), &'static str> {
    use web_sys::{DomParser, SupportedType};

    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    let href = window.location().href().map_err(|_| "no location")?;
    let answer = crate::browser::fetch(&href, "text/html", None)
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
