//! Formwork: the Server Actions model for Leptos 0.8.
//!
//! An action is one `#[server]` function. Formwork puts the pieces around it that a production
//! framework owes its users: a typed [`ActionError`] that maps to HTTP statuses, redirects that
//! answer `303 See Other` after a form post, server-rendered [`Region`]s that refresh in place
//! after an action, and (behind the `ssr` feature) the request [`pipeline`] every action walks.
//!
//! The crate is mechanism only: it knows nothing of the application's domain.

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
pub mod meta;
pub mod optimistic;
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
pub mod store;

/// The browser's side of formwork, in one call from the app's hydrate entry point: hydrates
/// the islands, and starts the live stream that refreshes what a revalidation changed.
#[cfg(feature = "hydrate")]
pub fn hydrate() {
    leptos::mount::hydrate_islands();
    live::client::start();
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
pub use meta::{Scripts, Title};
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
        access: $access:ident
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
                access: $crate::registry::Access::$access,
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
