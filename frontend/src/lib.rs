//! The browser bundle. It only hydrates the app's islands; everything else is plain HTML.

// Link the app so that its `#[island]` exports are part of this module.
use app as _;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Release builds abort on panic without a message (-Cpanic=immediate-abort, see
    // cargo-leptos.toml), so the hook, and the formatting it pulls in, only ships in debug.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    // The islands, and the live stream: tagged regions and resources refresh when what they
    // show changes, anywhere.
    formwork::hydrate();
}
