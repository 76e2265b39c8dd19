//! Posts: the first vertical slice of the app.
//!
//! - [`model`]: the post types and the rules for a new post (shared by client and server);
//! - [`read`]: the read-only server functions pages call;
//! - [`create_post`], [`edit_post`] and [`delete_post`]: one action per file, each with its form;
//! - [`pages`]: `/posts`, `/posts/{slug}` and `/posts/{slug}/edit`;
//! - `store` (server only): what posts need from storage.

pub mod create_post;
pub mod delete_post;
pub mod edit_post;
pub mod model;
pub mod pages;
pub mod read;
#[cfg(feature = "ssr")]
pub mod store;
