//! The browser bundle. It only hydrates the app's islands; everything else is plain HTML.

// Link the app so that its `#[island]` exports are part of this module.
use app as _;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
