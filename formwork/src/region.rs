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
pub async fn refresh_regions(names: &[&str]) -> Result<(), RefreshError> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{DomParser, RequestCredentials, RequestInit, Response, SupportedType};

    let window = web_sys::window().ok_or(RefreshError::NoWindow)?;
    let document = window.document().ok_or(RefreshError::NoWindow)?;
    let href = window.location().href().map_err(RefreshError::js)?;

    let init = RequestInit::new();
    init.set_method("GET");
    init.set_credentials(RequestCredentials::SameOrigin);
    let headers = web_sys::Headers::new().map_err(RefreshError::js)?;
    headers
        .set("Accept", "text/html")
        .map_err(RefreshError::js)?;
    init.set_headers(&headers);
    let request =
        web_sys::Request::new_with_str_and_init(&href, &init).map_err(RefreshError::js)?;
    let response: Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(RefreshError::js)?
        .dyn_into()
        .map_err(RefreshError::js)?;
    if !response.ok() {
        return Err(RefreshError::Status(response.status()));
    }
    let text = JsFuture::from(response.text().map_err(RefreshError::js)?)
        .await
        .map_err(RefreshError::js)?
        .as_string()
        .unwrap_or_default();
    let fresh = DomParser::new()
        .map_err(RefreshError::js)?
        .parse_from_string(&text, SupportedType::TextHtml)
        .map_err(RefreshError::js)?;

    for name in names {
        let selector = format!("[{REGION_ATTRIBUTE}=\"{name}\"]");
        let Some(current) = document
            .query_selector(&selector)
            .map_err(RefreshError::js)?
        else {
            continue;
        };
        let markup = fresh
            .query_selector(&selector)
            .map_err(RefreshError::js)?
            .map(|region| region.inner_html())
            .unwrap_or_default();
        current.set_inner_html(&markup);
    }
    Ok(())
}

/// Why a region refresh failed. The page keeps its old markup; the next navigation heals it.
#[cfg(feature = "hydrate")]
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("no window or document")]
    NoWindow,
    #[error("the page answered {0}")]
    Status(u16),
    #[error("browser error: {0}")]
    Js(String),
}

#[cfg(feature = "hydrate")]
impl RefreshError {
    fn js(value: wasm_bindgen::JsValue) -> Self {
        Self::Js(format!("{value:?}"))
    }
}
