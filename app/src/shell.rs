//! The document shell, the routes and the frame every page shares.

use crate::{
    accounts::{AccountNav, LoginPage, RegisterPage},
    admin::AdminPage,
    contact::{ContactPage, ContactThanksPage},
    feedback::FeedbackPage,
    newsletter::NewsletterPage,
    posts::pages::{EditPostPage, PostPage, PostsPage},
    search::SearchPage,
    settings::SettingsPage,
    todos::page::TodosPage,
};
use formwork::Title;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// A page that is the same for every visitor without cookies says so: it is then served from
/// memory for up to a minute, or until the next revalidation (see `formwork::page_cache`).
pub(crate) fn shared() {
    formwork::page_cache::share(std::time::Duration::from_secs(60));
}

/// A page that shows a visitor with cookies (a signed-in user) nothing of theirs but who they
/// are and data that every write revalidates says so too: their next view of it comes from
/// memory, for up to a minute, until the next revalidation, or at once no longer when they
/// sign out or their role changes (see `formwork::page_cache::keep_per_visitor`).
pub(crate) fn kept_per_visitor() {
    formwork::page_cache::keep_per_visitor(std::time::Duration::from_secs(60));
}

/// The whole HTML document. Islands hydrate from the script that `HydrationScripts` adds.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        // The theme comes from its cookie, so the first paint is already right.
        <html lang="en" data-theme=crate::settings::Theme::current().as_str()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                // The islands' script, its nonce and the page's CSP, the live stream's position.
                <formwork::Scripts options=options.clone()/>
                <formwork::Stylesheet options=options id="leptos"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Every route renders its data into the HTML (`SsrMode::Async`), so a browser without
/// JavaScript sees the same page as one with it.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|page: String| format!("{page} · Formwork")/>
        <Router>
            <header class="site-header">
                <a class="brand" href="/">"Formwork"</a>
                <nav>
                    <a href="/posts">"Posts"</a>
                    <a href="/search">"Search"</a>
                    <a href="/todos">"Todos"</a>
                    <a href="/newsletter">"Newsletter"</a>
                    <a href="/contact">"Contact"</a>
                    <a href="/feedback">"Feedback"</a>
                    <a href="/settings">"Settings"</a>
                    <AccountNav/>
                </nav>
            </header>
            <main>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Home ssr=SsrMode::Async/>
                    <Route path=path!("/posts") view=PostsPage ssr=SsrMode::Async/>
                    <Route path=path!("/posts/:slug") view=PostPage ssr=SsrMode::Async/>
                    <Route path=path!("/posts/:slug/edit") view=EditPostPage ssr=SsrMode::Async/>
                    <Route path=path!("/newsletter") view=NewsletterPage ssr=SsrMode::Async/>
                    <Route path=path!("/contact") view=ContactPage ssr=SsrMode::Async/>
                    <Route path=path!("/contact/thanks") view=ContactThanksPage ssr=SsrMode::Async/>
                    <Route path=path!("/feedback") view=FeedbackPage ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/register") view=RegisterPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin") view=AdminPage ssr=SsrMode::Async/>
                    <Route path=path!("/todos") view=TodosPage ssr=SsrMode::Async/>
                    <Route path=path!("/search") view=SearchPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings") view=SettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings/profile") view=crate::settings::profile::ProfilePage ssr=SsrMode::Async/>
                </Routes>
            </main>
        </Router>
    }
}

#[component]
fn Home() -> impl IntoView {
    shared();
    view! {
        <Title text="Home"/>
        <section class="hero">
            <h1>"A small community, built on Server Actions"</h1>
            <p>
                "Every form on this site works with and without JavaScript. "
                <a href="/posts">"Read the posts"</a>
                " or write one."
            </p>
        </section>
    }
}

/// The fallback page: a real 404, not a 200 with an apology.
#[component]
pub fn NotFound() -> impl IntoView {
    set_status(http_status::NOT_FOUND);
    view! {
        <Title text="Not found"/>
        <section class="not-found">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. " <a href="/posts">"Go to the posts"</a> "."</p>
        </section>
    }
}

/// HTTP statuses a page may set while it renders.
pub mod http_status {
    pub const NOT_FOUND: u16 = 404;
}

/// Sets the status of the response being rendered (server side; a no-op in the browser).
pub fn set_status(status: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(response), Ok(status)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(status),
    ) {
        response.set_status(status);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = status;
}
