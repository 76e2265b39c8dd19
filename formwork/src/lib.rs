//! Formwork: the Server Actions model for Leptos 0.8.
//!
//! An action is one `#[server]` function. Formwork puts around it what a production framework
//! owes its users: a form that works with and without JavaScript ([`ActionForm`]), one schema
//! checked in the browser and on the server ([`schema!`]), a typed [`ActionError`] that maps
//! to HTTP statuses, a declared access policy, body limit and rate limit per action
//! ([`declare!`]), server-rendered [`Region`]s and [`Live`] resources that refresh when what
//! they show is revalidated, in this tab, other tabs and other instances, and (behind the
//! `ssr` feature) the request pipeline every action walks.
//!
//! An app's server is wired by one builder (`Formwork::builder`, feature `ssr`); its browser
//! side is formwork's `hydrate` entry point (feature `hydrate`). `use formwork::prelude::*;`
//! brings what pages and actions use, Leptos' prelude included. The quick start is
//! `examples/hello-form` in formwork's repository, 80 lines of Rust in all.
//!
//! | feature | what it adds |
//! |---|---|
//! | `ssr` | the server: pipeline, sessions, data cache, live stream, job queue, builder |
//! | `hydrate` | the browser: forms' enhancement, schema checks in WASM, the live client |
//! | `sqlite` | formwork's tables on SQLite, with their migrations |
//! | `postgres` | the same on PostgreSQL, and the `LISTEN/NOTIFY` invalidation bus |
//! | `redis` | rate limits and invalidations shared through Redis |
//!
//! The crate is mechanism only: it knows nothing of the application's domain. The app names
//! its roles (formwork compares [`identity::Rank`]s), its users (one principals query) and its
//! own rules ([`Rule::check_with`]).

#![warn(missing_docs)]

pub mod bound;
#[cfg(feature = "hydrate")]
mod browser;
#[cfg(feature = "ssr")]
pub mod builder;
pub mod cookies;
pub mod error;
pub mod flash;
pub mod form;
pub mod identity;
pub mod live;
pub mod messages;
pub mod meta;
pub mod optimistic;
pub mod protocol;
pub mod query_form;
pub mod redirect;
pub mod region;
pub mod rules;
pub mod schema;
pub mod upload;
pub mod upload_form;

#[cfg(feature = "ssr")]
pub mod cache;
#[cfg(feature = "ssr")]
pub mod client_ip;
#[cfg(feature = "ssr")]
pub mod invalidation;
#[cfg(feature = "ssr")]
pub mod jobs;
#[cfg(feature = "ssr")]
pub mod origin;
#[cfg(feature = "ssr")]
pub mod pipeline;
#[cfg(feature = "ssr")]
pub mod rate_limit;
#[cfg(feature = "ssr")]
pub mod registry;
#[cfg(feature = "ssr")]
pub mod serve;
#[cfg(feature = "ssr")]
pub mod signing;
#[cfg(feature = "ssr")]
pub mod store;

/// The browser's side of formwork, and the entry point cargo-leptos' script calls: hydrates
/// the islands, and starts the live stream that refreshes what a revalidation changed.
///
/// formwork's `hydrate` feature exports it from the app's WASM (the browser crate only has
/// to link the app: `use app as _;`). An app does not define a `hydrate` of its own.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Release builds abort on panic without a message; debug builds log it to the console.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    messages::install_from_page();
    leptos::mount::hydrate_islands();
    live::client::start();
}

/// Seconds since the Unix epoch (0 for a clock before it).
#[cfg(feature = "ssr")]
pub(crate) fn unix_now() -> i64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// What most pages and actions use, in one import: `use formwork::prelude::*;`. It includes
/// Leptos' prelude, with formwork's [`ActionForm`] in place of Leptos' own.
pub mod prelude {
    pub use crate::{
        form::snapshot, ActionError, ActionForm, Bound, Document, FormError, FormSnapshot,
        FormState, Region, Rule, Schema, SubmitButton, TextArea, TextInput, Title, Validated,
    };
    #[cfg(feature = "ssr")]
    pub use crate::{revalidate_path, revalidate_tag, Formwork};
    pub use leptos::prelude::*;
}

/// What formwork's macros expand to; not an API.
#[doc(hidden)]
pub mod __private {
    pub use garde;
    #[cfg(feature = "ssr")]
    pub use inventory;
    pub use server_fn::ServerFn;
}

pub use bound::Bound;
#[cfg(feature = "ssr")]
pub use builder::{Builder, Formwork};
#[cfg(feature = "ssr")]
pub use cache::{revalidate_path, revalidate_tag};
pub use error::{ActionError, FieldErrors};
pub use flash::FormSnapshot;
pub use form::{
    ActionForm, Field, Fields, FormError, FormState, SubmitButton, TextArea, TextInput,
};
pub use live::Live;
pub use meta::{Document, Scripts, Title};
pub use optimistic::Optimistic;
pub use query_form::QueryForm;
#[cfg(feature = "ssr")]
pub use rate_limit::RateLimit;
#[cfg(feature = "ssr")]
pub use redirect::redirect;
pub use redirect::LocalPath;
pub use region::Region;
pub use schema::{Rule, Schema, Validated};
pub use upload_form::{FileInput, UploadButton, UploadForm, UploadProgress};

/// Declares an action's access policy and, optionally, its body limit and rate limit (see the
/// `registry` module of the server build). Expands to nothing outside the server build: the
/// build in which formwork's own `ssr` feature is on, whatever the caller's features are named.
#[macro_export]
macro_rules! declare {
    ($action:ty {
        access: $access:expr
        $(, body_limit: $limit:expr)?
        $(, rate_limit: $rate:expr)?
        $(,)?
    }) => {
        $crate::__on_server! {
        $crate::__private::inventory::submit! {
            $crate::registry::Declaration {
                path: <$action as $crate::__private::ServerFn>::PATH,
                content_type: <<$action as $crate::__private::ServerFn>::Protocol
                    as $crate::registry::ReadsBody>::CONTENT_TYPE,
                access: {
                    #[allow(unused_imports)]
                    use $crate::registry::Access::*;
                    $access
                },
                body_limit: $crate::__declare_optional!($($limit)?),
                rate_limit: $crate::__declare_optional!($($rate)?),
            }
        }
        }
    };
}

/// Keeps its items in the server build (formwork's `ssr` feature on), drops them elsewhere.
/// The cfg is formwork's, evaluated here: a macro expanding `#[cfg(feature = "ssr")]` would
/// test the caller's features instead.
#[cfg(feature = "ssr")]
#[doc(hidden)]
#[macro_export]
macro_rules! __on_server {
    ($($item:item)*) => {
        $($item)*
    };
}

#[cfg(not(feature = "ssr"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __on_server {
    ($($item:item)*) => {};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __declare_optional {
    () => {
        None
    };
    ($limit:expr) => {
        Some($limit)
    };
}
