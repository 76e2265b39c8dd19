//! The islands' end of the page's live stream: a bridge to the browser runtime.
//!
//! The runtime ([`crate::runtime`], `window.formwork`) owns the page's stream and its
//! [`Region`](crate::Region)s on every page, islands or not. An island's
//! [`Live`](super::Live) resource watches its tags through it, and an island's form hands it
//! what its action revalidated. Each
//! revalidation is acted on once per page, whoever heard of it first. A page without the
//! runtime (a shell that leaves out [`Scripts`](crate::Scripts)) has islands that work but do
//! not follow revalidations.

use std::{cell::RefCell, collections::HashMap, rc::Rc};
use wasm_bindgen::{closure::Closure, prelude::wasm_bindgen, JsValue};

/// What a resource does when its tags were revalidated (given the revalidation's id).
type Refetch = Rc<dyn Fn(&str)>;
/// A [`Refetch`] as the runtime calls it.
type Callback = Closure<dyn Fn(String)>;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = formwork, js_name = watch)]
    fn runtime_watch(
        tags: js_sys::Array,
        refetch: &Closure<dyn Fn(String)>,
    ) -> Result<f64, JsValue>;
    #[wasm_bindgen(catch, js_namespace = formwork, js_name = unwatch)]
    fn runtime_unwatch(id: f64) -> Result<(), JsValue>;
    #[wasm_bindgen(catch, js_namespace = formwork, js_name = revalidate)]
    fn runtime_revalidate(id: &str, items: js_sys::Array) -> Result<js_sys::Promise, JsValue>;
}

thread_local! {
    /// The callbacks the runtime holds, by watch id: kept alive here until [`unwatch`].
    static WATCHES: RefCell<HashMap<u64, Callback>> = RefCell::new(HashMap::new());
}

fn array(items: &[String]) -> js_sys::Array {
    items.iter().map(|item| JsValue::from_str(item)).collect()
}

/// Calls `refetch` with the revalidation's id whenever one of `tags` is revalidated, until
/// [`unwatch`]. Returns the watch's id (0 when the page has no runtime).
pub fn watch(tags: Vec<String>, refetch: Refetch) -> u64 {
    let callback = Callback::new(move |id: String| refetch(&id));
    match runtime_watch(array(&tags), &callback) {
        Ok(id) => {
            // The runtime numbers watches from 1, well inside f64's exact integers.
            let id = id as u64;
            WATCHES.with_borrow_mut(|watches| watches.insert(id, callback));
            id
        }
        Err(_) => 0,
    }
}

/// Ends the watch `id` (from [`watch`]).
pub fn unwatch(id: u64) {
    if WATCHES
        .with_borrow_mut(|watches| watches.remove(&id))
        .is_some()
    {
        let _ = runtime_unwatch(id as f64);
    }
}

/// Acts on an action's revalidation from this tab, once per id: refreshes the regions it
/// concerns and tells the resources it concerns. Resolves when the regions are refreshed.
pub async fn revalidate(id: &str, items: &[String]) {
    if let Ok(done) = runtime_revalidate(id, array(items)) {
        let _ = wasm_bindgen_futures::JsFuture::from(done).await;
    }
}
