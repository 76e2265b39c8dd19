//! The one way an island talks to the server: a same-origin `fetch` whose answer is read as
//! text. Its forms and its live resources share it, so the WASM carries its code once.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// What came back: whether it succeeded, the `Location` of a server_fn redirect if there was one,
/// what the action revalidated (and that revalidation's id), and the body.
pub struct Answer {
    pub ok: bool,
    pub redirect: Option<String>,
    pub revalidated: Option<(String, Vec<String>)>,
    pub text: String,
}

/// Sends a same-origin request (a urlencoded `body` makes it a POST) asking for `accept`.
pub async fn fetch(url: &str, accept: &str, body: Option<&str>) -> Result<Answer, JsValue> {
    let window = web_sys::window().ok_or(JsValue::NULL)?;
    let headers = web_sys::Headers::new()?;
    headers.set("Accept", accept)?;
    // What the call reads is tagged with this page (see `revalidate_path`).
    if let Ok(page) = window.location().pathname() {
        headers.set(crate::protocol::PAGE_HEADER, &page)?;
    }
    let init = web_sys::RequestInit::new();
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    if let Some(body) = body {
        headers.set("Content-Type", "application/x-www-form-urlencoded")?;
        init.set_method("POST");
        init.set_body(&JsValue::from_str(body));
    }
    init.set_headers(&headers);
    let request = web_sys::Request::new_with_str_and_init(url, &init)?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_request(&request))
        .await?
        .dyn_into()?;
    let redirect = response
        .headers()
        .has(server_fn::redirect::REDIRECT_HEADER)
        .unwrap_or(false)
        .then(|| response.headers().get("Location").ok().flatten())
        .flatten();
    let header = |name: &str| response.headers().get(name).ok().flatten();
    let revalidated = header(crate::protocol::REVALIDATION_ID_HEADER).map(|id| {
        let items = header(crate::protocol::REVALIDATED_HEADER)
            .map(|list| list.split(',').map(|i| i.trim().to_owned()).collect())
            .unwrap_or_default();
        (id, items)
    });
    let text = JsFuture::from(response.text()?)
        .await?
        .as_string()
        .unwrap_or_default();
    Ok(Answer {
        ok: response.ok(),
        redirect,
        revalidated,
        text,
    })
}
