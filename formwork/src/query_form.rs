//! `<QueryForm>`: reads stay reads. A plain `<form method="get">` (a search, a filter) whose
//! results are server-rendered [`Region`](crate::Region)s, so it works without JavaScript and
//! every result page has an address. With JavaScript (the browser runtime, or an island's
//! WASM), the results follow the typing instead: a moment after the last key the address bar
//! takes the form's query (so the page stays shareable and reloadable) and the named regions
//! refresh in place, the last query winning.

use leptos::{html, prelude::*};

#[component]
pub fn QueryForm<C>(
    /// The page the form reads (`/search`).
    action: &'static str,
    /// The regions that show its results.
    regions: &'static [&'static str],
    /// How long after the last key the results follow, in milliseconds.
    #[prop(default = 250)]
    debounce_ms: i32,
    /// The `class` attribute of the `<form>` element.
    #[prop(optional)]
    class: &'static str,
    children: TypedChildren<C>,
) -> impl IntoView
where
    C: IntoView + 'static,
{
    let children = children.into_inner();
    let node = NodeRef::<html::Form>::new();
    crate::form::mark_ready(node);
    #[cfg(feature = "hydrate")]
    let (on_input, on_submit) = {
        let pending = StoredValue::new_local(None::<i32>);
        let follow = move |delay: i32| follow(node, action, regions, pending, delay);
        (
            move |_: leptos::ev::Event| follow(debounce_ms),
            move |event: leptos::ev::SubmitEvent| {
                event.prevent_default();
                follow(0);
            },
        )
    };
    #[cfg(not(feature = "hydrate"))]
    let (on_input, on_submit) = (|_: leptos::ev::Event| {}, |_: leptos::ev::SubmitEvent| {});
    view! {
        <form
            node_ref=node
            method="get"
            action=action
            class=class
            data-fw-form="query"
            data-fw-regions=regions.join(" ")
            data-fw-debounce=debounce_ms
            on:input=on_input
            on:submit=on_submit
        >
            {children()}
        </form>
    }
}

/// After `delay` ms (restarted by every key): the form's query into the address bar, then
/// the regions refreshed from it.
#[cfg(feature = "hydrate")]
fn follow(
    node: NodeRef<html::Form>,
    action: &'static str,
    regions: &'static [&'static str],
    pending: StoredValue<Option<i32>, LocalStorage>,
    delay: i32,
) {
    use wasm_bindgen::{closure::Closure, JsCast};

    let Some(window) = web_sys::window() else {
        return;
    };
    if let Some(timer) = pending.get_value() {
        window.clear_timeout_with_handle(timer);
    }
    let run = Closure::once_into_js(move || {
        pending.set_value(None);
        let Some(form) = node.get_untracked() else {
            return;
        };
        let Some(query) = web_sys::FormData::new_with_form(&form)
            .and_then(|data| web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data))
            .ok()
        else {
            return;
        };
        let url = format!("{action}?{}", String::from(query.to_string()));
        if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
        let names = regions.iter().map(|r| (*r).to_owned()).collect();
        leptos::task::spawn_local(crate::live::client::refresh(names));
    });
    if let Ok(timer) =
        window.set_timeout_with_callback_and_timeout_and_arguments_0(run.unchecked_ref(), delay)
    {
        pending.set_value(Some(timer));
    }
}
