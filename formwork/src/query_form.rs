//! `<QueryForm>`: reads stay reads. A plain `<form method="get">` (a search, a filter) whose
//! results are server-rendered [`Region`](crate::Region)s, so it works without JavaScript and
//! every result page has an address. With JavaScript formwork's browser runtime makes the
//! results follow the typing, wherever the form stands (in an island too: a read holds no
//! island state): a moment after the last key the address bar takes the form's query (so the
//! page stays shareable and reloadable) and the named regions refresh in place, the last query
//! winning.

use leptos::prelude::*;

/// A GET form whose results are the page's `regions` (see the module docs).
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
    view! {
        <form
            method="get"
            action=action
            class=class
            data-fw-form="query"
            data-fw-regions=regions.join(" ")
            data-fw-debounce=debounce_ms
        >
            {children()}
        </form>
    }
}
