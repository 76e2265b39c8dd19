//! The guide's examples (`docs/guide/`): one small page per Server Actions concept, each the
//! code a guide page shows, built, served and tested (`end2end/`) like any Formwork app.
use formwork::prelude::*;
use leptos_router::{components::*, path, SsrMode};

#[cfg(feature = "ssr")]
pub mod api;
pub mod cookies;
pub mod members;
pub mod notes;
pub mod paths;
pub mod redirects;
pub mod stars;
pub mod uploads;
pub mod validation;

/// `/`: what each page shows.
#[component]
fn Index() -> impl IntoView {
    view! {
        <h1>"Formwork guide: examples"</h1>
        <ul>
            <li><a href="/notes">"Notes: actions, form state, form status, optimistic previews, tags, validation, bound arguments"</a></li>
            <li><a href="/stars">"Stars: an action called from an event handler"</a></li>
            <li><a href="/counter">"Counter: revalidate a path"</a></li>
            <li><a href="/redirect">"Redirect after an action"</a></li>
            <li><a href="/cookies">"Cookies and headers"</a></li>
            <li><a href="/members">"Who may call an action, and how often"</a></li>
            <li><a href="/uploads">"Uploads"</a></li>
            <li><a href="/validation">"Validation: numbers, boxes, choices, confirmations"</a></li>
        </ul>
    }
}

#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router><Routes fallback=|| "Not found.">
            <Route path=path!("") view=Index/>
            <Route path=path!("notes") view=notes::NotesPage ssr=SsrMode::Async/>
            <Route path=path!("stars") view=stars::StarsPage ssr=SsrMode::Async/>
            <Route path=path!("counter") view=paths::CounterPage ssr=SsrMode::Async/>
            <Route path=path!("redirect") view=redirects::RedirectPage ssr=SsrMode::Async/>
            <Route path=path!("redirect/done") view=redirects::DonePage/>
            <Route path=path!("cookies") view=cookies::CookiesPage/>
            <Route path=path!("members") view=members::MembersPage/>
            <Route path=path!("uploads") view=uploads::UploadsPage/>
            <Route path=path!("validation") view=validation::ValidationPage/>
        </Routes></Router>
    }
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! { <Document options title="Formwork guide"><App/></Document> }
}

/// The database the server provides to every page and action.
#[cfg(feature = "ssr")]
pub fn db() -> Result<sqlx::SqlitePool, ActionError> {
    use_context::<sqlx::SqlitePool>().ok_or_else(|| ActionError::internal("no database in context"))
}
