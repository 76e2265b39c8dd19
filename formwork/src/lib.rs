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
pub mod error;
pub mod flash;
pub mod form;
pub mod redirect;
pub mod region;
pub mod rules;
pub mod schema;

#[cfg(feature = "ssr")]
pub mod origin;
#[cfg(feature = "ssr")]
pub mod pipeline;

pub use bound::Bound;
pub use error::{ActionError, FieldErrors};
pub use flash::FormSnapshot;
pub use form::{ActionForm, Field, FormError, FormState, SubmitButton, TextArea, TextInput};
#[cfg(feature = "ssr")]
pub use redirect::redirect;
pub use redirect::LocalPath;
pub use region::Region;
pub use schema::{Rule, Schema, Validated};
